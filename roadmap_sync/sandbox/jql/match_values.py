"""Predicate builders for value-typed JQL fields: text (``~``), dates and custom fields.

Companion to :mod:`jql_match`, which holds the shared probe/membership machinery and the
builders for named, multi-valued and issue-reference fields.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from roadmap_sync.jql.ast import JqlError, Operator
from roadmap_sync.sandbox.jql.dates import (
    evaluate_function,
    invalid_date,
    issue_minute_key,
    minute_key,
    parse_date_value,
)
from roadmap_sync.sandbox.jql.fields import RELATIONAL_OPERATORS
from roadmap_sync.sandbox.jql.match import (
    COMPARE,
    NO_FIELDS,
    Caseless,
    Issue,
    Predicate,
    Probe,
    Request,
    membership,
)
from roadmap_sync.sandbox.jql.text import TextQuery, compile_text_query


def _fields(issue: Issue) -> Mapping[str, Any]:
    fields = issue.get("fields")
    return fields if fields else NO_FIELDS


def _text_of(attr: str) -> Callable[[Issue], str | None]:
    """Reader for a text field; the ``text`` pseudo-field (no attr) joins the text fields."""
    if attr:
        return lambda issue: _as_text(_fields(issue).get(attr))

    def summary_and_description(issue: Issue) -> str | None:
        fields = _fields(issue)
        summary = _as_text(fields.get("summary"))
        description = _as_text(fields.get("description"))
        if summary and description:
            return f"{summary}\n{description}"
        return summary or description

    return summary_and_description


def _as_text(value: object) -> str | None:
    return value if type(value) is str and value else None


def text_query(req: Request) -> TextQuery | None:
    """Compile the single ``~`` value, recording Jira's message if it is unusable."""
    try:
        return compile_text_query(req.literals[0].value, req.name)
    except JqlError as error:
        req.errors.extend(error.messages)
        return None


def build_text(req: Request) -> Predicate | None:
    """summary / description / text: ``~`` and ``!~`` word search, or IS [NOT] EMPTY."""
    read = _text_of(req.spec.attr)
    query = text_query(req) if req.op not in (Operator.IS, Operator.IS_NOT) else None
    if query is None and not req.has_empty:
        return None

    def probe(issue: Issue) -> bool | None:
        text = read(issue)
        if text is None:
            return None
        return query is not None and query.matches(text)

    return membership(probe, req.op, req.has_empty)


@dataclass(frozen=True, slots=True)
class DateBound:
    """``created``/``updated``/``resolved`` compared with one minute (UTC minute keys): search
    can look up the issues updated since a minute instead of reading every issue."""

    attr: str
    op: Operator
    target: str

    def __call__(self, issue: Issue) -> bool:
        key = issue_minute_key((issue.get("fields") or NO_FIELDS).get(self.attr))
        return key is not None and COMPARE[self.op](key, self.target)


def build_date(req: Request) -> Predicate | None:
    """created / updated / resolved, compared as UTC minute keys (see jql_dates)."""
    targets: list[str] = []
    for lit in req.literals:
        moment = parse_date_value(lit.value, req.ctx.now)
        if moment is None:
            req.fail(invalid_date(lit.value, req.name))
        else:
            targets.append(minute_key(moment))
    for call in req.functions:
        try:
            targets.append(minute_key(evaluate_function(call, req.ctx.now)))
        except JqlError as error:
            req.errors.extend(error.messages)
    attr = req.spec.attr
    if req.op in RELATIONAL_OPERATORS:
        return DateBound(attr, req.op, targets[0]) if targets else None
    wanted = frozenset(targets)

    def probe(issue: Issue) -> bool | None:
        key = issue_minute_key((issue.get("fields") or NO_FIELDS).get(attr))
        return None if key is None else key in wanted

    return membership(probe, req.op, req.has_empty)


def custom_values(raw: object) -> list[object]:
    """Scalar values of a custom field: numbers, strings, or select options' values."""
    out: list[object] = []
    for item in raw if isinstance(raw, list) else [raw]:
        value = item.get("value", item.get("name")) if isinstance(item, Mapping) else item
        if value is not None and value != "":
            out.append(value)
    return out


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def build_custom(req: Request) -> Predicate | None:
    """Generic custom field: numeric comparisons for numbers, caseless equality for text.

    The sandbox does not know custom field types, so the operators Jira would allow for any
    type are accepted and the issue's value decides how it compares.
    """
    attr = req.spec.attr
    if req.op in (Operator.LIKE, Operator.NOT_LIKE):
        query = text_query(req)
        if query is None:
            return None
        return membership(
            _custom_probe(attr, lambda v: type(v) is str and query.matches(v)), req.op, False
        )
    if req.op in RELATIONAL_OPERATORS:
        limit = _number(req.literals[0].value)
        if limit is None:
            req.fail(f"The value '{req.literals[0].value}' for field '{req.name}' is invalid.")
            return None
        compare = COMPARE[req.op]
        return _custom_probe(attr, lambda v: _is_number(v) and compare(v, limit))
    numbers = {n for n in (_number(lit.value) for lit in req.literals) if n is not None}
    strings = Caseless(lit.value for lit in req.literals)

    def hit(value: object) -> bool:
        return value in numbers if _is_number(value) else strings.has(value)

    return membership(_custom_probe(attr, hit), req.op, req.has_empty)


def _custom_probe(attr: str, hit: Callable[[object], bool]) -> Probe:
    def probe(issue: Issue) -> bool | None:
        values = custom_values((issue.get("fields") or NO_FIELDS).get(attr))
        if not values:
            return None
        return any(hit(value) for value in values)

    return probe
