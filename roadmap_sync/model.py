"""The project's own records: backlog items, traces, findings and label plans.

Everything here is a plain frozen value. Tracker adapters convert at the boundary with
`BacklogItem.from_jira_json`, so the core never sees a `jira` library object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "BacklogItem",
    "Classification",
    "Finding",
    "FindingKind",
    "GuardDecision",
    "ItemTrace",
    "LabelChange",
    "LabelPlan",
    "TraceWarning",
    "Verdict",
    "WarningKind",
]

# Jira Cloud reports `issuetype.hierarchyLevel`; Data Center does not, so we fall back on these.
_SUBTASK_LEVEL = -1
_STORY_LEVEL = 0
_EPIC_LEVEL = 1
_EMPTY: Mapping[str, Any] = MappingProxyType({})


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


def _mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty mapping (Jira sends null for unset fields)."""
    if type(value) is dict:  # the JSON case; the ABC check below costs ten times more
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _text(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _names(value: object) -> tuple[str, ...]:
    """Names of a Jira list of named objects (fixVersions, components); skips malformed entries."""
    if not isinstance(value, list) or not value:
        return ()
    return tuple([name for entry in value if isinstance(name := _mapping(entry).get("name"), str)])


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        return ()
    return tuple([entry for entry in value if isinstance(entry, str)])


def _number(value: object) -> float | None:
    # bool is an int subclass; a True story-point value is a broken field, not 1 point.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _key_of(value: object) -> str | None:
    """An issue key from a string (Data Center Epic Link) or an object with a `key`."""
    if isinstance(value, str):
        return value or None
    key = _mapping(value).get("key")
    return key if isinstance(key, str) and key else None


def _hierarchy_level(issuetype: Mapping[str, Any]) -> int:
    level = issuetype.get("hierarchyLevel")
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if issuetype.get("subtask") is True:
        return _SUBTASK_LEVEL
    return _EPIC_LEVEL if issuetype.get("name") == "Epic" else _STORY_LEVEL


class BacklogItem(NamedTuple):
    """One Jira issue as the core sees it.

    A NamedTuple rather than a frozen dataclass: a sync builds one per issue, and a tuple is
    built three times faster (measured in bench/sync_throughput.py at 100,000 issues).
    """

    key: str
    summary: str = ""
    project: str = ""
    issue_type: str = "Story"
    hierarchy_level: int = _STORY_LEVEL
    status: str = ""
    status_category: str = "new"
    parent_key: str | None = None
    labels: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    story_points: float | None = None
    updated: str = ""

    @classmethod
    def from_jira_json(
        cls,
        issue: Mapping[str, Any],
        *,
        epic_link_field: str | None,
        story_points_field: str | None,
    ) -> BacklogItem:
        """Convert one Jira REST issue object (Cloud or Data Center) into a BacklogItem."""
        key = issue.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError("Jira issue without a key")
        fields = _mapping(issue.get("fields"))
        issuetype = _mapping(fields.get("issuetype"))
        status = _mapping(fields.get("status"))
        # Data Center links a story to its epic through the Epic Link custom field, not `parent`.
        parent_key = _key_of(fields.get("parent"))
        if parent_key is None and epic_link_field:
            parent_key = _key_of(fields.get(epic_link_field))
        # Positional: this runs once per issue of a 100,000-issue backlog.
        return cls(
            key,
            _text(fields.get("summary")),
            _text(_mapping(fields.get("project")).get("key"), key.rpartition("-")[0]),
            _text(issuetype.get("name"), "Unknown"),
            _hierarchy_level(issuetype),
            _text(status.get("name")),
            _text(_mapping(status.get("statusCategory")).get("key"), "new"),
            parent_key,
            _strings(fields.get("labels")),
            _names(fields.get("fixVersions")),
            _names(fields.get("components")),
            _number(fields.get(story_points_field)) if story_points_field else None,
            _text(fields.get("updated")),
        )

    def is_done(self, done_statuses: Collection[str] = ()) -> bool:
        """True when Jira's status category is done or the status is one the roadmap calls done."""
        return self.status_category == "done" or self.status in done_statuses


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
    _by_key: dict[str, ItemTrace] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {trace.key: trace for trace in self.traces})

    def trace(self, key: str) -> ItemTrace:
        """The trace of the item with this key (KeyError if it was not classified)."""
        return self._by_key[key]

    def get(self, key: str) -> ItemTrace | None:
        """The trace of the item with this key, or None."""
        return self._by_key.get(key)

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
