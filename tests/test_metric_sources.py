"""Metric sources against real local servers: a Prometheus-compatible API and a JSON endpoint."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from roadmap_sync.core.metric_status import Reading
from roadmap_sync.core.roadmap import Metric
from roadmap_sync.metric_sources import MetricSourceError, load_manual, read_source
from roadmap_sync.metric_sources.http_json import resolve_pointer

TODAY = dt.date(2026, 11, 30)


class Api(BaseHTTPRequestHandler):
    """Answers /api/v1/query like Prometheus and /stats.json like a dashboard's JSON API."""

    answers: ClassVar[dict[str, tuple[int, Any]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        """Answer from the table by path (and query for Prometheus)."""
        parts = urlsplit(self.path)
        key = parts.path
        if parts.path.endswith("/api/v1/query"):
            key += "?" + parse_qs(parts.query)["query"][0]
        self.seen.append(key)
        status, body = self.answers.get(key, (404, {"error": "not found"}))
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def api() -> Iterator[str]:
    """A local HTTP server on loopback; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Api.answers, Api.seen = {}, []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def metric(source: dict[str, Any]) -> Metric:
    """A conversion metric read from `source`."""
    return Metric.model_validate({"name": "Conversion", "target": {"value": 3}, "source": source})


def vector(value: str) -> dict[str, Any]:
    """Prometheus's answer to an instant query with one series."""
    sample = {"metric": {"job": "shop"}, "value": [1764500000.0, value]}
    return {"status": "success", "data": {"resultType": "vector", "result": [sample]}}


def test_prometheus_instant_query(api: str) -> None:
    """An instant query's first sample is today's reading (Prometheus sends it as a string)."""
    Api.answers["/api/v1/query?checkout_rate"] = (200, vector("2.75"))
    kind, readings = read_source(
        metric({"type": "prometheus", "url": api, "query": "checkout_rate"}),
        "r1", today=TODAY, manual=None,
    )  # fmt: skip
    assert (kind, readings) == ("prometheus", [Reading(TODAY, 2.75)])


def test_prometheus_scalar_and_prefix_path(api: str) -> None:
    """A scalar result works, and a server URL with a path prefix keeps it."""
    scalar = {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "41"]}}
    Api.answers["/prom/api/v1/query?scalar(nps)"] = (200, scalar)
    source = {"type": "prometheus", "url": f"{api}/prom/", "query": "scalar(nps)"}
    assert read_source(metric(source), "r1", today=TODAY, manual=None)[1] == [Reading(TODAY, 41.0)]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param((200, {"status": "success", "data": {"resultType": "vector", "result": []}}),
                     "the query returned no series", id="empty-vector"),
        pytest.param((400, {"status": "error", "errorType": "bad_data", "error": "parse error"}),
                     "answered HTTP 400", id="bad-query"),
        pytest.param((200, {"status": "error", "errorType": "timeout", "error": "too slow"}),
                     "timeout: too slow", id="error-status"),
        pytest.param((200, vector("NaN-ish")), "not a number", id="not-a-number"),
        pytest.param((200, "<html>login</html>"), "did not answer JSON", id="not-json"),
    ],
)  # fmt: skip
def test_prometheus_failures_say_why(api: str, answer: tuple[int, Any], message: str) -> None:
    """Every way a query can fail is a MetricSourceError naming the host, not the query URL."""
    Api.answers["/api/v1/query?q"] = answer
    with pytest.raises(MetricSourceError) as raised:
        read_source(metric({"type": "prometheus", "url": api, "query": "q"}), "r1",
                    today=TODAY, manual=None)  # fmt: skip
    assert message in str(raised.value)
    assert str(raised.value).startswith(api)


def test_http_json_pointer(api: str) -> None:
    """A JSON endpoint's number is picked by a JSON Pointer, escapes included."""
    Api.answers["/stats.json"] = (200, {"funnel": [{"a/b": {"rate": 3.1}}]})
    source = {
        "type": "http",
        "url": f"{api}/stats.json?token=s3cret",
        "pointer": "/funnel/0/a~1b/rate",
    }
    assert read_source(metric(source), "r1", today=TODAY, manual=None) == (
        "http",
        [Reading(TODAY, 3.1)],
    )


def test_http_failures_never_show_the_url_query(api: str) -> None:
    """A missing pointer or an HTTP error is reported by host only (queries carry tokens)."""
    Api.answers["/stats.json"] = (200, {"other": 1})
    for path in ("/stats.json", "/missing.json"):
        source = {"type": "http", "url": f"{api}{path}?token=s3cret", "pointer": "/rate"}
        with pytest.raises(MetricSourceError) as raised:
            read_source(metric(source), "r1", today=TODAY, manual=None)
        assert "s3cret" not in str(raised.value)
    with pytest.raises(MetricSourceError, match="Connection"):
        dead = {"type": "http", "url": "http://127.0.0.1:9/x", "pointer": ""}
        read_source(metric(dead), "r1", today=TODAY, manual=None)


def test_resolve_pointer_whole_document() -> None:
    """The empty pointer is the whole document."""
    assert resolve_pointer(4.5, "") == 4.5


def test_manual_readings_file(tmp_path: Path) -> None:
    """metrics.yaml readings belong to their metric, by release when one is named."""
    path = tmp_path / "metrics.yaml"
    path.write_text(
        "- {metric: Conversion, date: 2026-11-20, value: 2.5}\n"
        "- {metric: Conversion, release: r2, date: 2026-11-27, value: 9}\n"
        "- {metric: Conversion, date: 2026-11-27, value: 2.8}\n",
        encoding="utf-8",
    )
    manual = load_manual(path)
    _kind, readings = read_source(metric({"type": "manual"}), "r1", today=TODAY, manual=manual)
    assert readings == [Reading(dt.date(2026, 11, 20), 2.5), Reading(dt.date(2026, 11, 27), 2.8)]
    assert len(manual.of("r2", "Conversion")) == 3


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("- {metric: C, date: 2026-11-20, value: high}\n", "entry 1: 'value' must",
                     id="not-a-number"),
        pytest.param("- {metric: C, date: soon, value: 1}\n", "'date' must be a day",
                     id="bad-date"),
        pytest.param("- [unclosed\n", "metrics.yaml:2:1", id="bad-yaml"),
        pytest.param("metric: C\n", "expected a list", id="not-a-list"),
    ],
)  # fmt: skip
def test_broken_manual_file_is_located(tmp_path: Path, text: str, problem: str) -> None:
    """A broken metrics.yaml names the file, the entry or line, and the problem."""
    path = tmp_path / "metrics.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MetricSourceError) as raised:
        load_manual(path)
    assert problem in str(raised.value) and str(path) in str(raised.value)


def test_missing_manual_file_has_no_readings(tmp_path: Path) -> None:
    """No metrics.yaml: manual metrics simply have no readings yet."""
    assert load_manual(tmp_path / "metrics.yaml").of("r1", "C") == []
