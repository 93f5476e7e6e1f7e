"""Field types of the roadmap file: item and project keys, slugs, labels, dates, timeframes.

Each validator raises ValueError with a message written for the person editing the YAML; the
loader prints it after the file, line and location. What a key looks like is the tracker's
business: a ``KeySyntax`` passed in the validation context (``{"key_syntax": ...}``) checks
keys; without one, a key need only be a word without spaces. Likewise a ``QuerySyntax``
(``{"query_syntax": ...}``) checks the extra query of ``tracker.jql``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated, Protocol

from pydantic import AfterValidator, BeforeValidator, StringConstraints, ValidationInfo

__all__ = [
    "MAX_LABEL",
    "IsoDate",
    "ItemKey",
    "KeySyntax",
    "Label",
    "LongText",
    "Paragraph",
    "ProjectKey",
    "QuerySyntax",
    "Slug",
    "Text",
    "Timeframe",
    "TrackerQuery",
    "timeframe_end",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMEFRAME = re.compile(
    r"^(?P<year>\d{4})-(?:Q(?P<quarter>[1-4])|H(?P<half>[12])|(?P<month>0[1-9]|1[0-2]))$"
)
MAX_LABEL = 255  # Jira rejects longer labels
# Names (product, releases, features, types, statuses) are headings; a goal or a metric is a
# sentence or two; a description a paragraph. Beyond these a value is a mistake (a 50 MB
# product name was repeated in every log line).
MAX_NAME = 255
MAX_SENTENCE = 2_000
MAX_PARAGRAPH = 10_000


class KeySyntax(Protocol):
    """How a tracker's keys look; each check returns a message for the YAML's author, or None."""

    def project_key_problem(self, value: str) -> str | None:
        """Why `value` is not a project key of this tracker (None if it is one)."""
        ...

    def item_key_problem(self, value: str) -> str | None:
        """Why `value` is not an item (issue) key of this tracker (None if it is one)."""
        ...


class QuerySyntax(Protocol):
    """How a tracker checks a roadmap's extra query before anything is sent."""

    def query_problem(self, value: str) -> str | None:
        """Why `value` cannot narrow a roadmap's scope (None if it can)."""
        ...


def _key_syntax(info: ValidationInfo) -> KeySyntax | None:
    context = info.context
    if not isinstance(context, dict):
        return None
    syntax: KeySyntax | None = context.get("key_syntax")
    return syntax


def _checked_key(value: str, problem: str | None, what: str) -> str:
    if problem:
        raise ValueError(problem)
    if not value or any(char.isspace() for char in value):
        raise ValueError(f"{value!r} is not {what} (a key has no spaces)")
    return value


def _item_key(value: str, info: ValidationInfo) -> str:
    syntax = _key_syntax(info)
    problem = syntax.item_key_problem(value) if syntax is not None else None
    return _checked_key(value, problem, "an item key")


def _project_key(value: str, info: ValidationInfo) -> str:
    syntax = _key_syntax(info)
    problem = syntax.project_key_problem(value) if syntax is not None else None
    return _checked_key(value, problem, "a project key")


def _tracker_query(value: str, info: ValidationInfo) -> str:
    context = info.context
    syntax: QuerySyntax | None = context.get("query_syntax") if isinstance(context, dict) else None
    problem = syntax.query_problem(value) if syntax is not None else None
    if problem:
        raise ValueError(f"{value!r} is not a query that narrows the scope: {problem}")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a release id (lowercase letters, digits, '-'; like r1)")
    return value


def _printable(value: str) -> str:
    """Refuse control characters (an escaped "\\x00" in a quoted YAML string is one)."""
    for char in value:
        if (ord(char) < 32 and char not in "\n\t") or 0x7F <= ord(char) < 0xA0:
            raise ValueError(f"contains the control character U+{ord(char):04X}")
    return value


def _label(value: str) -> str:
    if not value:
        raise ValueError("a label must not be empty")
    _printable(value)
    if any(char.isspace() for char in value):
        raise ValueError(f"label {value!r} contains whitespace, which Jira labels cannot")
    if len(value) > MAX_LABEL:
        raise ValueError(f"label {value[:30]!r}... has {len(value)} characters; Jira allows 255")
    return value


def timeframe_end(timeframe: str) -> dt.date:
    """Last day of a timeframe: ``2026-Q4`` -> 2026-12-31, ``2026-H1`` -> 2026-06-30, ``2026-11``
    -> 2026-11-30."""
    found = _TIMEFRAME.match(timeframe)
    if found is None:
        raise ValueError(
            f"{timeframe!r} is not a timeframe (expected a quarter, half or month: "
            "2026-Q4, 2026-H2 or 2026-11)"
        )
    year = int(found["year"])
    if found["quarter"]:
        month = int(found["quarter"]) * 3
    elif found["half"]:
        month = int(found["half"]) * 6
    else:
        month = int(found["month"])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _timeframe(value: str) -> str:
    timeframe_end(value)
    return value


def _iso_date(value: object) -> object:
    """Accept only ``YYYY-MM-DD`` text or a date; pydantic alone would take a Unix timestamp."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date like 2026-11-15, got a date and time {value}")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD, like 2026-11-15)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date ({exc})") from exc


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME),
    AfterValidator(_printable),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SENTENCE),
    AfterValidator(_printable),
]
Paragraph = Annotated[str, StringConstraints(max_length=MAX_PARAGRAPH), AfterValidator(_printable)]
ItemKey = Annotated[str, AfterValidator(_item_key)]
ProjectKey = Annotated[str, AfterValidator(_project_key)]
Slug = Annotated[str, AfterValidator(_slug)]
Label = Annotated[str, AfterValidator(_label)]
Timeframe = Annotated[str, AfterValidator(_timeframe)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
TrackerQuery = Annotated[
    str,
    StringConstraints(max_length=MAX_PARAGRAPH),
    AfterValidator(_printable),
    AfterValidator(_tracker_query),
]
