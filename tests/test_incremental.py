"""Incremental syncs through the sandbox: they read only what changed and plan what a full
sync plans, whatever people edit in between."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap_sync.core.model import BacklogItem
from roadmap_sync.core.records import key_order
from roadmap_sync.core.retention import RetentionPolicy
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.incremental import (
    SteadySync,
    merge_read,
    plan_incremental,
    window_minutes,
)
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.suggestions import SUGGESTIONS_FORMAT
from roadmap_sync.engine.sync import SyncPlan, make_plan
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.api_search import CLOUD_MAX_PAGE
from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, Flavor
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.base import Tracker
from roadmap_sync.trackers.jira.paging import RECONCILE_LIMIT
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data

EXAMPLE = REPO / "config" / "roadmap.example.yaml"
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
POLICY = RetryPolicy(attempts=3, max_wait=5, backoff_initial=0.01, backoff_max=0.05)
VERSIONS = ("2026.10", "2026.11", "2026.12", "2027.02", "2027.04", "Someday")
LABELS = ("a11y", "store-pickup", "team-web", "roadmap-ignore", "roadmap-orphan", "roadmap-r2")


class Clock:
    """One clock for the sandbox and the bot, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Site:
    """A sandbox with a state store and the bot's tracker connected to it."""

    server: SandboxServer
    store: StateStore
    tracker: Tracker
    clock: Clock
    roadmap: Roadmap
    steady: SteadySync
    store_path: Path

    def keys(self, prefix: str = "ACME-") -> list[str]:
        """The issue keys of a project, as the sandbox holds them."""
        return [key for key in self.server.store.issues if key.startswith(prefix)]

    def edit(self, key: str, body: dict[str, Any]) -> None:
        """A person edits an issue."""
        response = requests.post(
            f"{self.server.url}/_sandbox/issues/{key}/edit", json=body, timeout=10
        )
        assert response.status_code == 200, response.text

    def create(self, fields: dict[str, Any]) -> None:
        """A person creates an issue."""
        response = requests.post(
            f"{self.server.url}/_sandbox/issues", json={"fields": fields}, timeout=10
        )
        assert response.status_code == 201, response.text

    def searches(self) -> int:
        """Search requests so far, and forget them."""
        counts = self.server.app.request_counts
        found = counts.get("search", 0)
        counts.clear()
        return found


def open_site(flavor: Flavor, tmp_path: Path, issues: int = 300) -> Iterator[Site]:
    """Everything a test needs, torn down afterwards."""
    clock = Clock()
    # No search lag: an incremental and a full plan of one moment are compared, and under
    # Cloud's lag neither would be right (the overlap covers it: test_lagging_search_...).
    with SandboxServer(
        site_data(issues, seed=5), flavor=flavor, clock=clock, bulk_delay=0.0, search_lag=0
    ) as server:
        options = ConnectOptions(
            url=server.url,
            email=server.email if flavor == "cloud" else None,
            token=server.token,
            policy=POLICY,
        )
        tracker = registry.connect(options)
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            steady = SteadySync(store, retention=RetentionPolicy())
            yield Site(
                server, store, tracker, clock, load_roadmap(EXAMPLE), steady, tmp_path / "state.db"
            )


@pytest.fixture
def site(flavor: Flavor, tmp_path: Path) -> Iterator[Site]:
    """A fresh site per test."""
    yield from open_site(flavor, tmp_path)


def sync(site: Site) -> SyncPlan:
    """One recorded sync as the worker runs it (the guard forced: tests edit freely)."""
    return site.steady.sync(site.roadmap, site.tracker, force=True, clock=site.clock).plan


def search_budget(site: Site, plan: SyncPlan) -> int:
    """Search requests an incremental sync may make: its pages and the count, plus on Cloud
    the read-back of what the bot wrote in the last ten minutes of real time (its search lags
    writes; the syncs of these tests are seconds apart, real ones fifteen minutes)."""
    read = plan.items_read or 0
    budget = math.ceil(read / CLOUD_MAX_PAGE) + 2
    return budget + (math.ceil(read / RECONCILE_LIMIT) if site.server.flavor == "cloud" else 0)


def both_plans(site: Site) -> tuple[SyncPlan, SyncPlan]:
    """The incremental plan the next sync would make, and a full plan, of the same moment."""
    decision = site.steady.decide(site.roadmap, site.clock())
    assert decision.baseline is not None, decision.reason
    today = site.clock().date()
    minutes = window_minutes(decision.baseline.read_at, site.clock(), site.steady.overlap)
    incremental = plan_incremental(
        site.roadmap,
        site.tracker,
        today=today,
        now=site.clock(),
        baseline=decision.baseline,
        minutes=minutes,
    )
    full = make_plan(site.roadmap, site.tracker, today=today, now=site.clock())
    return incremental, full


def mismatches(incremental: SyncPlan, full: SyncPlan) -> list[str]:
    """Where two plans differ: items read, traces, label changes, findings."""
    problems = []
    if {i.key: i for i in incremental.items} != {i.key: i for i in full.items}:
        problems.append("items")
    keys = [i.key for i in incremental.items]
    if keys != sorted(keys, key=key_order):
        problems.append("item order")  # Jira's ORDER BY key, as the baseline keeps it
    inc_traces = {t.key: t for t in incremental.classification.traces}
    full_traces = {t.key: t for t in full.classification.traces}
    problems += [f"trace {k}" for k in full_traces if inc_traces.get(k) != full_traces[k]]
    if set(incremental.labels.changes) != set(full.labels.changes):
        problems.append(f"changes {incremental.labels.changes} != {full.labels.changes}")
    if incremental.classification.findings != full.classification.findings:
        problems.append("findings")
    if incremental.labels.foreign != full.labels.foreign:
        problems.append("foreign labels")
    return problems


# -- person edits, drawn at random -------------------------------------------------------------

edit_kinds = st.sampled_from(
    ("add_label", "remove_label", "fix_version", "parent", "unparent", "create", "leave_scope")
)


def person_edit(site: Site, kind: str, data: st.DataObject) -> None:
    """One edit a person might make between two syncs."""
    keys = site.keys()
    key = data.draw(st.sampled_from(keys))
    if kind in ("add_label", "remove_label"):
        verb = kind.split("_", maxsplit=1)[0]
        site.edit(key, {"update": {"labels": [{verb: data.draw(st.sampled_from(LABELS))}]}})
    elif kind == "fix_version":
        versions = data.draw(st.lists(st.sampled_from(VERSIONS), max_size=2, unique=True))
        site.edit(key, {"fields": {"fixVersions": [{"name": v} for v in versions]}})
    elif kind in ("parent", "unparent"):
        fields = site.server.store.get(key)["fields"]
        if fields["issuetype"].get("subtask"):
            return  # a sub-task's parent is moved by Jira's move wizard, not an edit
        epic = data.draw(st.sampled_from([f"ACME-{n}" for n in range(1, 13)]))
        target = None if kind == "unparent" or epic == key else {"key": epic}
        if fields["issuetype"].get("hierarchyLevel", 0) >= 1:
            return  # epics hang off nothing in this backlog
        name = "parent" if site.server.flavor == "cloud" else EPIC_LINK_FIELD
        value = target if site.server.flavor == "cloud" else (target or {}).get("key")
        site.edit(key, {"fields": {name: value}})
    elif kind == "create":
        fields: dict[str, Any] = {
            "project": {"key": "ACME"},
            "summary": "Filed between two syncs",
            "issuetype": {"name": "Story"},
        }
        if data.draw(st.booleans()):
            fields["labels"] = [data.draw(st.sampled_from(LABELS))]
        site.create(fields)
    else:  # the roadmap's tracker.jql leaves out Legacy: to the bot the item is gone
        site.edit(key, {"fields": {"components": [{"name": "Legacy"}]}})


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_plans_equal_full_plans(flavor: Flavor, tmp_path: Path, data: Any) -> None:
    """After every round of random person edits, the incremental plan is the full plan."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one store per example
    for site in open_site(flavor, folder):
        sync(site)  # the first sync reads everything
        for _round in range(data.draw(st.integers(2, 5))):
            for kind in data.draw(st.lists(edit_kinds, min_size=1, max_size=4)):
                person_edit(site, kind, data)
                site.clock.now += dt.timedelta(seconds=data.draw(st.integers(0, 200)))
            site.clock.now += dt.timedelta(minutes=15)
            incremental, full = both_plans(site)
            assert mismatches(incremental, full) == []
            sync(site)


def test_unchanged_backlog_costs_two_searches_and_one_run_row(site: Site) -> None:
    """Nothing changed: one empty page and one count, no writes, no item rows stored."""
    sync(site)
    site.clock.now += dt.timedelta(minutes=15)
    sync(site)  # reads back the bot's own writes of the first sync
    site.searches()
    site.server.store.clear_writes()
    site.clock.now += dt.timedelta(minutes=15)
    plan = sync(site)
    assert not plan.full_read
    # Cloud reads back what the bot wrote in the last ten minutes of real time (its search lags
    # writes): here the syncs are seconds apart; between real 15-minute syncs that is nothing.
    searches = site.searches()
    assert searches <= search_budget(site, plan)
    if site.server.flavor == "datacenter":
        assert (plan.items_read, searches) == (0, 2)
    assert site.server.store.writes() == []
    latest = site.store.runs(limit=1)[0]
    assert latest.counts["full_read"] == 0 and latest.outcome == "ok"
    assert len(site.store.current_items(site.roadmap.product)) == len(plan.items)


def test_an_edit_is_read_retraced_and_written(site: Site) -> None:
    """Edited epics are read and re-traced with their stories; only what needs it is written."""
    sync(site)
    site.clock.now += dt.timedelta(minutes=15)
    sync(site)
    site.searches()
    site.server.store.clear_writes()
    site.edit("ACME-1", {"update": {"labels": [{"add": "team-web"}]}})
    # A person flags a planned epic as orphan: the bot takes its own label back off.
    site.edit("ACME-2", {"update": {"labels": [{"add": "roadmap-orphan"}]}})
    site.clock.now += dt.timedelta(minutes=15)
    plan = sync(site)
    assert not plan.full_read and (plan.items_read or 0) >= 2
    assert site.searches() <= search_budget(site, plan)
    assert plan.changed_keys is not None and "ACME-2" in plan.changed_keys
    written = {write.path.rsplit("/", 1)[-1] for write in site.server.store.writes()}
    assert written and written <= plan.changed_keys


def test_suggestions_follow_full_reads_and_the_day_not_every_sync(site: Site) -> None:
    """Suggestions cost seconds at scale: an incremental sync that writes labels keeps the
    stored ones while they are under a day old; a day later, or a full read that changes
    labels, stores new ones."""
    product = site.roadmap.product

    def stored_at() -> dt.datetime | None:
        return site.store.latest_report_at(product, SUGGESTIONS_FORMAT)

    assert sync(site).full_read
    first = stored_at()
    assert first == START
    site.clock.now += dt.timedelta(minutes=15)
    sync(site)
    site.edit("ACME-2", {"update": {"labels": [{"add": "roadmap-orphan"}]}})
    site.clock.now += dt.timedelta(minutes=15)
    plan = sync(site)
    assert not plan.full_read and plan.labels.changes  # it wrote, incrementally
    assert stored_at() == first
    site.edit("ACME-2", {"update": {"labels": [{"add": "roadmap-orphan"}]}})
    site.clock.now += dt.timedelta(minutes=15)
    plan = site.steady.sync(site.roadmap, site.tracker, force=True, full=True, clock=site.clock)
    assert plan.plan.full_read and plan.report is not None and plan.report.outcomes
    assert stored_at() == site.clock.now
    refreshed = site.clock.now
    # A day on, an unchanged incremental sync (the daily full read is moved out of the way).
    site.steady.full_cron = "0 3 1 1 *"
    site.clock.now += dt.timedelta(days=1, minutes=15)
    plan = site.steady.sync(site.roadmap, site.tracker, force=True, clock=site.clock)
    assert not plan.plan.full_read and plan.report is None
    assert stored_at() == site.clock.now != refreshed
    # Only the newest document is ever read, so only it is kept (megabytes at scale).
    with sqlite3.connect(site.store_path) as db:
        kept = db.execute("SELECT count(*) FROM reports WHERE format = ?", (SUGGESTIONS_FORMAT,))
        assert kept.fetchone() == (1,)


def test_leaving_the_scope_falls_back_to_a_full_read(site: Site) -> None:
    """An item gone from the scope is noticed by the count, and a full read forgets it."""
    sync(site)
    site.edit("ACME-30", {"fields": {"components": [{"name": "Legacy"}]}})
    site.clock.now += dt.timedelta(minutes=15)
    plan = sync(site)
    assert plan.full_read
    assert "ACME-30" not in {item.key for item in plan.items}


def test_full_reconciles_follow_their_schedule_and_the_roadmap(site: Site) -> None:
    """Full when due by cron, when the roadmap file changes, and after a failed run."""
    assert sync(site).full_read
    site.clock.now += dt.timedelta(minutes=15)
    assert not sync(site).full_read
    site.clock.now = START.replace(hour=3) + dt.timedelta(days=1, minutes=1)
    assert sync(site).full_read  # 03:00 passed since the last full read
    site.clock.now += dt.timedelta(minutes=15)
    changed = Roadmap.model_validate(site.roadmap.model_dump() | {"horizon": 2})
    decision = site.steady.decide(changed, site.clock())
    assert decision.full and "roadmap" in decision.reason
    assert site.steady.decide(site.roadmap, site.clock(), full=True).full
    run_id = site.store.start_run(site.roadmap.product, "run", "x", site.clock())
    site.store.finish_run(run_id, "failed", {}, site.clock(), None)
    assert site.steady.decide(site.roadmap, site.clock()).full


def test_a_new_process_starts_from_the_store(site: Site) -> None:
    """``run --once`` in a fresh process loads the baseline from the store, not Jira."""
    sync(site)
    site.clock.now += dt.timedelta(minutes=15)
    sync(site)
    fresh = SteadySync(site.store)
    site.searches()
    site.clock.now += dt.timedelta(minutes=15)
    result = fresh.sync(site.roadmap, site.tracker, force=True, clock=site.clock)
    assert not result.plan.full_read
    assert site.searches() <= search_budget(site, result.plan)


def test_lagging_search_is_caught_up_by_the_next_sync(tmp_path: Path) -> None:
    """Cloud's search lags edits: an edit a sync did not see is read by the next one."""
    clock = Clock()
    with SandboxServer(
        site_data(300, seed=5), flavor="cloud", clock=clock, search_lag=1.0
    ) as server:
        tracker = registry.connect(ConnectOptions(server.url, server.email, server.token, POLICY))
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
            steady = SteadySync(store)
            roadmap = load_roadmap(EXAMPLE)
            site = Site(server, store, tracker, clock, roadmap, steady, tmp_path / "state.db")
            sync(site)
            time.sleep(1.5)  # the first sync's own writes settle in search
            clock.now += dt.timedelta(minutes=15)
            sync(site)
            clock.now += dt.timedelta(minutes=15)
            site.edit("ACME-2", {"update": {"labels": [{"add": "roadmap-orphan"}]}})
            clock.now += dt.timedelta(seconds=10)  # a sync just after the edit, search lagging
            sync(site)
            time.sleep(1.5)
            clock.now += dt.timedelta(minutes=15)
            sync(site)
            site.searches()
            incremental, full = both_plans(site)
            assert mismatches(incremental, full) == []
            assert full.labels.changes == ()  # the edit's labels were written by now


def test_what_was_read_merges_into_the_baseline_in_key_order() -> None:
    """Changed items stay where they stand and new ones go where a full read (ORDER BY key)
    puts them: by project, then by number, also between two projects' items."""
    baseline = [BacklogItem(key) for key in ("ACME-2", "ACME-10", "WEB-1", "WEB-9")]
    position = {item.key: at for at, item in enumerate(baseline)}
    edited = BacklogItem("WEB-1", summary="edited")
    created = [BacklogItem("WEB-10"), BacklogItem("ACME-9"), BacklogItem("ACME-100")]
    unchanged = BacklogItem("ACME-2")
    items, changed = merge_read(baseline, position, [edited, unchanged, *created], created)
    assert [item.key for item in items] == [
        "ACME-2", "ACME-9", "ACME-10", "ACME-100", "WEB-1", "WEB-9", "WEB-10",
    ]  # fmt: skip
    assert items[4] is edited
    assert changed == {"WEB-1", "WEB-10", "ACME-9", "ACME-100"}
    assert [item.key for item in baseline] == ["ACME-2", "ACME-10", "WEB-1", "WEB-9"]
