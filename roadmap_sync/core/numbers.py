"""One definition per number: every count the plan, the reports, the messages and /metrics show.

A product owner who sees "279 orphans" on one page and "433 unplanned" on another asks which is
true. So every count is computed here, once, from the same rows, and each carries the sentence
that defines it (open or all items; planned or scheduled bucket), which the report's legend
prints. Renderers never count: they show these values.

Rows are anything shaped like a trace (``ItemTrace`` of a plan, ``ItemSnapshot`` of a stored
run): ``done``, ``verdict``, ``planned_release``, ``scheduled_release``; points are optional.

**Buckets.** An item belongs to the bucket of its planned release, else of its scheduled
release, else to the unplanned bucket (None). A release the roadmap no longer has counts as
unplanned. Every per-release count uses this bucket, so an out-of-scope item planned for r3 but
scheduled into r2 counts once, in r3.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from roadmap_sync.core.model import Verdict

__all__ = [
    "DEFINITIONS",
    "BucketCounts",
    "Counts",
    "Flags",
    "Headline",
    "Tally",
    "TracedRow",
    "VerdictCounts",
    "alignment_score",
    "bucket_of",
    "count",
]

Bucket = str | None
FLAGS = (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE)

# The legend of every report: what each number counts. Keys are the numbers' stable names.
DEFINITIONS: Mapping[str, str] = {
    "alignment": "share of open, non-ignored items whose planned release is a roadmap release",
    "orphans": "open items that trace to no feature and are scheduled nowhere "
    "(they carry the orphan label)",
    "out_of_scope": "open items scheduled into a release whose goal they do not serve "
    "(they carry the out-of-scope label)",
    "items": "all items, open and done, in the release's bucket "
    "(its planned release, else its scheduled release)",
    "open_items": "items not done, in the release's bucket",
    "done_items": "items done, in the release's bucket",
    "points": "story points of all items in the release's bucket (unestimated items count 0)",
    "overdue_releases": "releases whose date has passed with open items in their bucket",
    "at_risk_releases": "releases whose forecast gives less than the threshold probability "
    "of finishing by their date",
    "uncovered_features": "roadmap features that no backlog item delivers",
    "unplanned_share": "scope items that entered a release after its baseline (added or moved "
    "in), over its scope items now",
    "scope_items": "stories, tasks and bugs in the release's bucket (not epics or sub-tasks): "
    "the unit of forecasts, baselines and burn-up",
    "throughput": "scope items of the roadmap's projects resolved per week (resolutiondate), "
    "over the last weeks the forecast samples",
    "probability_on_time": "share of 10,000 simulated futures in which the release's open "
    "scope items are done by its date",
}


class TracedRow(Protocol):
    """What counting needs of an item: ``ItemTrace`` and ``ItemSnapshot`` both fit."""

    @property
    def done(self) -> bool: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def planned_release(self) -> str | None: ...
    @property
    def scheduled_release(self) -> str | None: ...


def bucket_of(row: TracedRow, known: Collection[str]) -> Bucket:
    """The release bucket of a row: planned, else scheduled, else None (unplanned)."""
    release = row.planned_release or row.scheduled_release
    return release if release in known else None


@dataclass(frozen=True, slots=True)
class VerdictCounts:
    """How many items got each verdict."""

    aligned: int = 0
    out_of_scope: int = 0
    orphan: int = 0
    ignored: int = 0

    @classmethod
    def of(cls, rows: Iterable[TracedRow]) -> VerdictCounts:
        """Count the verdicts of `rows`."""
        counts = dict.fromkeys(Verdict, 0)
        for row in rows:
            counts[row.verdict] += 1
        return cls.from_mapping(counts)

    @classmethod
    def from_mapping(cls, counts: Mapping[Verdict, int]) -> VerdictCounts:
        """From a verdict -> count mapping (missing verdicts count 0)."""
        return cls(
            aligned=counts.get(Verdict.ALIGNED, 0),
            out_of_scope=counts.get(Verdict.OUT_OF_SCOPE, 0),
            orphan=counts.get(Verdict.ORPHAN, 0),
            ignored=counts.get(Verdict.IGNORED, 0),
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
    """Open items carrying each flag label (orphans and out-of-scope items that are not done)."""

    orphan: int = 0
    out_of_scope: int = 0

    @classmethod
    def of(cls, rows: Iterable[TracedRow]) -> Flags:
        """Count the flagged (open, orphan or out-of-scope) items among `rows`."""
        flagged = [row.verdict for row in rows if not row.done and row.verdict in FLAGS]
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
    def of(cls, rows: Iterable[TracedRow]) -> Tally:
        """Tally `rows`; an item without story points counts as zero points."""
        acc = _Accumulator()
        for row in rows:
            acc.add(row, _points(row))
        return acc.freeze().tally

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


@dataclass(slots=True)
class _Accumulator:
    items: int = 0
    points: float = 0.0
    done_items: int = 0
    done_points: float = 0.0
    verdicts: dict[Verdict, int] = field(default_factory=lambda: dict.fromkeys(Verdict, 0))
    open_verdicts: dict[Verdict, int] = field(default_factory=lambda: dict.fromkeys(Verdict, 0))

    def add(self, row: TracedRow, points: float) -> None:
        self.items += 1
        self.points += points
        self.verdicts[row.verdict] += 1
        if row.done:
            self.done_items += 1
            self.done_points += points
        else:
            self.open_verdicts[row.verdict] += 1

    def freeze(self) -> BucketCounts:
        return BucketCounts(
            Tally(self.items, self.points, self.done_items, self.done_points),
            VerdictCounts.from_mapping(self.verdicts),
            VerdictCounts.from_mapping(self.open_verdicts),
        )


@dataclass(frozen=True, slots=True)
class BucketCounts:
    """The counts of one bucket (a release, or the unplanned items)."""

    tally: Tally
    verdicts: VerdictCounts  # every item, open and done
    open_verdicts: VerdictCounts  # open items only: what the scope chart stacks

    @property
    def flags(self) -> Flags:
        """Open flagged items in this bucket."""
        return Flags(self.open_verdicts.orphan, self.open_verdicts.out_of_scope)


EMPTY_BUCKET = BucketCounts(Tally(0, 0.0, 0, 0.0), VerdictCounts(), VerdictCounts())


@dataclass(frozen=True, slots=True)
class Counts:
    """Every count of one set of rows against one roadmap."""

    buckets: Mapping[Bucket, BucketCounts]  # roadmap order, then None
    verdicts: VerdictCounts  # every item
    flags: Flags  # open flagged items, whole roadmap
    alignment: float | None
    overdue: tuple[str, ...]  # release ids

    def bucket(self, release_id: Bucket) -> BucketCounts:
        """The counts of one bucket (empty when it has no items)."""
        return self.buckets.get(release_id, EMPTY_BUCKET)

    @property
    def items(self) -> int:
        """All items counted."""
        return self.verdicts.total


def _points(row: object) -> float:
    points = getattr(row, "story_points", None)
    return float(points) if points else 0.0


def count(
    rows: Iterable[TracedRow],
    releases: Iterable[tuple[str, dt.date]],
    *,
    today: dt.date,
    points: Mapping[str, float] | None = None,
) -> Counts:
    """Count `rows` against releases given as (id, end date) in roadmap order, in one pass.

    Story points come from each row's ``story_points`` when it has one, else from `points`
    (key -> points; plan traces carry no points).
    """
    ordered = list(releases)
    known = frozenset(release_id for release_id, _end in ordered)
    accumulators: dict[Bucket, _Accumulator] = {rid: _Accumulator() for rid, _end in ordered}
    accumulators[None] = _Accumulator()
    aligned_open = counted_open = 0
    for row in rows:
        planned = row.planned_release
        release = planned or row.scheduled_release
        bucket = release if release in known else None
        row_points = _points(row) if points is None else points.get(getattr(row, "key", ""), 0.0)
        accumulators[bucket].add(row, row_points)
        if not row.done and row.verdict is not Verdict.IGNORED:
            counted_open += 1
            aligned_open += planned is not None
    buckets = {bucket: acc.freeze() for bucket, acc in accumulators.items()}
    total = _Accumulator()
    for acc in accumulators.values():
        for verdict, n in acc.verdicts.items():
            total.verdicts[verdict] += n
        for verdict, n in acc.open_verdicts.items():
            total.open_verdicts[verdict] += n
    overdue = tuple(
        rid for rid, end in ordered if end < today and buckets[rid].tally.open_items > 0
    )
    open_verdicts = VerdictCounts.from_mapping(total.open_verdicts)
    return Counts(
        buckets=buckets,
        verdicts=VerdictCounts.from_mapping(total.verdicts),
        flags=Flags(open_verdicts.orphan, open_verdicts.out_of_scope),
        alignment=aligned_open / counted_open if counted_open else None,
        overdue=overdue,
    )


def alignment_score(rows: Iterable[TracedRow]) -> float | None:
    """Share of open, non-ignored items with a planned release; None when there are none."""
    counted = aligned = 0
    for row in rows:
        if not row.done and row.verdict is not Verdict.IGNORED:
            counted += 1
            aligned += row.planned_release is not None
    return aligned / counted if counted else None


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline number with its stable name and its definition."""

    name: str
    title: str
    value: float | None
    definition: str


def headline(counts: Counts, *, uncovered: int, at_risk: int | None = None) -> tuple[Headline, ...]:
    """The numbers every rendering leads with, in order; `at_risk` None when not forecast."""
    numbers = [
        Headline("alignment", "Alignment", counts.alignment, DEFINITIONS["alignment"]),
        Headline("orphans", "Orphans", counts.flags.orphan, DEFINITIONS["orphans"]),
        Headline(
            "out_of_scope", "Out of scope", counts.flags.out_of_scope, DEFINITIONS["out_of_scope"]
        ),
        Headline(
            "overdue_releases", "Overdue", len(counts.overdue), DEFINITIONS["overdue_releases"]
        ),
        Headline("uncovered_features", "Uncovered", uncovered, DEFINITIONS["uncovered_features"]),
    ]
    if at_risk is not None:
        numbers.insert(
            4, Headline("at_risk_releases", "At risk", at_risk, DEFINITIONS["at_risk_releases"])
        )
    return tuple(numbers)
