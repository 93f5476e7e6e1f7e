"""Targeted re-sync of a few issues (from webhooks): no full scan of the backlog.

An item's trace depends only on itself, its ancestors and the roadmap, so classifying the
changed issues together with their ancestors gives the same verdicts a full sync would; when
an epic-level issue changes, its descendants are re-traced too. Roadmap findings need the
whole backlog and are left to the scheduled full syncs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import structlog

from roadmap_sync.core.classify import classify
from roadmap_sync.core.model import BacklogItem, LabelPlan
from roadmap_sync.core.plan import plan_labels
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.scope_guard import assert_in_scope
from roadmap_sync.trackers.base import Tracker

log = structlog.get_logger(__name__)
MAX_DEPTH = 6  # sub-task -> story -> epic -> initiative -> ... ; deeper chains are unusual


def targeted_items(
    tracker: Tracker, roadmap: Roadmap, keys: Collection[str]
) -> tuple[list[BacklogItem], set[str]]:
    """The changed items, their ancestors and descendants, all within the roadmap's scope.

    Returns every item needed to trace them, and the keys whose labels may be changed. Every
    query carries the roadmap's scope (projects and extra JQL), exactly like a full sync, so a
    webhook never labels an issue that a full sync would not see (and so never clean up).
    """
    scope = roadmap.tracker.scope
    items = {item.key: item for item in tracker.fetch_keys(keys, scope)}
    targets = set(items)
    # Sub-tasks inherit a story's schedule and everything inherits an epic's plan: re-trace
    # the descendants of every changed item that can have children.
    frontier = [item for item in items.values() if item.hierarchy_level >= 0]
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        found = tracker.fetch_children(frontier, scope)
        children = [c for c in found if c.key not in items]
        items.update((c.key, c) for c in children)
        targets.update(c.key for c in children)
        frontier = [c for c in children if c.hierarchy_level >= 0]
    asked: set[str] = set()
    for _ in range(MAX_DEPTH):
        # Ancestors outside the scope stay unknown, as they are to a full sync.
        missing = {i.parent_key for i in items.values() if i.parent_key} - set(items) - asked
        if not missing:
            break
        asked |= missing
        items.update((p.key, p) for p in tracker.fetch_keys(missing, scope))
    return list(items.values()), targets


def targeted_plan(
    tracker: Tracker,
    roadmap: Roadmap,
    keys: Collection[str],
    today: dt.date,
    written: Collection[str] = (),
) -> tuple[LabelPlan, int]:
    """Label changes for the changed issues (and descendants); the number of items traced.

    ``written`` holds the labels the bot wrote in earlier runs, as for a full sync, so a stale
    label of its own (a release since dropped from the roadmap) goes at once, not next night.
    """
    items, targets = targeted_items(tracker, roadmap, keys)
    classification = classify(items, roadmap, today=today, known_versions=())
    full = plan_labels(classification, items, roadmap, written)
    plan = LabelPlan(
        tuple(c for c in full.changes if c.key in targets),
        tuple(f for f in full.foreign if f[0] in targets),
    )
    assert_in_scope(plan.changes, items, roadmap.tracker.projects)
    log.info("targeted_plan", keys=sorted(keys), traced=len(items), changes=plan.issues)
    return plan, len(items)
