"""The site's clock: the wall clock, shifted by an offset that the demo and tests can move.

Jira stamps ``created``, ``updated``, ``resolutiondate`` and every changelog entry with its own
clock. The sandbox's clock ticks like the wall clock but can be set to a moment (the day a
generated backlog was "taken") and advanced (the demo's "a week later"), so that dates, weekly
throughput and the changelog span real weeks while a test or a demo takes seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["SiteClock", "parse_moment"]


def _wall() -> datetime:
    return datetime.now(UTC)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment; a moment without an offset is UTC (ValueError when unreadable)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SiteClock:
    """Now, as this site sees it: ``wall() + offset``; thread-safe."""

    def __init__(
        self, start: datetime | None = None, *, wall: Callable[[], datetime] = _wall
    ) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._offset = timedelta(0) if start is None else start - wall()

    def now(self) -> datetime:
        """The site's current time (UTC)."""
        with self._lock:
            return (self._wall() + self._offset).astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (never backwards: Jira's time does not)."""
        if delta < timedelta(0):
            raise ValueError("the site clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (forward only)."""
        return self.advance(max(moment - self.now(), timedelta(0)))
