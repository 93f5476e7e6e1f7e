"""One recorded sync of one roadmap: plan, (confirm), apply in audited batches, snapshot.

The commands (``apply``, ``run --once``, ``demo``) and the worker all go through
``sync_and_record`` so that every write is audited the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import structlog

from roadmap_sync.core.model import Classification
from roadmap_sync.core.records import ItemSnapshot, RunKind, RunRecord
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.consistency import prime_recent_writes
from roadmap_sync.engine.outlook import refresh_outlook
from roadmap_sync.engine.recorder import Clock, RunRecorder
from roadmap_sync.engine.suggestions import refresh_suggestions
from roadmap_sync.engine.sync import ApplyReport, Planner, SyncPlan, apply_plan, make_plan
from roadmap_sync.runtime.breaker import WriteBreaker, WriteLimits
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import ProgressCallback, Tracker, TrackerError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """A recorded run: its plan, what applying did (None if not applied), and the run row."""

    plan: SyncPlan
    report: ApplyReport | None
    run: RunRecord
    rows: tuple[ItemSnapshot, ...] = ()  # the snapshot recorded


def utc_now() -> dt.datetime:
    """The wall clock in UTC."""
    return dt.datetime.now(dt.UTC)


def sync_and_record(
    roadmap: Roadmap,
    tracker: Tracker,
    store: StateStore,
    *,
    kind: RunKind,
    force: bool = False,
    confirm: Callable[[SyncPlan], bool] | None = None,
    should_stop: Callable[[], bool] | None = None,
    progress: ProgressCallback | None = None,
    clock: Clock = utc_now,
    timezone: str = "UTC",
    write_limits: WriteLimits | None = None,
    halt: Callable[[], str | None] | None = None,
    planner: Planner = make_plan,
    keep_rows: bool = True,
) -> SyncResult:
    """Plan and apply one roadmap, recording the run, its audit rows and its snapshot.

    A ``TrackerError`` while reading marks the run failed and propagates. ``halt`` (asked
    between writes, at most once a second) stops the writes with a reason, e.g. a worker that
    lost the leadership of the roadmap. ``keep_rows=False`` returns no snapshot rows (a
    one-shot command: the rows are streamed into the store and never held all at once).
    """
    recorder = RunRecorder(store, roadmap, kind, clock)
    try:
        # "Today" (overdue releases, the horizon) is the site's day, not UTC's.
        today = clock().astimezone(ZoneInfo(timezone)).date()
        prime_recent_writes(tracker, store, roadmap, utc_now())
        written = store.written_labels(roadmap.product)
        plan = planner(
            roadmap, tracker, today=today, now=clock(), progress=progress, written=written
        )
        report: ApplyReport | None = None
        proceed = bool(plan.labels.changes) and (confirm is None or confirm(plan))
        # Suggestions before the writes: they need the whole read, which is all the memory
        # holds now; after the writes it also holds their outcomes and the snapshot rows, and
        # a 200,000-issue run would peak at their sum.
        _refresh_suggestions(store, recorder.run_id, plan, clock(), changed=proceed)
        if proceed:
            first = not store.has_synced(roadmap.product, excluding=recorder.run_id)
            report = apply_plan(
                plan,
                tracker,
                force=force,
                on_batch=recorder.audit,
                before_batch=recorder.intend,
                should_stop=should_stop,
                breaker=WriteBreaker(write_limits, halt=halt),
                first_sync=first,
            )
    except BaseException as error:
        # No run may stay "running" for ever; the audit rows written so far remain.
        reason = str(error) if isinstance(error, TrackerError) else type(error).__name__
        recorder.fail(reason)
        raise
    # Forecasts, baselines and goal metrics; their findings are stored with the snapshot.
    extra = refresh_outlook(plan, tracker, store, run_id=recorder.run_id, now=clock(), today=today)
    if extra:
        findings = (*plan.classification.findings, *extra)
        plan = replace(plan, classification=Classification(plan.classification.traces, findings))
    run = recorder.finish(plan, report, keep_rows=keep_rows)
    return SyncResult(plan, report, run, recorder.rows)


def _refresh_suggestions(
    store: StateStore, run_id: int, plan: SyncPlan, now: dt.datetime, *, changed: bool
) -> None:
    try:
        refresh_suggestions(store, run_id, plan, now, changed=changed)
    except Exception as error:  # suggestions are advice: they must never fail a sync
        log.warning("suggestions_failed", error=type(error).__name__)
