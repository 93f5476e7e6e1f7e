"""Issues in the order they were last updated, and the keys of every change in order.

Jira answers ``updated >= -20m`` from its index, in time proportional to what matches, and a
count of a query it has answered before without reading every issue again. The sandbox used to
evaluate every issue for both (0.25 s a request at 100,000 issues, which the bot's
incremental-sync benchmark then measured instead of the bot). These two structures let search
look only where an answer can be; what it answers is the same as a full evaluation's
(``tests/test_sandbox_narrowing.py`` compares them).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from typing import Any

from roadmap_sync.sandbox.jql.dates import issue_minute_key

__all__ = ["ChangeJournal", "UpdatedOrder"]

Issue = Mapping[str, Any]
_AFTER_EVERY_KEY = "\U0010ffff"


def _minute(issue: Issue) -> str | None:
    return issue_minute_key((issue.get("fields") or {}).get("updated"))


class UpdatedOrder:
    """Issue keys sorted by their ``updated`` minute (UTC), kept current on every change."""

    def __init__(self, issues: Iterable[Issue] = ()) -> None:
        self._at: dict[str, str] = {}
        for issue in issues:
            minute = _minute(issue)
            if minute is not None:
                self._at[issue["key"]] = minute
        self._order = sorted((minute, key) for key, minute in self._at.items())

    def record(self, key: str, issue: Issue | None) -> None:
        """``key`` now is ``issue`` (None: deleted)."""
        old = self._at.pop(key, None)
        if old is not None:
            at = bisect_left(self._order, (old, key))
            del self._order[at]
        minute = None if issue is None else _minute(issue)
        if minute is not None:
            self._at[key] = minute
            insort(self._order, (minute, key))

    def since(self, minute: str, *, inclusive: bool) -> list[str]:
        """Keys updated at ``minute`` or later (``inclusive``), else strictly later."""
        if inclusive:
            start = bisect_left(self._order, (minute,))
        else:
            start = bisect_right(self._order, (minute, _AFTER_EVERY_KEY))
        return [key for _, key in self._order[start:]]


class ChangeJournal:
    """The key of every issue change, in order: what changed since a position.

    ``position`` counts every change ever noted; the oldest entries are dropped past
    ``capacity``, and asking for changes from before them answers None (evaluate afresh).
    """

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._keys: list[str] = []
        self._dropped = 0
        self.epoch = 0  # bumped when issues changed without a journalled change

    @property
    def position(self) -> int:
        return self._dropped + len(self._keys)

    def note(self, key: str) -> None:
        self._keys.append(key)
        if len(self._keys) > self.capacity:
            half = len(self._keys) // 2
            del self._keys[:half]
            self._dropped += half

    def since(self, position: int) -> list[str] | None:
        """Keys changed after ``position`` (None: no longer known)."""
        if position < self._dropped:
            return None
        return self._keys[position - self._dropped :]
