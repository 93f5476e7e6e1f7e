"""The JQL the adapter sends: a roadmap's scope, keys, and the children of items."""

from __future__ import annotations

from collections.abc import Sequence

from roadmap_sync.core.model import EPIC_LEVEL, BacklogItem
from roadmap_sync.trackers.base import Scope

__all__ = ["children_jql", "keys_jql", "scope_jql"]


def scope_jql(scope: Scope) -> str:
    """The JQL of a roadmap's scope: its projects, narrowed by its extra JQL."""
    projects = "project in (" + ", ".join(f'"{p}"' for p in scope.projects) + ")"
    return f"{projects} AND ({scope.query})" if scope.query else projects


def keys_jql(keys: Sequence[str], scope: Scope | None) -> str:
    """The items with these keys, inside the scope when one is given."""
    clause = f"key in ({', '.join(keys)})"
    return f"({scope_jql(scope)}) AND {clause}" if scope else clause


def children_jql(parents: Sequence[BacklogItem], *, cloud: bool) -> str | None:
    """JQL for the direct children of these items, as each flavor links them."""
    if not parents:
        return None
    keys = ", ".join(p.key for p in parents)
    epics = ", ".join(p.key for p in parents if p.hierarchy_level == EPIC_LEVEL)
    if cloud or not epics:
        return f"parent in ({keys})"
    # Data Center: stories hang off epics through Epic Link; sub-tasks through parent.
    return f'parent in ({keys}) OR "Epic Link" in ({epics})'
