"""One sync of one roadmap: read the backlog, classify, plan labels, then (maybe) apply.

Compute everything, then write, in a separate pass: ``make_plan`` returns a value that can be
printed, stored and diffed; ``apply_plan`` writes it after the blast-radius guard agrees.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from roadmap_sync.core.classify import TraceStream
from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import (
    BacklogItem,
    Classification,
    GuardDecision,
    LabelChange,
    LabelPlan,
)
from roadmap_sync.core.numbers import Counts, count
from roadmap_sync.core.plan import check_guard, plan_labels
from roadmap_sync.core.records import ItemSnapshot
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.scope_guard import assert_in_scope
from roadmap_sync.runtime.breaker import WriteBreaker
from roadmap_sync.trackers.base import ApplyOutcome, SiteInfo, Tracker

log = structlog.get_logger(__name__)

# Items handed to the classification at a time while reading: a Cloud page's worth.
TRACE_BATCH = 100


@dataclass(frozen=True)
class SyncPlan:
    """Everything one read of the backlog concluded, before any write."""

    roadmap: Roadmap
    site: SiteInfo
    items: tuple[BacklogItem, ...]
    classification: Classification
    labels: LabelPlan
    known_versions: frozenset[str]
    generated_at: dt.datetime
    read_seconds: float
    # An incremental plan (engine/incremental.py) read only what changed: ``changed_keys``
    # are the items it read or re-traced, ``reuse_rows`` the stored rows of all the others.
    full_read: bool = True
    items_read: int | None = None
    changed_keys: frozenset[str] | None = None
    reuse_rows: Mapping[str, ItemSnapshot] | None = None


@dataclass(frozen=True)
class ApplyReport:
    """What applying a plan did."""

    guard: GuardDecision
    outcomes: tuple[ApplyOutcome, ...] = field(default=())
    seconds: float = 0.0
    stopped: bool = False
    # Why writes stopped early (the write breaker opened), if they did.
    stop_reason: str | None = None

    @property
    def applied(self) -> bool:
        """Whether writes were attempted at all."""
        return self.guard.allowed

    @property
    def failed(self) -> tuple[ApplyOutcome, ...]:
        """The changes that did not make it into Jira."""
        return tuple(outcome for outcome in self.outcomes if not outcome.ok)


class Planner(Protocol):
    """Reads a backlog and plans its labels: ``make_plan``, or an incremental planner."""

    def __call__(
        self,
        roadmap: Roadmap,
        tracker: Tracker,
        *,
        today: dt.date,
        now: dt.datetime,
        progress: Callable[[int], None] | None = None,
        written: Collection[str] = (),
    ) -> SyncPlan:
        """The plan of one sync (``written``: the labels the bot wrote in earlier runs)."""
        ...


def make_plan(
    roadmap: Roadmap,
    tracker: Tracker,
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Callable[[int], None] | None = None,
    written: Collection[str] = (),
) -> SyncPlan:
    """Read every item in the roadmap's scope and decide the label changes.

    ``written``: the labels the bot wrote in earlier runs (``StateStore.written_labels``),
    which it owns with the labels it writes now.
    """
    started = time.perf_counter()
    config = roadmap.tracker
    # Items are traced as they arrive, while Jira renders the next page (core/classify.py).
    traces = TraceStream(roadmap, today=today)
    # Decoded pages, items and traces pile up by the hundred thousand and form no cycles: full
    # collections re-scanning them, several times over a plan, cost more than converting them
    # (measured in bench/). One pause over the whole plan.
    with gc_paused():
        batch: list[BacklogItem] = []
        for item in tracker.fetch_items(config.scope, progress):
            batch.append(item)
            if len(batch) == TRACE_BATCH:
                traces.add(batch)
                batch = []
        traces.add(batch, last=True)
        items = traces.items
        known_versions = frozenset(
            name for project in config.projects for name in tracker.version_names(project)
        )
        read_seconds = time.perf_counter() - started  # with the tracing done meanwhile
        classification = traces.finish(known_versions)
        labels = plan_labels(classification, items, roadmap, written)
    log.info(
        "plan_ready",
        roadmap=roadmap.product,
        items=len(items),
        changes=labels.issues,
        foreign_labels=len(labels.foreign),
        read_seconds=round(read_seconds, 3),
    )
    return SyncPlan(
        roadmap, tracker.site, items, classification, labels, known_versions, now, read_seconds
    )


def plan_numbers(plan: SyncPlan) -> Counts:
    """The plan's counts, defined as the report defines them (``core/numbers.py``)."""
    points = {item.key: item.story_points or 0.0 for item in plan.items}
    releases = [(release.id, release.end_date) for release in plan.roadmap.releases]
    return count(
        plan.classification.traces, releases, today=plan.generated_at.date(), points=points
    )


OutcomeSink = Callable[[Sequence[ApplyOutcome]], None]


def apply_plan(
    plan: SyncPlan,
    tracker: Tracker,
    *,
    force: bool = False,
    on_batch: OutcomeSink | None = None,
    before_batch: Callable[[Sequence[LabelChange]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int | None = None,
    first_sync: bool = False,
    breaker: WriteBreaker | None = None,
) -> ApplyReport:
    """Write the plan's label changes unless the guard refuses them.

    Changes go out in batches; ``before_batch`` records what a batch is about to send (the
    write-ahead audit), ``on_batch`` records its outcomes before the next starts, and
    ``should_stop`` lets a shutdown abandon the remaining batches cleanly. A run killed at any
    moment leaves every change that may have landed recorded, at worst as pending.
    ``breaker`` stops the writes of a run that keeps failing or runs past its deadline.
    """
    decision = check_guard(
        plan.labels, len(plan.items), plan.roadmap.guard, force, first_sync=first_sync
    )
    if not decision.allowed:
        log.warning("guard_refused", roadmap=plan.roadmap.product, reason=decision.message)
        return ApplyReport(decision)
    assert_in_scope(plan.labels.changes, plan.items, plan.roadmap.tracker.projects)
    if decision.first_sync:
        log.info("first_sync_allowed", roadmap=plan.roadmap.product, reason=decision.message)
    started = time.perf_counter()
    outcomes: list[ApplyOutcome] = []
    changes = plan.labels.changes
    batch_size = batch_size or tracker.apply_batch_size
    stopped = False
    breaker = breaker or WriteBreaker()
    for start in range(0, len(changes), batch_size):
        if should_stop is not None and should_stop():
            stopped = True
            log.warning(
                "apply_abandoned", roadmap=plan.roadmap.product, remaining=len(changes) - start
            )
            break
        if not breaker.allow():
            stopped = True
            break
        pending = changes[start : start + batch_size]
        if before_batch is not None:
            before_batch(pending)
        batch = tuple(tracker.apply(pending, breaker))
        if on_batch is not None:
            on_batch(batch)
        outcomes.extend(batch)
    if breaker.reason is not None:
        stopped = True
        log.error(
            "writes_stopped",
            roadmap=plan.roadmap.product,
            reason=breaker.reason,
            not_sent=len(changes) - sum(1 for o in outcomes if not _not_sent(o)),
        )
    seconds = time.perf_counter() - started
    failed = sum(1 for outcome in outcomes if not outcome.ok)
    log.info(
        "labels_applied",
        roadmap=plan.roadmap.product,
        issues=len(outcomes) - failed,
        failed=failed,
        labels_added=plan.labels.labels_added,
        labels_removed=plan.labels.labels_removed,
        seconds=round(seconds, 3),
    )
    return ApplyReport(decision, tuple(outcomes), seconds, stopped, breaker.reason)


def _not_sent(outcome: ApplyOutcome) -> bool:
    return not outcome.ok and (outcome.error or "").startswith("not sent")
