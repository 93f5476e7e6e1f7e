"""Composing JQL from syntax trees: what is rendered parses back to the same tree, and a
roadmap's extra query can narrow a scope but never escape it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roadmap_sync.core.model import Scope
from roadmap_sync.jql.ast import And, Clause, Field, Literal, Not, Operator, Or, Query, ValueList
from roadmap_sync.jql.parser import parse
from roadmap_sync.jql.render import render
from roadmap_sync.jql.scope import extra_query_problem
from roadmap_sync.trackers.jira.jql import keys_jql, keyset_jql, scope_jql

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_values = st.builds(lambda v: Literal(v, quoted=True), _text)
_fields = st.sampled_from(["labels", "status", "fixVersion", "summary name", "Epic Link"])
_clauses = st.builds(
    lambda field, op, value: Clause(Field(field), op, value),
    _fields,
    st.sampled_from([Operator.EQUALS, Operator.NOT_EQUALS, Operator.LIKE]),
    _values,
) | st.builds(
    lambda field, items: Clause(Field(field), Operator.IN, ValueList(tuple(items))),
    _fields,
    st.lists(_values, min_size=1, max_size=3),
)
_exprs = st.recursive(
    _clauses,
    lambda children: (
        st.builds(lambda c: And(tuple(c)), st.lists(children, min_size=2, max_size=3))
        | st.builds(lambda c: Or(tuple(c)), st.lists(children, min_size=2, max_size=3))
        | st.builds(Not, children)
    ),
    max_leaves=8,
)


def _flat(expr: object) -> object:
    """A tree with nested ANDs/ORs flattened and double negation removed, as the parser does."""
    if isinstance(expr, Not):
        inner = _flat(expr.child)
        return inner.child if isinstance(inner, Not) else Not(inner)  # type: ignore[arg-type]
    if isinstance(expr, And | Or):
        kind = type(expr)
        parts: list[object] = []
        for child in (_flat(c) for c in expr.children):
            parts.extend(child.children if isinstance(child, kind) else (child,))
        return kind(tuple(parts))  # type: ignore[arg-type]
    return expr


@given(_exprs)
def test_rendered_trees_parse_back_to_themselves(expr: object) -> None:
    """Any tree of clauses, values with quotes/backslashes/keywords, AND/OR/NOT round-trips."""
    text = render(Query(expr))  # type: ignore[arg-type]
    assert parse(text).where == _flat(expr)


def test_scope_is_the_projects_and_the_whole_extra_query() -> None:
    """An OR in the extra query stays inside the parentheses the tree gives it."""
    scope = Scope(("ACME",), "status = Done OR labels = x")
    assert scope_jql(scope) == 'project IN ("ACME") AND (status = Done OR labels = x)'
    where = parse(scope_jql(scope)).where
    assert isinstance(where, And) and isinstance(where.children[1], Or)


def test_keys_and_keysets_quote_their_values() -> None:
    """Keys are quoted values; a keyset page starts after the last key, ordered by key."""
    scope = Scope(("ACME", "OPS"), None)
    assert keys_jql(["ACME-1", "ACME-2"], scope) == (
        'project IN ("ACME", "OPS") AND key IN ("ACME-1", "ACME-2") ORDER BY key ASC'
    )
    assert keyset_jql(scope, "OPS", "OPS-99") == (
        'project IN ("OPS") AND key > "OPS-99" ORDER BY key ASC'
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("status = Done) OR (project = OPS", "Expecting either 'OR' or 'AND' but got ')'"),
        ("status = Done ORDER BY key", "ORDER BY"),
        ("ORDER BY key", "ORDER BY"),
        ("   ", "is empty"),
        ("labels = ", "Expecting either a value, list or function"),
    ],
)
def test_extra_queries_that_cannot_narrow_a_scope(extra: str, problem: str) -> None:
    """Escapes, ORDER BY and empty or broken queries are refused with a reason."""
    found = extra_query_problem(extra)
    assert found is not None and problem in found


def test_a_good_extra_query_passes() -> None:
    """A well-formed condition, however complex, is accepted."""
    assert extra_query_problem("(component IS EMPTY OR component != Legacy) AND NOT x = y") is None
