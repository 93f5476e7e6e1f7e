"""Suggestions kept for the weekly report: computed after a full sync, stored with the run.

``suggest`` costs a few seconds at 100,000 issues (bench/suggest_accuracy.py), so a sync
computes them only when a full read changed labels or the stored ones are a day old; the
report reads the newest. An incremental sync (every 15 minutes, a few dozen items read) would
otherwise spend more on suggestions than on the sync itself, for advice read once a week.

What is stored is what the report reads: the confident suggestions (at most
``STORED_SUGGESTIONS``, most items first) and the candidate new features. A 200,000-issue
backlog has tens of thousands of unconfident suggestions, each with its evidence: 17 MB of
JSON a day that nobody reads (``roadmap-sync suggest`` lists them all, live).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson
import structlog

from roadmap_sync.core.suggest import Suggestions, suggest, suggestions_document
from roadmap_sync.engine.sync import SyncPlan
from roadmap_sync.state.store import StateStore

__all__ = ["STORED_SUGGESTIONS", "SUGGESTIONS_FORMAT", "latest_suggestions", "refresh_suggestions"]

log = structlog.get_logger(__name__)
SUGGESTIONS_FORMAT = "suggestions"  # stored beside the reports, as roadmap-sync/suggest@1
REFRESH = dt.timedelta(days=1)
STORED_SUGGESTIONS = 100  # the report shows three; the rest are there for whoever reads the row


def refresh_suggestions(
    store: StateStore, run_id: int, plan: SyncPlan, now: dt.datetime, *, changed: bool
) -> bool:
    """Compute and store the suggestions if a full read changed labels or they are stale."""
    product = plan.roadmap.product
    stored_at = store.latest_report_at(product, SUGGESTIONS_FORMAT)
    fresh = stored_at is not None and now - stored_at < REFRESH
    if fresh and not (changed and plan.full_read):
        return False
    found = suggest(plan.items, plan.classification, plan.roadmap)
    confident = sorted(found.confident(), key=lambda s: (-s.items, s.key))
    kept = Suggestions(tuple(confident[:STORED_SUGGESTIONS]), found.clusters)
    document = suggestions_document(kept, product, now.isoformat())
    content = orjson.dumps(document).decode()
    store.save_report(run_id, product, SUGGESTIONS_FORMAT, content, now, replace_older=True)
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
