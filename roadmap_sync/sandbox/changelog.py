"""The sandbox's issue changelogs: every change it makes or loads, kept per issue.

Jira keeps a history per issue: entries ``{id, author, created, items}``. The items are built
by ``changes.py`` (the same items the webhooks send) and kept in Jira's JSON shape, without
``fieldId`` on Data Center.

Served as Cloud's ``POST /rest/api/3/changelog/bulkfetch`` (``issueChangeLogs`` sorted by
date then issue id, paged by ``nextPageToken``) and as ``expand=changelog`` on Data Center's
search and on ``GET /issue``. Loaded issues may carry ``changelog.histories`` (the
``expand=changelog`` shape), which is how an exported site keeps its history.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from roadmap_sync.sandbox.catalog import Account, Flavor
from roadmap_sync.sandbox.store_types import ChangeItem

__all__ = ["ChangelogBook"]

History = dict[str, Any]


class ChangelogBook:
    """Histories per issue id, in the order they happened."""

    def __init__(self, flavor: Flavor, base_url: str = "") -> None:
        self.flavor = flavor
        self.base_url = base_url
        self._histories: dict[str, list[History]] = {}
        self._next_id = 100000
        self._lock = threading.Lock()

    def load(self, issue_id: str, histories: Iterable[Mapping[str, Any]]) -> None:
        """Keep the histories an imported issue carries (``changelog.histories``)."""
        loaded = [dict(history) for history in histories]
        with self._lock:
            self._histories.setdefault(issue_id, []).extend(loaded)
            numbers = [int(h["id"]) for h in loaded if str(h.get("id", "")).isdigit()]
            self._next_id = max([self._next_id, *(n + 1 for n in numbers)])

    def record(
        self,
        issue_id: str,
        actor: Account,
        created: str,
        changes: Sequence[ChangeItem],
    ) -> History | None:
        """Record one edit at ``created`` (Jira's timestamp): the items ``changes.py`` built."""
        if not changes:
            return None
        items = [item.as_json(with_field_id=self.flavor == "cloud") for item in changes]
        with self._lock:
            history: History = {
                "id": str(self._next_id),
                "author": actor.as_user(self.base_url, self.flavor),
                "created": created,
                "items": items,
            }
            self._next_id += 1
            self._histories.setdefault(issue_id, []).append(history)
        return history

    def histories(self, issue_id: str) -> list[History]:
        """An issue's histories, oldest first."""
        with self._lock:
            return list(self._histories.get(issue_id, ()))

    def expanded(self, issue_id: str) -> dict[str, Any]:
        """The ``changelog`` object of ``expand=changelog`` (Data Center, issue GET)."""
        histories = self.histories(issue_id)
        return {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }
