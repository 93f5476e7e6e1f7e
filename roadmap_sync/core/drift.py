"""What changed in one roadmap's backlog between two runs: the weekly drift.

Pure: two snapshots, the roadmap and the alignment history in, a `Drift` value out. Items are
grouped into buckets by `ItemSnapshot.release` (planned, else scheduled): one bucket per roadmap
release, in roadmap order, then the unplanned bucket (release id None) for items with neither.

Without a previous snapshot (the first report) every item has "entered" and every open flag is
"newly flagged", but there is nothing to subtract from, so the deltas are None.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.records import ItemSnapshot, Snapshot
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
_KEY = re.compile(r"(?P<project>.*?)-(?P<number>\d+)")
_FLAGS = (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE)


class Change(StrEnum):
    """Why an item entered or left a bucket."""

    NEW = "new"  # the key was not in the previous snapshot
    MOVED = "moved"  # the key was in another bucket (see Entry.other)
    REMOVED = "removed"  # the key is gone from the backlog the roadmap covers


@dataclass(frozen=True, slots=True)
class Entry:
    """An item that entered or left a bucket; `other` is the bucket it moved from or to."""

    item: ItemSnapshot  # the current row, except for REMOVED items (their last row)
    change: Change
    other: Bucket = None


@dataclass(frozen=True, slots=True)
class Move:
    """An item that changed bucket between the two runs."""

    item: ItemSnapshot
    source: Bucket
    target: Bucket

    @property
    def key(self) -> str:
        """The item's key."""
        return self.item.key


@dataclass(frozen=True, slots=True)
class FlagChange:
    """A flag raised on or cleared from an item; `item` is the current row."""

    item: ItemSnapshot
    flag: Verdict  # ORPHAN or OUT_OF_SCOPE


@dataclass(frozen=True, slots=True)
class VerdictCounts:
    """How many items got each verdict."""

    aligned: int = 0
    out_of_scope: int = 0
    orphan: int = 0
    ignored: int = 0

    @classmethod
    def of(cls, items: Iterable[ItemSnapshot]) -> VerdictCounts:
        """Count the verdicts of `items`."""
        counts = dict.fromkeys(Verdict, 0)
        for item in items:
            counts[item.verdict] += 1
        return cls(
            aligned=counts[Verdict.ALIGNED],
            out_of_scope=counts[Verdict.OUT_OF_SCOPE],
            orphan=counts[Verdict.ORPHAN],
            ignored=counts[Verdict.IGNORED],
        )

    def __getitem__(self, verdict: Verdict) -> int:
        count: int = getattr(self, verdict.value)
        return count

    @property
    def total(self) -> int:
        """All items counted."""
        return self.aligned + self.out_of_scope + self.orphan + self.ignored


@dataclass(frozen=True, slots=True)
class Flags:
    """Open items carrying each flag label."""

    orphan: int = 0
    out_of_scope: int = 0

    @classmethod
    def of(cls, items: Iterable[ItemSnapshot]) -> Flags:
        """Count the flagged items among `items`."""
        flagged = [item.verdict for item in items if item.flagged]
        return cls(flagged.count(Verdict.ORPHAN), flagged.count(Verdict.OUT_OF_SCOPE))

    def __getitem__(self, flag: Verdict) -> int:
        count: int = getattr(self, flag.value)
        return count


@dataclass(frozen=True, slots=True)
class Tally:
    """Items and story points in a bucket, and how many of them are done."""

    items: int
    points: float
    done_items: int
    done_points: float

    @classmethod
    def of(cls, items: Sequence[ItemSnapshot]) -> Tally:
        """Tally `items`; an item without story points counts as zero points."""
        done = [item for item in items if item.done]
        return cls(len(items), _points(items), len(done), _points(done))

    @property
    def open_items(self) -> int:
        """Items not done."""
        return self.items - self.done_items

    @property
    def done_share(self) -> float | None:
        """Done items over all items; None for an empty bucket."""
        return self.done_items / self.items if self.items else None

    @property
    def done_points_share(self) -> float | None:
        """Done points over all points; None when no item has points."""
        return self.done_points / self.points if self.points else None


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


def key_order(key: str) -> tuple[str, int, str]:
    """Sort key for issue keys: ACME-2 before ACME-10."""
    found = _KEY.fullmatch(key)
    if found is None:
        return (key, -1, key)
    return (found["project"], int(found["number"]), key)


def _points(items: Iterable[ItemSnapshot]) -> float:
    return float(sum(item.story_points or 0.0 for item in items))


def _flag(item: ItemSnapshot | None) -> Verdict | None:
    """The flag label an item carries (its verdict when flagged), None when unflagged."""
    return item.verdict if item is not None and item.flagged else None


class _Buckets:
    """The items of one snapshot, by key and by bucket."""

    def __init__(self, items: Iterable[ItemSnapshot], known: frozenset[str]) -> None:
        self.by_key = {item.key: item for item in items}
        # A release the roadmap no longer has cannot get a section; its items count as unplanned.
        self.bucket_of: dict[str, Bucket] = {
            key: item.release if item.release in known else None
            for key, item in self.by_key.items()
        }
        self.members: dict[Bucket, list[ItemSnapshot]] = {}
        for key, item in sorted(self.by_key.items(), key=lambda pair: key_order(pair[0])):
            self.members.setdefault(self.bucket_of[key], []).append(item)

    def items_in(self, bucket: Bucket) -> list[ItemSnapshot]:
        return self.members.get(bucket, [])


def _entered(bucket: Bucket, now: _Buckets, before: _Buckets) -> tuple[Entry, ...]:
    entries = []
    for item in now.items_in(bucket):
        if item.key not in before.by_key:
            entries.append(Entry(item, Change.NEW))
        elif (source := before.bucket_of[item.key]) != bucket:
            entries.append(Entry(item, Change.MOVED, source))
    return tuple(entries)


def _left(bucket: Bucket, now: _Buckets, before: _Buckets) -> tuple[Entry, ...]:
    entries = []
    for item in before.items_in(bucket):
        current = now.by_key.get(item.key)
        if current is None:
            entries.append(Entry(item, Change.REMOVED))
        elif (target := now.bucket_of[item.key]) != bucket:
            entries.append(Entry(current, Change.MOVED, target))
    return tuple(entries)


def _newly_flagged(bucket: Bucket, now: _Buckets, before: _Buckets) -> tuple[FlagChange, ...]:
    changes = []
    for item in now.items_in(bucket):
        flag = _flag(item)
        if flag is not None and flag is not _flag(before.by_key.get(item.key)):
            changes.append(FlagChange(item, flag))
    return tuple(changes)


def _cleared(bucket: Bucket, now: _Buckets, before: _Buckets) -> tuple[FlagChange, ...]:
    # An item that left the backlog took its flag with it; it is listed as left, not cleared.
    changes = []
    for item in before.items_in(bucket):
        flag, current = _flag(item), now.by_key.get(item.key)
        if flag is not None and current is not None and _flag(current) is not flag:
            changes.append(FlagChange(current, flag))
    return tuple(changes)


def _uncovered(findings: Sequence[Finding], release_id: str) -> tuple[str, ...]:
    names = (
        finding.subject
        for finding in findings
        if finding.kind is FindingKind.UNCOVERED_FEATURE and finding.release == release_id
    )
    return tuple(dict.fromkeys(names))


def _overdue(release: Release, findings: Sequence[Finding], now: Tally, today: dt.date) -> bool:
    reported = any(
        finding.kind is FindingKind.OVERDUE_RELEASE and finding.release == release.id
        for finding in findings
    )
    return reported or (release.end_date < today and now.open_items > 0)


def _bucket_drift(
    bucket: Bucket,
    release: Release | None,
    now: _Buckets,
    before: _Buckets | None,
    findings: Sequence[Finding],
    today: dt.date,
) -> ReleaseDrift:
    items = now.items_in(bucket)
    tally = Tally.of(items)
    # On the first report, compare with an empty backlog: everything entered, every flag is new.
    base = before if before is not None else _Buckets((), frozenset())
    return ReleaseDrift(
        release_id=bucket,
        entered=_entered(bucket, now, base),
        left=_left(bucket, now, base),
        newly_flagged=_newly_flagged(bucket, now, base),
        cleared=_cleared(bucket, now, base),
        now=tally,
        before=None if before is None else Tally.of(before.items_in(bucket)),
        verdicts=VerdictCounts.of(items),
        flags=Flags.of(items),
        flags_before=None if before is None else Flags.of(before.items_in(bucket)),
        uncovered_features=() if release is None else _uncovered(findings, release.id),
        overdue=release is not None and _overdue(release, findings, tally, today),
    )


def _moves(now: _Buckets, before: _Buckets | None) -> tuple[Move, ...]:
    if before is None:
        return ()
    moves = [
        Move(item, before.bucket_of[key], now.bucket_of[key])
        for key, item in now.by_key.items()
        if key in before.by_key and before.bucket_of[key] != now.bucket_of[key]
    ]
    return tuple(sorted(moves, key=lambda move: key_order(move.key)))


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
    known = frozenset(release.id for release in roadmap.releases)
    now = _Buckets(current.items, known)
    before = None if previous is None else _Buckets(previous.items, known)
    plan: Mapping[Bucket, Release | None] = {
        **{release.id: release for release in roadmap.releases},
        None: None,
    }
    releases = tuple(
        _bucket_drift(bucket, release, now, before, current.findings, today)
        for bucket, release in plan.items()
    )
    return Drift(
        roadmap=current.roadmap,
        run_id=current.run_id,
        previous_run_id=None if previous is None else previous.run_id,
        taken_at=current.taken_at,
        previous_taken_at=None if previous is None else previous.taken_at,
        today=today,
        releases=releases,
        moves=_moves(now, before),
        alignment=current.alignment(),
        previous_alignment=None if previous is None else previous.alignment(),
        trend=_trend(alignment_history, current),
        verdicts=VerdictCounts.of(current.items),
        previous_verdicts=None if previous is None else VerdictCounts.of(previous.items),
        flags=Flags.of(current.items),
        previous_flags=None if previous is None else Flags.of(previous.items),
    )
