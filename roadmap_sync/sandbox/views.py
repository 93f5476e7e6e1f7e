"""Render stored issues the way each flavor and REST version shows them.

Stored issues are canonical (``parent`` at every level, plain-text description); a Data Center
site shows a story's epic in the Epic Link custom field instead, and REST v3 carries rich text
as Atlassian Document Format.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, NOT_NAVIGABLE, Flavor

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
RICH_TEXT_FIELDS = ("description", "environment")


@dataclass(frozen=True)
class FieldSelection:
    """A parsed ``fields=`` parameter: names, ``*all``, ``*navigable`` and ``-name`` exclusions."""

    everything: bool
    navigable: bool
    names: frozenset[str]
    excluded: frozenset[str]
    ordered: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Iterable[str] | None, default: str) -> FieldSelection:
        """Parse the values of every ``fields`` parameter (repeated or comma-separated)."""
        tokens = [t.strip() for value in (raw or [default]) for t in str(value).split(",")]
        tokens = [t for t in tokens if t]
        return cls(
            everything="*all" in tokens,
            navigable="*navigable" in tokens,
            names=frozenset(t for t in tokens if not t.startswith(("*", "-"))),
            excluded=frozenset(t[1:] for t in tokens if t.startswith("-")),
            ordered=tuple(dict.fromkeys(t for t in tokens if not t.startswith(("*", "-")))),
        )

    @property
    def ids_only(self) -> bool:
        """True when nothing beyond ``id``/``key`` is asked for (Cloud's 5000-per-page case)."""
        return not (self.everything or self.navigable) and self.names <= {"id", "key"}

    def wants(self, name: str) -> bool:
        """Whether a field of this name is part of the response."""
        if name in self.excluded:
            return False
        if self.everything or name in self.names:
            return True
        return self.navigable and name not in NOT_NAVIGABLE


def adf(text: str | None) -> dict[str, Any] | None:
    """Plain text as an Atlassian Document Format document, one paragraph per line."""
    if text is None:
        return None
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _is_subtask(fields: Mapping[str, Any]) -> bool:
    issuetype = fields.get("issuetype") or {}
    return bool(issuetype.get("subtask")) or issuetype.get("hierarchyLevel") == -1


def _parent_level(fields: Mapping[str, Any]) -> int | None:
    parent = fields.get("parent") or {}
    issuetype = (parent.get("fields") or {}).get("issuetype") or {}
    level = issuetype.get("hierarchyLevel")
    if level is None and str(issuetype.get("name", "")).lower() == "epic":
        return 1  # Data Center issue types carry no hierarchyLevel
    return level if isinstance(level, int) else None


def flavor_fields(
    fields: Mapping[str, Any], flavor: Flavor, epic_link_field: str = EPIC_LINK_FIELD
) -> Mapping[str, Any]:
    """The issue's fields as the flavor shows them (Epic Link on Data Center)."""
    if flavor == "cloud":
        return fields
    shown = dict(fields)
    shown.setdefault(epic_link_field, None)
    if not _is_subtask(fields) and _parent_level(fields) == 1:
        shown[epic_link_field] = fields["parent"]["key"]
        del shown["parent"]
    return shown


class IssueRenderer:
    """Turns stored issues into response objects for one flavor, REST version and base URL."""

    def __init__(
        self,
        flavor: Flavor,
        api_version: str,
        base_url: str,
        epic_link_field: str = EPIC_LINK_FIELD,
    ) -> None:
        self.flavor = flavor
        self.api_version = api_version
        self.base_url = base_url
        self.epic_link_field = epic_link_field

    def render(self, issue: Mapping[str, Any], selection: FieldSelection) -> dict[str, Any]:
        """One issue with the selected fields."""
        rendered: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": issue["id"],
            "self": f"{self.base_url}/rest/api/{self.api_version}/issue/{issue['id']}",
            "key": issue["key"],
        }
        if selection.ids_only and "key" not in selection.names and self.flavor == "cloud":
            # Cloud's search/jql returns only ids unless fields are asked for.
            return {"id": issue["id"]}
        source = flavor_fields(issue["fields"], self.flavor, self.epic_link_field)
        if selection.everything or selection.navigable:
            fields = {name: value for name, value in source.items() if selection.wants(name)}
        else:
            # An explicit list (the common case when paging): look up only those names.
            fields = {
                name: source[name]
                for name in selection.ordered
                if name in source and name not in selection.excluded
            }
        if self.api_version == "3":
            for name in RICH_TEXT_FIELDS:
                if isinstance(fields.get(name), str):
                    fields[name] = adf(fields[name])
        rendered["fields"] = fields
        return rendered


# Renderings kept encoded (field lists x REST versions): a client pages with one or two.
MAX_VARIANTS = 4
Variant = tuple[str, str, str, FieldSelection]  # flavor, REST version, Epic Link field, fields


class EncodedIssues:
    """Issues kept encoded as JSON per rendering, re-encoded only after they change.

    A search page is then a join of ready bytes, so paging 100,000 issues costs HTTP rather
    than rendering and ``json.dumps`` (bench/sandbox_throughput.py measures it). An issue's
    ``fields`` is replaced by a new dict on every change (``SiteStore.commit``), which is what
    tells a stale encoding; its ``updated`` stamp is checked too.
    """

    def __init__(self) -> None:
        self._variants: OrderedDict[Variant, dict[str, Any]] = OrderedDict()

    def encode(
        self,
        renderer: IssueRenderer,
        issues: Iterable[Mapping[str, Any]],
        selection: FieldSelection,
    ) -> list[bytes]:
        """The issues rendered for ``selection``, each as JSON bytes.

        A page at a time: the rendering's cache is looked up once (hashing the selection per
        issue cost a fifth of a warm page)."""
        variant = (renderer.flavor, renderer.api_version, renderer.epic_link_field, selection)
        cache = self._variants.get(variant)
        if cache is None:
            cache = self._variants[variant] = {}
            while len(self._variants) > MAX_VARIANTS:
                self._variants.popitem(last=False)
        encoded: list[bytes] = []
        for issue in issues:
            fields = issue["fields"]
            found = cache.get(issue["key"])
            if found is None or found[0] is not fields or found[1] != fields.get("updated"):
                rendered = encode_json(renderer.render(issue, selection))
                found = cache[issue["key"]] = (fields, fields.get("updated"), rendered)
            encoded.append(found[2])
        return encoded


def encode_json(value: Any) -> bytes:
    """Compact JSON, as Jira sends it."""
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def page_body(issues: Sequence[bytes], rest: Mapping[str, Any]) -> bytes:
    """A search page: the encoded issues spliced into the page's other fields, one copy."""
    tail = encode_json(dict(rest))
    joined = b",".join(issues)
    return b'{"issues":[' + joined + (b"]," + tail[1:] if len(tail) > 2 else b"]}")
