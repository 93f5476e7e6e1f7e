"""The worker and every webhook it acts on, against sites with a real site's defaults (Cloud's
search lags 2 s): issue edits, a person's edit of a bot label, deletions, version events, and
payloads in Jira Cloud's documented shape (``tests/webhooks/``)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.targeted import targeted_plan
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import REPO, site_data
from tests.test_sync_integration import TODAY, tracker_for
from tests.worker_harness import WorkerProcess, permissive_roadmap, start_worker, wait_for

pytestmark = pytest.mark.slow
SECRET = "s3cret-webhook"
PAYLOADS = REPO / "tests" / "webhooks"


@pytest.fixture
def sandbox(flavor: str) -> Iterator[SandboxServer]:
    """A site with a real site's defaults (Cloud's search lags)."""
    with SandboxServer(site_data(300, seed=5), flavor=flavor, bulk_delay=0.01) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def worker(sandbox: SandboxServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker whose scheduled syncs are an hour apart, after its first sync."""
    process = start_worker(
        sandbox,
        tmp_path,
        permissive_roadmap(tmp_path),
        ROADMAP_SYNC_SYNC_INTERVAL="3600",
        ROADMAP_SYNC_WEBHOOK_DEBOUNCE="1",
    )
    wait_for(lambda: runs(process) >= 1, 60, "the first sync")
    yield process
    process.stop()


def runs(worker: WorkerProcess, kind: str = "run") -> float:
    """Completed runs of a kind."""
    return worker.metric(
        "roadmap_sync_runs_total", roadmap="Acme Web Shop", kind=kind, outcome="ok"
    )


def register(sandbox: SandboxServer, worker: WorkerProcess) -> None:
    """Register the worker as the site's webhook receiver for every event."""
    requests.post(
        f"{sandbox.url}/_sandbox/webhooks",
        json={"url": f"{worker.url}/webhooks/jira", "secret": SECRET},
        timeout=5,
    ).raise_for_status()


def edit(sandbox: SandboxServer, key: str, body: dict[str, Any]) -> None:
    """A person's edit."""
    requests.post(
        f"{sandbox.url}/_sandbox/issues/{key}/edit", json=body, timeout=5
    ).raise_for_status()


def aligned_story(sandbox: SandboxServer, epic: str = "ACME-3") -> str:
    """An open story of the epic carrying its release label and no flag (a done item is never
    flagged, so it would not show a wrong schedule)."""
    return next(
        key
        for key, issue in sandbox.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
        and issue["fields"]["status"]["statusCategory"]["key"] != "done"
        and "roadmap-r2" in issue["fields"]["labels"]
        and not {"roadmap-orphan", "roadmap-out-of-scope"} & set(issue["fields"]["labels"])
    )


def labels(sandbox: SandboxServer, key: str) -> set[str]:
    """An issue's labels now."""
    return set(sandbox.store.get(key)["fields"]["labels"])


def test_webhook_resync_relabels_an_edit_while_search_lags(
    sandbox: SandboxServer, worker: WorkerProcess
) -> None:
    """A story moved to another epic is relabelled by the re-sync 1 s after the edit."""
    register(sandbox, worker)
    story = aligned_story(sandbox)
    field = "parent" if sandbox.flavor == "cloud" else sandbox.store.epic_link_field
    epic: object = {"key": "ACME-7"} if sandbox.flavor == "cloud" else "ACME-7"
    edit(sandbox, story, {"fields": {field: epic}})
    wait_for(
        lambda: (
            "roadmap-r3" in labels(sandbox, story) and "roadmap-r2" not in labels(sandbox, story)
        ),
        30,
        f"{story} to move from roadmap-r2 to roadmap-r3",
    )


def test_a_persons_edit_of_a_bot_label_is_restored(
    sandbox: SandboxServer, worker: WorkerProcess
) -> None:
    """A person adds roadmap-orphan to an aligned story and removes its release label: both
    are put right within seconds; the bot's own writes are not re-traced again."""
    register(sandbox, worker)
    story = aligned_story(sandbox)
    edit(sandbox, story, {"update": {"labels": [{"add": "roadmap-orphan"}]}})
    wait_for(lambda: "roadmap-orphan" not in labels(sandbox, story), 30, "the flag to go")
    edit(sandbox, story, {"update": {"labels": [{"remove": "roadmap-r2"}]}})
    wait_for(lambda: "roadmap-r2" in labels(sandbox, story), 30, "the release label to return")
    wait_for(
        lambda: worker.metric("roadmap_sync_webhooks_total", result="own_change") >= 2,
        30,
        "the bot's own writes to come back as echoes",
    )


def test_issue_deleted_is_forgotten(sandbox: SandboxServer, worker: WorkerProcess) -> None:
    """A deleted issue is forgotten: no re-sync of it, a log line and a metric."""
    register(sandbox, worker)
    story = aligned_story(sandbox, "ACME-4")
    requests.delete(f"{sandbox.url}/_sandbox/issues/{story}", timeout=5).raise_for_status()
    wait_for(
        lambda: worker.metric("roadmap_sync_webhooks_total", result="deleted") >= 1,
        30,
        "the deletion webhook",
    )
    assert "issue_forgotten" in worker.log()


def test_renamed_version_named_by_the_roadmap_is_reported(
    sandbox: SandboxServer, worker: WorkerProcess
) -> None:
    """Renaming 2026.12 (release r2's fix version) warns at once and triggers a full sync."""
    register(sandbox, worker)
    version = sandbox.store.versions_by_name("ACME")["2026.12"]
    before = runs(worker)
    requests.put(
        f"{sandbox.url}/_sandbox/versions/{version['id']}", json={"name": "2026.12.1"}, timeout=5
    ).raise_for_status()
    wait_for(
        lambda: worker.metric("roadmap_sync_missing_fix_versions", roadmap="Acme Web Shop") == 1,
        30,
        "the missing fix version metric",
    )
    wait_for(lambda: runs(worker) > before, 60, "a full sync after the rename")
    log = worker.log()
    assert "roadmap_version_missing" in log and "2026.12.1" in log


def sign(body: bytes) -> str:
    """Jira's X-Hub-Signature."""
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def post(worker: WorkerProcess, payload: dict[str, Any]) -> requests.Response:
    """POST a signed payload to the worker."""
    body = json.dumps(payload).encode()
    return requests.post(
        f"{worker.url}/webhooks/jira",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body)},
        timeout=5,
    )


def documented(name: str, sandbox: SandboxServer, key: str) -> dict[str, Any]:
    """A payload of tests/webhooks/, pointed at an issue of this site."""
    payload: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    payload = copy.deepcopy(payload)
    payload["issue"]["key"] = key
    payload["issue"]["id"] = sandbox.store.get(key)["id"]
    return payload


@pytest.mark.parametrize("flavor", ["cloud"])
def test_documented_cloud_payloads_are_handled(
    sandbox: SandboxServer, worker: WorkerProcess
) -> None:
    """Labels, fix version and Epic Link payloads in Cloud's shape each lead the worker to
    converge the issue (the change was made with no webhook registered)."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    one, two, three = (aligned_story(sandbox, epic) for epic in ("ACME-3", "ACME-4", "ACME-5"))
    edit(sandbox, one, {"update": {"labels": [{"add": "roadmap-orphan"}]}})
    edit(sandbox, two, {"fields": {"fixVersions": [{"name": "2026.11"}]}})
    edit(sandbox, three, {"fields": {"parent": {"key": "ACME-7"}}})
    tracker = tracker_for(sandbox)
    for name, key in (
        ("cloud-labels.json", one),
        ("cloud-fix-version.json", two),
        ("cloud-epic-link.json", three),
    ):
        assert targeted_plan(tracker, roadmap, {key}, TODAY)[0].changes, key
        assert post(worker, documented(name, sandbox, key)).status_code == 202
    for key in (one, two, three):
        wait_for(
            lambda key=key: not targeted_plan(tracker, roadmap, {key}, TODAY)[0].changes,
            30,
            f"the worker to converge {key}",
        )
    assert worker.metric("roadmap_sync_webhooks_total", result="accepted") >= 3
    assert worker.healthy()
