"""Tests for the weekly drift: what entered, left and moved, scope, flags, progress, alignment."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import pytest

from roadmap_sync.core.drift import (
    Drift,
    Entry,
    Flags,
    Tally,
    TrendPoint,
    VerdictCounts,
    compute_drift,
    key_order,
)
from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.records import ItemSnapshot, Snapshot
from roadmap_sync.core.roadmap import Roadmap

A, OOS, ORPHAN, IGNORED = Verdict.ALIGNED, Verdict.OUT_OF_SCOPE, Verdict.ORPHAN, Verdict.IGNORED
TODAY = dt.date(2026, 11, 20)  # r1 (2026-11-15) is past, r2 and r3 are not
NOW = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def make_roadmap() -> Roadmap:
    """Three releases, given out of date order: the roadmap sorts them r1, r2, r3."""
    return Roadmap.model_validate(
        {
            "product": "Acme Web Shop",
            "tracker": {"projects": ["ACME"]},
            "releases": [
                {"id": "r3", "name": "Loyal", "timeframe": "2027-Q1", "goal": "Retain",
                 "features": [{"name": "Points", "epics": ["ACME-300"]}]},
                {"id": "r1", "name": "Convert", "date": "2026-11-15", "goal": "Convert",
                 "features": [{"name": "Guest checkout", "epics": ["ACME-100"]}]},
                {"id": "r2", "name": "Return", "date": "2026-12-15", "goal": "Come back",
                 "features": [{"name": "Sign-in", "epics": ["ACME-200"]}]},
            ],
        }
    )  # fmt: skip


ROADMAP = make_roadmap()


def row(
    key: str,
    planned: str | None = None,
    verdict: Verdict = A,
    *,
    scheduled: str | None = None,
    done: bool = False,
    points: float | None = None,
) -> ItemSnapshot:
    """One stored item trace; only what drift reads varies."""
    return ItemSnapshot(
        key=key,
        summary=f"Story {key}",
        issue_type="Story",
        hierarchy_level=0,
        status="Done" if done else "In Progress",
        done=done,
        parent=None,
        planned_release=planned,
        scheduled_release=scheduled,
        verdict=verdict,
        warnings=(),
        owned_labels=(),
        story_points=points,
    )


def snapshot(
    items: Sequence[ItemSnapshot], *, run_id: int = 2, findings: Sequence[Finding] = ()
) -> Snapshot:
    """A snapshot taken NOW (run 2) or a week earlier (any other run id)."""
    taken = NOW if run_id == 2 else NOW - WEEK
    return Snapshot(run_id, "acme", taken, tuple(items), tuple(findings))


def drift_of(
    before: Sequence[ItemSnapshot] | None,
    after: Sequence[ItemSnapshot],
    *,
    findings: Sequence[Finding] = (),
    history: Sequence[tuple[dt.datetime, float]] = (),
) -> Drift:
    """Drift from `before` (None: first report) to `after`."""
    previous = None if before is None else snapshot(before, run_id=1)
    current = snapshot(after, findings=findings)
    return compute_drift(previous, current, ROADMAP, alignment_history=history, today=TODAY)


def membership(drift: Drift) -> dict[str | None, tuple[list[str], list[str]]]:
    """Per bucket with any change: entered and left as 'KEY new|removed|moved <other>'."""

    def said(entries: Sequence[Entry]) -> list[str]:
        return [
            f"{e.item.key} {e.change} {e.other}"
            if e.change == "moved"
            else f"{e.item.key} {e.change}"
            for e in entries
        ]

    return {
        r.release_id: (said(r.entered), said(r.left)) for r in drift.releases if r.entered or r.left
    }


MEMBERSHIP = [
    pytest.param(
        [], [row("ACME-1", "r1")],
        {"r1": (["ACME-1 new"], [])},
        id="new-item-enters-its-release",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [],
        {"r1": ([], ["ACME-1 removed"])},
        id="item-gone-from-jira-leaves",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", "r2")],
        {"r1": ([], ["ACME-1 moved r2"]), "r2": (["ACME-1 moved r1"], [])},
        id="move-between-releases",
    ),
    pytest.param(
        [row("ACME-1", None, ORPHAN)], [row("ACME-1", "r3")],
        {None: ([], ["ACME-1 moved r3"]), "r3": (["ACME-1 moved None"], [])},
        id="orphan-claimed-by-a-release",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", None, OOS, scheduled="r1")],
        {},
        id="planned-to-scheduled-same-release-is-no-move",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", "r1", OOS, scheduled="r2")],
        {},
        id="planned-release-wins-over-scheduled",
    ),
    pytest.param(
        [row("ACME-1", "r1"), row("ACME-2", "r2")], [row("ACME-1", "r1"), row("ACME-2", "r2")],
        {},
        id="unchanged-backlog-no-change",
    ),
    pytest.param(
        [row("ACME-1", "gone")], [row("ACME-1", None, ORPHAN)],
        {},
        id="release-dropped-from-roadmap-counts-as-unplanned",
    ),
    pytest.param(
        [row("ACME-10", "r1"), row("ACME-9", "r1")], [row("ACME-2", "r1"), row("ACME-11", "r1")],
        {"r1": (["ACME-2 new", "ACME-11 new"], ["ACME-9 removed", "ACME-10 removed"])},
        id="lists-in-natural-key-order",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "expected"), MEMBERSHIP)
def test_entered_left_and_moved(
    before: list[ItemSnapshot],
    after: list[ItemSnapshot],
    expected: dict[str | None, tuple[list[str], list[str]]],
) -> None:
    """Items enter and leave buckets when new, removed, or moved to another release."""
    assert membership(drift_of(before, after)) == expected


def test_moves_listed_once_at_roadmap_level() -> None:
    """A move appears once in Drift.moves with its source and target bucket."""
    drift = drift_of(
        [row("ACME-1", "r1"), row("ACME-2", None, ORPHAN), row("ACME-3", "r2")],
        [row("ACME-1", "r2"), row("ACME-2", "r1"), row("ACME-3", "r2"), row("ACME-4", "r3")],
    )
    assert [(m.key, m.source, m.target) for m in drift.moves] == [
        ("ACME-1", "r1", "r2"),
        ("ACME-2", None, "r1"),
    ]


SCOPE = [
    pytest.param(
        [row("ACME-1", "r1", points=3)],
        [row("ACME-1", "r1", points=5), row("ACME-2", "r1", points=2)],
        (1, 2, 3.0, 7.0),
        id="grows-by-new-item-and-re-estimate",
    ),
    pytest.param(
        [row("ACME-1", "r1", points=3), row("ACME-2", "r1", points=8)],
        [row("ACME-1", "r1", points=3)],
        (2, 1, 11.0, 3.0),
        id="shrinks-when-item-leaves",
    ),
    pytest.param(
        [row("ACME-1", "r1", points=3)], [row("ACME-1", "r1", done=True, points=3)],
        (1, 1, 3.0, 3.0),
        id="done-items-stay-in-scope",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", "r1"), row("ACME-2", "r1", points=None)],
        (1, 2, 0.0, 0.0),
        id="unestimated-items-count-zero-points",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "expected"), SCOPE)
def test_scope_change_in_items_and_points(
    before: list[ItemSnapshot], after: list[ItemSnapshot], expected: tuple[int, int, float, float]
) -> None:
    """A release's item count and story points, open and done, before and now."""
    r1 = drift_of(before, after).release("r1")
    assert r1.before is not None
    assert (r1.before.items, r1.now.items, r1.before.points, r1.now.points) == expected
    assert r1.items_delta == expected[1] - expected[0]
    assert r1.points_delta == expected[3] - expected[2]


def flag_changes(drift: Drift) -> dict[str | None, tuple[list[str], list[str]]]:
    """Per bucket with any flag change: newly flagged and cleared as 'KEY flag'."""
    return {
        r.release_id: (
            [f"{c.item.key} {c.flag}" for c in r.newly_flagged],
            [f"{c.item.key} {c.flag}" for c in r.cleared],
        )
        for r in drift.releases
        if r.newly_flagged or r.cleared
    }


FLAGS = [
    pytest.param(
        [], [row("ACME-1", None, ORPHAN)],
        {None: (["ACME-1 orphan"], [])},
        id="new-orphan-is-newly-flagged",
    ),
    pytest.param(
        [row("ACME-1", None, ORPHAN)], [row("ACME-1", "r1")],
        {None: ([], ["ACME-1 orphan"])},
        id="orphan-claimed-is-cleared-where-the-flag-was",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", "r1", OOS, scheduled="r2")],
        {"r1": (["ACME-1 out_of_scope"], [])},
        id="rescheduled-elsewhere-becomes-out-of-scope",
    ),
    pytest.param(
        [row("ACME-1", None, OOS, scheduled="r2")],
        [row("ACME-1", None, OOS, scheduled="r2", done=True)],
        {"r2": ([], ["ACME-1 out_of_scope"])},
        id="done-item-loses-its-flag",
    ),
    pytest.param(
        [row("ACME-1", None, ORPHAN)], [row("ACME-1", None, OOS, scheduled="r2")],
        {None: ([], ["ACME-1 orphan"]), "r2": (["ACME-1 out_of_scope"], [])},
        id="orphan-to-out-of-scope-clears-one-flag-raises-other",
    ),
    pytest.param(
        [row("ACME-1", None, ORPHAN)], [],
        {},
        id="removed-flagged-item-is-left-not-cleared",
    ),
    pytest.param(
        [row("ACME-1", None, ORPHAN)], [row("ACME-1", None, ORPHAN)],
        {},
        id="still-flagged-is-no-change",
    ),
    pytest.param(
        [], [row("ACME-1", None, ORPHAN, done=True), row("ACME-2", None, IGNORED)],
        {},
        id="done-and-ignored-items-are-never-flagged",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "expected"), FLAGS)
def test_newly_flagged_and_cleared(
    before: list[ItemSnapshot],
    after: list[ItemSnapshot],
    expected: dict[str | None, tuple[list[str], list[str]]],
) -> None:
    """Orphan and out-of-scope flags raised or cleared since the previous run."""
    assert flag_changes(drift_of(before, after)) == expected


def test_flag_counts_now_and_before() -> None:
    """Open flagged items are counted per bucket and for the roadmap, now and before."""
    before = [row("ACME-1", None, ORPHAN), row("ACME-2", None, OOS, scheduled="r1")]
    after = [row("ACME-1", None, ORPHAN), row("ACME-3", None, ORPHAN), row("ACME-2", "r1")]
    drift = drift_of(before, after)
    assert (drift.flags, drift.previous_flags) == (Flags(2, 0), Flags(1, 1))
    assert (drift.release(None).flags, drift.release(None).flags_before) == (
        Flags(2, 0),
        Flags(1, 0),
    )
    assert (drift.release("r1").flags, drift.release("r1").flags_before) == (
        Flags(0, 0),
        Flags(0, 1),
    )


PROGRESS = [
    pytest.param([], Tally(0, 0.0, 0, 0.0), None, id="empty-release"),
    pytest.param(
        [row("ACME-1", "r1", done=True, points=3), row("ACME-2", "r1", points=5)],
        Tally(2, 8.0, 1, 3.0), 0.5,
        id="half-the-items-done",
    ),
    pytest.param(
        [row("ACME-1", "r1", done=True), row("ACME-2", None, OOS, scheduled="r1", done=True)],
        Tally(2, 0.0, 2, 0.0), 1.0,
        id="all-done-without-points",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("after", "tally", "share"), PROGRESS)
def test_progress_done_over_total(
    after: list[ItemSnapshot], tally: Tally, share: float | None
) -> None:
    """Done/total in items and story points for a release."""
    r1 = drift_of([], after).release("r1")
    assert r1.now == tally
    assert r1.now.done_share == share


OVERDUE = [
    pytest.param([row("ACME-1", "r1")], (), True, id="past-end-date-with-open-items"),
    pytest.param([row("ACME-1", "r1", done=True)], (), False, id="past-end-date-all-done"),
    pytest.param([], (), False, id="past-end-date-empty"),
    pytest.param(
        [], (Finding(FindingKind.OVERDUE_RELEASE, "r1", "r1", "due"),), True,
        id="classifier-finding-says-overdue",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("after", "findings", "overdue"), OVERDUE)
def test_overdue_release(
    after: list[ItemSnapshot], findings: tuple[Finding, ...], overdue: bool
) -> None:
    """A release is overdue from a finding, or past its end date with open items."""
    drift = drift_of([], after, findings=findings)
    assert drift.release("r1").overdue is overdue
    assert not drift.release("r2").overdue  # not due yet
    assert not drift.release(None).overdue  # the unplanned bucket has no date


def test_uncovered_features_per_release() -> None:
    """Uncovered-feature findings are listed under their release, once each."""
    findings = [
        Finding(FindingKind.UNCOVERED_FEATURE, "r2", "Sign-in", "no item"),
        Finding(FindingKind.UNCOVERED_FEATURE, "r2", "Sign-in", "no item"),
        Finding(FindingKind.UNKNOWN_EPIC, "r2", "ACME-200", "unknown"),
        Finding(FindingKind.UNCOVERED_FEATURE, "r3", "Points", "no item"),
    ]
    drift = drift_of([], [], findings=findings)
    assert [(r.release_id, r.uncovered_features) for r in drift.releases] == [
        ("r1", ()),
        ("r2", ("Sign-in",)),
        ("r3", ("Points",)),
        (None, ()),
    ]


def test_releases_in_roadmap_order_then_unplanned() -> None:
    """Buckets follow the roadmap's date order, the unplanned bucket last."""
    assert [r.release_id for r in drift_of(None, []).releases] == ["r1", "r2", "r3", None]


def test_first_report_everything_entered_no_deltas() -> None:
    """Without a previous snapshot every item entered, every flag is new, deltas are None."""
    after = [row("ACME-1", "r1", points=2), row("ACME-2", None, ORPHAN), row("ACME-3", "r2")]
    drift = drift_of(None, after)
    assert drift.first
    assert membership(drift) == {
        "r1": (["ACME-1 new"], []),
        "r2": (["ACME-3 new"], []),
        None: (["ACME-2 new"], []),
    }
    assert flag_changes(drift) == {None: (["ACME-2 orphan"], [])}
    assert drift.moves == ()
    r1 = drift.release("r1")
    assert (r1.before, r1.items_delta, r1.points_delta, r1.flags_before) == (None, None, None, None)
    assert (drift.previous_alignment, drift.alignment_delta) == (None, None)
    assert (drift.previous_verdicts, drift.previous_flags, drift.previous_taken_at) == (
        None,
        None,
        None,
    )


ALIGNMENT = [
    pytest.param(
        [row("ACME-1", "r1"), row("ACME-2", None, ORPHAN)],
        [row("ACME-1", "r1"), row("ACME-2", "r1")],
        (1.0, 0.5, 0.5),
        id="orphan-claimed-raises-alignment",
    ),
    pytest.param(
        [row("ACME-1", "r1")],
        [row("ACME-1", "r1"), row("ACME-2", None, OOS, scheduled="r1"),
         row("ACME-3", None, ORPHAN)],
        (1 / 3, 1.0, 1 / 3 - 1.0),
        id="unplanned-work-lowers-alignment",
    ),
    pytest.param(
        [row("ACME-1", "r1")], [row("ACME-1", "r1", done=True), row("ACME-2", None, IGNORED)],
        (None, 1.0, None),
        id="no-open-counted-items-no-score",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "expected"), ALIGNMENT)
def test_alignment_now_previous_and_delta(
    before: list[ItemSnapshot],
    after: list[ItemSnapshot],
    expected: tuple[float | None, float | None, float | None],
) -> None:
    """Alignment score of both snapshots and the change between them."""
    drift = drift_of(before, after)
    assert (drift.alignment, drift.previous_alignment, drift.alignment_delta) == pytest.approx(
        expected
    )


def test_alignment_trend_appends_current_run() -> None:
    """The trend is the history, oldest first, then this run; later or same-time points dropped."""
    history = [
        (NOW - 2 * WEEK, 0.4),
        (NOW - WEEK, 0.5),
        (NOW, 0.99),  # the store already recorded this run: the snapshot's own score wins
        (NOW + WEEK, 0.1),  # a later run, when a report is regenerated for an older one
    ]
    drift = drift_of([], [row("ACME-1", "r1"), row("ACME-2", None, ORPHAN)], history=history[::-1])
    assert drift.trend == (
        TrendPoint(NOW - 2 * WEEK, 0.4),
        TrendPoint(NOW - WEEK, 0.5),
        TrendPoint(NOW, 0.5),
    )


def test_alignment_trend_without_current_score() -> None:
    """A run with nothing to score adds no point to the trend."""
    drift = drift_of(None, [], history=[(NOW - WEEK, 0.7)])
    assert drift.trend == (TrendPoint(NOW - WEEK, 0.7),)


def test_verdict_counts_now_and_before() -> None:
    """Every item, open or done, is counted by verdict in each snapshot and each bucket."""
    before = [row("ACME-1", "r1"), row("ACME-2", None, ORPHAN)]
    after = [
        row("ACME-1", "r1", done=True),
        row("ACME-3", None, OOS, scheduled="r1"),
        row("ACME-4", "r1", IGNORED),
        row("ACME-5", None, ORPHAN),
    ]
    drift = drift_of(before, after)
    assert drift.verdicts == VerdictCounts(aligned=1, out_of_scope=1, orphan=1, ignored=1)
    assert drift.previous_verdicts == VerdictCounts(aligned=1, orphan=1)
    assert drift.release("r1").verdicts == VerdictCounts(aligned=1, out_of_scope=1, ignored=1)
    assert drift.verdicts.total == 4


@pytest.mark.parametrize(
    ("keys", "ordered"),
    [
        (["ACME-10", "ACME-9", "ACME-100"], ["ACME-9", "ACME-10", "ACME-100"]),
        (["WEB-2", "ACME-3", "ACME-20"], ["ACME-3", "ACME-20", "WEB-2"]),
        (["odd", "ACME-1"], ["ACME-1", "odd"]),
        # A digit int() cannot read (isdigit() says yes to it) sorts as text, not a crash.
        (["ACME-²", "ACME-2"], ["ACME-2", "ACME-²"]),
        (["A-B-12", "A-B-3"], ["A-B-3", "A-B-12"]),
    ],
)
def test_key_order_is_natural(keys: list[str], ordered: list[str]) -> None:
    """Issue keys sort by project, then by number."""
    assert sorted(keys, key=key_order) == ordered


@pytest.mark.parametrize("first_report", [True, False])
def test_lists_are_in_key_order_whatever_order_the_snapshots_hold(first_report: bool) -> None:
    """A stored snapshot lists its items in key order and drift then skips sorting its long
    lists; one built in another order still gives every list (entered, left, flags, moves)
    in key order. 1,200 items: lists this long are where the order is checked."""
    numbers = list(range(1, 1201))
    random.Random(5).shuffle(numbers)
    before = None if first_report else [row(f"ACME-{n}", "r2") for n in (*numbers, 5000, 4000)]
    after = [
        row(f"ACME-{n}", "r1" if n % 2 else None, A if n % 2 else ORPHAN) for n in numbers
    ]  # odd: moved r2 -> r1; even: left r2, now unplanned and flagged; 4000, 5000: removed
    shuffled = drift_of(before, after)
    stored = drift_of(
        None if before is None else sorted(before, key=lambda r: key_order(r.key)),
        sorted(after, key=lambda r: key_order(r.key)),
    )
    assert shuffled == stored
    lists = [
        [entry.item.key for entry in found]
        for section in shuffled.releases
        for found in (section.entered, section.left, section.newly_flagged, section.cleared)
    ]
    lists.append([move.key for move in shuffled.moves])
    # First: 1,200 entered, 600 flagged. Else also 1,202 left (2 removed) and 1,200 moves.
    assert sum(map(len, lists)) == (1_800 if first_report else 4_202)
    for keys in lists:
        assert keys == sorted(keys, key=key_order)
