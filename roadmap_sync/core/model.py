"""The project's own records: backlog items, traces, findings and label plans.

Everything here is a plain frozen value. Tracker adapters convert their payloads into
``BacklogItem``s at their boundary (``trackers/jira/convert.py``), so the core never sees a
tracker's JSON or a client library's object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "BacklogItem",
    "Classification",
    "Finding",
    "FindingKind",
    "GuardDecision",
    "ItemTrace",
    "LabelChange",
    "LabelPlan",
    "Scope",
    "TraceWarning",
    "Verdict",
    "WarningKind",
]

# Hierarchy levels as trackers number them: sub-task -1, story 0, epic 1, above epics 2+.
SUBTASK_LEVEL = -1
STORY_LEVEL = 0
EPIC_LEVEL = 1


class Verdict(StrEnum):
    """How a backlog item relates to the roadmap."""

    ALIGNED = "aligned"
    OUT_OF_SCOPE = "out_of_scope"
    ORPHAN = "orphan"
    IGNORED = "ignored"


class WarningKind(StrEnum):
    """Something worth a product owner's look that does not change the verdict."""

    BEYOND_HORIZON = "beyond_horizon"
    UNMAPPED_FIX_VERSION = "unmapped_fix_version"
    AMBIGUOUS_CLAIM = "ambiguous_claim"


class FindingKind(StrEnum):
    """A problem with the roadmap itself rather than with one item."""

    UNCOVERED_FEATURE = "uncovered_feature"
    UNKNOWN_EPIC = "unknown_epic"
    UNKNOWN_VERSION = "unknown_version"
    OVERDUE_RELEASE = "overdue_release"
    # The release outlook (core/forecast.py, metric sources): found after the sync's reads.
    DATE_AT_RISK = "date_at_risk"
    METRIC_UNAVAILABLE = "metric_unavailable"


class BacklogItem(NamedTuple):
    """One backlog item (an issue) as the core sees it.

    A NamedTuple rather than a frozen dataclass: a sync builds one per issue, and a tuple is
    built three times faster (measured in bench/sync_throughput.py at 100,000 issues).
    """

    key: str
    summary: str = ""
    project: str = ""
    issue_type: str = "Story"
    hierarchy_level: int = STORY_LEVEL
    status: str = ""
    status_category: str = "new"
    parent_key: str | None = None
    labels: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    story_points: float | None = None
    # Calendar days (YYYY-MM-DD) the item was created and resolved ("" when unknown or open):
    # the forecast's throughput and the baseline's "added" come from them.
    created: str = ""
    resolved: str = ""

    def is_done(self, done_statuses: Collection[str] = ()) -> bool:
        """True when the status category is done or the status is one the roadmap calls done."""
        return self.status_category == "done" or self.status in done_statuses


@dataclass(frozen=True, slots=True)
class Scope:
    """Which items a roadmap covers: its projects, narrowed by an optional tracker query."""

    projects: tuple[str, ...]
    query: str | None = None


@dataclass(frozen=True, slots=True)
class TraceWarning:
    """A warning attached to one item's trace."""

    kind: WarningKind
    message: str


class ItemTrace(NamedTuple):
    """Where one item sits relative to the roadmap, and why (a NamedTuple, like BacklogItem)."""

    key: str
    verdict: Verdict
    planned_release: str | None
    scheduled_release: str | None
    feature: str | None
    done: bool
    flagged: bool
    reasons: tuple[str, ...]
    warnings: tuple[TraceWarning, ...] = ()

    @property
    def warning_kinds(self) -> frozenset[WarningKind]:
        """The kinds of warning this trace carries."""
        return frozenset(warning.kind for warning in self.warnings)


@dataclass(frozen=True, slots=True)
class Finding:
    """A roadmap-level problem: a feature nobody delivers, a version Jira does not know, ..."""

    kind: FindingKind
    release: str | None
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's result: one trace per item (input order) and the roadmap findings."""

    traces: tuple[ItemTrace, ...]
    findings: tuple[Finding, ...]
    # Built on the first look-up by key: a sync walks the traces in order and never needs it,
    # and at 200,000 items it is 10 MB at the run's peak.
    _by_key: dict[str, ItemTrace] | None = field(
        init=False, default=None, repr=False, compare=False
    )

    def _index(self) -> dict[str, ItemTrace]:
        by_key = self._by_key
        if by_key is None:
            by_key = {trace.key: trace for trace in self.traces}
            object.__setattr__(self, "_by_key", by_key)
        return by_key

    def trace(self, key: str) -> ItemTrace:
        """The trace of the item with this key (KeyError if it was not classified)."""
        return self._index()[key]

    def get(self, key: str) -> ItemTrace | None:
        """The trace of the item with this key, or None."""
        return self._index().get(key)

    def verdict_counts(self) -> Counter[Verdict]:
        """How many items got each verdict."""
        return Counter(trace.verdict for trace in self.traces)


@dataclass(frozen=True, slots=True)
class LabelChange:
    """Labels to add to and remove from one issue; `before` is what the issue carried."""

    key: str
    add: tuple[str, ...]
    remove: tuple[str, ...]
    before: tuple[str, ...]

    @property
    def after(self) -> tuple[str, ...]:
        """The issue's labels once the change is applied (order of `before`, additions last)."""
        removed = set(self.remove)
        kept = tuple(label for label in self.before if label not in removed)
        return kept + tuple(label for label in self.add if label not in kept)


@dataclass(frozen=True, slots=True)
class LabelPlan:
    """Every label change a run intends to make; a value to print, diff, store and apply."""

    changes: tuple[LabelChange, ...] = ()
    # (issue key, label) of labels that start with the bot's prefix but are not the bot's:
    # left alone, and shown to people so they can rename them.
    foreign: tuple[tuple[str, str], ...] = ()

    @property
    def issues(self) -> int:
        """Number of issues whose labels change."""
        return len(self.changes)

    @property
    def labels_added(self) -> int:
        """Total labels added across all issues."""
        return sum(len(change.add) for change in self.changes)

    @property
    def labels_removed(self) -> int:
        """Total labels removed across all issues."""
        return sum(len(change.remove) for change in self.changes)

    def keys(self) -> Iterable[str]:
        """Keys of the issues that change."""
        return (change.key for change in self.changes)


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """Whether the blast-radius guard lets a plan be applied, and a message saying why."""

    allowed: bool
    message: str
    changed_issues: int
    total_items: int
    limit: int
    forced: bool = False
    # Allowed as a roadmap's first sync, which adds labels (guard.first_sync: allow).
    first_sync: bool = False
