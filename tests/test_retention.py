"""The retention policy: what ROADMAP_SYNC_RETENTION accepts, and which snapshots it keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from roadmap_sync.core.retention import (
    DEFAULT_RETENTION,
    RetentionError,
    RetentionPolicy,
    snapshots_to_keep,
)

DAY = dt.timedelta(days=1)
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "detail", "weekly", "runs"),
    [
        (DEFAULT_RETENTION, 90, None, None),
        ("", 90, None, None),
        ("detail=30d", 30, None, None),
        (" Detail = 2w , weekly = 1y ", 14, 365, None),
        ("detail=forever", None, None, None),
        ("detail=7d,weekly=30d,runs=1y", 7, 30, 365),
    ],
)
def test_policy_parses(text: str, detail: int | None, weekly: int | None, runs: int | None) -> None:
    """Durations in days, weeks or years, or forever; parts left out keep their default."""
    policy = RetentionPolicy.parse(text)

    def days(value: dt.timedelta | None) -> int | None:
        return None if value is None else value.days

    assert (days(policy.detail), days(policy.weekly), days(policy.runs)) == (detail, weekly, runs)
    assert RetentionPolicy.parse(str(policy)) == policy


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("detail=90", "days, weeks or years"),
        ("details=90d", "name one of detail, weekly, runs"),
        ("detail", "name=duration"),
        ("detail=9d,detail=10d", "given twice"),
        ("detail=90d,runs=30d", "at least as long"),
        ("detail=30d,runs=1y", "at least as long"),  # weekly=forever outlives the runs
    ],
)
def test_bad_policies_say_what_is_expected(text: str, problem: str) -> None:
    """A policy that cannot be understood is refused with what was expected."""
    with pytest.raises(RetentionError, match=problem):
        RetentionPolicy.parse(text)


def test_recent_snapshots_and_each_weeks_newest_are_kept() -> None:
    """Inside detail: all; older: the newest of each ISO week, within weekly; always the last."""
    policy = RetentionPolicy.parse("detail=7d,weekly=28d")
    snapshots = [(n, NOW - n * DAY) for n in range(40)]  # id n taken n days ago
    kept = snapshots_to_keep(snapshots, policy, NOW)
    recent = set(range(8))  # 7 days ago exactly is still inside
    # Older than 7 days, up to 28: Sundays, the newest day of each ISO week.
    weekly = {n for n in range(8, 29) if (NOW - n * DAY).isoweekday() == 7}
    assert kept == recent | weekly


def test_the_newest_snapshot_is_always_kept() -> None:
    """Even past every horizon, the newest snapshot stays: the next sync starts from it."""
    policy = RetentionPolicy.parse("detail=1d,weekly=1d")
    assert snapshots_to_keep([(5, NOW - 300 * DAY), (4, NOW - 400 * DAY)], policy, NOW) == {5}
    assert snapshots_to_keep([], policy, NOW) == set()
