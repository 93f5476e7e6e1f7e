"""Steady-state syncs: read what changed since the last recorded read, reconcile on a schedule.

A scheduled sync (the worker every 15 minutes, or ``run --once`` from cron) starts from the
roadmap's last recorded snapshot, which holds every item as it was read. It asks Jira only for
the items updated since that read began, minus a safety overlap (clock skew, Cloud's search
lag, JQL's minute precision), and for the scope's size; merges them into the stored backlog;
re-traces the changed items and everything beneath them (``core.classify.affected_keys``);
and plans labels for those items only, the rest being as the last run left them. The result
equals what a full read would give: a property test (tests/test_incremental.py) holds it to
that after random edits.

A full reconcile (every item read) runs instead when ``ROADMAP_SYNC_FULL_SYNC_CRON`` fired
since the last one (daily by default), when asked (``run --once --full``), when the roadmap
file changed, when the last sync did not end ``ok`` (its labels may not have converged), when
there is no usable snapshot, and when the scope's size says items left it (deleted or moved
out: an incremental read cannot see what is gone). After a full reconcile the retention
policy prunes history and SQLite is vacuumed when worthwhile.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from bisect import insort
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

import structlog

from roadmap_sync.core.classify import affected_keys, classify, trace_day
from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import BacklogItem, Classification, LabelPlan
from roadmap_sync.core.plan import plan_labels
from roadmap_sync.core.records import ItemSnapshot, RunKind, RunRecord, key_order
from roadmap_sync.core.retention import RetentionPolicy
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.recorder import Clock
from roadmap_sync.engine.runner import SyncResult, sync_and_record, utc_now
from roadmap_sync.engine.schedule import full_sync_due
from roadmap_sync.engine.sync import Planner, SyncPlan, make_plan
from roadmap_sync.runtime.breaker import WriteLimits
from roadmap_sync.state.store import StateStore, StoreError
from roadmap_sync.trackers.base import ProgressCallback, Tracker

__all__ = ["Baseline", "Decision", "SteadySync", "merge_read", "plan_incremental"]

log = structlog.get_logger(__name__)

DEFAULT_FULL_CRON = "0 3 * * *"
DEFAULT_OVERLAP = dt.timedelta(minutes=5)
SYNC_KINDS = frozenset({"run", "apply"})
# Runs looked through for the last full reconcile: ten days of 15-minute syncs.
LOOKBACK_RUNS = 1_000


@dataclass(frozen=True)
class Baseline:
    """What the last recorded sync of a roadmap left: where an incremental sync starts."""

    run_id: int
    read_at: dt.datetime  # when that sync's read began (its run's start)
    today: dt.date  # the day its traces were computed for (horizon, overdue releases)
    items: tuple[BacklogItem, ...]  # every item in the scope, in key order
    rows: Mapping[str, ItemSnapshot]  # the stored snapshot rows, by key
    classification: Classification | None  # None when loaded from the store (not traced)
    foreign: tuple[tuple[str, str], ...] = ()  # the last plan's foreign labels

    def position(self) -> dict[str, int]:
        """Where each key sits in ``items``."""
        return {item.key: at for at, item in enumerate(self.items)}


@dataclass(frozen=True)
class Decision:
    """Full or incremental, and why."""

    full: bool
    reason: str
    baseline: Baseline | None = None


def window_minutes(read_at: dt.datetime, now: dt.datetime, overlap: dt.timedelta) -> int:
    """Minutes to read back: since the last read began, plus the overlap, plus one minute
    because JQL compares times at minute precision."""
    elapsed = (now - read_at + overlap).total_seconds()
    return max(1, math.ceil(elapsed / 60)) + 1


def plan_incremental(
    roadmap: Roadmap,
    tracker: Tracker,
    *,
    today: dt.date,
    now: dt.datetime,
    progress: ProgressCallback | None = None,
    baseline: Baseline,
    minutes: int,
    written: Collection[str] = (),
) -> SyncPlan:
    """Read what changed in the last ``minutes``, merge it into the baseline, re-trace what it
    affects and plan labels for those items; a full read if items left the scope."""
    started = time.perf_counter()
    scope = roadmap.tracker.scope
    with gc_paused():
        fresh = tracker.fetch_changed(scope, minutes)
    counted = tracker.count_items(scope)
    position = baseline.position()
    new = [item for item in fresh if item.key not in position]
    expected = len(baseline.items) + len(new)
    if counted is not None and counted != expected:
        # Something left the scope (deleted, moved): only a full read can tell what.
        log.info(
            "incremental_fallback", roadmap=roadmap.product, expected=expected, counted=counted
        )
        return make_plan(roadmap, tracker, today=today, now=now, progress=progress, written=written)
    known_versions = frozenset(
        name for project in roadmap.tracker.projects for name in tracker.version_names(project)
    )
    read_seconds = time.perf_counter() - started
    if progress is not None:
        progress(len(fresh))
    items, changed = merge_read(baseline.items, position, fresh, new)
    same_day = trace_day(roadmap, baseline.today) == trace_day(roadmap, today)
    retrace = affected_keys(items, changed)
    classification = classify(
        items,
        roadmap,
        today=today,
        known_versions=known_versions,
        previous=baseline.classification if same_day else None,
        retrace=retrace,
    )
    if baseline.classification is None:
        # Loaded from the store: the last plan's foreign labels are not known, so plan every
        # item (the labels of a converged backlog need no change, so the changes are the same).
        labels = plan_labels(classification, items, roadmap, written)
    else:
        planned = plan_labels(
            classification, [i for i in items if i.key in retrace], roadmap, written
        )
        labels = LabelPlan(
            planned.changes, _foreign(baseline.foreign, planned.foreign, retrace, items)
        )
    log.info(
        "plan_ready",
        roadmap=roadmap.product,
        items=len(items),
        read=len(fresh),
        retraced=len(retrace),
        changes=labels.issues,
        read_seconds=round(read_seconds, 3),
    )
    return SyncPlan(
        roadmap,
        tracker.site,
        tuple(items),
        classification,
        labels,
        known_versions,
        now,
        read_seconds,
        full_read=False,
        items_read=len(fresh),
        # A release passing the horizon changes warnings anywhere: every row is compared.
        changed_keys=frozenset(retrace) if same_day else None,
        reuse_rows=baseline.rows if same_day else None,
    )


def merge_read(
    items: Sequence[BacklogItem],
    position: Mapping[str, int],
    fresh: Sequence[BacklogItem],
    new: Sequence[BacklogItem],
) -> tuple[list[BacklogItem], set[str]]:
    """The baseline's items (in key order; ``position`` indexes them) with what was read
    merged in: changed items replaced where they stand, ``new`` ones (read, not in the
    baseline) inserted in key order. Also the keys that changed or are new."""
    merged = list(items)
    changed = {item.key for item in new}
    for item in fresh:
        at = position.get(item.key)
        if at is not None and merged[at] != item:
            merged[at] = item
            changed.add(item.key)
    if len(new) > _INSERT_AT_MOST:  # an import: one sort beats moving the list each time
        merged.extend(new)
        merged.sort(key=_item_order)
    else:  # a few among 80,000 already in key order: no sort of them all
        for item in new:
            insort(merged, item, key=_item_order)
    return merged, changed


# New items inserted one by one; more are appended and the whole list sorted once.
_INSERT_AT_MOST = 200


def _item_order(item: BacklogItem) -> tuple[str, int, str]:
    return key_order(item.key)


def _foreign(
    before: Sequence[tuple[str, str]],
    retraced: Sequence[tuple[str, str]],
    retrace: Collection[str],
    items: Sequence[BacklogItem],
) -> tuple[tuple[str, str], ...]:
    """Foreign labels of the whole backlog: the last plan's for items not re-traced, the new
    plan's for those that were, in item order as a full plan lists them."""
    by_key: dict[str, list[tuple[str, str]]] = {}
    for pair in (*(p for p in before if p[0] not in retrace), *retraced):
        by_key.setdefault(pair[0], []).append(pair)
    if not by_key:
        return ()
    return tuple(pair for item in items for pair in by_key.get(item.key, ()))


class SteadySync:
    """Chooses a full or an incremental sync for each roadmap, and keeps the last baseline.

    The worker keeps one for its lifetime, so a sync starts from the baseline in memory;
    ``run --once`` makes one per process and loads the baseline from the store. Either way the
    store decides: a baseline is used only while it is the roadmap's last recorded snapshot.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        full_cron: str = DEFAULT_FULL_CRON,
        timezone: str = "UTC",
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        retention: RetentionPolicy | None = None,
        keep_baseline: bool = True,
    ) -> None:
        self.store = store
        # A one-shot process (run --once) would keep a baseline it never uses.
        self.keep_baseline = keep_baseline
        self.full_cron = full_cron
        self.timezone = timezone
        self.overlap = overlap
        self.retention = retention
        self._baselines: dict[str, Baseline] = {}

    def sync(
        self,
        roadmap: Roadmap,
        tracker: Tracker,
        *,
        kind: RunKind = "run",
        full: bool = False,
        force: bool = False,
        confirm: Callable[[SyncPlan], bool] | None = None,
        should_stop: Callable[[], bool] | None = None,
        progress: ProgressCallback | None = None,
        clock: Clock = utc_now,
        write_limits: WriteLimits | None = None,
        halt: Callable[[], str | None] | None = None,
    ) -> SyncResult:
        """One recorded sync of the roadmap, full or incremental as ``decide`` says."""
        now = clock()
        decision = self.decide(roadmap, now, full=full)
        log.info("sync_mode", roadmap=roadmap.product, full=decision.full, reason=decision.reason)
        planner: Planner = make_plan
        if decision.baseline is not None:
            minutes = window_minutes(decision.baseline.read_at, now, self.overlap)
            planner = partial(plan_incremental, baseline=decision.baseline, minutes=minutes)
        self._baselines.pop(roadmap.product, None)  # stale from here on, whatever happens
        # An incremental sync builds a few hundred thousand short-lived records (traces, scope
        # items, snapshot rows) next to the baseline's millions of long-lived ones: the
        # collections they set off were 0.05 s of each sync, and nothing here forms cycles.
        with gc_paused() if decision.baseline is not None else nullcontext():
            result = sync_and_record(
                roadmap,
                tracker,
                self.store,
                kind=kind,
                force=force,
                confirm=confirm,
                should_stop=should_stop,
                progress=progress,
                clock=clock,
                timezone=self.timezone,
                write_limits=write_limits,
                halt=halt,
                planner=planner,
                keep_rows=self.keep_baseline,
            )
            self._remember(roadmap, result)
        if result.plan.full_read:
            self.prune(clock())
        return result

    def decide(self, roadmap: Roadmap, now: dt.datetime, *, full: bool = False) -> Decision:
        """Whether the next sync of this roadmap reads everything, and why."""
        if full:
            return Decision(True, "a full sync was asked for")
        latest = self.store.latest_state_run(roadmap.product)
        if latest is None:
            return Decision(True, "no snapshot is recorded yet")
        if latest.config_hash != roadmap.config_hash:
            return Decision(True, "the roadmap file changed")
        runs = [r for r in self.store.runs(roadmap.product, LOOKBACK_RUNS) if r.kind in SYNC_KINDS]
        if not runs or runs[0].run_id != latest.run_id or runs[0].outcome != "ok":
            outcome = runs[0].outcome if runs else "unknown"
            return Decision(True, f"the last sync ended {outcome!r}, not 'ok'")
        last_full = next((r.started_at for r in runs if r.counts.get("full_read") == 1), None)
        if full_sync_due(self.full_cron, self.timezone, last_full, now):
            return Decision(True, "a full reconcile is due")
        baseline = self._baseline(roadmap, latest)
        if baseline is None:
            return Decision(True, "the snapshot predates incremental syncs")
        return Decision(False, "incremental", baseline)

    def prune(self, now: dt.datetime) -> None:
        """Apply the retention policy and maintain the database (a failure only logs)."""
        if self.retention is None:
            return
        try:
            pruned = self.store.prune(self.retention, now)
            maintenance = self.store.maintain()
        except StoreError as error:
            log.warning("history_prune_failed", error=str(error))
            return
        log.info(
            "history_pruned",
            runs=pruned.runs,
            snapshots=pruned.snapshots,
            item_versions=pruned.item_versions,
            audit_rows=pruned.audit_rows,
            maintenance=maintenance,
        )

    def _local_day(self, moment: dt.datetime) -> dt.date:
        """The site's day at ``moment``: what a run's traces were computed for, as the runner
        computes "today" (overdue releases, the horizon)."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def _baseline(self, roadmap: Roadmap, latest: RunRecord) -> Baseline | None:
        """The baseline of the last recorded run: kept in memory, else loaded from the store."""
        kept = self._baselines.get(roadmap.product)
        if kept is not None and kept.run_id == latest.run_id:
            return kept
        rows = self.store.current_items(roadmap.product)
        items = []
        for row in rows:
            item = row.backlog_item()
            if item is None:
                return None
            items.append(item)
        return Baseline(
            latest.run_id,
            latest.started_at,
            self._local_day(latest.started_at),
            tuple(items),
            {r.key: r for r in rows},
            None,
        )

    def _remember(self, roadmap: Roadmap, result: SyncResult) -> None:
        """Keep the run's backlog as the next baseline, if the run converged."""
        run, plan = result.run, result.plan
        if not self.keep_baseline or run.outcome != "ok" or (not result.rows and plan.items):
            return
        outcomes = result.report.outcomes if result.report is not None else ()
        applied = {o.change.key: o.applied.after for o in outcomes}
        items: Sequence[BacklogItem] = plan.items
        if plan.full_read:
            # A Cloud read lists issues it read back past search's lag after the pages; the
            # next syncs insert new items into a baseline in key order (merge_read).
            items = sorted(items, key=_item_order)
        if applied:  # what Jira carries now; those items come back in the next read anyway
            items = [
                item._replace(labels=tuple(sorted(applied[item.key])))
                if item.key in applied
                else item
                for item in items
            ]
        self._baselines[roadmap.product] = Baseline(
            run.run_id,
            run.started_at,
            self._local_day(run.started_at),
            tuple(items),
            {row.key: row for row in result.rows},
            plan.classification,
            plan.labels.foreign,
        )
