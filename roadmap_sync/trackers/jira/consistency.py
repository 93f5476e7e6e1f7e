"""Read-your-writes on Jira Cloud, whose search lags behind writes.

Atlassian: ``/search/jql`` "doesn't provide read-after-write consistency by default"; edits,
above all bulk edits, show up after seconds to minutes; ``reconcileIssues`` (at most 50 issue
ids a request) makes the named issues consistent ("Search and reconcile"). The workaround they
give (JRACLOUD-96208): keep the recently changed issue ids and pass them, 50 at a time.

So the adapter keeps a journal of the label changes it made recently (and the engine adds the
recent audit of earlier processes). After reading a scope, every journalled issue whose search
result does not show the journalled change yet (or that search did not return) is read again
with ``reconcileIssues``: the result is Jira's current state, a person's later edit included.
A plan right after an apply therefore sees what the apply wrote, and never "re-applies" or
undoes anything from stale results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from roadmap_sync.core.model import LabelChange

__all__ = ["JOURNAL_SECONDS", "RecentWrites", "shows_change"]

# How long a write is distrusted in search results: Atlassian says seconds to minutes.
JOURNAL_SECONDS = 600.0


@dataclass(frozen=True, slots=True)  # one per write: 100,000 after a first sync
class _Entry:
    change: LabelChange
    at: float


class RecentWrites:
    """The label changes written in the last ``JOURNAL_SECONDS`` (thread-safe)."""

    def __init__(
        self, seconds: float = JOURNAL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def note(self, changes: Iterable[LabelChange], age: float = 0.0) -> None:
        """Remember changes made ``age`` seconds ago (a later change to a key replaces it)."""
        at = self._monotonic() - age
        with self._lock:
            for change in changes:
                if change.add or change.remove:
                    self._entries[change.key] = _Entry(change, at)

    def recent(self) -> dict[str, LabelChange]:
        """The changes still within the window, by key."""
        cutoff = self._monotonic() - self.seconds
        with self._lock:
            stale = [key for key, entry in self._entries.items() if entry.at < cutoff]
            for key in stale:
                del self._entries[key]
            return {key: entry.change for key, entry in self._entries.items()}


def shows_change(issue: Mapping[str, Any], change: LabelChange) -> bool:
    """Whether an issue as search returned it already carries a journalled label change."""
    labels = (issue.get("fields") or {}).get("labels") or []
    return all(label in labels for label in change.add) and not any(
        label in labels for label in change.remove
    )
