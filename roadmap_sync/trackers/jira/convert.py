"""Jira issue JSON (Cloud and Data Center) to the core's ``BacklogItem``, once per issue."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from roadmap_sync.core.model import EPIC_LEVEL, STORY_LEVEL, SUBTASK_LEVEL, BacklogItem

__all__ = ["item_from_json"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty mapping (Jira sends null for unset fields)."""
    if type(value) is dict:  # the JSON case; the ABC check below costs ten times more
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _names(value: object) -> tuple[str, ...]:
    """Names of a Jira list of named objects (fixVersions, components); skips malformed entries."""
    if not isinstance(value, list) or not value:
        return ()
    return tuple([name for entry in value if isinstance(name := _mapping(entry).get("name"), str)])


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        return ()
    return tuple([entry for entry in value if isinstance(entry, str)])


def _day(value: object) -> str:
    """The calendar day of a Jira timestamp, interned: a backlog shares a few hundred days."""
    return sys.intern(value[:10]) if isinstance(value, str) and len(value) >= 10 else ""


def _number(value: object) -> float | None:
    # bool is an int subclass; a True story-point value is a broken field, not 1 point.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _key_of(value: object) -> str | None:
    """An issue key from a string (Data Center Epic Link) or an object with a `key`."""
    if isinstance(value, str):
        return value or None
    key = _mapping(value).get("key")
    return key if isinstance(key, str) and key else None


def _hierarchy_level(issuetype: Mapping[str, Any]) -> int:
    # Cloud reports `issuetype.hierarchyLevel`; Data Center does not, so fall back on these.
    level = issuetype.get("hierarchyLevel")
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if issuetype.get("subtask") is True:
        return SUBTASK_LEVEL
    return EPIC_LEVEL if issuetype.get("name") == "Epic" else STORY_LEVEL


def item_from_json(
    issue: Mapping[str, Any],
    *,
    epic_link_field: str | None,
    story_points_field: str | None,
    shared: dict[Any, Any] | None = None,
) -> BacklogItem:
    """Convert one Jira REST issue object (Cloud or Data Center) into a BacklogItem.

    ``shared`` (one dict for a whole read) makes equal values one object: a backlog repeats a
    few projects, types, statuses, parents and label or version sets, and decoded JSON holds a
    fresh copy of each for every issue (half the memory a 100,000-issue read keeps).
    """
    key = issue.get("key")
    if not isinstance(key, str) or not key:
        raise ValueError("Jira issue without a key")
    fields = _mapping(issue.get("fields"))
    issuetype = _mapping(fields.get("issuetype"))
    status = _mapping(fields.get("status"))
    # Data Center links a story to its epic through the Epic Link custom field, not `parent`.
    parent_key = _key_of(fields.get("parent"))
    if parent_key is None and epic_link_field:
        parent_key = _key_of(fields.get(epic_link_field))
    # Written out rather than through small helpers: this runs once per issue of a 100,000-issue
    # backlog, and each call saved is measurable in bench/steady_state.py's make_plan ratio.
    one = (shared if shared is not None else {}).setdefault
    project = _mapping(fields.get("project")).get("key")
    if not isinstance(project, str):
        project = key.rpartition("-")[0]
    type_name = issuetype.get("name")
    if not isinstance(type_name, str):
        type_name = "Unknown"
    status_name = status.get("name")
    if not isinstance(status_name, str):
        status_name = ""
    category = _mapping(status.get("statusCategory")).get("key")
    if not isinstance(category, str):
        category = "new"
    labels = _strings(fields.get("labels"))
    versions = _names(fields.get("fixVersions"))
    components = _names(fields.get("components"))
    points = _number(fields.get(story_points_field)) if story_points_field else None
    summary = fields.get("summary")
    return BacklogItem(
        key,
        summary if isinstance(summary, str) else "",
        one(project, project),
        one(type_name, type_name),
        _hierarchy_level(issuetype),
        one(status_name, status_name),
        one(category, category),
        None if parent_key is None else one(parent_key, parent_key),
        one(labels, labels),
        one(versions, versions),
        one(components, components),
        None if points is None else one(points, points),
        _day(fields.get("created")),
        _day(fields.get("resolutiondate")),
    )
