"""The JQL field catalogue: which names exist, what they read, and which operators they take.

Operator sets follow Jira's documentation for each field, minus the history operators (WAS,
CHANGED), which the sandbox cannot answer because it keeps no change history. Priority's
relational operators compare by rank (``priority > Low`` is Medium and above).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING

from roadmap_sync.jql.ast import Field, Operator

if TYPE_CHECKING:
    from roadmap_sync.sandbox.jql.context import JqlContext


class FieldKind(Enum):
    """How a field's values are read from an issue and compared."""

    PROJECT = auto()
    KEY = auto()
    ISSUE_TYPE = auto()
    STATUS = auto()
    STATUS_CATEGORY = auto()
    RESOLUTION = auto()
    LABELS = auto()
    VERSIONS = auto()
    COMPONENTS = auto()
    PARENT = auto()
    EPIC_LINK = auto()
    TEXT = auto()
    DATE = auto()
    CUSTOM = auto()
    USER = auto()
    PRIORITY = auto()
    SPRINT = auto()
    # Known to Jira but only usable in ORDER BY here (rank).
    SORT_ONLY = auto()


@dataclass(frozen=True)
class FieldSpec:
    """A resolved field: its kind, the ``fields`` attribute it reads and its operators."""

    kind: FieldKind
    attr: str
    operators: frozenset[Operator]
    empty_ok: bool


_O = Operator
SET_OPERATORS = frozenset({_O.EQUALS, _O.NOT_EQUALS, _O.IN, _O.NOT_IN})
EMPTINESS_OPERATORS = frozenset({_O.IS, _O.IS_NOT})
RELATIONAL_OPERATORS = frozenset({_O.GREATER, _O.GREATER_EQUALS, _O.LESS, _O.LESS_EQUALS})
TEXT_OPERATORS = frozenset({_O.LIKE, _O.NOT_LIKE})

_OPTIONAL = SET_OPERATORS | EMPTINESS_OPERATORS
_ORDERED = SET_OPERATORS | RELATIONAL_OPERATORS | EMPTINESS_OPERATORS


def _spec(kind: FieldKind, attr: str, operators: frozenset[Operator]) -> FieldSpec:
    return FieldSpec(kind, attr, operators, empty_ok=bool(operators & EMPTINESS_OPERATORS))


_KEY_SPEC = _spec(FieldKind.KEY, "key", SET_OPERATORS | RELATIONAL_OPERATORS)
_EPIC_SPEC = _spec(FieldKind.EPIC_LINK, "parent", _OPTIONAL)
_SORT_ONLY = _spec(FieldKind.SORT_ONLY, "", frozenset())

# Lower-cased JQL names (with Jira's aliases) of the system fields the sandbox models.
SYSTEM_FIELDS: Mapping[str, FieldSpec] = {
    "project": _spec(FieldKind.PROJECT, "project", SET_OPERATORS),
    "key": _KEY_SPEC,
    "issuekey": _KEY_SPEC,
    "issue": _KEY_SPEC,
    "id": _KEY_SPEC,
    "issuetype": _spec(FieldKind.ISSUE_TYPE, "issuetype", SET_OPERATORS),
    "type": _spec(FieldKind.ISSUE_TYPE, "issuetype", SET_OPERATORS),
    "status": _spec(FieldKind.STATUS, "status", SET_OPERATORS),
    "statuscategory": _spec(FieldKind.STATUS_CATEGORY, "status", SET_OPERATORS),
    "resolution": _spec(FieldKind.RESOLUTION, "resolution", _OPTIONAL),
    "labels": _spec(FieldKind.LABELS, "labels", _OPTIONAL),
    "fixversion": _spec(FieldKind.VERSIONS, "fixVersions", _OPTIONAL),
    "component": _spec(FieldKind.COMPONENTS, "components", _OPTIONAL),
    "parent": _spec(FieldKind.PARENT, "parent", _OPTIONAL),
    "epic link": _EPIC_SPEC,
    "summary": _spec(FieldKind.TEXT, "summary", TEXT_OPERATORS | EMPTINESS_OPERATORS),
    "description": _spec(FieldKind.TEXT, "description", TEXT_OPERATORS | EMPTINESS_OPERATORS),
    # "text" searches summary and description together; Jira allows only '~' on it.
    "text": _spec(FieldKind.TEXT, "", frozenset({_O.LIKE})),
    "created": _spec(FieldKind.DATE, "created", _ORDERED),
    "createddate": _spec(FieldKind.DATE, "created", _ORDERED),
    "updated": _spec(FieldKind.DATE, "updated", _ORDERED),
    "updateddate": _spec(FieldKind.DATE, "updated", _ORDERED),
    "resolved": _spec(FieldKind.DATE, "resolutiondate", _ORDERED),
    "resolutiondate": _spec(FieldKind.DATE, "resolutiondate", _ORDERED),
    "duedate": _spec(FieldKind.DATE, "duedate", _ORDERED),
    "due": _spec(FieldKind.DATE, "duedate", _ORDERED),
    "assignee": _spec(FieldKind.USER, "assignee", _OPTIONAL),
    "reporter": _spec(FieldKind.USER, "reporter", _OPTIONAL),
    "priority": _spec(FieldKind.PRIORITY, "priority", _ORDERED),
    "rank": _SORT_ONLY,
}

_CUSTOM_OPERATORS = _ORDERED | TEXT_OPERATORS


def resolve_field(field: Field, ctx: JqlContext) -> FieldSpec | None:
    """The spec for a field reference, or None when the site has no such field."""
    if field.custom_id is not None:
        field_id = f"customfield_{field.custom_id}"
        if field_id != ctx.epic_link_field and field_id not in ctx.custom_fields.values():
            return None
    else:
        name = field.name.lower()
        if name in SYSTEM_FIELDS:
            return SYSTEM_FIELDS[name]
        if name not in ctx.custom_fields:
            return None
        field_id = ctx.custom_fields[name]
    if field_id == ctx.epic_link_field:
        return _EPIC_SPEC
    if field_id == ctx.sprint_field:
        return _spec(FieldKind.SPRINT, field_id, _OPTIONAL)
    return _spec(FieldKind.CUSTOM, field_id, _CUSTOM_OPERATORS)


def unknown_field(name: str) -> str:
    """Jira's message for a field that does not exist."""
    return f"Field '{name}' does not exist or you do not have permission to view it."
