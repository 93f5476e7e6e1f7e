"""ORDER BY: per-field sort keys and Jira's ordering rules.

Every sort key returns ``(0, value)`` for a present value and ``(1, ...)`` for an empty one,
so empty values sort after all others ascending and before them descending, as in Jira.
Sorting is stable and starts from ascending issue id, which is therefore the tie-break.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from roadmap_sync.jql.ast import SortKey
from roadmap_sync.sandbox.jql.dates import parse_timestamp
from roadmap_sync.sandbox.jql.fields import FieldKind, resolve_field, unknown_field
from roadmap_sync.sandbox.jql.match import NO_FIELDS, issue_id
from roadmap_sync.sandbox.jql.match_values import custom_values

if TYPE_CHECKING:
    from roadmap_sync.sandbox.jql.context import JqlContext

Issue = Mapping[str, Any]
SortValue = tuple[int, Any]
KeyFunction = Callable[[Issue], SortValue]
_EMPTY: SortValue = (1, 0)


def _by_key(issue: Issue) -> SortValue:
    """Issue keys sort by project key, then numerically by issue number."""
    key = issue.get("key")
    if type(key) is not str:
        return _EMPTY
    project, _, number = key.rpartition("-")
    return (0, (project, int(number) if number.isdigit() else -1))


def _by_rank(issue: Issue) -> SortValue:
    # The sandbox has no rank field: creation order (the numeric id) stands in for it.
    return (0, issue_id(issue))


def _by_timestamp(attr: str) -> KeyFunction:
    def key(issue: Issue) -> SortValue:
        moment = parse_timestamp((issue.get("fields") or NO_FIELDS).get(attr))
        return _EMPTY if moment is None else (0, moment.timestamp())

    return key


def _by_name(attr: str, *names: str) -> KeyFunction:
    """Objects such as status or issue type sort by their (first present) name, caselessly."""

    def key(issue: Issue) -> SortValue:
        value = (issue.get("fields") or NO_FIELDS).get(attr)
        if isinstance(value, Mapping):
            for name in names:
                text = value.get(name)
                if isinstance(text, str) and text:
                    return (0, text.lower())
        return _EMPTY

    return key


def _by_summary(issue: Issue) -> SortValue:
    summary = (issue.get("fields") or NO_FIELDS).get("summary")
    return (0, summary.lower()) if isinstance(summary, str) and summary else _EMPTY


def _by_priority(issue: Issue) -> SortValue:
    """Jira sorts priorities by rank, with 1 (Highest) the greatest: DESC lists it first."""
    priority = (issue.get("fields") or NO_FIELDS).get("priority")
    raw = priority.get("id") if isinstance(priority, Mapping) else None
    return (0, -int(raw)) if isinstance(raw, str) and raw.isdigit() else _EMPTY


def _by_custom(attr: str) -> KeyFunction:
    """Numbers before text (so mixed values still compare), then by first value."""

    def key(issue: Issue) -> SortValue:
        values = custom_values((issue.get("fields") or NO_FIELDS).get(attr))
        if not values:
            return _EMPTY
        first = values[0]
        if isinstance(first, int | float) and not isinstance(first, bool):
            return (0, (0, float(first), ""))
        return (0, (1, 0.0, str(first).lower()))

    return key


_SYSTEM_SORTS: Mapping[str, KeyFunction] = {
    "key": _by_key,
    "issuekey": _by_key,
    "issue": _by_key,
    "id": _by_key,
    "rank": _by_rank,
    "created": _by_timestamp("created"),
    "createddate": _by_timestamp("created"),
    "updated": _by_timestamp("updated"),
    "updateddate": _by_timestamp("updated"),
    "resolved": _by_timestamp("resolutiondate"),
    "resolutiondate": _by_timestamp("resolutiondate"),
    "priority": _by_priority,
    "status": _by_name("status", "name"),
    "issuetype": _by_name("issuetype", "name"),
    "type": _by_name("issuetype", "name"),
    "project": _by_name("project", "name", "key"),
    "resolution": _by_name("resolution", "name"),
    "summary": _by_summary,
    "duedate": _by_timestamp("duedate"),
    "due": _by_timestamp("duedate"),
    "assignee": _by_name("assignee", "displayName", "name"),
    "reporter": _by_name("reporter", "displayName", "name"),
}


def compile_order(
    keys: Sequence[SortKey], ctx: JqlContext, errors: list[str]
) -> list[tuple[KeyFunction, bool]]:
    """Key functions with their DESC flag, in ORDER BY order; problems go to ``errors``."""
    compiled: list[tuple[KeyFunction, bool]] = []
    for sort_key in keys:
        name = sort_key.field.name
        function = _SYSTEM_SORTS.get(name.lower()) if sort_key.field.custom_id is None else None
        if function is None:
            spec = resolve_field(sort_key.field, ctx)
            if spec is None:
                errors.append(unknown_field(name))
                continue
            if spec.kind is not FieldKind.CUSTOM:
                errors.append(f"Field '{name}' does not support sorting.")
                continue
            function = _by_custom(spec.attr)
        # Jira's default direction is ascending for the fields supported here.
        compiled.append((function, sort_key.direction == "desc"))
    return compiled


def sort_issues(issues: Sequence[Issue], order: Sequence[tuple[KeyFunction, bool]]) -> list[Issue]:
    """Apply ORDER BY (stable, id ascending tie-break); without one, newest id first."""
    if not order:
        return sorted(issues, key=issue_id, reverse=True)
    result = sorted(issues, key=issue_id)
    # Successive stable sorts from the least significant key give a mixed ASC/DESC order;
    # Python keeps equal elements in place even with reverse=True.
    for function, descending in reversed(order):
        result.sort(key=function, reverse=descending)
    return result
