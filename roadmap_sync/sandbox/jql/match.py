"""Per-field predicate builders for JQL clauses.

Each builder validates the clause's values against the site (collecting Jira-worded
messages) and returns a closure over precomputed, lower-cased comparison sets. The closures
are the hot path of every search, run once per issue over up to 100,000 issues, so they
avoid allocation: they read the issue dict directly and memoise case-folding per raw string.

Most builders first make a *probe* returning True (some value of the field matches), False
(the field has values, none matches) or None (the field is empty). ``membership`` turns a
probe into a predicate and encodes Jira's rule that negative operators (``!=``, ``NOT IN``,
``!~``, ``IS NOT``) never match issues where the field is empty.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from roadmap_sync.jql.ast import FunctionCall, Literal, Operator
from roadmap_sync.sandbox.jql.fields import RELATIONAL_OPERATORS, FieldSpec

if TYPE_CHECKING:
    from roadmap_sync.sandbox.jql.context import JqlContext

Issue = Mapping[str, Any]
# A predicate's falsy results (False or None) both mean "no match".
Predicate = Callable[[Issue], bool | None]
Probe = Callable[[Issue], bool | None]

NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
_POSITIVE = frozenset({Operator.EQUALS, Operator.IN, Operator.IS, Operator.LIKE})
COMPARE: Mapping[Operator, Callable[[Any, Any], bool]] = {
    Operator.GREATER: operator.gt,
    Operator.GREATER_EQUALS: operator.ge,
    Operator.LESS: operator.lt,
    Operator.LESS_EQUALS: operator.le,
}
_ISSUE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)")
# Jira's status categories: every accepted spelling -> the category key issues carry.
_CATEGORIES = {
    "to do": "new",
    "new": "new",
    "2": "new",
    "in progress": "indeterminate",
    "indeterminate": "indeterminate",
    "4": "indeterminate",
    "done": "done",
    "3": "done",
    "no category": "undefined",
    "undefined": "undefined",
    "1": "undefined",
}
_MEMO_LIMIT = 4096


class Caseless:
    """Case-insensitive membership test, memoised per raw string.

    Issues repeat a handful of spellings ("Story", "In Progress"), so after warm-up a test
    is one dict lookup instead of ``str.lower()`` plus a set lookup.
    """

    __slots__ = ("_lowered", "_memo")

    def __init__(self, values: Iterable[str]) -> None:
        self._lowered = frozenset(v.lower() for v in values)
        self._memo: dict[str, bool] = {}

    def has(self, raw: object) -> bool:
        if type(raw) is not str:
            return False
        hit = self._memo.get(raw)
        if hit is None:
            hit = raw.lower() in self._lowered
            if len(self._memo) < _MEMO_LIMIT:  # bounded: labels can be unbounded
                self._memo[raw] = hit
        return hit


@dataclass
class Request:
    """One clause to build: field, effective operator (after NOT push-down) and values."""

    name: str
    spec: FieldSpec
    op: Operator
    literals: list[Literal]
    functions: list[FunctionCall]
    has_empty: bool
    ctx: JqlContext
    errors: list[str]

    def fail(self, message: str) -> None:
        self.errors.append(message)

    def missing(self, value: str) -> None:
        self.fail(f"The value '{value}' does not exist for the field '{self.name}'.")


def membership(probe: Probe, op: Operator, has_empty: bool) -> Predicate:
    """Apply an operator to a probe, with Jira's empty-field semantics."""
    if op not in _POSITIVE:
        return lambda issue: probe(issue) is False
    if has_empty:
        return lambda issue: probe(issue) is not False
    return probe  # None (empty field) is already falsy


# -- single-valued named fields ------------------------------------------------------------


def build_project(req: Request) -> Predicate:
    """project by key, name or id, all resolved to project ids through ``ctx.projects``."""
    ids: set[str] = set()
    for lit in req.literals:
        project_id = req.ctx.projects.get(lit.value.upper())
        if project_id is None:
            req.missing(lit.value)
        else:
            ids.add(project_id)
    pids = frozenset(ids)
    # Fallback for issues whose project object lacks an id: every alias of a chosen project.
    aliases = frozenset(k for k, v in req.ctx.projects.items() if v in pids)

    def probe(issue: Issue) -> bool | None:
        project = (issue.get("fields") or NO_FIELDS).get("project")
        if not project:
            return None
        return project.get("id") in pids or project.get("key") in aliases

    return membership(probe, req.op, False)


def build_named(req: Request, known: frozenset[str] | None) -> Predicate:
    """Issue type, status or resolution: by name (validated against ``known``) or id."""
    names: list[str] = []
    ids: set[str] = set()
    has_empty = req.has_empty
    for lit in req.literals:
        value = lit.value.strip()
        if known is None and value.lower() == "unresolved":
            has_empty = True  # Jira's "resolution = Unresolved" means no resolution
        elif value.isdigit():
            ids.add(value)
        elif known is None or value.lower() in known:
            names.append(value)
        else:
            req.missing(lit.value)
    return membership(
        _named_probe(req.spec.attr, Caseless(names), frozenset(ids)), req.op, has_empty
    )


def _named_probe(attr: str, names: Caseless, ids: frozenset[str]) -> Probe:
    def probe(issue: Issue) -> bool | None:
        value = (issue.get("fields") or NO_FIELDS).get(attr)
        if not value:
            return None
        return names.has(value.get("name")) or value.get("id") in ids

    return probe


def build_status_category(req: Request) -> Predicate:
    """statusCategory by name ("To Do"), key ("new") or id ("2")."""
    keys: set[str] = set()
    for lit in req.literals:
        key = _CATEGORIES.get(lit.value.strip().lower())
        if key is None:
            req.missing(lit.value)
        else:
            keys.add(key)
    wanted = frozenset(keys)

    def probe(issue: Issue) -> bool | None:
        status = (issue.get("fields") or NO_FIELDS).get("status")
        category = status.get("statusCategory") if status else None
        if not category:
            return None
        key = category.get("key")
        if key is None:
            key = _CATEGORIES.get(str(category.get("id")))
        return key in wanted

    return membership(probe, req.op, req.has_empty)


# -- multi-valued fields: "=" means "contains" ------------------------------------------------


def build_labels(req: Request) -> Predicate:
    """labels, compared case-insensitively."""
    labels = Caseless(lit.value for lit in req.literals)

    def probe(issue: Issue) -> bool | None:
        values = (issue.get("fields") or NO_FIELDS).get("labels")
        if not values:
            return None
        return any(labels.has(value) for value in values)

    return membership(probe, req.op, req.has_empty)


def build_objects(req: Request, known: frozenset[str] | None) -> Predicate:
    """fixVersion or component: objects matched by name (validated if ``known``) or id."""
    names: list[str] = []
    ids: set[str] = set()
    for lit in req.literals:
        value = lit.value.strip()
        if value.isdigit():
            ids.add(value)
        elif known is None or value.lower() in known:
            names.append(value)
        else:
            req.missing(lit.value)
    attr, wanted, id_set = req.spec.attr, Caseless(names), frozenset(ids)

    def probe(issue: Issue) -> bool | None:
        values = (issue.get("fields") or NO_FIELDS).get(attr)
        if not values:
            return None
        return any(wanted.has(v.get("name")) or v.get("id") in id_set for v in values)

    return membership(probe, req.op, req.has_empty)


# -- issue references: key, parent, Epic Link ----------------------------------------------


def issue_refs(req: Request) -> tuple[frozenset[str], frozenset[str]]:
    """Validated issue keys (upper-cased) and numeric ids named by the clause."""
    keys: set[str] = set()
    ids: set[str] = set()
    for lit in req.literals:
        value = lit.value.strip()
        if value.isdigit():
            ids.add(value)
        elif not _ISSUE_KEY.fullmatch(value):
            req.fail(f"The issue key '{lit.value}' for field '{req.name}' is invalid.")
        elif not req.ctx.issue_exists(value.upper()):
            req.fail(f"An issue with key '{lit.value}' does not exist for field '{req.name}'.")
        else:
            keys.add(value.upper())
    return frozenset(keys), frozenset(ids)


@dataclass(frozen=True, slots=True)
class KeysNamed:
    """The probe of ``key = X`` / ``key in (...)``: search can look up these issues alone."""

    keys: frozenset[str]
    ids: frozenset[str]

    def __call__(self, issue: Issue) -> bool:
        return issue.get("key") in self.keys or issue.get("id") in self.ids


def build_key(req: Request) -> Predicate | None:
    """key / issuekey / id: equality by key or id, ranges via ``_key_range``."""
    keys, ids = issue_refs(req)
    if req.op in RELATIONAL_OPERATORS:
        return _key_range(req.op, req.literals[0].value.strip().upper()) if keys or ids else None
    return membership(KeysNamed(keys, ids), req.op, False)


def _key_range(op: Operator, target: str) -> Predicate:
    """``key > ACME-5`` compares issue numbers within ACME; ``key > 10040`` compares ids."""
    compare = COMPARE[op]
    if target.isdigit():
        number = int(target)
        return lambda issue: compare(issue_id(issue), number)
    project, _, digits = target.rpartition("-")
    limit = int(digits)

    def predicate(issue: Issue) -> bool:
        key = issue.get("key")
        if type(key) is not str:
            return False
        prefix, _, num = key.rpartition("-")
        return prefix == project and num.isdigit() and compare(int(num), limit)

    return predicate


def issue_id(issue: Issue) -> int:
    """The numeric issue id (-1 when missing or not numeric)."""
    raw = issue.get("id")
    if type(raw) is int:
        return raw
    return int(raw) if type(raw) is str and raw.isdigit() else -1


def is_subtask(issue_type: object) -> bool:
    """Whether an issuetype object is a sub-task type."""
    if not isinstance(issue_type, Mapping):
        return False
    return issue_type.get("hierarchyLevel") == -1 or issue_type.get("subtask") is True


def is_epic(parent: Mapping[str, Any]) -> bool:
    """Whether a parent reference points at an epic (by hierarchy level, else by name)."""
    issue_type = (parent.get("fields") or NO_FIELDS).get("issuetype") or NO_FIELDS
    level = issue_type.get("hierarchyLevel")
    if level is not None:
        return bool(level == 1)
    return str(issue_type.get("name", "")).lower() == "epic"


def build_parent(req: Request) -> Predicate:
    """Cloud: any parent. Data Center: only a sub-task's parent (epics use Epic Link)."""
    keys, ids = issue_refs(req)
    subtasks_only = req.ctx.flavor == "datacenter"

    def probe(issue: Issue) -> bool | None:
        fields = issue.get("fields") or NO_FIELDS
        parent = fields.get("parent")
        if not parent or (subtasks_only and not is_subtask(fields.get("issuetype"))):
            return None
        return parent.get("key") in keys or parent.get("id") in ids

    return membership(probe, req.op, req.has_empty)


def build_epic_link(req: Request) -> Predicate:
    """Issues whose parent is the given epic (parent is stored canonically on both flavors)."""
    keys, ids = issue_refs(req)

    def probe(issue: Issue) -> bool | None:
        parent = (issue.get("fields") or NO_FIELDS).get("parent")
        if not parent or not is_epic(parent):
            return None
        return parent.get("key") in keys or parent.get("id") in ids

    return membership(probe, req.op, req.has_empty)
