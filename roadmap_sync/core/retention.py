"""How long run history is kept: the retention policy and which snapshots it keeps.

Pure: a policy parsed from ``ROADMAP_SYNC_RETENTION`` (for example
``detail=90d,weekly=forever,runs=forever``) and the choice of snapshots to keep; the state
store deletes the rest. Three horizons:

- ``detail``: every run's snapshot and audit rows are kept this long (the weekly report diffs
  any two of them, ``revert`` undoes any of those runs);
- ``weekly``: older than that, the newest snapshot of each ISO week is kept this long;
- ``runs``: every run's summary row (counts, alignment: ``history`` and the trend) this long.

The newest snapshot of a roadmap is always kept: the next incremental sync starts from it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_RETENTION", "RetentionError", "RetentionPolicy", "snapshots_to_keep"]

DEFAULT_RETENTION: Final = "detail=90d,weekly=forever,runs=forever"
_PARTS: Final = ("detail", "weekly", "runs")
_DURATION = re.compile(r"(\d+)([dwy])")
_UNIT_DAYS: Final = {"d": 1, "w": 7, "y": 365}


class RetentionError(ValueError):
    """A retention setting that cannot be understood; the message says what is expected."""


def _duration(name: str, text: str) -> dt.timedelta | None:
    """``90d``, ``12w``, ``2y`` or ``forever`` (None)."""
    if text == "forever":
        return None
    found = _DURATION.fullmatch(text)
    if found is None:
        raise RetentionError(
            f"{name}={text!r}: expected a number of days, weeks or years (90d, 12w, 1y) "
            "or 'forever'"
        )
    return dt.timedelta(days=int(found.group(1)) * _UNIT_DAYS[found.group(2)])


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind of history is kept (None: forever)."""

    detail: dt.timedelta | None = dt.timedelta(days=90)
    weekly: dt.timedelta | None = None
    runs: dt.timedelta | None = None

    @classmethod
    def parse(cls, text: str) -> RetentionPolicy:
        """Parse ``detail=90d,weekly=forever,runs=forever``; parts left out keep the default."""
        values: dict[str, dt.timedelta | None] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, sep, value = (s.strip().lower() for s in part.partition("="))
            if not sep or name not in _PARTS:
                raise RetentionError(
                    f"{part!r}: expected name=duration with name one of {', '.join(_PARTS)} "
                    f"(e.g. {DEFAULT_RETENTION})"
                )
            if name in values:
                raise RetentionError(f"{name} is given twice")
            values[name] = _duration(name, value)
        policy = cls(**values)
        runs = policy.runs
        if runs is not None and any(
            kept is None or kept > runs for kept in (policy.detail, policy.weekly)
        ):
            # A snapshot without its run row could not be found or explained.
            raise RetentionError(f"runs={runs.days}d must be at least as long as detail and weekly")
        return policy

    def __str__(self) -> str:
        def text(value: dt.timedelta | None) -> str:
            return "forever" if value is None else f"{value.days}d"

        return f"detail={text(self.detail)},weekly={text(self.weekly)},runs={text(self.runs)}"

    def detail_cutoff(self, now: dt.datetime) -> dt.datetime | None:
        """Runs started before this lose their item-level detail (None: nothing does)."""
        return None if self.detail is None else now - self.detail

    def runs_cutoff(self, now: dt.datetime) -> dt.datetime | None:
        """Runs started before this are deleted altogether (None: never)."""
        return None if self.runs is None else now - self.runs


def snapshots_to_keep(
    snapshots: Iterable[tuple[int, dt.datetime]], policy: RetentionPolicy, now: dt.datetime
) -> set[int]:
    """Which of one roadmap's snapshots (id, taken at) the policy keeps."""
    ordered: Sequence[tuple[int, dt.datetime]] = sorted(snapshots, key=lambda s: (s[1], s[0]))
    if not ordered:
        return set()
    keep = {ordered[-1][0]}  # the newest: the base of the next incremental sync
    detail = policy.detail_cutoff(now)
    weekly = None if policy.weekly is None else now - policy.weekly
    newest_of_week: dict[tuple[int, int], int] = {}
    for ident, taken in ordered:
        if detail is None or taken >= detail:
            keep.add(ident)
        elif weekly is None or taken >= weekly:
            year, week, _ = taken.isocalendar()
            newest_of_week[(year, week)] = ident  # ordered oldest first: the last one wins
    keep.update(newest_of_week.values())
    return keep
