"""Compile a parsed JQL query against a site into a predicate and an ORDER BY sort.

Compilation validates the whole query first, collecting every problem as Jira does (unknown
fields, values, operators, functions, dates) and raising them together in one
:class:`JqlError`. What comes out is a tree of closures: evaluation never re-inspects the
syntax tree, so a search over 100,000 issues costs a few function calls per issue.

``NOT`` is pushed down onto the clauses (De Morgan), which is what Jira does before it
searches; that is why ``NOT labels = x`` behaves exactly like ``labels != x`` and, like it,
skips issues without labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from roadmap_sync.jql.ast import (
    HISTORY_OPERATORS,
    And,
    Clause,
    Empty,
    Expr,
    FunctionCall,
    JqlError,
    Not,
    Operator,
    Query,
    ValueList,
)
from roadmap_sync.jql.ast import Literal as JqlLiteral
from roadmap_sync.sandbox.jql.context import JqlContext
from roadmap_sync.sandbox.jql.dates import DATE_FUNCTIONS
from roadmap_sync.sandbox.jql.fields import (
    RELATIONAL_OPERATORS,
    TEXT_OPERATORS,
    FieldKind,
    FieldSpec,
    resolve_field,
    unknown_field,
)
from roadmap_sync.sandbox.jql.match import (
    Issue,
    KeysNamed,
    Predicate,
    Request,
    build_epic_link,
    build_key,
    build_labels,
    build_named,
    build_objects,
    build_parent,
    build_project,
    build_status_category,
)
from roadmap_sync.sandbox.jql.match_values import DateBound, build_custom, build_date, build_text
from roadmap_sync.sandbox.jql.people import build_priority, build_sprint, build_user
from roadmap_sync.sandbox.jql.sort import KeyFunction, compile_order, sort_issues

__all__ = ["CompiledQuery", "Narrowing", "compile_query"]


@dataclass(frozen=True, slots=True)
class Narrowing:
    """Where the matches of a query can be, short of every issue: the issues a top-level
    ``key = X`` / ``key in (...)`` names, or those updated since a minute (``updated >= X``)."""

    keys: KeysNamed | None = None
    updated_since: DateBound | None = None


class CompiledQuery:
    """A validated query: ``matches`` filters issues, ``sort`` applies ORDER BY, and
    ``narrowing`` says where its matches can be (None: anywhere)."""

    __slots__ = ("_order", "_predicate", "narrowing")

    def __init__(
        self,
        predicate: Predicate,
        order: list[tuple[KeyFunction, bool]],
        narrowing: Narrowing | None = None,
    ) -> None:
        self._predicate = predicate
        self._order = order
        self.narrowing = narrowing

    def matches(self, issue: Mapping[str, Any]) -> bool:
        """Whether the issue (Jira REST v2 shape) satisfies the WHERE part."""
        return bool(self._predicate(issue))

    def sort(self, issues: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """A new list in ORDER BY order (ties by ascending id); default newest id first."""
        return sort_issues(issues, self._order)


_NEGATED = {
    Operator.EQUALS: Operator.NOT_EQUALS,
    Operator.NOT_EQUALS: Operator.EQUALS,
    Operator.IN: Operator.NOT_IN,
    Operator.NOT_IN: Operator.IN,
    Operator.IS: Operator.IS_NOT,
    Operator.IS_NOT: Operator.IS,
    Operator.LIKE: Operator.NOT_LIKE,
    Operator.NOT_LIKE: Operator.LIKE,
    Operator.GREATER: Operator.LESS_EQUALS,
    Operator.LESS_EQUALS: Operator.GREATER,
    Operator.GREATER_EQUALS: Operator.LESS,
    Operator.LESS: Operator.GREATER_EQUALS,
}

_BUILDERS: Mapping[FieldKind, Callable[[Request], Predicate | None]] = {
    FieldKind.PROJECT: build_project,
    FieldKind.KEY: build_key,
    FieldKind.ISSUE_TYPE: lambda req: build_named(req, req.ctx.issue_types),
    FieldKind.STATUS: lambda req: build_named(req, req.ctx.statuses),
    FieldKind.RESOLUTION: lambda req: build_named(req, None),
    FieldKind.STATUS_CATEGORY: build_status_category,
    FieldKind.LABELS: build_labels,
    FieldKind.VERSIONS: lambda req: build_objects(req, req.ctx.versions),
    FieldKind.COMPONENTS: lambda req: build_objects(req, None),
    FieldKind.PARENT: build_parent,
    FieldKind.EPIC_LINK: build_epic_link,
    FieldKind.TEXT: build_text,
    FieldKind.DATE: build_date,
    FieldKind.CUSTOM: build_custom,
    FieldKind.USER: build_user,
    FieldKind.PRIORITY: build_priority,
    FieldKind.SPRINT: build_sprint,
}
# Field kinds whose builders evaluate (and validate) functions themselves.
_FUNCTION_KINDS = frozenset({FieldKind.DATE, FieldKind.USER, FieldKind.SPRINT})


def compile_query(query: Query, ctx: JqlContext) -> CompiledQuery:
    """Validate ``query`` against ``ctx`` and compile it; raises :class:`JqlError`."""
    errors: list[str] = []
    predicate = _compile(query.where, False, ctx, errors) if query.where else _always
    order = compile_order(query.order_by, ctx, errors)
    if errors or predicate is None:
        raise JqlError(list(dict.fromkeys(errors)))  # de-duplicated, in query order
    return CompiledQuery(predicate, order, _narrowing(query.where, ctx))


def _narrowing(where: Expr | None, ctx: JqlContext) -> Narrowing | None:
    """What a valid query's top-level AND requires of every match, in a form search can look
    up: a clause that names issues, else one that bounds ``updated`` from below."""
    if isinstance(where, Clause):
        conjuncts: Sequence[Expr] = (where,)
    elif isinstance(where, And):
        conjuncts = where.children
    else:
        return None
    keys: KeysNamed | None = None
    since: DateBound | None = None
    for clause in conjuncts:
        if not isinstance(clause, Clause):
            continue
        built = _compile_clause(clause, False, ctx, [])
        if isinstance(built, KeysNamed):
            keys = built
        elif (
            isinstance(built, DateBound)
            and built.attr == "updated"
            and built.op in (Operator.GREATER, Operator.GREATER_EQUALS)
        ):
            since = built
    if keys is None and since is None:
        return None
    return Narrowing(keys, None if keys is not None else since)


def _always(issue: Issue) -> bool:
    return True


def _compile(expr: Expr, negate: bool, ctx: JqlContext, errors: list[str]) -> Predicate | None:
    """Compile every part (so all errors are collected); None if any part failed."""
    if isinstance(expr, Clause):
        return _compile_clause(expr, negate, ctx, errors)
    if isinstance(expr, Not):
        return _compile(expr.child, not negate, ctx, errors)
    parts = [_compile(child, negate, ctx, errors) for child in expr.children]
    compiled = [p for p in parts if p is not None]
    if len(compiled) != len(parts):
        return None
    # De Morgan: a negated AND is an OR of negated parts, and vice versa.
    return _all_of(compiled) if isinstance(expr, And) != negate else _any_of(compiled)


def _all_of(parts: Sequence[Predicate]) -> Predicate:
    # Fixed-arity closures instead of all(...) avoid a generator per issue.
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda issue: a(issue) and b(issue)
    if len(parts) == 3:
        a, b, c = parts
        return lambda issue: a(issue) and b(issue) and c(issue)
    half = len(parts) // 2
    return _all_of([_all_of(parts[:half]), _all_of(parts[half:])])


def _any_of(parts: Sequence[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda issue: a(issue) or b(issue)
    if len(parts) == 3:
        a, b, c = parts
        return lambda issue: a(issue) or b(issue) or c(issue)
    half = len(parts) // 2
    return _any_of([_any_of(parts[:half]), _any_of(parts[half:])])


def _compile_clause(
    clause: Clause, negate: bool, ctx: JqlContext, errors: list[str]
) -> Predicate | None:
    name = clause.field.name
    spec = resolve_field(clause.field, ctx)
    if spec is None:
        errors.append(unknown_field(name))
        return None
    request = _request(clause, spec, ctx, errors)
    if request is None:
        return None
    if negate:
        # Validation above used the operator as written; the search uses its negation.
        request.op = _NEGATED[request.op]
    before = len(errors)
    predicate = _BUILDERS[spec.kind](request)
    return predicate if len(errors) == before else None


def _request(clause: Clause, spec: FieldSpec, ctx: JqlContext, errors: list[str]) -> Request | None:
    """Check the operator/operand combination; the values themselves are checked later."""
    op, operand, name = clause.operator, clause.operand, clause.field.name
    if op in HISTORY_OPERATORS or op not in spec.operators or operand is None:
        errors.append(f"The operator '{op.value}' is not supported by the '{name}' field.")
        return None
    if op in (Operator.IS, Operator.IS_NOT) and not isinstance(operand, Empty):
        errors.append(f"The operator '{op.value}' only supports searching for EMPTY values.")
        return None
    if isinstance(operand, ValueList) and op not in (Operator.IN, Operator.NOT_IN):
        errors.append(f"The operator '{op.value}' does not support list values.")
        return None
    items = operand.items if isinstance(operand, ValueList) else (operand,)
    literals = [item for item in items if isinstance(item, JqlLiteral)]
    functions = [item for item in items if isinstance(item, FunctionCall)]
    has_empty = any(isinstance(item, Empty) for item in items)
    before = len(errors)
    if has_empty and op in RELATIONAL_OPERATORS | TEXT_OPERATORS:
        errors.append(f"The operator '{op.value}' does not support searching for EMPTY values.")
    elif has_empty and not spec.empty_ok:
        errors.append(f"The field '{name}' does not support searching for EMPTY values.")
    if spec.kind not in _FUNCTION_KINDS:
        errors.extend(_function_misuse(call, name) for call in functions)
    if len(errors) != before:
        return None
    return Request(name, spec, op, literals, functions, has_empty, ctx, errors)


def _function_misuse(call: FunctionCall, field: str) -> str:
    """A function on a non-date field: unknown to the sandbox, or of the wrong type."""
    if call.name.lower() in DATE_FUNCTIONS:
        return f"A value provided by the function '{call.name}' is invalid for the field '{field}'."
    return f"Unable to find JQL function '{call.name}()'."
