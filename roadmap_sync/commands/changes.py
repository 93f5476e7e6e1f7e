"""Every planned label change, grouped the way a product owner reviews them.

Each change is listed exactly once, in the first group it fits: a flag raised matters more
than the release label that comes with it, and the line shows the whole change anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_sync.core.model import Classification, LabelChange
from roadmap_sync.core.plan import bot_labels
from roadmap_sync.core.roadmap import Roadmap

GROUP_TITLES = (
    "flags raised",
    "flags cleared",
    "release labels moved",
    "release labels added",
    "release labels removed",
    "stale labels removed",
)


@dataclass(frozen=True)
class ChangeLine:
    """One issue's planned change with the reason a person needs to judge it."""

    change: LabelChange
    reason: str


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of one kind."""

    title: str
    lines: tuple[ChangeLine, ...]


def _group_of(change: LabelChange, flags: frozenset[str], releases: frozenset[str]) -> str:
    add, remove = set(change.add), set(change.remove)
    if add & flags:
        return "flags raised"
    if remove & flags:
        return "flags cleared"
    if add & releases and remove & releases:
        return "release labels moved"
    if add & releases:
        return "release labels added"
    if remove & releases:
        return "release labels removed"
    return "stale labels removed"


def _reason(group: str, reasons: Sequence[str]) -> str:
    # reasons = (how the item traces, how it is scheduled, the verdict and why)
    if not reasons:
        return ""
    if group in ("flags raised", "flags cleared"):
        return reasons[2] if len(reasons) > 2 else reasons[-1]
    if group == "stale labels removed":
        return "no longer a label this roadmap writes"
    return reasons[0]


def group_changes(
    changes: Sequence[LabelChange], classification: Classification, roadmap: Roadmap
) -> list[ChangeGroup]:
    """The non-empty groups of `changes`, in review order."""
    flags = frozenset((roadmap.labels.orphan, roadmap.labels.out_of_scope))
    releases = bot_labels(roadmap) - flags
    grouped: dict[str, list[ChangeLine]] = {title: [] for title in GROUP_TITLES}
    for change in changes:
        group = _group_of(change, flags, releases)
        trace = classification.get(change.key)
        reason = _reason(group, trace.reasons if trace is not None else ())
        grouped[group].append(ChangeLine(change, reason))
    return [ChangeGroup(title, tuple(lines)) for title, lines in grouped.items() if lines]
