"""Changelog items as Jira writes them for one field change (and sends them in webhooks).

Real items carry ``field`` (the display name: "Fix Version", "Epic Link", "labels"),
``fieldtype`` ("jira" or "custom"), ``fieldId`` (Cloud only), ``from``/``to`` (ids of the
objects involved: version ids, issue ids) and ``fromString``/``toString`` (their names; labels
as space-separated strings). Multi-valued object fields get one item per value added or
removed. A Cloud parent change is an ``IssueParentAssociation`` item; a Data Center story's
epic is the "Epic Link" custom field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roadmap_sync.sandbox.catalog import STORY_POINTS_FIELD, Flavor
from roadmap_sync.sandbox.store_types import ChangeItem

# field id -> (display name, fieldtype) for the fields the sandbox lets people edit.
_DISPLAY = {
    "summary": ("summary", "jira"),
    "description": ("description", "jira"),
    "labels": ("labels", "jira"),
    "priority": ("priority", "jira"),
    "status": ("status", "jira"),
    "assignee": ("assignee", "jira"),
    "duedate": ("duedate", "jira"),
    STORY_POINTS_FIELD: ("Story Points", "custom"),
}
_OBJECT_LISTS = {"fixVersions": "Fix Version", "components": "Component"}


def _name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(_name(v)) for v in value)
    if isinstance(value, Mapping):
        for attr in ("key", "name", "displayName", "value"):
            if value.get(attr):
                return str(value[attr])
        return ""
    return str(value)


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("id") or value.get("accountId")
        return str(found) if found is not None else None
    return None


def change_items(
    field: str,
    old: Any,
    new: Any,
    *,
    flavor: Flavor,
    epic_link: bool = False,
    epic_link_field: str = "",
) -> list[ChangeItem]:
    """The changelog items of one field going from ``old`` to ``new``."""
    if field in _OBJECT_LISTS:
        before = {str(v.get("id")): v for v in old or [] if isinstance(v, Mapping)}
        after = {str(v.get("id")): v for v in new or [] if isinstance(v, Mapping)}
        display = _OBJECT_LISTS[field]
        removed = [
            ChangeItem(display, _name(v), None, field, "jira", vid, None)
            for vid, v in before.items()
            if vid not in after
        ]
        added = [
            ChangeItem(display, None, _name(v), field, "jira", None, vid)
            for vid, v in after.items()
            if vid not in before
        ]
        return removed + added
    if field == "parent":
        if epic_link and flavor == "datacenter":
            # Server payloads name the custom field only by its display name.
            display, field_id, fieldtype = "Epic Link", epic_link_field, "custom"
        else:
            display, field_id, fieldtype = "IssueParentAssociation", "parent", "jira"
        return [
            ChangeItem(display, _name(old), _name(new), field_id, fieldtype, _id(old), _id(new))
        ]
    custom = "custom" if field.startswith("customfield_") else "jira"
    display, fieldtype = _DISPLAY.get(field, (field, custom))
    return [ChangeItem(display, _name(old), _name(new), field, fieldtype, _id(old), _id(new))]
