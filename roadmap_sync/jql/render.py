"""JQL text from a syntax tree: queries are composed as trees and rendered, never pasted.

Rendering quotes every value and field name that needs it (escaping quotes and backslashes)
and parenthesises each sub-expression by precedence, so a value can never end a clause early
and a user's extra query can never escape the clause it was put in: ``render`` of
``And((scope, parse(extra).where))`` means exactly "in scope AND extra".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from roadmap_sync.jql.ast import (
    And,
    Clause,
    Empty,
    Expr,
    Field,
    FunctionCall,
    Literal,
    Not,
    Operand,
    Operator,
    Or,
    Query,
    SortKey,
    ValueList,
)
from roadmap_sync.jql.parser import RESERVED_WORDS

__all__ = ["all_of", "any_of", "clause", "render", "render_expr", "values"]

# Words safe to leave unquoted: letters, digits and a few joiners, not a reserved word.
_BARE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "is",
        "was",
        "changed",
        "order",
        "by",
        "asc",
        "desc",
        "empty",
        "null",
    }
)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _word(text: str) -> str:
    lowered = text.lower()
    if _BARE.match(text) and lowered not in RESERVED_WORDS and lowered not in _KEYWORDS:
        return text
    return _quote(text)


def _field(field: Field) -> str:
    if field.custom_id is not None:
        return f"cf[{field.custom_id}]"
    return _word(field.name)


def _operand(operand: Operand) -> str:
    if isinstance(operand, ValueList):
        return "(" + ", ".join(_operand(item) for item in operand.items) + ")"
    if isinstance(operand, Empty):
        return "EMPTY"
    if isinstance(operand, FunctionCall):
        return f"{operand.name}({', '.join(_quote(arg) for arg in operand.args)})"
    return _quote(operand.value) if operand.quoted else _word(operand.value)


def _clause(node: Clause) -> str:
    text = f"{_field(node.field)} {node.operator.value.upper()}"
    if node.operand is not None:
        text += f" {_operand(node.operand)}"
    for predicate in node.predicates:
        text += f" {predicate.keyword.upper()} {_operand(predicate.operand)}"
    return text


def render_expr(expr: Expr, parent: type | None = None) -> str:
    """One expression; sub-expressions are parenthesised where precedence demands it."""
    if isinstance(expr, Clause):
        return _clause(expr)
    if isinstance(expr, Not):
        return f"NOT {render_expr(expr.child, Not)}"
    joiner = " AND " if isinstance(expr, And) else " OR "
    text = joiner.join(render_expr(child, type(expr)) for child in expr.children)
    # AND binds tighter than OR; anything under NOT or under the other connective is grouped.
    return text if parent is None or (parent is type(expr) and parent is And) else f"({text})"


def _sort(key: SortKey) -> str:
    return _field(key.field) + (f" {key.direction.upper()}" if key.direction else "")


def render(query: Query) -> str:
    """A whole query as JQL text."""
    parts = []
    if query.where is not None:
        parts.append(render_expr(query.where))
    if query.order_by:
        parts.append("ORDER BY " + ", ".join(_sort(key) for key in query.order_by))
    return " ".join(parts)


def values(items: Iterable[str]) -> ValueList:
    """A list operand of quoted values."""
    return ValueList(tuple(Literal(item, quoted=True) for item in items))


def clause(field: str, operator: Operator, operand: Operand | Sequence[str] | str) -> Clause:
    """``field operator operand``; a string is one quoted value, a sequence a list."""
    if isinstance(operand, str):
        operand = Literal(operand, quoted=True)
    elif not isinstance(operand, Literal | Empty | FunctionCall | ValueList):
        operand = values(operand)
    return Clause(Field(field), operator, operand)


def all_of(*parts: Expr | None) -> Expr | None:
    """The conjunction of the given expressions (None ones skipped)."""
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else And(kept)


def any_of(*parts: Expr | None) -> Expr | None:
    """The disjunction of the given expressions (None ones skipped)."""
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else Or(kept)
