"""The release outlook of a recorded sync, end to end: sandbox, engine, state store, report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import requests

from roadmap_sync.core.model import FindingKind
from roadmap_sync.engine.publish import build_report_for
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.reports.json_report import report_document
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.generate import GENERATED_NOW
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.outlook import OutlookStore
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.base import Tracker
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data
from tests.test_metric_sources import Api, api, vector  # noqa: F401 - the api fixture

WEEK = dt.timedelta(days=7)


def connect(site: SandboxServer) -> Tracker:
    """The bot's tracker for a sandbox site."""
    options = ConnectOptions(
        url=site.url, email=site.email, token=site.token, policy=RetryPolicy(attempts=2)
    )
    return registry.connect(options)


def roadmap_with_sources(tmp_path: Path, api_url: str) -> Path:
    """The example roadmap with a Prometheus metric, a dead HTTP one and a broken metrics.yaml."""
    text = (REPO / "config" / "roadmap.example.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "        source: {type: manual}",
        f'        source: {{type: prometheus, url: "{api_url}", query: "checkout_rate"}}',
    )
    text = text.replace(
        '      - name: Cart abandonment\n        target: {value: 60, unit: "%", direction: down}',
        '      - name: Cart abandonment\n        target: {value: 60, unit: "%", direction: down}\n'
        '        source: {type: http, url: "http://127.0.0.1:9/x?token=s3cret", pointer: /v}',
    )
    path = tmp_path / "roadmap.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "metrics.yaml").write_text("- {metric: Repeat purchase rate, value: 1}\n")
    return path


def test_broken_metric_sources_never_fail_the_sync(tmp_path: Path, api: str) -> None:  # noqa: F811
    """A dead endpoint and a broken metrics.yaml are findings; Prometheus is read and stored."""
    Api.answers["/api/v1/query?checkout_rate"] = (200, vector("2.9"))
    roadmap = load_roadmap(roadmap_with_sources(tmp_path, api))
    clock = SiteClock(GENERATED_NOW)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    with (
        SandboxServer(site_data(400, seed=1), clock=clock, bulk_delay=0.01) as site,
        StateStore.open(state) as store,
    ):
        result = sync_and_record(
            roadmap, connect(site), store, kind="run", force=True, clock=clock.now
        )
        report = report_document(build_report_for(store, roadmap, site.url, clock.now()))
    assert result.run.outcome == "ok"
    unavailable = {
        f.subject: f.message
        for f in result.plan.classification.findings
        if f.kind is FindingKind.METRIC_UNAVAILABLE
    }
    # The dead endpoint, and every metric read from the broken metrics.yaml.
    assert set(unavailable) == {
        "Cart abandonment", "Repeat purchase rate", "Average order value",
        "Customers with 3+ orders",
    }  # fmt: skip
    assert "s3cret" not in unavailable["Cart abandonment"]
    assert "metrics.yaml: entry 1: 'date' must be a day" in unavailable["Repeat purchase rate"]
    r1 = next(r for r in report["releases"] if r["id"] == "r1")
    conversion = next(m for m in r1["metrics"] if m["name"] == "Checkout conversion")
    assert conversion["latest"] == {"value": 2.9, "at": GENERATED_NOW.date().isoformat()}
    assert conversion["status"] == "on_track"


def test_a_week_later_the_outlook_compares(tmp_path: Path) -> None:
    """Two syncs a week apart: baseline growth names who moved an item, forecasts compare."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    clock = SiteClock(GENERATED_NOW)
    with SandboxServer(site_data(400, seed=1), clock=clock, bulk_delay=0.01) as site:
        tracker = connect(site)
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            sync_and_record(roadmap, tracker, store, kind="run", force=True, clock=clock.now)
            moved = next(
                key
                for key, issue in site.store.issues.items()
                if (issue["fields"].get("parent") or {}).get("key") == "ACME-4"
                and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
                and "a11y" not in issue["fields"]["labels"]
            )
            clock.advance(dt.timedelta(days=2))
            requests.post(
                f"{site.url}/_sandbox/issues/{moved}/edit",
                json={"fields": {"parent": {"key": "ACME-9"}, "fixVersions": []}},
                timeout=10,
            ).raise_for_status()
            clock.advance(WEEK - dt.timedelta(days=2))
            second = sync_and_record(
                roadmap, tracker, store, kind="run", force=True, clock=clock.now
            )
            report = build_report_for(store, roadmap, site.url, clock.now(), last=True)
            stored = OutlookStore(store).outlooks(roadmap.product, second.run.run_id)
    document = json.loads(json.dumps(report_document(report)))
    r2 = next(r for r in document["releases"] if r["id"] == "r2")
    assert r2["baseline"]["moved_out"]["items"] == 1
    (change,) = [c for c in r2["scope_changes"]["changes"] if c["key"] == moved]
    assert (change["kind"], change["who"]) == ("moved_out", "Pat Person")
    assert change["at"].startswith("2026-11-25")
    assert r2["forecast"]["previous_probability"] is not None
    assert len(r2["burnup"]) == 2
    assert set(stored) == {"r1", "r2", "r3", "r4"}
