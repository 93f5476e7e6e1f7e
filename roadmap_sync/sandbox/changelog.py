"""The sandbox's issue changelogs: every change it makes or loads, in Jira's own shapes.

Jira keeps a history per issue: entries ``{id, author, created, items}`` whose items are
``{field, fieldtype, fieldId, from, fromString, to, toString}``. ``field`` is the display name
("Fix Version", "IssueParentAssociation", "Epic Link", "status"), ``from``/``to`` hold ids
(version, issue and status ids) and ``fromString``/``toString`` the names. Multi-valued fields
(fix versions, components) get one item per value added or removed; labels get one item with
space-separated lists. Data Center omits ``fieldId``.

Served as Cloud's ``POST /rest/api/3/changelog/bulkfetch`` (``issueChangeLogs`` sorted by
date then issue id, paged by ``nextPageToken``) and as ``expand=changelog`` on Data Center's
search and on ``GET /issue``. Loaded issues may carry ``changelog.histories`` (the
``expand=changelog`` shape), which is how an exported site keeps its history.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, Account, Flavor

__all__ = ["ChangelogBook", "change_items"]

History = dict[str, Any]
# Field id -> (display name Jira's changelog uses, fieldtype).
_NAMES: Mapping[str, tuple[str, str]] = {
    "fixVersions": ("Fix Version", "jira"),
    "components": ("Component", "jira"),
    "labels": ("labels", "jira"),
    "status": ("status", "jira"),
    "resolution": ("resolution", "jira"),
    "summary": ("summary", "jira"),
    "description": ("description", "jira"),
    "priority": ("priority", "jira"),
    "issuetype": ("issuetype", "jira"),
    "assignee": ("assignee", "jira"),
    "customfield_10016": ("Story Points", "custom"),
}
_MULTI = frozenset({"fixVersions", "components"})
# Fields Jira sets along with others and does not list in the changelog.
_UNLOGGED = frozenset({"resolutiondate", "updated", "statuscategorychangedate"})


def _id_and_name(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        name = value.get("key") or value.get("name") or value.get("value")
        return (str(value["id"]) if "id" in value else None), (None if name is None else str(name))
    return None, str(value)


def _item(field: str, fieldtype: str, field_id: str | None, old: Any, new: Any) -> dict[str, Any]:
    old_id, old_name = _id_and_name(old)
    new_id, new_name = _id_and_name(new)
    item: dict[str, Any] = {"field": field, "fieldtype": fieldtype}
    if field_id is not None:
        item["fieldId"] = field_id
    item.update(from_=old_id, fromString=old_name, to=new_id, toString=new_name)
    item["from"] = item.pop("from_")
    return item


def _parent_items(old: Any, new: Any, flavor: Flavor) -> list[dict[str, Any]]:
    if flavor == "cloud":
        return [_item("IssueParentAssociation", "jira", "parent", old, new)]
    # Data Center records a story's epic as the Epic Link custom field.
    return [_item("Epic Link", "custom", None, old, new)]


def change_items(field_id: str, old: Any, new: Any, flavor: Flavor) -> list[dict[str, Any]]:
    """The changelog items Jira records for one field changing from ``old`` to ``new``."""
    with_id = flavor == "cloud"
    if field_id in _UNLOGGED:
        return []
    if field_id in ("parent", EPIC_LINK_FIELD):
        return _parent_items(old, new, flavor)
    name, fieldtype = _NAMES.get(field_id, (field_id, "custom"))
    if field_id in _MULTI:
        before = {_id_and_name(v): v for v in old or []}
        after = {_id_and_name(v): v for v in new or []}
        removed = [v for k, v in before.items() if k not in after]
        added = [v for k, v in after.items() if k not in before]
        return [
            *(_item(name, fieldtype, field_id if with_id else None, v, None) for v in removed),
            *(_item(name, fieldtype, field_id if with_id else None, None, v) for v in added),
        ]
    if field_id == "labels":
        old_text = " ".join(old or []) or None
        new_text = " ".join(new or []) or None
        return [_item(name, fieldtype, field_id if with_id else None, old_text, new_text)]
    return [_item(name, fieldtype, field_id if with_id else None, old, new)]


class ChangelogBook:
    """Histories per issue id, in the order they happened."""

    def __init__(self, flavor: Flavor, base_url: str = "") -> None:
        self.flavor = flavor
        self.base_url = base_url
        self._histories: dict[str, list[History]] = {}
        self._next_id = 100000
        self._lock = threading.Lock()

    def load(self, issue_id: str, histories: Iterable[Mapping[str, Any]]) -> None:
        """Keep the histories an imported issue carries (``changelog.histories``)."""
        loaded = [dict(history) for history in histories]
        with self._lock:
            self._histories.setdefault(issue_id, []).extend(loaded)
            numbers = [int(h["id"]) for h in loaded if str(h.get("id", "")).isdigit()]
            self._next_id = max([self._next_id, *(n + 1 for n in numbers)])

    def record(
        self,
        issue_id: str,
        actor: Account,
        created: str,
        changes: Sequence[tuple[str, Any, Any]],
    ) -> History | None:
        """Record one edit at ``created`` (Jira's timestamp): (field id, old, new) per field."""
        items = [item for f, old, new in changes for item in change_items(f, old, new, self.flavor)]
        if not items:
            return None
        with self._lock:
            history: History = {
                "id": str(self._next_id),
                "author": actor.as_user(self.base_url, self.flavor),
                "created": created,
                "items": items,
            }
            self._next_id += 1
            self._histories.setdefault(issue_id, []).append(history)
        return history

    def histories(self, issue_id: str) -> list[History]:
        """An issue's histories, oldest first."""
        with self._lock:
            return list(self._histories.get(issue_id, ()))

    def expanded(self, issue_id: str) -> dict[str, Any]:
        """The ``changelog`` object of ``expand=changelog`` (Data Center, issue GET)."""
        histories = self.histories(issue_id)
        return {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }
