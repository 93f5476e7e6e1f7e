"""Release scope baselines and what changed in a release since its baseline.

Pure. A release's scope is baselined when it becomes the next release (the first one whose
date has not passed), or on its ``committed`` date if that comes first; the baseline keeps the
release's date and its scope items (stories, tasks and bugs in the release's bucket, with their
story points). From then on every sync compares the scope with the baseline:

- **added**: in the release now, not in the baseline, and created after the baseline;
- **moved in**: in the release now, not in the baseline, but older than the baseline (it came
  from another release or from the unplanned items);
- **removed**: in the baseline, gone from the backlog;
- **moved out**: in the baseline, now in another release or unplanned;
- **re-dated**: the release's date differs from the baseline's.

Who made each change and when comes from the tracker's changelog (``FieldChange``). Once a
release has shipped (its date passed and nothing in it is open) its growth is frozen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "Baseline",
    "FieldChange",
    "Growth",
    "ScopeChange",
    "ScopeChangeKind",
    "ScopeItem",
    "Tally",
    "baseline_due",
    "growth_since",
]

CHANGES_KEPT = 50  # scope changes listed per release (the counts cover all of them)


class FieldChange(NamedTuple):
    """One change of a scheduling field (fix version, parent/epic link) from the changelog."""

    key: str
    at: dt.datetime
    author: str
    field: str  # "fixVersion" or "parent"
    before: str | None
    after: str | None


class ScopeItem(NamedTuple):
    """A scope item of a release as the baseline comparison needs it."""

    key: str
    points: float
    created: dt.date | None


class ScopeChangeKind(StrEnum):
    """How an item changed a release's scope."""

    ADDED = "added"
    REMOVED = "removed"
    MOVED_IN = "moved_in"
    MOVED_OUT = "moved_out"


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """One item that changed a release's scope, with who and when when the changelog says."""

    key: str
    kind: ScopeChangeKind
    points: float
    at: dt.datetime | None
    who: str | None


@dataclass(frozen=True, slots=True)
class Tally:
    """Items and story points."""

    items: int = 0
    points: float = 0.0


@dataclass(frozen=True, slots=True)
class Baseline:
    """A release's scope when it was baselined."""

    release_id: str
    at: dt.datetime
    release_date: dt.date
    members: Mapping[str, float]  # scope item key -> story points

    @property
    def items(self) -> int:
        """Scope items at the baseline."""
        return len(self.members)

    @property
    def points(self) -> float:
        """Story points at the baseline."""
        return float(sum(self.members.values()))


@dataclass(frozen=True, slots=True)
class Growth:
    """A release's scope now compared with its baseline."""

    baseline: Baseline
    items: int  # scope items now
    points: float
    added: Tally
    removed: Tally
    moved_in: Tally
    moved_out: Tally
    redated: tuple[dt.date, dt.date] | None  # (baseline date, date now) when they differ
    changes: tuple[ScopeChange, ...]  # newest first, at most CHANGES_KEPT

    @property
    def growth(self) -> float | None:
        """Net change in scope items over the baseline's items (None for an empty baseline)."""
        base = self.baseline.items
        return (self.items - base) / base if base else None

    @property
    def unplanned_share(self) -> float | None:
        """Items that entered after the baseline (added or moved in) over the items now."""
        entered = self.added.items + self.moved_in.items
        return entered / self.items if self.items else None


def baseline_due(
    release_id: str,
    committed: dt.date | None,
    next_release: str | None,
    today: dt.date,
) -> bool:
    """Whether a release without a baseline gets one today: it is next, or committed by now."""
    return release_id == next_release or (committed is not None and committed <= today)


def _tally(items: Sequence[tuple[str, float]]) -> Tally:
    return Tally(len(items), float(sum(points for _key, points in items)))


def _latest_change(
    changes: Sequence[FieldChange], since: dt.datetime
) -> tuple[dt.datetime | None, str | None]:
    relevant = [change for change in changes if change.at >= since]
    if not relevant:
        return None, None
    last = max(relevant, key=lambda change: change.at)
    return last.at, last.author


def growth_since(
    baseline: Baseline,
    now: Mapping[str, ScopeItem],
    backlog: frozenset[str] | set[str],
    release_date: dt.date,
    changelog: Mapping[str, Sequence[FieldChange]] | None = None,
) -> Growth:
    """Compare the release's scope items `now` with its baseline.

    `backlog` holds every key still in the tracker's scope (to tell removed from moved out);
    `changelog` maps keys to their scheduling-field changes (who and when).
    """
    log = changelog or {}
    base = baseline.members
    since_day = baseline.at.date()
    added: list[tuple[str, float]] = []
    moved_in: list[tuple[str, float]] = []
    removed: list[tuple[str, float]] = []
    moved_out: list[tuple[str, float]] = []
    for key, item in now.items():
        if key in base:
            continue
        new = item.created is not None and item.created > since_day
        (added if new else moved_in).append((key, item.points))
    for key, points in base.items():
        if key in now:
            continue
        (moved_out if key in backlog else removed).append((key, points))
    changes: list[ScopeChange] = []
    for kind, entries in (
        (ScopeChangeKind.ADDED, added),
        (ScopeChangeKind.MOVED_IN, moved_in),
        (ScopeChangeKind.MOVED_OUT, moved_out),
        (ScopeChangeKind.REMOVED, removed),
    ):
        for key, points in entries:
            at, who = _latest_change(log.get(key, ()), baseline.at)
            if at is None and kind is ScopeChangeKind.ADDED:
                created = now[key].created
                at = None if created is None else dt.datetime.combine(created, dt.time(), dt.UTC)
            changes.append(ScopeChange(key, kind, points, at, who))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    changes.sort(key=lambda change: (change.at or epoch, change.key), reverse=True)
    return Growth(
        baseline=baseline,
        items=len(now),
        points=float(sum(item.points for item in now.values())),
        added=_tally(added),
        removed=_tally(removed),
        moved_in=_tally(moved_in),
        moved_out=_tally(moved_out),
        redated=None
        if release_date == baseline.release_date
        else (baseline.release_date, release_date),
        changes=tuple(changes[:CHANGES_KEPT]),
    )
