"""The fault matrix: every endpoint a sync uses x every fault kind x both flavors.

Each case runs one sync with the fault armed (it may succeed, end partial or fail), then a clean
sync, and compares with a fault-free sync of the same backlog: the final labels must be equal
issue by issue, no person's label may be lost, and the store must be consistent (no run left
running, no change left pending by a run that ended).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests

from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import TrackerError
from roadmap_sync.trackers.jira.tracker import JiraTracker
from tests.conftest import REPO, site_data

pytestmark = pytest.mark.slow
FAST = RetryPolicy(attempts=3, max_wait=5, backoff_initial=0.01, backoff_max=0.02)
PERSON_LABELS = {"ACME-20": "roadmap-notes", "ACME-21": "q3-review", "ACME-30": "roadmap"}

# How a sync talks to each flavor: Data Center per issue; Cloud through the bulk edit API for
# a first sync, and per issue for small plans (bulk threshold not reached).
VARIANTS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "datacenter": ("datacenter", {}, ("search", "meta", "issue_put")),
    "cloud-bulk": (
        "cloud",
        {"bulk_threshold": 20},
        ("search", "meta", "bulk_submit", "bulk_queue"),
    ),
    "cloud-put": ("cloud", {"bulk_threshold": 10**6}, ("issue_put",)),
}
# A burst of three faults from the third matching request on (the first, for the one search
# page of this backlog), or one for ever.
KINDS: dict[str, dict[str, Any]] = {
    "rate_limit": {"kind": "rate_limit", "retry_after": 0.05, "times": 3, "after": 2},
    "error_503": {"kind": "error", "status": 503, "times": 3, "after": 2},
    "error_500": {"kind": "error", "status": 500, "times": 3, "after": 2},
    "latency": {"kind": "latency", "latency_ms": 80, "times": 3, "after": 2},
    "reset": {"kind": "reset", "times": 3, "after": 2},
    "truncate": {"kind": "truncate", "times": 3, "after": 2},
    "reset_after": {"kind": "reset_after", "times": 3, "after": 2},
    "dead": {"kind": "error", "status": 503, "times": -1, "after": 2},
}
CASES = [
    pytest.param(variant, endpoint, kind, id=f"{variant}-{endpoint}-{kind}")
    for variant, (_, _, endpoints) in VARIANTS.items()
    for endpoint in endpoints
    for kind in KINDS
]


def roadmap() -> Roadmap:
    """The example roadmap."""
    return load_roadmap(REPO / "config" / "roadmap.example.yaml")


def fresh_site(variant: str) -> SandboxServer:
    """A new sandbox of the variant's flavor: 80 issues, a few people's labels added."""
    flavor = VARIANTS[variant][0]
    site = SandboxServer(site_data(80, seed=31), flavor=flavor, bulk_delay=0.005)  # type: ignore[arg-type]
    site.start()
    for key, label in PERSON_LABELS.items():
        requests.post(
            f"{site.url}/_sandbox/issues/{key}/edit",
            json={"update": {"labels": [{"add": label}]}},
            timeout=5,
        ).raise_for_status()
    return site


def labels(site: SandboxServer) -> dict[str, frozenset[str]]:
    """Every issue's labels."""
    return {k: frozenset(i["fields"].get("labels") or ()) for k, i in site.store.issues.items()}


def sync(site: SandboxServer, variant: str, store: StateStore) -> None:
    """One recorded sync; a failure of the whole run (it is recorded) is not an error here."""
    email = site.email if site.flavor == "cloud" else None
    try:
        tracker = JiraTracker.connect(site.url, email, site.token, FAST, **VARIANTS[variant][1])
        sync_and_record(roadmap(), tracker, store, kind="run", force=True)
    except TrackerError:
        pass


@cache
def reference(variant: str, directory: str) -> dict[str, frozenset[str]]:
    """The labels after a fault-free sync of the same backlog."""
    site = fresh_site(variant)
    try:
        with StateStore.open(f"sqlite:///{directory}/reference-{variant}.db") as store:
            sync(site, variant, store)
        return labels(site)
    finally:
        site.shutdown()


@pytest.mark.parametrize(("variant", "endpoint", "kind"), CASES)
def test_fault_then_clean_run_converges(
    variant: str, endpoint: str, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A faulty sync, then a clean one: labels as without the fault; people's labels kept."""
    expected = reference(variant, str(tmp_path_factory.getbasetemp()))
    site = fresh_site(variant)
    path: Path = tmp_path_factory.mktemp("matrix") / "state.db"
    try:
        before = labels(site)
        fault = {"endpoint": endpoint, **KINDS[kind]}
        if endpoint == "search":
            fault["after"] = 0  # one page holds this backlog: the fault must hit it
        requests.post(f"{site.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
        with StateStore.open(f"sqlite:///{path}") as store:
            sync(site, variant, store)
            armed = requests.get(f"{site.url}/_sandbox/faults", timeout=5).json()["faults"]
            requests.delete(f"{site.url}/_sandbox/faults", timeout=5).raise_for_status()
            sync(site, variant, store)
            runs = store.runs(limit=10)
            pending = [row for run in runs for row in store.audit(run.run_id) if row.pending]
        after = labels(site)
    finally:
        site.shutdown()
    assert armed[0]["fired"] > 0, "the fault never fired: the case tests nothing"
    differing = sorted(key for key in expected if after.get(key) != expected[key])
    assert not differing, {key: (after.get(key), expected[key]) for key in differing[:5]}
    owned = roadmap().bot_labels
    for key, had in before.items():
        assert had - owned <= after[key], f"{key} lost a person's label"
    for key, label in PERSON_LABELS.items():
        assert label in after[key]
    assert runs, "the clean sync was recorded"
    assert all(run.outcome != "running" for run in runs), [r.outcome for r in runs]
    assert runs[0].outcome == "ok"
    assert not pending, "a run that ended left changes pending"


@pytest.mark.parametrize("flavor", ["datacenter", "cloud"])
def test_write_that_lands_before_the_reset_is_retried_harmlessly(flavor: str) -> None:
    """Jira applies a PUT, then drops the connection: the retry repeats it, nothing doubles."""
    with SandboxServer(site_data(80, seed=31), flavor=flavor) as site:  # type: ignore[arg-type]
        email = site.email if flavor == "cloud" else None
        tracker = JiraTracker.connect(site.url, email, site.token, FAST, bulk_threshold=10**6)
        from roadmap_sync.engine.sync import make_plan
        from tests.test_sync_integration import NOW, TODAY

        change = make_plan(roadmap(), tracker, today=TODAY, now=NOW).labels.changes[0]
        fault = {"endpoint": "issue_put", "kind": "reset_after", "times": 1}
        requests.post(f"{site.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
        (outcome,) = tracker.apply([change])
        writes = requests.get(f"{site.url}/_sandbox/writes", timeout=5).json()["writes"]
        final = site.store.get(change.key)["fields"]["labels"]
    assert outcome.ok
    assert [w["path"].rsplit("/", 1)[-1] for w in writes] == [change.key, change.key]
    assert sorted(final) == sorted(change.after)
    assert len(final) == len(set(final)), "a label added twice appears twice"
