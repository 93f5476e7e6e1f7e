"""Read-your-writes across processes: the recent audit tells the tracker what was just written.

Jira Cloud's search lags behind writes (seconds to minutes, longer for bulk edits). A tracker
remembers its own writes; a new process (``plan`` right after ``apply``, the worker after a
restart) learns them from the state store's audit, so that its first read shows them too.
"""

from __future__ import annotations

import datetime as dt

import structlog

from roadmap_sync.core.model import LabelChange
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import Tracker

__all__ = ["RECENT_WRITES_WINDOW", "prime_recent_writes"]

log = structlog.get_logger(__name__)

# Atlassian: most changes reach search "within seconds"; bulk edits "may require more time".
RECENT_WRITES_WINDOW = dt.timedelta(minutes=10)


def prime_recent_writes(
    tracker: Tracker, store: StateStore, roadmap: Roadmap, now: dt.datetime
) -> int:
    """Tell the tracker about this roadmap's label writes of the last few minutes."""
    rows = store.audit_since(roadmap.product, now - RECENT_WRITES_WINDOW)
    for row, at in rows:
        if row.added or row.removed:
            change = LabelChange(row.key, row.added, row.removed, row.before)
            tracker.note_recent_writes([change], age=max(0.0, (now - at).total_seconds()))
    if rows:
        log.debug("recent_writes_primed", roadmap=roadmap.product, writes=len(rows))
    return len(rows)
