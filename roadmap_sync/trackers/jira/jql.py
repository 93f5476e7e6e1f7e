"""The JQL the adapter sends, composed as syntax trees (``roadmap_sync.jql``) and rendered.

Nothing is pasted into a query string: a roadmap's ``tracker.jql`` is parsed and becomes one
sub-tree ANDed with the project clause, keys and values are quoted by the renderer. So
``tracker.jql: "status = Done) OR (project = OPS"`` is refused when the roadmap loads, and a
valid ``a OR b`` still only narrows the roadmap's projects.
"""

from __future__ import annotations

from collections.abc import Sequence

from roadmap_sync.core.model import EPIC_LEVEL, BacklogItem
from roadmap_sync.jql.ast import Expr, Field, Operator, Query, SortKey
from roadmap_sync.jql.render import all_of, any_of, clause, render
from roadmap_sync.jql.scope import extra_condition
from roadmap_sync.trackers.base import Scope

__all__ = [
    "BY_KEY",
    "children_jql",
    "epics_jql",
    "keys_jql",
    "keyset_jql",
    "scope_condition",
    "scope_jql",
    "version_jql",
]

BY_KEY = (SortKey(Field("key"), "asc"),)


def scope_condition(scope: Scope, projects: Sequence[str] | None = None) -> Expr:
    """A roadmap's scope (or a part of its projects), narrowed by its extra query."""
    chosen = list(projects if projects is not None else scope.projects)
    project = clause("project", Operator.IN, chosen)
    extra = extra_condition(scope.query) if scope.query else None
    condition = all_of(project, extra)
    assert condition is not None
    return condition


def scope_jql(scope: Scope, *, ordered: bool = False) -> str:
    """The JQL of a roadmap's scope, optionally ordered by key."""
    return render(Query(scope_condition(scope), BY_KEY if ordered else ()))


def keys_jql(keys: Sequence[str], scope: Scope | None) -> str:
    """The items with these keys, inside the scope when one is given, ordered by key."""
    wanted = clause("key", Operator.IN, list(keys))
    where = all_of(scope_condition(scope) if scope else None, wanted)
    return render(Query(where, BY_KEY))


def keyset_jql(scope: Scope, project: str, after: str | None) -> str:
    """One project's part of the scope, from just after issue ``after`` on, ordered by key.

    Data Center pages this way instead of by ``startAt``: it works past any result window
    (OpenSearch's 10,000) and is not shifted by issues created or deleted while paging.
    """
    start = clause("key", Operator.GREATER, after) if after else None
    return render(Query(all_of(scope_condition(scope, [project]), start), BY_KEY))


def children_jql(parents: Sequence[BacklogItem], scope: Scope, *, cloud: bool) -> str | None:
    """JQL for the direct children of these items in the scope, as each flavor links them."""
    if not parents:
        return None
    keys = [p.key for p in parents]
    epics = [p.key for p in parents if p.hierarchy_level == EPIC_LEVEL]
    linked = clause("parent", Operator.IN, keys)
    if not cloud and epics:
        # Data Center: stories hang off epics through Epic Link; sub-tasks through parent.
        linked = any_of(linked, clause("Epic Link", Operator.IN, epics))  # type: ignore[assignment]
    return render(Query(all_of(scope_condition(scope), linked), BY_KEY))


def version_jql(version_id: str, scope: Scope) -> str:
    """The scope's items scheduled into one version, named by its id (renames do not matter)."""
    return render(
        Query(
            all_of(scope_condition(scope), clause("fixVersion", Operator.EQUALS, version_id)),
            BY_KEY,
        )
    )


def epics_jql(scope: Scope, types: Sequence[str]) -> str:
    """The scope's items of these (epic-level) issue types, ordered by key."""
    kinds = clause("issuetype", Operator.IN, list(types))
    return render(Query(all_of(scope_condition(scope), kinds), BY_KEY))
