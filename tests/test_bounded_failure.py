"""Bounded failure: reads retried, rate limits waited without burning attempts, and a run that
stops writing to a Jira that keeps failing (circuit breaker, deadline), every write audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from roadmap_sync.cli import main
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.engine.sync import make_plan
from roadmap_sync.runtime.breaker import WriteBreaker, WriteLimits
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.jira.tracker import JiraTracker
from tests.conftest import REPO, site_data
from tests.test_sync_integration import NOW, TODAY

EXAMPLE = REPO / "config" / "roadmap.example.yaml"
FAST = RetryPolicy(attempts=3, max_wait=5, backoff_initial=0.01, backoff_max=0.02)


def arm(site: SandboxServer, **fault: Any) -> None:
    """Arm one sandbox fault."""
    requests.post(f"{site.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()


def tally(site: SandboxServer) -> dict[str, int]:
    """REST requests the sandbox received, per endpoint."""
    counts: dict[str, int] = requests.get(f"{site.url}/_sandbox/requests", timeout=5).json()[
        "requests"
    ]
    return counts


def tracker_for(site: SandboxServer, policy: RetryPolicy = FAST, **options: Any) -> JiraTracker:
    """The production adapter, with fast retries."""
    email = site.email if site.flavor == "cloud" else None
    return JiraTracker.connect(site.url, email, site.token, policy, **options)


@pytest.fixture
def sandbox(flavor: Flavor) -> Iterator[SandboxServer]:
    """A 400-issue sandbox, so that the first sync writes a few hundred changes."""
    with SandboxServer(site_data(400, seed=12), flavor=flavor, bulk_delay=0.01) as server:
        yield server


def test_a_server_error_on_a_search_page_is_retried(sandbox: SandboxServer) -> None:
    """A single 500 on a search page (a read) is retried, and the plan completes."""
    arm(sandbox, endpoint="search", kind="error", status=500, after=1)
    tracker = tracker_for(sandbox)
    plan = make_plan(load_roadmap(EXAMPLE), tracker, today=TODAY, now=NOW)
    assert plan.items and plan.labels.issues > 0


def test_rate_limits_do_not_burn_attempts(tmp_path: Path) -> None:
    """Ten 429s with a short Retry-After on one write: it still lands with three attempts."""
    with SandboxServer(site_data(100, seed=12), flavor="datacenter") as site:
        tracker = tracker_for(site)
        plan = make_plan(load_roadmap(EXAMPLE), tracker, today=TODAY, now=NOW)
        arm(site, endpoint="issue_put", kind="rate_limit", retry_after=0.01, times=10)
        (outcome,) = tracker.apply(plan.labels.changes[:1])
        assert outcome.ok, outcome.error
        assert tally(site)["issue_put"] == 11


def test_rate_limit_waits_are_bounded_by_the_max_wait() -> None:
    """A Jira that rate-limits for ever fails the write once max_wait seconds are spent."""
    with SandboxServer(site_data(100, seed=12), flavor="datacenter") as site:
        policy = RetryPolicy(attempts=3, max_wait=0.5, backoff_initial=0.01, backoff_max=0.02)
        tracker = tracker_for(site, policy)
        plan = make_plan(load_roadmap(EXAMPLE), tracker, today=TODAY, now=NOW)
        arm(site, endpoint="issue_put", kind="rate_limit", retry_after=0.2, times=-1)
        (outcome,) = tracker.apply(plan.labels.changes[:1])
        assert not outcome.ok
        assert tally(site)["issue_put"] <= 4  # 0.2 s three times would exceed 0.5 s


def test_a_retry_after_wait_never_outlasts_the_write_deadline() -> None:
    """Jira asks for a 2 s wait with 0.5 s left before the run's write deadline: the write is
    given up at once (one request each, no wait started), while with time to spare the same
    Retry-After is waited and the write lands."""
    with SandboxServer(site_data(100, seed=12), flavor="datacenter") as site:
        policy = RetryPolicy(attempts=3, max_wait=30, backoff_initial=0.01, backoff_max=0.02)
        tracker = tracker_for(site, policy, concurrency=1)
        plan = make_plan(load_roadmap(EXAMPLE), tracker, today=TODAY, now=NOW)
        late, early = plan.labels.changes[:3], plan.labels.changes[3:4]
        clock = FakeClock()
        breaker = WriteBreaker(WriteLimits(failure_limit=10, deadline=60), clock)
        arm(site, endpoint="issue_put", kind="rate_limit", retry_after=2, times=-1)
        clock.now = 59.5
        outcomes = tracker.apply(late, breaker)
        assert [outcome.ok for outcome in outcomes] == [False, False, False]
        assert tally(site)["issue_put"] == 3
        requests.delete(f"{site.url}/_sandbox/faults", timeout=5).raise_for_status()
        arm(site, endpoint="issue_put", kind="rate_limit", retry_after=2, times=1)
        clock.now = 0.0
        (outcome,) = tracker.apply(early, breaker)
        assert outcome.ok, outcome.error
        assert tally(site)["issue_put"] == 5


def test_dead_data_center_stops_the_run_early_and_audits_every_write(
    tmp_path: Path,
) -> None:
    """PUTs answer 503 (no Retry-After) after 30 writes: the breaker stops the run; all audited."""
    limits = WriteLimits(failure_limit=5)
    with SandboxServer(site_data(400, seed=12), flavor="datacenter") as site:
        roadmap = load_roadmap(EXAMPLE)
        tracker = tracker_for(site, concurrency=4)
        arm(site, endpoint="issue_put", kind="error", status=503, after=30, times=-1)
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            result = sync_and_record(
                roadmap, tracker, store, kind="run", force=True, write_limits=limits
            )
            rows = store.audit(result.run.run_id)
        puts = tally(site)["issue_put"]
    assert result.report is not None and result.report.stop_reason is not None
    assert result.run.outcome == "partial"
    planned = result.plan.labels.issues
    assert planned > 100
    # 30 good writes, then at most (limit + writes in flight) failing ones, each fully retried.
    assert puts <= 30 + (limits.failure_limit + 4) * FAST.attempts
    assert len(rows) == planned, "every planned change has an audit row"
    sent = [row for row in rows if not (row.error or "").startswith("not sent")]
    assert sum(row.ok for row in rows) == 30
    assert len(sent) - 30 <= limits.failure_limit + 4
    assert all(not row.pending for row in rows)


def test_permanent_503_on_cloud_bulk_submit_fails_the_run_early(tmp_path: Path) -> None:
    """Cloud bulk submit always 503: a few tasks are tried, then the run stops, failed."""
    limits = WriteLimits(failure_limit=3)
    with SandboxServer(site_data(400, seed=12), flavor="cloud", bulk_delay=0.01) as site:
        tracker = tracker_for(site, bulk_threshold=1)
        arm(site, endpoint="bulk_submit", kind="error", status=503, times=-1)
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            result = sync_and_record(
                load_roadmap(EXAMPLE), tracker, store, kind="run", force=True, write_limits=limits
            )
            rows = store.audit(result.run.run_id)
        submits = tally(site)["bulk_submit"]
    assert result.run.outcome == "failed"
    assert submits == limits.failure_limit * FAST.attempts
    assert len(rows) == result.plan.labels.issues and not any(row.ok for row in rows)


def test_dead_jira_is_exit_1_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run --once`` against a Jira whose writes all fail: exit 1, and it says why it stopped."""
    monkeypatch.chdir(tmp_path)
    with SandboxServer(site_data(200, seed=12), flavor="datacenter") as site:
        for name, value in {
            "JIRA_URL": site.url,
            "JIRA_TOKEN": site.token,
            "DATA_DIR": str(tmp_path / "data"),
            "RETRY_ATTEMPTS": "2",
            "WRITE_FAILURE_LIMIT": "4",
        }.items():
            monkeypatch.setenv(f"ROADMAP_SYNC_{name}", value)
        arm(site, endpoint="issue_put", kind="error", status=502, times=-1)
        assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "Writes stopped" in out and "ROADMAP_SYNC_WRITE_FAILURE_LIMIT" in out
    assert "(failed)" in out


class FakeClock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_on_consecutive_failures_only() -> None:
    """Failures separated by a success do not add up; N in a row open the breaker."""
    breaker = WriteBreaker(WriteLimits(failure_limit=3))
    for ok in (False, False, True, False, False):
        breaker.record(ok)
    assert breaker.allow()
    breaker.record(False)
    assert not breaker.allow()
    assert breaker.reason is not None and "3 writes failed in a row" in breaker.reason


def test_breaker_closes_writes_past_the_deadline() -> None:
    """Past the run's write deadline nothing more is sent, however well writes go."""
    clock = FakeClock()
    breaker = WriteBreaker(WriteLimits(failure_limit=5, deadline=60), clock)
    breaker.record(True)
    clock.now = 59.0
    assert breaker.allow()
    clock.now = 61.0
    assert not breaker.allow()
    assert breaker.reason is not None and "ROADMAP_SYNC_WRITE_DEADLINE" in breaker.reason
