"""Jira's edit semantics: ``fields`` (set) and ``update`` (add/remove/set verbs), validated.

Turns a request body into the new values of the touched fields, or raises the same 400 errors
Jira answers. Nothing here writes: store.SiteStore.commit applies the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from roadmap_sync.sandbox.catalog import EDITABLE_FIELDS, EPIC_LINK_FIELD, Account, Flavor
from roadmap_sync.sandbox.epic_link import is_subtask
from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.store import parent_stub

MAX_LABEL_LENGTH = 255
IssueLookup = Callable[[str], "dict[str, Any] | None"]


def cannot_set(field: str) -> str:
    """Jira's message for a field that is unknown, read-only, or not editable by this user."""
    return f"Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."


def validate_label(label: Any) -> str | None:
    """Jira's complaint about one label value, or None when it is acceptable."""
    if not isinstance(label, str) or not label:
        return "The label must be a non-empty string."
    if any(ch.isspace() for ch in label):
        return f"The label '{label}' contains spaces which is invalid."
    if len(label) > MAX_LABEL_LENGTH:
        return (
            f"The label '{label}' exceeds the maximum length for a single label "
            f"of {MAX_LABEL_LENGTH} characters."
        )
    return None


def apply_label_ops(current: list[str], ops: Any) -> list[str]:
    """Apply ``update.labels`` verbs in order; Jira keeps labels sorted."""
    if not isinstance(ops, list):
        raise ApiError(400, errors={"labels": "Operation value must be an array of operations."})
    labels = list(current)
    for op in ops:
        if not isinstance(op, Mapping) or len(op) != 1:
            raise ApiError(400, errors={"labels": f"Invalid operation: {op!r}"})
        ((verb, value),) = op.items()
        if verb == "set":
            labels = _checked_labels(value)
        elif verb in ("add", "remove"):
            problem = validate_label(value)
            if problem:
                raise ApiError(400, errors={"labels": problem})
            if verb == "add" and value not in labels:
                labels.append(value)
            elif verb == "remove" and value in labels:
                labels.remove(value)
        else:
            raise ApiError(
                400, errors={"labels": f"Field 'labels' does not support operation '{verb}'"}
            )
    return sorted(labels)


def _checked_labels(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ApiError(400, errors={"labels": "data was not an array"})
    for label in value:
        problem = validate_label(label)
        if problem:
            raise ApiError(400, errors={"labels": problem})
    return sorted(dict.fromkeys(value))


class EditParser:
    """Parses one PUT body against one issue for one flavor."""

    def __init__(
        self,
        flavor: Flavor,
        versions: Mapping[str, dict[str, Any]],
        lookup: IssueLookup,
        epic_link_field: str = EPIC_LINK_FIELD,
    ):
        self.flavor = flavor
        self.versions = versions
        self.lookup = lookup
        self.epic_link_field = epic_link_field

    def parse(self, issue: Mapping[str, Any], body: Any, actor: Account) -> dict[str, Any]:
        """The new values of the fields this body changes."""
        if not isinstance(body, Mapping) or not ({"fields", "update"} & body.keys()):
            raise bad_request("one of 'fields' or 'update' required")
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, Mapping) or not isinstance(update, Mapping):
            raise bad_request("'fields' and 'update' must be JSON objects")
        both = sorted(set(fields) & set(update))
        if both:
            raise ApiError(
                400,
                errors={
                    f: f"Field '{f}' cannot be set in both 'fields' and 'update'." for f in both
                },
            )
        touched = set(fields) | set(update)
        editable = self._editable()
        if self.flavor == "datacenter" and is_subtask(issue["fields"]):
            # A sub-task belongs to its parent's epic: Data Center has no Epic Link on it, and
            # setting one must never replace the sub-task's parent.
            editable = editable - {self.epic_link_field}
        refused = {f: cannot_set(f) for f in sorted(touched) if f not in editable}
        if refused or (touched and not actor.can_edit):
            raise ApiError(400, errors=refused or {f: cannot_set(f) for f in sorted(touched)})
        current = issue["fields"]
        values: dict[str, Any] = {}
        for name, value in fields.items():
            values.update(self._set(name, value, current))
        for name, ops in update.items():
            values.update(self._update(name, ops, current))
        return values

    def _editable(self) -> frozenset[str]:
        if self.flavor == "datacenter":
            return (EDITABLE_FIELDS - {"parent"}) | {self.epic_link_field}
        return EDITABLE_FIELDS

    def _set(self, name: str, value: Any, current: Mapping[str, Any]) -> dict[str, Any]:
        if name == "labels":
            return {"labels": _checked_labels(value if value is not None else [])}
        if name == "fixVersions":
            if value is not None and not isinstance(value, list):
                raise ApiError(400, errors={"fixVersions": "data was not an array"})
            return {"fixVersions": [self._version(v) for v in value or []]}
        if name in ("parent", self.epic_link_field):
            return {"parent": self._parent(name, value, current)}
        if name == "summary" and (not isinstance(value, str) or not value.strip()):
            raise ApiError(400, errors={"summary": "You must specify a summary of the issue."})
        problem = _shape_problem(name, value)
        if problem:
            raise ApiError(400, errors={name: problem})
        if name == "components":
            return {name: [dict(c) for c in value or []]}
        return {name: value}

    def _update(self, name: str, ops: Any, current: Mapping[str, Any]) -> dict[str, Any]:
        if name == "labels":
            return {"labels": apply_label_ops(list(current.get("labels") or []), ops)}
        if not isinstance(ops, list):
            raise ApiError(400, errors={name: "Operation value must be an array of operations."})
        result: dict[str, Any] = {}
        for op in ops:
            if not isinstance(op, Mapping) or len(op) != 1 or "set" not in op:
                raise ApiError(
                    400, errors={name: f"Field '{name}' only supports the 'set' operation here"}
                )
            result.update(self._set(name, op["set"], current))
        return result

    def _version(self, ref: Any) -> dict[str, Any]:
        if isinstance(ref, Mapping):
            wanted = str(ref.get("name") or ref.get("id") or "")
        else:
            wanted = str(ref)
        for version in self.versions.values():
            if wanted.lower() in (version["name"].lower(), str(version.get("id"))):
                return version
        raise ApiError(400, errors={"fixVersions": f"Version name '{wanted}' is not valid"})

    def _parent(self, name: str, ref: Any, current: Mapping[str, Any]) -> dict[str, Any] | None:
        if ref in (None, "", {}):
            return None
        wanted = (
            str(ref.get("key") or ref.get("id") or "") if isinstance(ref, Mapping) else str(ref)
        )
        parent = self.lookup(wanted)
        if parent is None:
            raise ApiError(400, errors={"parent": f"Could not find issue by id or key '{wanted}'."})
        # Jira keeps the hierarchy: a sub-task's parent is a standard issue, a standard
        # issue's an epic, an epic's a level above (none without Premium's levels).
        if _level(parent["fields"]) != _level(current) + 1:
            raise ApiError(400, errors={name: HIERARCHY_REFUSED})
        return parent_stub(parent)


# What Jira Cloud answers when a new parent is not one level above the issue.
HIERARCHY_REFUSED = "Given parent work item does not belong to appropriate hierarchy."


def _level(fields: Mapping[str, Any]) -> int:
    """An issue's hierarchy level: -1 sub-task, 0 standard issue, 1 epic, above: higher."""
    if is_subtask(fields):
        return -1
    issuetype = fields.get("issuetype") or {}
    level = issuetype.get("hierarchyLevel")
    if isinstance(level, int):
        return level
    return 1 if str(issuetype.get("name", "")).lower() == "epic" else 0  # Data Center's types


def _shape_problem(name: str, value: Any) -> str | None:
    """Jira's complaint when a value has the wrong JSON shape for its field, else None."""
    if value is None:
        return None
    if name == "components":
        if not isinstance(value, list) or not all(
            isinstance(c, Mapping) and isinstance(c.get("name", c.get("id")), str) for c in value
        ):
            return "Component name or id expected."
    elif name == "priority":
        named = value.get("name", value.get("id")) if isinstance(value, Mapping) else None
        if not isinstance(named, str):
            return "Could not find valid 'id' or 'name' in priority object."
    elif name == "description":
        if not isinstance(value, str | Mapping):
            return "Operation value must be a string"
    elif name.startswith("customfield_") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return "Operation value must be a number"
    return None
