"""Recording runs into the state store: the run row, its audit trail and its snapshot.

Every label change is recorded (issue, added, removed, before, after, result) batch by batch
while the run applies, and the run is marked finished only afterwards, so any run can be
explained and undone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

import structlog

from roadmap_sync.core.model import LabelChange, LabelPlan, Verdict
from roadmap_sync.core.numbers import Flags
from roadmap_sync.core.records import (
    AuditRow,
    ItemSnapshot,
    RunKind,
    RunOutcome,
    RunRecord,
    alignment_score,
    shared_tuple,
    snapshot_items,
)
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.sync import ApplyReport, SyncPlan
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import ApplyOutcome, Tracker

log = structlog.get_logger(__name__)
Clock = Callable[[], dt.datetime]


def run_outcome(report: ApplyReport | None, has_changes: bool) -> RunOutcome:
    """How a run ended: nothing to change is ok; changes left unapplied are "planned"."""
    if report is None:
        return "planned" if has_changes else "ok"
    if not report.applied:
        return "refused"
    if report.failed or report.stopped:
        return "partial" if len(report.failed) < len(report.outcomes) else "failed"
    return "ok"


def change_counts(labels: LabelPlan, outcomes: Sequence[ApplyOutcome] | None) -> dict[str, int]:
    """How many changes were planned, applied and failed (no outcomes: not applied)."""
    counts = {
        "changes_planned": labels.issues,
        "labels_added": labels.labels_added,
        "labels_removed": labels.labels_removed,
    }
    if outcomes is not None:
        failed = sum(1 for o in outcomes if not o.ok)
        counts.update(changes_applied=len(outcomes) - failed, changes_failed=failed)
    return counts


def plan_counts(plan: SyncPlan, report: ApplyReport | None) -> dict[str, int]:
    """The counts stored with a run (and shown by ``history``)."""
    numbers = Flags.of(plan.classification.traces)
    verdicts = plan.classification.verdict_counts()
    counts = {f"verdict_{v.value}": verdicts.get(v, 0) for v in Verdict}
    counts.update(
        items=len(plan.items),
        # Which read the run made: the scheduler finds the last full reconcile by it.
        full_read=int(plan.full_read),
        items_read=len(plan.items) if plan.items_read is None else plan.items_read,
        flagged=numbers.orphan + numbers.out_of_scope,
        flag_orphan=numbers.orphan,
        flag_out_of_scope=numbers.out_of_scope,
        findings=len(plan.classification.findings),
        **change_counts(plan.labels, report.outcomes if report is not None else None),
    )
    if report is not None and report.guard.first_sync:
        counts["first_sync"] = 1  # the report announces it
    return counts


class RunRecorder:
    """Records one run of one roadmap."""

    def __init__(
        self,
        store: StateStore,
        roadmap: Roadmap,
        kind: RunKind,
        clock: Clock,
        reverts_run: int | None = None,
    ) -> None:
        self.store = store
        self.roadmap = roadmap
        self.clock = clock
        # This roadmap's runs whose process died are closed first, as "interrupted".
        interrupted = store.mark_interrupted(roadmap.product)
        if interrupted:
            log.warning("runs_interrupted", roadmap=roadmap.product, runs=interrupted)
        self.run_id = store.start_run(
            roadmap.product, kind, roadmap.config_hash, clock(), reverts_run=reverts_run
        )
        self.rows: tuple[ItemSnapshot, ...] = ()  # the snapshot ``finish`` recorded
        self._batch = 0
        structlog.contextvars.bind_contextvars(run_id=self.run_id, roadmap=roadmap.product)

    def intend(self, changes: Sequence[LabelChange]) -> None:
        """Write-ahead: record a batch's changes as pending before any of them is sent."""
        self._batch += 1
        self.store.record_intent(
            [
                AuditRow(
                    run_id=self.run_id,
                    key=change.key,
                    added=change.add,
                    removed=change.remove,
                    before=change.before,
                    after=change.after,
                    ok=False,
                    error="pending: sent, outcome not recorded",
                    pending=True,
                )
                for change in changes
            ],
            self._batch,
        )

    def audit(self, outcomes: Sequence[ApplyOutcome]) -> None:
        """Record a batch's outcomes, replacing its pending rows (the ``apply_plan`` sink)."""
        self.store.record_audit(
            [
                # What actually changed, so that a revert undoes exactly that.
                AuditRow(
                    run_id=self.run_id,
                    key=o.change.key,
                    added=o.applied.add,
                    removed=o.applied.remove,
                    before=o.change.before,
                    after=o.applied.after,
                    ok=o.ok,
                    error=o.error,
                )
                for o in outcomes
            ],
            batch=self._batch if self._batch else None,
        )

    def finish(
        self, plan: SyncPlan, report: ApplyReport | None, *, keep_rows: bool = True
    ) -> RunRecord:
        """Store the snapshot and close the run; ``keep_rows`` keeps its rows in ``rows``
        (for the next incremental sync), else they are written as they are built."""
        # A first sync applies a few distinct label sets to 100,000 items: keep one of each.
        label_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        applied = {
            o.change.key: shared_tuple(label_sets, o.applied.after)
            for o in (report.outcomes if report else ())
        }
        fresh = plan.changed_keys
        rows: Iterable[ItemSnapshot] = snapshot_items(
            plan.items,
            plan.classification,
            self.roadmap,
            applied,
            reuse=plan.reuse_rows,
            fresh=fresh or (),
        )
        # An incremental plan knows which rows can differ: only those are compared.
        changed = None if fresh is None else fresh | applied.keys()
        if keep_rows:
            rows = self.rows = tuple(rows)
        self.store.record_snapshot(self.run_id, rows, plan.classification.findings, changed=changed)
        outcome = run_outcome(report, bool(plan.labels.changes))
        # From the traces: a snapshot row repeats its trace's verdict, release and done.
        alignment = alignment_score(plan.classification.traces)
        self.store.finish_run(
            self.run_id, outcome, plan_counts(plan, report), self.clock(), alignment
        )
        log.info("run_recorded", outcome=outcome)
        structlog.contextvars.unbind_contextvars("run_id", "roadmap")
        return self.store.run(self.run_id)

    def apply_and_finish(
        self, tracker: Tracker, labels: LabelPlan, **counts: int
    ) -> tuple[RunRecord, tuple[ApplyOutcome, ...]]:
        """Apply a plan over a few issues (webhook re-syncs, reverts), audit it, close the run."""
        self.intend(labels.changes)
        outcomes = tuple(tracker.apply(labels.changes))
        self.audit(outcomes)
        failed = sum(1 for o in outcomes if not o.ok)
        outcome: RunOutcome = "ok"
        if failed:
            outcome = "partial" if failed < len(outcomes) else "failed"
        run = self.finish_targeted({**counts, **change_counts(labels, outcomes)}, outcome)
        return run, outcomes

    def finish_targeted(self, counts: dict[str, int], outcome: RunOutcome) -> RunRecord:
        """Close a targeted (webhook) run: audit rows but no snapshot, since it saw a subset."""
        self.store.finish_run(self.run_id, outcome, counts, self.clock(), None)
        log.info("run_recorded", outcome=outcome)
        structlog.contextvars.unbind_contextvars("run_id", "roadmap")
        return self.store.run(self.run_id)

    def fail(self, reason: str) -> None:
        """Close a run that could not finish (Jira unreachable, ...)."""
        self.store.finish_run(self.run_id, "failed", {}, self.clock(), None)
        log.warning("run_failed", reason=reason)
        structlog.contextvars.unbind_contextvars("run_id", "roadmap")
