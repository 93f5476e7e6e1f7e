"""Cloud bulk edits are polled after the time a task takes, not in a tight loop."""

from __future__ import annotations

import datetime as dt

from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import apply_plan, make_plan
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data

POLICY = RetryPolicy(attempts=3, max_wait=5, backoff_initial=0.01, backoff_max=0.05)


def test_bulk_tasks_are_mostly_polled_once() -> None:
    """Each task is polled about once, after its expected time, and every change lands."""
    with SandboxServer(site_data(400, seed=2), flavor="cloud", bulk_delay=0.02) as server:
        options = ConnectOptions(server.url, server.email, server.token, POLICY)
        tracker = registry.connect(options)
        roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
        now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
        plan = make_plan(roadmap, tracker, today=now.date(), now=now)
        server.app.request_counts.clear()
        report = apply_plan(plan, tracker, force=True)
        counts = server.app.request_counts
        assert not report.failed and counts["bulk_submit"] >= 5
        assert counts["bulk_queue"] <= 1.5 * counts["bulk_submit"], counts
        again = make_plan(roadmap, tracker, today=now.date(), now=now)
        assert again.labels.changes == ()
