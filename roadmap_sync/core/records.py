"""Records of what the bot saw and did, shared by the state store, drift and the reports.

Pure values: ``snapshot_items`` turns one plan's items and traces into the rows a run stores;
the store persists them and drift.py compares two of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from roadmap_sync.core import numbers
from roadmap_sync.core.model import BacklogItem, Classification, Finding, Verdict
from roadmap_sync.core.roadmap import Roadmap

RunKind = Literal["plan", "apply", "run", "revert", "webhook"]
# "interrupted": the process died while the run was running (found by the next run or worker).
RunOutcome = Literal["running", "ok", "failed", "partial", "refused", "planned", "interrupted"]


def key_order(key: str) -> tuple[str, int, str]:
    """Jira's order of issue keys: by project, then by number (ACME-9 before ACME-10); a key
    of another shape sorts by its text. Snapshots list their items in this order."""
    project, dash, number = key.rpartition("-")
    if dash and number.isdecimal():  # what int() reads: no superscripts, unlike isdigit()
        return (project, int(number), key)
    return (key, -1, key)


class ItemSnapshot(NamedTuple):
    """One item's trace as stored with a run.

    A NamedTuple, like ``BacklogItem``: a report or an incremental sync reads one per stored
    item, and a tuple is built six times faster than a frozen dataclass of 20 fields (80,000
    of them: 0.08 s against 0.5 s).
    """

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
    # What the item was read as, so the next run can re-trace it from the store instead of
    # re-reading it (incremental sync). ``labels`` is None when a row predates recording it.
    # (Not ``updated``: nothing traces by it, and the bot's own writes would make it change.)
    project: str = ""
    status_category: str = ""
    labels: tuple[str, ...] | None = None
    fix_versions: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    created: str = ""  # calendar days, as BacklogItem has them (the forecast reads them)
    resolved: str = ""

    @property
    def flagged(self) -> bool:
        """Open and out of scope or orphaned: the items that carry a flag label."""
        return not self.done and self.verdict in (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE)

    @property
    def release(self) -> str | None:
        """The release the item belongs to in reports: planned, else scheduled."""
        return self.planned_release or self.scheduled_release

    def backlog_item(self) -> BacklogItem | None:
        """The item as it was read (None for rows recorded before its inputs were)."""
        if self.labels is None:
            return None
        return BacklogItem(
            self.key,
            self.summary,
            self.project,
            self.issue_type,
            self.hierarchy_level,
            self.status,
            self.status_category,
            self.parent,
            self.labels,
            self.fix_versions,
            self.components,
            self.story_points,
            self.created,
            self.resolved,
        )


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


def alignment_score(items: Iterable[numbers.TracedRow]) -> float | None:
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
    # The retention policy removed the run's item-level detail (snapshot rows, audit).
    detail_pruned: bool = False

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
    *,
    reuse: Mapping[str, ItemSnapshot] | None = None,
    fresh: Collection[str] = (),
) -> Iterator[ItemSnapshot]:
    """The rows a run stores for its items (traces in the classifier's order), one at a time.

    A store can take them as they come: a 200,000-issue run that keeps no rows afterwards
    never holds them all at once (about 40 MB).

    ``labels_after`` holds the labels of the items whose change was applied, so the snapshot
    shows what Jira carries once the run is done rather than what it carried before.
    ``reuse`` holds a previous run's rows: an item that is neither in ``fresh`` (read or
    re-traced anew) nor in ``labels_after`` keeps its row, which an incremental sync relies on
    to avoid rebuilding 100,000 rows for the few that changed.
    """
    after = labels_after or {}
    kept = reuse or {}
    owns = roadmap.owns_label
    # A backlog holds a few distinct sets of bot labels and of warnings: one tuple for each.
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    for item, trace in zip(items, classification.traces, strict=True):
        key = item.key
        if kept and key not in after and key not in fresh:
            row = kept.get(key)
            if row is not None:
                yield row
                continue
        # Applied labels in Jira's order (sorted), so the next read finds the item unchanged.
        labels = shared_tuple(shared, tuple(sorted(after[key]))) if key in after else item.labels
        yield ItemSnapshot(
            key,
            item.summary,
            item.issue_type,
            item.hierarchy_level,
            item.status,
            trace.done,
            item.parent_key,
            trace.planned_release,
            trace.scheduled_release,
            trace.verdict,
            shared_tuple(shared, tuple(sorted([w.kind.value for w in trace.warnings])))
            if trace.warnings
            else (),
            shared_tuple(shared, tuple(sorted([label for label in labels if owns(label)]))),
            item.story_points,
            item.project,
            item.status_category,
            labels,
            item.fix_versions,
            item.components,
            item.created,
            item.resolved,
        )


def shared_tuple(
    shared: dict[tuple[str, ...], tuple[str, ...]], value: tuple[str, ...]
) -> tuple[str, ...]:
    """``value``, or the equal tuple already in ``shared``: a backlog repeats a few label
    and warning sets, kept once each."""
    return shared.setdefault(value, value)
