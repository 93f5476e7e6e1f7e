"""The JQL syntax tree and the error type shared by the JQL lexer, parser and evaluator.

Nodes are frozen dataclasses so a parsed query can be cached and shared between threads.
Source positions are kept for error messages but excluded from equality, so tests and
callers can compare trees structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal as TypingLiteral


class JqlError(Exception):
    """A query Jira would reject; ``messages`` become the ``errorMessages`` of an HTTP 400."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages: list[str] = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and character, as Jira reports them in parse errors."""

    line: int
    column: int

    def suffix(self) -> str:
        """The ``(line L, character C)`` tail Jira appends to syntax errors."""
        return f"(line {self.line}, character {self.column})"


_NOWHERE = Position(0, 0)


class Operator(StrEnum):
    """JQL operators; the values are Jira's display strings used in validation messages."""

    EQUALS = "="
    NOT_EQUALS = "!="
    LIKE = "~"
    NOT_LIKE = "!~"
    GREATER = ">"
    GREATER_EQUALS = ">="
    LESS = "<"
    LESS_EQUALS = "<="
    IN = "in"
    NOT_IN = "not in"
    IS = "is"
    IS_NOT = "is not"
    WAS = "was"
    WAS_NOT = "was not"
    WAS_IN = "was in"
    WAS_NOT_IN = "was not in"
    CHANGED = "changed"


HISTORY_OPERATORS = frozenset(
    {Operator.WAS, Operator.WAS_NOT, Operator.WAS_IN, Operator.WAS_NOT_IN, Operator.CHANGED}
)


@dataclass(frozen=True)
class Field:
    """A field reference: a (possibly quoted) name, or ``cf[N]`` with ``custom_id`` set."""

    name: str
    custom_id: int | None = None
    pos: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True)
class Literal:
    """A single value: an unquoted word or a quoted string, escapes already decoded."""

    value: str
    quoted: bool = False
    pos: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True)
class Empty:
    """The ``EMPTY`` / ``NULL`` keyword."""

    pos: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True)
class FunctionCall:
    """A function operand such as ``startOfDay(-1)``; arguments stay raw strings."""

    name: str
    args: tuple[str, ...] = ()
    pos: Position = field(default=_NOWHERE, compare=False)


SingleOperand = Literal | Empty | FunctionCall


@dataclass(frozen=True)
class ValueList:
    """A parenthesised list operand such as ``(ACME, "Web App", EMPTY)``."""

    items: tuple[SingleOperand, ...]
    pos: Position = field(default=_NOWHERE, compare=False)


Operand = SingleOperand | ValueList


@dataclass(frozen=True)
class HistoryPredicate:
    """A ``FROM``/``TO``/``BY``/``AFTER``/``BEFORE``/``ON``/``DURING`` tail of WAS/CHANGED."""

    keyword: str
    operand: Operand


@dataclass(frozen=True)
class Clause:
    """``field operator operand``; ``operand`` is None only for a bare ``CHANGED``."""

    field: Field
    operator: Operator
    operand: Operand | None
    predicates: tuple[HistoryPredicate, ...] = ()


@dataclass(frozen=True)
class And:
    """Conjunction of two or more sub-expressions (flattened)."""

    children: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """Disjunction of two or more sub-expressions (flattened)."""

    children: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """Negation; Jira pushes it down onto the clauses (see jql_eval)."""

    child: Expr


Expr = Clause | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    """One ``ORDER BY`` term; ``direction`` is None when neither ASC nor DESC was written."""

    field: Field
    direction: TypingLiteral["asc", "desc"] | None = None


@dataclass(frozen=True)
class Query:
    """A whole JQL query; ``where`` is None for an empty query or a bare ``ORDER BY``."""

    where: Expr | None = None
    order_by: tuple[SortKey, ...] = ()
