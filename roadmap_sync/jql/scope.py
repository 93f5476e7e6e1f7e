"""A roadmap's extra query (``tracker.jql``), checked before it narrows a scope.

It must be one well-formed condition: it parses, has a WHERE part and no ``ORDER BY`` (the
bot orders its own searches). Whatever it says, it is only ever used as one sub-tree ANDed
with the project clause (``render.py``), so it can narrow the scope but never widen it.
"""

from __future__ import annotations

from roadmap_sync.jql.ast import Expr, JqlError
from roadmap_sync.jql.parser import parse

__all__ = ["extra_condition", "extra_query_problem"]


def extra_query_problem(text: str) -> str | None:
    """Why ``text`` cannot narrow a scope, in words for the roadmap's author; None if it can."""
    try:
        query = parse(text)
    except JqlError as error:
        return "; ".join(error.messages)
    if query.order_by:
        return "must not contain ORDER BY (the bot orders its own searches)"
    if query.where is None:
        return "is empty: leave tracker.jql out, or write a condition such as 'status != Done'"
    return None


def extra_condition(text: str) -> Expr:
    """The condition of a checked extra query (raises ``JqlError`` for one that fails checks)."""
    problem = extra_query_problem(text)
    if problem is not None:
        raise JqlError([problem])
    where = parse(text).where
    assert where is not None  # extra_query_problem refused empty queries
    return where
