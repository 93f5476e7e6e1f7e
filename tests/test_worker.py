"""``roadmap-sync serve`` as a real process against the sandbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import platform
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from roadmap_sync.engine.publish import build_report_for, publish
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.runtime.settings import load_settings
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from tests.conftest import site_data
from tests.worker_harness import WorkerProcess, permissive_roadmap, start_worker, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A Cloud sandbox with a small backlog."""
    with SandboxServer(site_data(300, seed=5), flavor="cloud", bulk_delay=0.01) as server:
        yield server


@pytest.fixture
def worker(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker syncing the sandbox every 2 seconds."""
    process = start_worker(sandbox, tmp_path, permissive_roadmap(tmp_path))
    yield process
    process.stop()


def runs(worker: WorkerProcess, outcome: str = "ok") -> float:
    """Completed full syncs with this outcome."""
    return worker.metric(
        "roadmap_sync_runs_total", roadmap="Acme Web Shop", kind="run", outcome=outcome
    )


def test_syncs_on_schedule_and_reports_health(worker: WorkerProcess, tmp_path: Path) -> None:
    """A sync runs at start and again on the interval; healthz, readyz and metrics answer."""
    wait_for(lambda: runs(worker) >= 1, 30, "the first sync")
    wait_for(lambda: runs(worker) >= 2, 15, "the second, scheduled sync")
    # The interval, not a burst: the recorded runs started about 2 s apart. (Read from the
    # state store rather than timed here: a loaded machine stretches the first, heavier sync.)
    with StateStore.open(f"sqlite:///{tmp_path / 'data' / 'state.db'}") as store:
        first, second = sorted(run.started_at for run in store.runs("Acme Web Shop"))[:2]
    assert (second - first).total_seconds() >= 1.0
    assert worker.get("/healthz").status_code == 200
    ready = worker.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready: leader of Acme Web Shop\n")
    metrics = worker.get("/metrics").text
    assert worker.metric("roadmap_sync_leader", roadmap="Acme Web Shop") == 1
    assert f'roadmap_sync_build_info{{python="{platform.python_version()}",version="' in metrics
    assert "_created" not in metrics
    for name in (
        "roadmap_sync_run_duration_seconds_bucket",
        "roadmap_sync_items",
        "roadmap_sync_labels_added_total",
        "roadmap_sync_jira_requests_total",
        "roadmap_sync_rate_limit_waits_total",
    ):
        assert name in metrics, name
    assert worker.metric("roadmap_sync_items", roadmap="Acme Web Shop", verdict="orphan") > 0
    assert worker.metric("roadmap_sync_jira_requests_total", status="200") > 0


def test_serves_the_newest_report_and_its_roadmap_view(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    """Before any report, 404; once one is published, /reports/latest is the whole report and
    /reports/roadmap the GO roadmap alone (what `report --view roadmap` shows stakeholders)."""
    wait_for(lambda: runs(worker) >= 1, 30, "the first sync")
    for path in ("/reports/latest", "/reports/roadmap"):
        assert worker.get(path).status_code == 404
    roadmap = load_roadmap(tmp_path / "roadmap.yaml")
    with StateStore.open(f"sqlite:///{tmp_path / 'data' / 'state.db'}") as store:
        now = dt.datetime.now(dt.UTC)
        report = build_report_for(store, roadmap, "https://acme.example.net", now)
        publish(store, load_settings(), report, now, send=False)
    latest, view = worker.get("/reports/latest"), worker.get("/reports/roadmap")
    assert (latest.status_code, view.status_code) == (200, 200)
    assert (
        latest.headers["Content-Type"]
        == view.headers["Content-Type"]
        == ("text/html; charset=utf-8")
    )
    for release in roadmap.releases:
        assert release.goal in view.text and release.goal in latest.text
    assert len(view.text) < len(latest.text)  # the view leaves the drift sections out


def sign(body: bytes, secret: str = "s3cret-webhook") -> str:
    """Jira's X-Hub-Signature for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def slow_worker(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker whose scheduled syncs are an hour apart: only webhooks can act quickly."""
    process = start_worker(
        sandbox, tmp_path, permissive_roadmap(tmp_path), ROADMAP_SYNC_SYNC_INTERVAL="3600"
    )
    yield process
    process.stop()


def test_person_edit_reaches_worker_by_webhook(
    sandbox: SandboxServer, slow_worker: WorkerProcess
) -> None:
    """A story moved to another epic gets its new release label within seconds, via webhook."""
    worker = slow_worker
    wait_for(lambda: runs(worker) >= 1, 30, "the first sync")
    story = next(
        key
        for key, issue in sandbox.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == "ACME-3"
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
        and "roadmap-ignore" not in issue["fields"]["labels"]
    )
    assert "roadmap-r2" in sandbox.store.get(story)["fields"]["labels"]
    requests.post(
        f"{sandbox.url}/_sandbox/webhooks",
        json={"url": f"{worker.url}/webhooks/jira", "secret": "s3cret-webhook"},
        timeout=5,
    ).raise_for_status()
    moved_at = time.monotonic()
    requests.post(
        f"{sandbox.url}/_sandbox/issues/{story}/edit",
        json={"fields": {"parent": {"key": "ACME-7"}}},
        timeout=5,
    ).raise_for_status()

    def relabelled() -> bool:
        labels = sandbox.store.get(story)["fields"]["labels"]
        return "roadmap-r3" in labels and "roadmap-r2" not in labels

    wait_for(relabelled, 10, f"{story} to move from roadmap-r2 to roadmap-r3")
    assert time.monotonic() - moved_at < 10
    assert "webhook_accepted" in worker.log()
    assert worker.metric("roadmap_sync_webhooks_total", result="accepted") >= 1


def test_unsigned_or_badly_signed_webhooks_are_rejected(worker: WorkerProcess) -> None:
    """No signature, a wrong signature or a wrong token: 401; the right token: accepted."""
    body = json.dumps(
        {"webhookEvent": "jira:issue_updated", "issue": {"key": "ACME-20", "fields": {}}}
    ).encode()
    url = f"{worker.url}/webhooks/jira"
    headers = {"Content-Type": "application/json"}
    assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 401
    bad = {**headers, "X-Hub-Signature": sign(body, "not-the-secret")}
    assert requests.post(url, data=body, headers=bad, timeout=5).status_code == 401
    assert requests.post(url + "?token=guess", data=body, headers=headers).status_code == 401
    good = {**headers, "X-Hub-Signature": sign(body)}
    assert requests.post(url, data=body, headers=good, timeout=5).status_code == 202
    token = requests.post(url + "?token=s3cret-webhook", data=body, headers=headers, timeout=5)
    assert token.status_code == 202
    assert worker.metric("roadmap_sync_webhooks_total", result="rejected") == 3
    assert "s3cret-webhook" not in worker.log()


def test_sigterm_exits_zero_promptly(worker: WorkerProcess) -> None:
    """SIGTERM stops the worker with status 0 within a few seconds."""
    wait_for(lambda: runs(worker) >= 1, 30, "the first sync")
    started = time.monotonic()
    assert worker.stop(timeout=30) == 0
    assert time.monotonic() - started < 10
    assert "worker_stopped" in worker.log()
