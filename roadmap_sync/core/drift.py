"""What changed in one roadmap's backlog between two runs: the weekly drift.

Pure: two snapshots, the roadmap and the alignment history in, a `Drift` value out. Items are
grouped into buckets by `ItemSnapshot.release` (planned, else scheduled): one bucket per roadmap
release, in roadmap order, then the unplanned bucket (release id None) for items with neither.

Without a previous snapshot (the first report) every item has "entered" and every open flag is
"newly flagged", but there is nothing to subtract from, so the deltas are None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple, TypeVar

from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.numbers import Counts, Flags, Tally, VerdictCounts, count
from roadmap_sync.core.records import ItemSnapshot, Snapshot, key_order
from roadmap_sync.core.roadmap import Release, Roadmap

__all__ = [
    "Change",
    "Drift",
    "Entry",
    "FlagChange",
    "Flags",
    "Move",
    "ReleaseDrift",
    "Tally",
    "TrendPoint",
    "VerdictCounts",
    "compute_drift",
    "key_order",
]

Bucket = str | None  # a release id, or None for the unplanned bucket
_FLAGS = (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE)


class Change(StrEnum):
    """Why an item entered or left a bucket."""

    NEW = "new"  # the key was not in the previous snapshot
    MOVED = "moved"  # the key was in another bucket (see Entry.other)
    REMOVED = "removed"  # the key is gone from the backlog the roadmap covers


class Entry(NamedTuple):
    """An item that entered or left a bucket; `other` is the bucket it moved from or to.

    Entry, Move and FlagChange are NamedTuples: a first report builds one for every item.
    """

    item: ItemSnapshot  # the current row, except for REMOVED items (their last row)
    change: Change
    other: Bucket = None


class Move(NamedTuple):
    """An item that changed bucket between the two runs."""

    item: ItemSnapshot
    source: Bucket
    target: Bucket

    @property
    def key(self) -> str:
        """The item's key."""
        return self.item.key


class FlagChange(NamedTuple):
    """A flag raised on or cleared from an item; `item` is the current row."""

    item: ItemSnapshot
    flag: Verdict  # ORPHAN or OUT_OF_SCOPE


_Keyed = TypeVar("_Keyed", Entry, Move, FlagChange)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The alignment score of one run."""

    at: dt.datetime
    score: float


@dataclass(frozen=True, slots=True)
class ReleaseDrift:
    """What changed in one bucket: a roadmap release, or the unplanned items (id None)."""

    release_id: Bucket
    entered: tuple[Entry, ...]
    left: tuple[Entry, ...]
    newly_flagged: tuple[FlagChange, ...]  # counted in the bucket the item is in now
    cleared: tuple[FlagChange, ...]  # counted in the bucket the flag was in
    now: Tally
    before: Tally | None  # None on the first report
    verdicts: VerdictCounts
    flags: Flags
    flags_before: Flags | None
    uncovered_features: tuple[str, ...]
    overdue: bool
    open_verdicts: VerdictCounts  # open items only, by verdict

    @property
    def unplanned(self) -> bool:
        """True for the bucket of items that belong to no release."""
        return self.release_id is None

    @property
    def items_delta(self) -> int | None:
        """Change in item count (open and done) since the previous run."""
        return None if self.before is None else self.now.items - self.before.items

    @property
    def points_delta(self) -> float | None:
        """Change in story points (open and done) since the previous run."""
        return None if self.before is None else self.now.points - self.before.points


@dataclass(frozen=True, slots=True)
class Drift:
    """Everything that changed between two runs over one roadmap."""

    roadmap: str
    run_id: int
    previous_run_id: int | None
    taken_at: dt.datetime
    previous_taken_at: dt.datetime | None
    today: dt.date
    releases: tuple[ReleaseDrift, ...]  # roadmap order, the unplanned bucket last
    moves: tuple[Move, ...]
    alignment: float | None
    previous_alignment: float | None
    trend: tuple[TrendPoint, ...]  # oldest first, ending with this run when it has a score
    verdicts: VerdictCounts
    previous_verdicts: VerdictCounts | None
    flags: Flags
    previous_flags: Flags | None
    counts: Counts  # every count of the current run (core/numbers.py)
    previous_counts: Counts | None

    @property
    def first(self) -> bool:
        """True when there was no previous run to compare with."""
        return self.previous_run_id is None

    @property
    def alignment_delta(self) -> float | None:
        """Alignment now minus alignment at the previous run, when both exist."""
        if self.alignment is None or self.previous_alignment is None:
            return None
        return self.alignment - self.previous_alignment

    def release(self, release_id: Bucket) -> ReleaseDrift:
        """The drift of one bucket (KeyError if the roadmap has no such release)."""
        for release in self.releases:
            if release.release_id == release_id:
                return release
        raise KeyError(release_id)


def _flag(item: ItemSnapshot | None) -> Verdict | None:
    """The flag label an item carries (its verdict when flagged), None when unflagged."""
    if item is None or item.done or item.verdict not in _FLAGS:
        return None
    return item.verdict


class _Index:
    """The items of one snapshot by key, with each item's bucket."""

    def __init__(self, items: Iterable[ItemSnapshot], known: frozenset[str]) -> None:
        self.by_key = {item.key: item for item in items}
        # A release the roadmap no longer has cannot get a section; its items count as unplanned.
        self.bucket_of: dict[str, Bucket] = {}
        for key, item in self.by_key.items():
            release = item.planned_release or item.scheduled_release
            self.bucket_of[key] = release if release in known else None

    def in_key_order(self) -> bool:
        """Whether the items are in key order, as a stored snapshot lists them: then what one
        walk over them collects is in key order too and needs no sort (a first report
        collects every item as entered)."""
        return all(a <= b for a, b in pairwise(map(key_order, self.by_key)))


@dataclass
class _Changes:
    """Entries and flag changes per bucket, found in one pass over both snapshots."""

    entered: dict[Bucket, list[Entry]]
    left: dict[Bucket, list[Entry]]
    newly_flagged: dict[Bucket, list[FlagChange]]
    cleared: dict[Bucket, list[FlagChange]]
    moves: list[Move]
    # The current snapshot, walked to fill entered, both flag lists and the moves: when it
    # is in key order, so are they (``left`` merges two walks and is always sorted). Checked
    # only for a long list, once: a usual week's lists are short and cheaper to sort.
    walked: _Index
    _walked_in_key_order: bool | None = None

    @classmethod
    def between(cls, now: _Index, before: _Index, buckets: Iterable[Bucket]) -> _Changes:
        """Compare two snapshots item by item (linear in the number of items)."""
        names = list(buckets)
        changes = cls(
            {b: [] for b in names}, {b: [] for b in names}, {b: [] for b in names},
            {b: [] for b in names}, [], now,
        )  # fmt: skip
        previous_bucket, previous_items = before.bucket_of, before.by_key
        for key, item in now.by_key.items():
            bucket = now.bucket_of[key]
            old = previous_items.get(key)
            flag = _flag(item)
            if old is None:
                changes.entered[bucket].append(Entry(item, Change.NEW))
                if flag is not None:
                    changes.newly_flagged[bucket].append(FlagChange(item, flag))
                continue
            source = previous_bucket[key]
            if source != bucket:
                changes.entered[bucket].append(Entry(item, Change.MOVED, source))
                changes.left[source].append(Entry(item, Change.MOVED, bucket))
                changes.moves.append(Move(item, source, bucket))
            old_flag = _flag(old)
            if flag is not None and flag is not old_flag:
                changes.newly_flagged[bucket].append(FlagChange(item, flag))
            if old_flag is not None and old_flag is not flag:
                changes.cleared[source].append(FlagChange(item, old_flag))
        for key, old in previous_items.items():
            if key not in now.by_key:
                changes.left[previous_bucket[key]].append(Entry(old, Change.REMOVED))
        return changes

    def sorted(self, bucket: Bucket) -> tuple[tuple[Entry, ...], ...]:
        """The bucket's entered and left lists in key order."""
        return self._ordered(self.entered[bucket]), _by_key(self.left[bucket])

    def flag_changes(self, bucket: Bucket) -> tuple[tuple[FlagChange, ...], ...]:
        """The bucket's newly flagged and cleared lists in key order."""
        return self._ordered(self.newly_flagged[bucket]), self._ordered(self.cleared[bucket])

    def sorted_moves(self) -> tuple[Move, ...]:
        """Every move in key order."""
        return self._ordered(self.moves)

    def _ordered(self, found: list[_Keyed]) -> tuple[_Keyed, ...]:
        if len(found) < _CHECK_ORDER_FROM:
            return _by_key(found)
        if self._walked_in_key_order is None:
            self._walked_in_key_order = self.walked.in_key_order()
        return tuple(found) if self._walked_in_key_order else _by_key(found)


# From this many entries, checking the walked snapshot's order once beats sorting the list.
_CHECK_ORDER_FROM = 1_000


def _by_key(found: list[_Keyed]) -> tuple[_Keyed, ...]:
    return tuple(sorted(found, key=lambda entry: key_order(entry.item.key)))


def _uncovered(findings: Sequence[Finding], release_id: str) -> tuple[str, ...]:
    names = (
        finding.subject
        for finding in findings
        if finding.kind is FindingKind.UNCOVERED_FEATURE and finding.release == release_id
    )
    return tuple(dict.fromkeys(names))


def _overdue(release: Release, findings: Sequence[Finding], counts: Counts) -> bool:
    reported = any(
        finding.kind is FindingKind.OVERDUE_RELEASE and finding.release == release.id
        for finding in findings
    )
    return reported or release.id in counts.overdue


def _trend(
    history: Sequence[tuple[dt.datetime, float]], current: Snapshot
) -> tuple[TrendPoint, ...]:
    # The current run is authoritative: a history that already holds it (or later runs, when a
    # report is regenerated for an older run) must not repeat or overtake it.
    points = [TrendPoint(at, score) for at, score in history if at < current.taken_at]
    score = current.alignment()
    if score is not None:
        points.append(TrendPoint(current.taken_at, score))
    return tuple(sorted(points, key=lambda point: point.at))


def compute_drift(
    previous: Snapshot | None,
    current: Snapshot,
    roadmap: Roadmap,
    *,
    alignment_history: Sequence[tuple[dt.datetime, float]],
    today: dt.date,
) -> Drift:
    """Compare the current snapshot with the previous one (None for the first report)."""
    releases = [(release.id, release.end_date) for release in roadmap.releases]
    known = frozenset(release_id for release_id, _end in releases)
    now = _Index(current.items, known)
    # On the first report, compare with an empty backlog: everything entered, every flag is new.
    before = _Index(() if previous is None else previous.items, known)
    plan: Mapping[Bucket, Release | None] = {
        **{release.id: release for release in roadmap.releases},
        None: None,
    }
    with gc_paused():  # a first report builds an entry for each of 80,000 items
        changes = _Changes.between(now, before, plan)
    counts = count(current.items, releases, today=today)
    previous_counts = None if previous is None else count(previous.items, releases, today=today)
    sections = []
    for bucket, release in plan.items():
        entered, left = changes.sorted(bucket)
        newly_flagged, cleared = changes.flag_changes(bucket)
        here = counts.bucket(bucket)
        there = None if previous_counts is None else previous_counts.bucket(bucket)
        sections.append(
            ReleaseDrift(
                release_id=bucket,
                entered=entered,
                left=left,
                newly_flagged=newly_flagged,
                cleared=cleared,
                now=here.tally,
                before=None if there is None else there.tally,
                verdicts=here.verdicts,
                flags=here.flags,
                flags_before=None if there is None else there.flags,
                uncovered_features=()
                if release is None
                else _uncovered(current.findings, bucket or ""),
                overdue=release is not None and _overdue(release, current.findings, counts),
                open_verdicts=here.open_verdicts,
            )
        )
    return Drift(
        roadmap=current.roadmap,
        run_id=current.run_id,
        previous_run_id=None if previous is None else previous.run_id,
        taken_at=current.taken_at,
        previous_taken_at=None if previous is None else previous.taken_at,
        today=today,
        releases=tuple(sections),
        moves=changes.sorted_moves(),
        alignment=counts.alignment,
        previous_alignment=None if previous_counts is None else previous_counts.alignment,
        trend=_trend(alignment_history, current),
        verdicts=counts.verdicts,
        previous_verdicts=None if previous_counts is None else previous_counts.verdicts,
        flags=counts.flags,
        previous_flags=None if previous_counts is None else previous_counts.flags,
        counts=counts,
        previous_counts=previous_counts,
    )
