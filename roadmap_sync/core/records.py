"""Records of what the bot saw and did, shared by the state store, drift and the reports.

Pure values: ``snapshot_items`` turns one plan's items and traces into the rows a run stores;
the store persists them and drift.py compares two of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from roadmap_sync.core import numbers
from roadmap_sync.core.model import BacklogItem, Classification, Finding, Verdict
from roadmap_sync.core.roadmap import Roadmap

RunKind = Literal["plan", "apply", "run", "revert", "webhook"]
# "interrupted": the process died while the run was running (found by the next run or worker).
RunOutcome = Literal["running", "ok", "failed", "partial", "refused", "planned", "interrupted"]


@dataclass(frozen=True, slots=True)
class ItemSnapshot:
    """One item's trace as stored with a run."""

    key: str
    summary: str
    issue_type: str
    hierarchy_level: int
    status: str
    done: bool
    parent: str | None
    planned_release: str | None
    scheduled_release: str | None
    verdict: Verdict
    warnings: tuple[str, ...]
    owned_labels: tuple[str, ...]
    story_points: float | None

    @property
    def flagged(self) -> bool:
        """Open and out of scope or orphaned: the items that carry a flag label."""
        return not self.done and self.verdict in (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE)

    @property
    def release(self) -> str | None:
        """The release the item belongs to in reports: planned, else scheduled."""
        return self.planned_release or self.scheduled_release


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every item's trace and the roadmap findings, as of one run."""

    run_id: int
    roadmap: str
    taken_at: dt.datetime
    items: tuple[ItemSnapshot, ...]
    findings: tuple[Finding, ...] = ()

    def alignment(self) -> float | None:
        """The share of open, non-ignored items that trace to a release goal (None if none)."""
        return alignment_score(self.items)


def alignment_score(items: Sequence[ItemSnapshot]) -> float | None:
    """Share of open, non-ignored items with a planned release (``numbers.alignment_score``)."""
    return numbers.alignment_score(items)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One label change the bot attempted: who, what, before, after, result."""

    run_id: int
    key: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    ok: bool
    error: str | None = None
    # Recorded before the change was sent and never confirmed (the run was killed): it may or
    # may not have landed; ``revert`` re-reads the issue to find out.
    pending: bool = False


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of the bot over one roadmap."""

    run_id: int
    roadmap: str
    kind: RunKind
    config_hash: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: RunOutcome
    counts: dict[str, int] = field(default_factory=dict)
    alignment: float | None = None
    reverts_run: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took, once finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def snapshot_items(
    items: Sequence[BacklogItem],
    classification: Classification,
    roadmap: Roadmap,
    labels_after: Mapping[str, Sequence[str]] | None = None,
) -> tuple[ItemSnapshot, ...]:
    """The rows a run stores for its items (traces in the classifier's order).

    ``labels_after`` holds the labels of the items whose change was applied, so the snapshot
    shows what Jira carries once the run is done rather than what it carried before.
    """
    after = labels_after or {}
    rows = []
    for item, trace in zip(items, classification.traces, strict=True):
        labels = after.get(item.key, item.labels)
        rows.append(
            ItemSnapshot(
                key=item.key,
                summary=item.summary,
                issue_type=item.issue_type,
                hierarchy_level=item.hierarchy_level,
                status=item.status,
                done=trace.done,
                parent=item.parent_key,
                planned_release=trace.planned_release,
                scheduled_release=trace.scheduled_release,
                verdict=trace.verdict,
                warnings=tuple(sorted(w.kind.value for w in trace.warnings)),
                owned_labels=tuple(sorted(label for label in labels if roadmap.owns_label(label))),
                story_points=item.story_points,
            )
        )
    return tuple(rows)
