"""Number and date formatting shared by the text renderings, so every format says the same."""

from __future__ import annotations

import datetime as dt

__all__ = ["day", "number", "percent", "percent_points", "signed"]

NONE = "–"  # an en dash: "no value", distinct from a minus sign


def number(value: float) -> str:
    """12 for 12.0, 12.5 for 12.5: story points are whole numbers far more often than not."""
    return str(round(value)) if float(value).is_integer() else f"{value:.1f}"


def signed(value: float | None) -> str:
    """+3, -2, ±0; the dash for an unknown change (first report)."""
    if value is None:
        return NONE
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "-") + number(abs(value))


def percent(share: float | None) -> str:
    """72% for 0.72; the dash when there is nothing to take a share of."""
    return NONE if share is None else f"{round(share * 100)}%"


def percent_points(delta: float | None) -> str:
    """A change of a share in percentage points: +4 pts for 0.04."""
    if delta is None:
        return NONE
    points = round(delta * 100)
    return "±0 pts" if points == 0 else f"{points:+d} pts"


def day(moment: dt.date | dt.datetime) -> str:
    """The calendar day, ISO style: unambiguous for every reader."""
    return moment.date().isoformat() if isinstance(moment, dt.datetime) else moment.isoformat()
