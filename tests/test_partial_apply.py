"""A Cloud bulk edit that half succeeds is audited as exactly what took effect."""

from __future__ import annotations

from pathlib import Path

import requests

from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.engine.sync import apply_plan, make_plan
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from tests.conftest import REPO, site_data
from tests.test_sync_integration import NOW, TODAY, tracker_for


def test_half_applied_bulk_change_is_audited_as_applied(tmp_path: Path) -> None:
    """ADD succeeded, REMOVE failed: the audit row says +label, nothing removed, not ok."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    with SandboxServer(site_data(300, seed=4), flavor="cloud", bulk_delay=0.01) as site:
        tracker = tracker_for(site, bulk_threshold=1)
        apply_plan(make_plan(roadmap, tracker, today=TODAY, now=NOW), tracker, force=True)
        story = next(
            key
            for key, issue in site.store.issues.items()
            if (issue["fields"].get("parent") or {}).get("key") == "ACME-3"
            and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
            and "roadmap-ignore" not in issue["fields"]["labels"]
        )
        requests.post(
            f"{site.url}/_sandbox/issues/{story}/edit",
            json={"fields": {"parent": {"key": "ACME-7"}}},
            timeout=5,
        ).raise_for_status()
        # The first bulk task (the first ADD group) goes through; every later submit fails.
        requests.post(
            f"{site.url}/_sandbox/faults",
            json={
                "endpoint": "bulk_submit",
                "kind": "error",
                "status": 500,
                "after": 1,
                "times": -1,
            },
            timeout=5,
        ).raise_for_status()
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            result = sync_and_record(roadmap, tracker, store, kind="run", force=True)
            (row,) = store.audit(result.run.run_id)
        labels = site.store.get(story)["fields"]["labels"]
    (change,) = result.plan.labels.changes
    assert "roadmap-r3" in change.add and "roadmap-r2" in change.remove
    assert result.run.outcome == "failed"
    assert (row.key, row.ok, row.removed) == (story, False, ())
    assert row.added == change.add[:1]  # the ADD group that went through, and only it
    assert "roadmap-r2" in labels
    assert set(row.after) == set(labels)
