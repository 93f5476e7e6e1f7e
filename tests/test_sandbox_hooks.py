"""Bulk edit, webhooks, injected faults and the ``sandbox serve`` command."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests

from roadmap_sync.sandbox.server import SandboxServer, authorization
from tests.conftest import site_data
from tests.test_sandbox_jira_client import person_edit, writes


@pytest.fixture
def cloud() -> Iterator[SandboxServer]:
    """A Cloud sandbox."""
    with SandboxServer(site_data(), flavor="cloud", bulk_delay=0.05) as server:
        yield server


def arm(site: SandboxServer, **spec: Any) -> None:
    """Arm one fault through the test hook."""
    requests.post(f"{site.url}/_sandbox/faults", json=spec, timeout=5).raise_for_status()


def test_bulk_edit_adds_and_removes_labels_and_is_polled(cloud: SandboxServer) -> None:
    """Bulk ADD applies to every selected issue; the task is polled until COMPLETE."""
    targets = ["ACME-13", "ACME-14", "10015"]
    body = {
        "selectedActions": ["labels"],
        "selectedIssueIdsOrKeys": targets,
        "editedFieldsInput": {
            "labelsFields": [
                {
                    "fieldId": "labels",
                    "bulkEditMultiSelectFieldOption": "ADD",
                    "labels": [{"name": "roadmap-r2"}],
                }
            ]
        },
        "sendBulkNotification": False,
    }
    url = f"{cloud.url}/rest/api/3/bulk/issues/fields"
    submitted = requests.post(url, json=body, headers=cloud.auth_headers(), timeout=5)
    assert submitted.status_code == 201
    task = submitted.json()["taskId"]
    first = requests.get(f"{cloud.url}/rest/api/3/bulk/queue/{task}", headers=cloud.auth_headers())
    assert first.json()["status"] in ("ENQUEUED", "RUNNING")
    deadline = time.monotonic() + 5
    while True:
        progress = requests.get(
            f"{cloud.url}/rest/api/3/bulk/queue/{task}", headers=cloud.auth_headers()
        ).json()
        if progress["status"] == "COMPLETE" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert progress["status"] == "COMPLETE"
    assert progress["progressPercent"] == 100
    assert len(progress["processedAccessibleIssues"]) == 3
    for key in ("ACME-13", "ACME-14"):
        assert "roadmap-r2" in cloud.store.get(key)["fields"]["labels"]
    assert writes(cloud)[-1]["notifyUsers"] is False


def test_bulk_edit_refuses_more_than_1000_issues(cloud: SandboxServer) -> None:
    """Over 1000 issues in one request is a 400 in the bulk API's own error shape."""
    body = {
        "selectedActions": ["labels"],
        "selectedIssueIdsOrKeys": [f"ACME-{i}" for i in range(1, 1002)],
        "editedFieldsInput": {
            "labelsFields": [
                {
                    "fieldId": "labels",
                    "bulkEditMultiSelectFieldOption": "REMOVE",
                    "labels": [{"name": "x"}],
                }
            ]
        },
    }
    response = requests.post(
        f"{cloud.url}/rest/api/3/bulk/issues/fields", json=body, headers=cloud.auth_headers()
    )
    assert response.status_code == 400
    assert "1000" in response.json()["errors"][0]["message"]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        """Record a webhook post."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A local HTTP server that records webhook posts."""
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_person_edit_fires_signed_webhook(
    site: SandboxServer, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    """A person's edit posts ``jira:issue_updated`` with changelog items, HMAC-SHA256 signed."""
    url, received = receiver
    requests.post(
        f"{site.url}/_sandbox/webhooks", json={"url": url, "secret": "s3cret"}, timeout=5
    ).raise_for_status()
    before = " ".join(site.store.get("ACME-20")["fields"]["labels"])
    person_edit(site, "ACME-20", {"update": {"labels": [{"add": "hot-fix"}]}})
    requests.get(f"{site.url}/_sandbox/webhooks", timeout=5)  # drains deliveries
    assert len(received) == 1
    headers, body = received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature"] == expected
    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == "ACME-20"
    item = payload["changelog"]["items"][0]
    assert item["field"] == "labels"
    assert item["fromString"] == (before or None)  # no labels before: null, as Jira records it
    assert "hot-fix" in item["toString"].split(" ")
    assert ("fieldId" in item) == (site.flavor == "cloud")
    assert payload["user"]["displayName"] == "Pat Person"


def test_rate_limit_fault_sends_retry_after_and_rate_headers(site: SandboxServer) -> None:
    """A 429 fault carries Retry-After and X-RateLimit-* headers, then the endpoint recovers."""
    arm(site, endpoint="issue_get", kind="rate_limit", retry_after=2, times=1)
    url = f"{site.url}/rest/api/2/issue/ACME-1"
    limited = requests.get(url, headers=site.auth_headers(), timeout=5)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    assert requests.get(url, headers=site.auth_headers(), timeout=5).status_code == 200


def test_error_fault_after_n_requests(site: SandboxServer) -> None:
    """``after`` lets a fault strike mid-run: the third PUT fails with 503, the rest succeed."""
    arm(site, endpoint="issue_put", kind="error", status=503, after=2, times=1)
    statuses = [
        requests.put(
            f"{site.url}/rest/api/2/issue/ACME-{n}",
            json={"update": {"labels": [{"add": "x"}]}},
            headers=site.auth_headers(),
            timeout=5,
        ).status_code
        for n in range(13, 17)
    ]
    assert statuses == [204, 204, 503, 204]
    assert "x" not in site.store.get("ACME-15")["fields"]["labels"]
    assert [w["status"] for w in writes(site)] == statuses


def test_latency_fault_delays_response(site: SandboxServer) -> None:
    """Added latency slows one response without changing it."""
    arm(site, endpoint="meta", kind="latency", latency_ms=300)
    started = time.monotonic()
    response = requests.get(f"{site.url}/rest/api/2/myself", headers=site.auth_headers(), timeout=5)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_broken_connections(site: SandboxServer, kind: str) -> None:
    """A reset mid-response or a truncated body reaches the client as a connection error."""
    arm(site, endpoint="issue_get", kind=kind)
    broken = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    with pytest.raises(broken):
        requests.get(f"{site.url}/rest/api/2/issue/ACME-1", headers=site.auth_headers(), timeout=5)
    ok = requests.get(f"{site.url}/rest/api/2/issue/ACME-1", headers=site.auth_headers(), timeout=5)
    assert ok.status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_command_prints_ready_line_and_stops_on_sigterm() -> None:
    """``roadmap-sync sandbox serve`` prints one ready line, serves, and exits 0 on SIGTERM."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "roadmap_sync",
            "sandbox",
            "serve",
            "--flavor",
            "datacenter",
            "--port",
            str(port),
            "--generate",
            "80",
            "--seed",
            "3",
            "--token",
            "pat-123",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line == f"sandbox listening on http://127.0.0.1:{port}"
        info = requests.get(f"{line.split()[-1]}/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "Server"
        found = requests.get(
            f"http://127.0.0.1:{port}/rest/api/2/search",
            params={"jql": "project = ACME", "maxResults": 0},
            headers={"Authorization": "Bearer pat-123"},
            timeout=5,
        ).json()
        assert found["total"] > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_admin_webhook_registration_matches_the_hook(site: SandboxServer) -> None:
    """Jira's admin endpoint registers like the test hook: every event by default, checked body."""
    url = f"{site.url}/rest/webhooks/1.0/webhook"
    made = requests.post(
        url, json={"url": "http://127.0.0.1:9/hook"}, headers=site.auth_headers(), timeout=5
    )
    assert made.status_code == 201
    listed = requests.get(f"{site.url}/_sandbox/webhooks", timeout=5).json()["webhooks"]
    assert [hook["events"] for hook in listed] == [made.json()["events"]]
    assert "jira:issue_updated" in made.json()["events"]
    bad = {"url": "http://127.0.0.1:9/hook", "events": "jira:issue_updated"}
    assert requests.post(url, json=bad, headers=site.auth_headers(), timeout=5).status_code == 400
    person = {"Authorization": authorization(site.flavor, "pat@example.com", "person-token")}
    refused = requests.post(url, json={"url": "http://127.0.0.1:9/hook"}, headers=person, timeout=5)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--generate", "-5"),
        ("--generate", "0"),
        ("--port", "-1"),
        ("--port", "70000"),
        ("--search-lag", "-2"),
        ("--search-lag", "nan"),
        ("--result-window", "0"),
    ],
)
def test_serve_refuses_numbers_out_of_range(option: str, value: str) -> None:
    """A negative issue count, an impossible port or lag is a usage error naming the option,
    not a sandbox that silently serves nothing or fails later."""
    done = subprocess.run(
        [sys.executable, "-m", "roadmap_sync", "sandbox", "serve", option, value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"argument {option}: {value} is out of range" in done.stderr
