"""JQL date values: absolute dates, relative periods and date functions.

Jira compares datetime fields at minute precision, so every instant is reduced to a *minute
key*: the UTC time formatted ``YYYY-MM-DDTHH:MM``. Such keys order lexicographically exactly
as the instants order chronologically, and issue timestamps stored as ``...+0000`` (the
sandbox's canonical form) yield their key by slicing, with no parsing on the hot path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from roadmap_sync.jql.ast import FunctionCall, JqlError

FORMAT_HELP = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
)

_ABSOLUTE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{1,2}))?")
_PERIOD = re.compile(r"([-+]?)((?:\s*\d+\s*[wdhm])+)\s*", re.IGNORECASE)
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_PERIOD_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_UTC_SUFFIXES = ("+0000", "Z", "+00:00")

# Function offsets: (+/-)n followed by an optional unit; units ordered smallest first.
_OFFSET = re.compile(r"([-+]?)(\d+)([yMwdhm]?)")
_UNIT_RANK = {"m": 0, "h": 1, "d": 2, "w": 3, "M": 4, "y": 5}
_CANONICAL = {
    name.lower(): name
    for name in (
        "now",
        "startOfDay",
        "endOfDay",
        "startOfWeek",
        "endOfWeek",
        "startOfMonth",
        "endOfMonth",
        "startOfYear",
        "endOfYear",
    )
}
DATE_FUNCTIONS = frozenset(_CANONICAL)
_NATURAL_UNIT = {"ofday": "d", "ofweek": "w", "ofmonth": "M", "ofyear": "y"}


def minute_key(moment: datetime) -> str:
    """The minute key of an aware datetime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def issue_minute_key(raw: object) -> str | None:
    """Minute key of an issue timestamp such as ``2026-03-04T10:15:30.000+0000``; None if unset."""
    if not isinstance(raw, str) or not raw:
        return None
    if len(raw) >= 16 and raw[10] == "T" and raw.endswith(_UTC_SUFFIXES):
        return raw[:16]
    moment = parse_timestamp(raw)
    return None if moment is None else minute_key(moment)


def parse_timestamp(raw: object) -> datetime | None:
    """Parse an ISO-8601 issue timestamp (naive ones are taken as UTC); None if unusable."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def invalid_date(value: str, field: str) -> str:
    """Jira's message for a date value it cannot understand."""
    return f"Date value '{value}' for field '{field}' is invalid. {FORMAT_HELP}"


def parse_date_value(value: str, now: datetime) -> datetime | None:
    """Interpret a date literal: an absolute date (UTC) or a period relative to ``now``."""
    text = value.strip()
    absolute = _ABSOLUTE.fullmatch(text)
    if absolute:
        year, _, month, day, hour, minute = absolute.groups()
        try:
            return datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=UTC
            )
        except ValueError:  # e.g. 2026-02-30 or 25:00
            return None
    period = _PERIOD.fullmatch(text)
    if period:
        minutes = sum(
            int(n) * _PERIOD_MINUTES[unit.lower()] for n, unit in _PERIOD_PART.findall(text)
        )
        sign = -1 if period.group(1) == "-" else 1
        try:
            return now + timedelta(minutes=sign * minutes)
        except OverflowError:  # e.g. "-99999999w"
            return None
    return None


def evaluate_function(call: FunctionCall, now: datetime) -> datetime:
    """Evaluate a date function; raises :class:`JqlError` for unknown functions or bad args."""
    key = call.name.lower()
    if key not in _CANONICAL:
        raise JqlError([f"Unable to find JQL function '{call.name}()'."])
    name = _CANONICAL[key]
    if key == "now":
        if call.args:
            raise JqlError(
                [f"Function 'now' expected '0' arguments but received '{len(call.args)}'."]
            )
        return now
    if len(call.args) > 1:
        raise JqlError(
            [
                f"Function '{name}' expected between '0' and '1' arguments but received "
                f"'{len(call.args)}'."
            ]
        )
    natural = _NATURAL_UNIT[key.removeprefix("start").removeprefix("end")]
    sign, amount, unit = 1, 0, natural
    if call.args:
        match = _OFFSET.fullmatch(call.args[0].strip())
        if match is None:
            raise JqlError([_duration_message(name)])
        sign = -1 if match.group(1) == "-" else 1
        amount, unit = int(match.group(2)), match.group(3) or natural
    at_end = key.startswith("end")
    try:
        return _offset_boundary(now, sign * amount, unit, natural, at_end)
    except (OverflowError, ValueError):  # an offset that leaves datetime's range
        raise JqlError([_duration_message(name)]) from None


def _offset_boundary(now: datetime, amount: int, unit: str, natural: str, at_end: bool) -> datetime:
    # Offsets in the function's own unit (or coarser) move the period itself, so that
    # endOfMonth(-1) is the end of last month; finer offsets shift within the period, so
    # that startOfMonth("+14d") is the 15th of this month. This mirrors Jira's examples.
    if _UNIT_RANK[unit] >= _UNIT_RANK[natural]:
        return _boundary(_shift(now, amount, unit), natural, at_end)
    return _shift(_boundary(now, natural, at_end), amount, unit)


def _duration_message(name: str) -> str:
    return (
        f"Duration for function '{name}' should have the format (+/-)n(yMwdm), "
        "e.g -1M for 1 month earlier."
    )


def _boundary(moment: datetime, unit: str, at_end: bool) -> datetime:
    """Start (or last microsecond) of the day/week/month/year containing ``moment``."""
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        # Weeks start on Sunday, as in Jira's default (en_US) locale.
        start -= timedelta(days=(start.weekday() + 1) % 7)
    elif unit == "M":
        start = start.replace(day=1)
    elif unit == "y":
        start = start.replace(month=1, day=1)
    if not at_end:
        return start
    return _shift(start, 1, unit) - timedelta(microseconds=1)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    """Add ``amount`` units; months and years move on the calendar, clamping the day."""
    if unit in ("M", "y"):
        months = moment.year * 12 + moment.month - 1 + (amount * 12 if unit == "y" else amount)
        year, month = divmod(months, 12)
        return moment.replace(
            year=year, month=month + 1, day=min(moment.day, _days_in(year, month + 1))
        )
    minutes = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}[unit]
    return moment + timedelta(minutes=amount * minutes)


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
