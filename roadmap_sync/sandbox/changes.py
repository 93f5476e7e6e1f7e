"""Changelog items as Jira writes them for one field change: one builder for histories and webhooks.

Every change the store accepts is turned into items here once; the changelog book records them
as a history entry and the webhooks send the same items, so a webhook's ``changelog.items``
equal the history Jira keeps for that change.

Real items carry ``field`` (the display name: "Fix Version", "Epic Link", "labels"),
``fieldtype`` ("jira" or "custom"), ``fieldId`` (Cloud only), ``from``/``to`` (ids of the
objects involved: version, status and issue ids) and ``fromString``/``toString`` (their names;
labels as one space-separated string, null when there were none). Multi-valued object fields
(fix versions, components) get one item per value added or removed. A Cloud parent change is an
``IssueParentAssociation`` item; a Data Center story's epic is the "Epic Link" custom field
(a sub-task's parent stays an ``IssueParentAssociation``). Fields Jira sets along with others
(``resolutiondate``, ``updated``) get no item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, STORY_POINTS_FIELD, Flavor
from roadmap_sync.sandbox.store_types import ChangeItem

__all__ = ["change_items"]

# Field id -> (display name Jira's changelog uses, fieldtype), for the fields the sandbox changes.
_DISPLAY: Mapping[str, tuple[str, str]] = {
    "summary": ("summary", "jira"),
    "description": ("description", "jira"),
    "labels": ("labels", "jira"),
    "priority": ("priority", "jira"),
    "status": ("status", "jira"),
    "resolution": ("resolution", "jira"),
    "issuetype": ("issuetype", "jira"),
    "assignee": ("assignee", "jira"),
    "duedate": ("duedate", "jira"),
    STORY_POINTS_FIELD: ("Story Points", "custom"),
}
_OBJECT_LISTS: Mapping[str, str] = {"fixVersions": "Fix Version", "components": "Component"}
# Fields Jira sets along with others and does not list in the changelog.
_UNLOGGED = frozenset({"resolutiondate", "updated", "statuscategorychangedate"})


def _name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        # Labels: one space-separated string; none at all is null, as Jira records it.
        return " ".join(str(_name(v)) for v in value) or None
    if isinstance(value, Mapping):
        for attr in ("key", "name", "displayName", "value"):
            if value.get(attr):
                return str(value[attr])
        return None
    return str(value)


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("id") or value.get("accountId")
        return str(found) if found is not None else None
    return None


def _identity(value: Any) -> str | None:
    return _id(value) or _name(value)


def _object_list(field: str, old: Any, new: Any) -> list[ChangeItem]:
    before = {_identity(v): v for v in old or [] if isinstance(v, Mapping)}
    after = {_identity(v): v for v in new or [] if isinstance(v, Mapping)}
    display = _OBJECT_LISTS[field]
    removed = [
        ChangeItem(display, _name(v), None, field, "jira", _id(v), None)
        for ref, v in before.items()
        if ref not in after
    ]
    added = [
        ChangeItem(display, None, _name(v), field, "jira", None, _id(v))
        for ref, v in after.items()
        if ref not in before
    ]
    return removed + added


def change_items(
    field: str,
    old: Any,
    new: Any,
    *,
    flavor: Flavor,
    subtask: bool = False,
    epic_link_field: str = EPIC_LINK_FIELD,
) -> list[ChangeItem]:
    """The changelog items Jira records for one field of an issue going from ``old`` to ``new``.

    ``subtask`` says whether the issue is a sub-task (its parent is never an Epic Link);
    ``epic_link_field`` is the site's Epic Link custom field id (Data Center).
    """
    if field in _UNLOGGED:
        return []
    if field in _OBJECT_LISTS:
        return _object_list(field, old, new)
    if field in ("parent", epic_link_field):
        if flavor == "datacenter" and not subtask:
            # Server records a story's epic as the Epic Link custom field.
            display, field_id, fieldtype = "Epic Link", epic_link_field, "custom"
        else:
            display, field_id, fieldtype = "IssueParentAssociation", "parent", "jira"
        return [
            ChangeItem(display, _name(old), _name(new), field_id, fieldtype, _id(old), _id(new))
        ]
    default = (field, "custom" if field.startswith("customfield_") else "jira")
    display, fieldtype = _DISPLAY.get(field, default)
    return [ChangeItem(display, _name(old), _name(new), field, fieldtype, _id(old), _id(new))]
