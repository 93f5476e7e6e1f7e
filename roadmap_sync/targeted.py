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

from roadmap_sync.classify import classify
from roadmap_sync.model import BacklogItem, LabelPlan
from roadmap_sync.plan import plan_labels
from roadmap_sync.roadmap import Roadmap
from roadmap_sync.trackers.jira import JiraTracker

log = structlog.get_logger(__name__)
MAX_DEPTH = 6  # sub-task -> story -> epic -> initiative -> ... ; deeper chains are unusual
KEYS_PER_QUERY = 200


def _quoted(keys: Collection[str]) -> str:
    return ", ".join(sorted(keys))


def _fetch_keys(tracker: JiraTracker, roadmap: Roadmap, keys: Collection[str]) -> list[BacklogItem]:
    found: list[BacklogItem] = []
    ordered = sorted(keys)
    projects = ", ".join(f'"{p}"' for p in roadmap.tracker.projects)
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        chunk = ordered[start : start + KEYS_PER_QUERY]
        found += tracker.fetch_matching(f"project in ({projects}) AND key in ({_quoted(chunk)})")
    return found


def targeted_items(
    tracker: JiraTracker, roadmap: Roadmap, keys: Collection[str]
) -> tuple[list[BacklogItem], set[str]]:
    """The changed items, their ancestors and (for epic-level items) descendants.

    Returns every item needed to trace them, and the keys whose labels may be changed.
    """
    items = {item.key: item for item in _fetch_keys(tracker, roadmap, keys)}
    targets = set(items)
    frontier = [item for item in items.values() if item.hierarchy_level >= 1]
    for _ in range(MAX_DEPTH):
        jql = tracker.children_jql(frontier)
        if jql is None:
            break
        children = [c for c in tracker.fetch_matching(jql) if c.key not in items]
        items.update((c.key, c) for c in children)
        targets.update(c.key for c in children)
        frontier = [c for c in children if c.hierarchy_level >= 0]
    for _ in range(MAX_DEPTH):
        missing = {i.parent_key for i in items.values() if i.parent_key} - set(items)
        if not missing:
            break
        items.update((p.key, p) for p in _fetch_keys(tracker, roadmap, missing))
    return list(items.values()), targets


def targeted_plan(
    tracker: JiraTracker, roadmap: Roadmap, keys: Collection[str], today: dt.date
) -> tuple[LabelPlan, int]:
    """Label changes for the changed issues (and descendants); the number of items traced."""
    items, targets = targeted_items(tracker, roadmap, keys)
    classification = classify(items, roadmap, today=today, known_versions=())
    full = plan_labels(classification, items, roadmap)
    plan = LabelPlan(tuple(c for c in full.changes if c.key in targets))
    log.info("targeted_plan", keys=sorted(keys), traced=len(items), changes=plan.issues)
    return plan, len(items)
