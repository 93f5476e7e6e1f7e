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


def _text(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


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
) -> BacklogItem:
    """Convert one Jira REST issue object (Cloud or Data Center) into a BacklogItem."""
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
    # Positional: this runs once per issue of a 100,000-issue backlog.
    return BacklogItem(
        key,
        _text(fields.get("summary")),
        _text(_mapping(fields.get("project")).get("key"), key.rpartition("-")[0]),
        _text(issuetype.get("name"), "Unknown"),
        _hierarchy_level(issuetype),
        _text(status.get("name")),
        _text(_mapping(status.get("statusCategory")).get("key"), "new"),
        parent_key,
        _strings(fields.get("labels")),
        _names(fields.get("fixVersions")),
        _names(fields.get("components")),
        _number(fields.get(story_points_field)) if story_points_field else None,
        _text(fields.get("updated")),
        _day(fields.get("created")),
        _day(fields.get("resolutiondate")),
    )
