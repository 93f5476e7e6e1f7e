"""Suggestions kept for the weekly report: computed after a full sync, stored with the run.

``suggest`` costs a few seconds at 100,000 issues (bench/suggest_accuracy.py), so a sync
computes them only when its run changed labels or the stored ones are a day old; the report
reads the newest.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import structlog

from roadmap_sync.core.suggest import suggest, suggestions_document
from roadmap_sync.engine.sync import SyncPlan
from roadmap_sync.state.store import StateStore

__all__ = ["SUGGESTIONS_FORMAT", "latest_suggestions", "refresh_suggestions"]

log = structlog.get_logger(__name__)
SUGGESTIONS_FORMAT = "suggestions"  # stored beside the reports, as roadmap-sync/suggest@1
REFRESH = dt.timedelta(days=1)


def refresh_suggestions(
    store: StateStore, run_id: int, plan: SyncPlan, now: dt.datetime, *, changed: bool
) -> bool:
    """Compute and store the suggestions if the backlog changed or they are stale."""
    product = plan.roadmap.product
    stored_at = store.latest_report_at(product, SUGGESTIONS_FORMAT)
    if not changed and stored_at is not None and now - stored_at < REFRESH:
        return False
    found = suggest(plan.items, plan.classification, plan.roadmap)
    document = suggestions_document(found, product, now.isoformat())
    store.save_report(run_id, product, SUGGESTIONS_FORMAT, json.dumps(document), now)
    log.info(
        "suggestions_recorded",
        roadmap=product,
        suggestions=len(found.suggestions),
        confident=len(found.confident()),
        clusters=len(found.clusters),
    )
    return True


def latest_suggestions(store: StateStore, product: str) -> dict[str, Any] | None:
    """The newest stored suggestions of a roadmap, if any."""
    found = store.latest_report(product, SUGGESTIONS_FORMAT)
    if found is None:
        return None
    document: dict[str, Any] = json.loads(found[1])
    return document
