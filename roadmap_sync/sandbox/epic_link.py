"""The Epic Link custom field of loaded data: which id a site gave it, and moving it to parent.

Its id differs per site (``customfield_10014`` on one, ``customfield_10101`` on another), and a
captured Data Center issue carries its epic's key there. The store keeps every issue's epic in
``fields.parent`` (its canonical shape), so the field is recognised from the data (a custom field
whose values are keys of epics) and its values are moved; a sub-task's parent is never replaced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any


def _is_epic(issue: Mapping[str, Any]) -> bool:
    issuetype = (issue.get("fields") or {}).get("issuetype") or {}
    level = issuetype.get("hierarchyLevel")
    return level == 1 or (level is None and str(issuetype.get("name", "")).lower() == "epic")


def is_subtask(fields: Mapping[str, Any]) -> bool:
    """Whether an issue's fields describe a sub-task."""
    issuetype = fields.get("issuetype") or {}
    return bool(issuetype.get("subtask")) or issuetype.get("hierarchyLevel") == -1


def recognise_epic_link(issues: Iterable[Mapping[str, Any]]) -> str | None:
    """The custom field id whose values are the keys of epics in the data, if any."""
    issues = list(issues)
    epics = {str(i.get("key")) for i in issues if _is_epic(i)}
    votes: Counter[str] = Counter()
    for issue in issues:
        for name, value in (issue.get("fields") or {}).items():
            if name.startswith("customfield_") and isinstance(value, str) and value in epics:
                votes[name] += 1
    if not votes:
        return None
    (best, _), *rest = votes.most_common(2)
    if rest and rest[0][1] == votes[best]:
        raise ValueError(
            f"two custom fields hold epic keys ({best}, {rest[0][0]}): pass --epic-link-field"
        )
    return best


def move_epic_links(issues: Mapping[str, dict[str, Any]], field_id: str, stub: Any) -> None:
    """Turn each issue's Epic Link value into its canonical ``parent`` (not for sub-tasks)."""
    for issue in issues.values():
        fields = issue["fields"]
        if field_id not in fields:
            continue
        value = fields[field_id]
        rest = {k: v for k, v in fields.items() if k != field_id}
        epic = issues.get(value) if isinstance(value, str) else None
        if epic is not None and not is_subtask(fields) and not rest.get("parent"):
            rest["parent"] = stub(epic)
        issue["fields"] = rest
