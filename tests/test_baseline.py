"""Release scope baselines: what entered and left a release since it was baselined, by whom."""

from __future__ import annotations

import datetime as dt

import pytest

from roadmap_sync.core.baseline import (
    Baseline,
    FieldChange,
    ScopeChangeKind,
    ScopeItem,
    Tally,
    baseline_due,
    growth_since,
)

AT = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
DATE = dt.date(2026, 12, 15)
BASE = Baseline("r2", AT, DATE, {"A-1": 3.0, "A-2": 5.0, "A-3": 2.0})


def item(
    key: str, points: float = 1.0, created: dt.date | None = dt.date(2026, 10, 1)
) -> ScopeItem:
    """A scope item created before the baseline unless told otherwise."""
    return ScopeItem(key, points, created)


def test_unchanged_scope_has_no_growth() -> None:
    """The same items: nothing added, removed or moved; growth 0."""
    now = {k: item(k, p) for k, p in BASE.members.items()}
    growth = growth_since(BASE, now, frozenset(now), DATE)
    assert (growth.added, growth.removed, growth.moved_in, growth.moved_out) == (Tally(),) * 4
    assert growth.growth == 0 and growth.redated is None and growth.unplanned_share == 0


def test_every_kind_of_scope_change() -> None:
    """New work is added, older work moved in; gone items removed, re-planned ones moved out."""
    now = {
        "A-1": item("A-1", 3),
        "A-9": item("A-9", 8, created=dt.date(2026, 11, 25)),  # filed after the baseline
        "A-5": item("A-5", 2, created=dt.date(2026, 9, 1)),  # older, from another release
    }
    backlog = frozenset({"A-1", "A-9", "A-5", "A-2"})  # A-3 left the backlog
    growth = growth_since(BASE, now, backlog, dt.date(2027, 1, 15))
    assert growth.added == Tally(1, 8.0)
    assert growth.moved_in == Tally(1, 2.0)
    assert growth.moved_out == Tally(1, 5.0)  # A-2, now elsewhere
    assert growth.removed == Tally(1, 2.0)
    assert growth.redated == (DATE, dt.date(2027, 1, 15))
    assert growth.growth == 0  # three in, three out
    assert growth.unplanned_share == pytest.approx(2 / 3)
    kinds = {change.key: change.kind for change in growth.changes}
    assert kinds == {
        "A-9": ScopeChangeKind.ADDED, "A-5": ScopeChangeKind.MOVED_IN,
        "A-2": ScopeChangeKind.MOVED_OUT, "A-3": ScopeChangeKind.REMOVED,
    }  # fmt: skip


def test_who_and_when_come_from_the_changelog() -> None:
    """A moved item names the latest scheduling change after the baseline and its author."""
    moved = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    log = {
        "A-5": [
            FieldChange("A-5", AT - dt.timedelta(days=30), "Old Hand", "fixVersion", None, "x"),
            FieldChange("A-5", moved, "Pat Person", "fixVersion", "2027.02", "2026.12"),
        ]
    }
    now = {**{k: item(k) for k in BASE.members}, "A-5": item("A-5")}
    (change,) = growth_since(BASE, now, frozenset(now), DATE, log).changes
    assert (change.key, change.who, change.at) == ("A-5", "Pat Person", moved)


@pytest.mark.parametrize(
    ("release", "committed", "next_release", "due"),
    [
        pytest.param("r2", None, "r2", True, id="becomes-next"),
        pytest.param("r3", dt.date(2026, 11, 1), "r2", True, id="committed-earlier"),
        pytest.param("r3", dt.date(2026, 12, 1), "r2", False, id="committed-later"),
        pytest.param("r3", None, "r2", False, id="neither"),
    ],
)
def test_baseline_due(
    release: str, committed: dt.date | None, next_release: str, due: bool
) -> None:
    """A release is baselined when it becomes next or on its committed date."""
    assert baseline_due(release, committed, next_release, dt.date(2026, 11, 23)) is due


def test_empty_baseline_has_no_growth_share() -> None:
    """A release baselined empty cannot grow by a share."""
    empty = Baseline("r4", AT, DATE, {})
    growth = growth_since(empty, {"A-1": item("A-1")}, frozenset({"A-1"}), DATE)
    assert growth.growth is None and growth.moved_in == Tally(1, 1.0)
