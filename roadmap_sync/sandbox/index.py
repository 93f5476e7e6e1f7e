"""The search index: what Cloud's search sees, which lags behind the issues themselves.

Atlassian documents that ``/rest/api/3/search/jql`` "doesn't provide read-after-write
consistency by default": a change shows up in search after seconds to minutes, bulk edits take
longer, and ``reconcileIssues`` (at most 50 issue ids) makes the named issues consistent in one
response (developer.atlassian.com, "Search and reconcile"; JRACLOUD-96208). ``GET /issue/{key}``
is always current.

The index keeps, for each issue changed within the last ``lag`` seconds, the versions search
may still show: the one indexed before the change (``base``, None for an issue not indexed
yet) and each later version with the moment it becomes searchable. Lag is measured on the
monotonic clock, not the site's (possibly fixed) JQL clock, so that it always elapses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Issue = dict[str, Any]

# Bulk edits reach search this many times later than a single edit; Atlassian says only that
# operations touching many issues "may require more time to appear in search".
BULK_LAG_FACTOR = 5.0


@dataclass
class _Pending:
    """An issue whose newest versions are not all searchable yet."""

    base: Issue | None
    versions: list[tuple[float, int, Issue | None]] = field(default_factory=list)

    def visible(self, now: float) -> Issue | None:
        """The newest committed version whose indexing is done (``base`` if none is)."""
        best: tuple[int, Issue | None] | None = None
        for at, order, issue in self.versions:
            if at <= now and (best is None or order > best[0]):
                best = (order, issue)
        return self.base if best is None else best[1]

    def settled(self, now: float) -> bool:
        return all(at <= now for at, _, _ in self.versions)


def snapshot(issue: Mapping[str, Any]) -> Issue:
    """An issue as it is now; field dicts are replaced, never mutated, so sharing them is safe."""
    return {"id": issue["id"], "key": issue["key"], "fields": issue["fields"]}


class SearchIndex:
    """Delays what search sees by ``lag`` seconds (``lag`` 0: search is always current)."""

    def __init__(
        self,
        lag: float = 0.0,
        bulk_factor: float = BULK_LAG_FACTOR,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lag = max(0.0, lag)
        self.bulk_factor = bulk_factor
        self._monotonic = monotonic
        self._pending: dict[str, _Pending] = {}
        self._order = 0
        self._lock = threading.Lock()

    def record(self, key: str, before: Issue | None, after: Issue | None, *, bulk: bool) -> None:
        """Note a change: ``before`` was current until now, ``after`` (None: deleted) is now."""
        if self.lag <= 0:
            return
        delay = self.lag * (self.bulk_factor if bulk else 1.0)
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = _Pending(before)
            self._order += 1
            pending.versions.append((self._monotonic() + delay, self._order, after))

    def _settle(self, now: float) -> None:
        done = [key for key, pending in self._pending.items() if pending.settled(now)]
        for key in done:
            del self._pending[key]

    def view(
        self, current: Mapping[str, Issue], reconciled: Collection[str] = ()
    ) -> Iterable[Issue]:
        """Every issue as search sees it now; ``reconciled`` keys are read as they are."""
        with self._lock:
            now = self._monotonic()
            self._settle(now)
            if not self._pending:
                return list(current.values())
            pending = dict(self._pending)
        shown: list[Issue] = []
        for key, issue in current.items():
            stale = pending.get(key)
            if stale is None or key in reconciled:
                shown.append(issue)
                continue
            seen = stale.visible(now)
            if seen is not None:
                shown.append(seen)
        for key, stale in pending.items():
            # Deleted issues linger in search until the deletion is indexed.
            if key not in current and key not in reconciled:
                seen = stale.visible(now)
                if seen is not None:
                    shown.append(seen)
        return shown

    def view_of(
        self, keys: Iterable[str], current: Mapping[str, Issue], reconciled: Collection[str] = ()
    ) -> list[Issue]:
        """As ``view``, but only ``keys`` and every issue search does not show as it is yet
        (whatever their stale versions hold): what ``view`` shows of the issues that have one
        of ``keys`` now, and maybe more."""
        with self._lock:
            self._settle(self._monotonic())
            wanted = set(keys).union(self._pending)
        shown = []
        for key in wanted:
            issue = self.issue(key, current.get(key), key in reconciled)
            if issue is not None:
                shown.append(issue)
        return shown

    def issue(self, key: str, current: Issue | None, reconciled: bool = False) -> Issue | None:
        """One issue as search shows it now (None: search does not know it)."""
        if reconciled:
            return current
        with self._lock:
            stale = self._pending.get(key)
            if stale is None:
                return current
            now = self._monotonic()
            if stale.settled(now):
                del self._pending[key]
                return current
            return stale.visible(now)

    def issues(
        self, keys: Iterable[str], current: Mapping[str, Issue], reconciled: Collection[str] = ()
    ) -> list[Issue]:
        """As ``issue`` for each key, leaving out those search does not know: a page at a
        time, as of one moment, and one look-up per issue when nothing is pending."""
        with self._lock:
            now = self._monotonic()
            self._settle(now)
            pending = dict(self._pending) if self._pending else None
        if pending is None:
            return [issue for key in keys if (issue := current.get(key)) is not None]
        shown: list[Issue] = []
        for key in keys:  # as ``view``: the page as of one moment
            stale = pending.get(key)
            issue = current.get(key) if stale is None or key in reconciled else stale.visible(now)
            if issue is not None:
                shown.append(issue)
        return shown

    def lagging_keys(self) -> frozenset[str]:
        """The issues search does not yet show as they are."""
        with self._lock:
            self._settle(self._monotonic())
            return frozenset(self._pending)

    def lagging(self) -> int:
        """How many issues search does not yet show as they are (for tests and the hooks)."""
        with self._lock:
            self._settle(self._monotonic())
            return len(self._pending)
