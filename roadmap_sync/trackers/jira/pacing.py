"""Pacing: slow down before Jira Cloud's quota runs out, and space out writes to one issue.

Jira Cloud sends ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(``yyyy-MM-ddTHH:mmZ``) with ordinary responses, and ``X-RateLimit-NearLimit: true`` when less
than 20% remains (developer.atlassian.com, "Rate limiting"). Atlassian asks apps to balance
their load rather than meet 429s: so the bot learns what its requests cost (the drop of
``Remaining`` between responses), and before each request

- waits for the window to reset when the remainder would not cover the next request, and
- once near the limit, spreads the remainder evenly over the time left in the window.

The burst limit (per endpoint and method, ``jira-burst-based``) sends no advance headers; after
the first burst 429 the bot keeps its requests at most ``BURST_SAFE_RATE`` a second for the
rest of the session, as Atlassian advises ("slow down requests to that endpoint"). A 429 is
still honoured by the retry policy (``Retry-After``); pacing only makes it rare.
Writes to one issue are spaced so that no issue sees more than ``ISSUE_WRITES`` writes per
``ISSUE_WINDOW`` seconds (``jira-per-issue-on-write``).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog

__all__ = ["IssueWriteSpacer", "QuotaPacer"]

log = structlog.get_logger(__name__)

PRUNE_AT = 10_000  # issues remembered before those without recent writes are forgotten
MAX_PACING_WAIT = 120.0  # never sleep longer than this for one request (a real window is 1 h)
BURST_SAFE_RATE = 25.0  # requests per second once a burst 429 was seen
ISSUE_WRITES = 5
ISSUE_WINDOW = 10.0


def _reset_at(value: str | None) -> float | None:
    """Epoch seconds of an ``X-RateLimit-Reset`` value (minute or second precision)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    for candidate in (text, text.replace("+00:00", ":00+00:00")):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class QuotaPacer:
    """Tracks the quota headers and decides how long to wait before the next request."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._wall = wall
        self._sleep = sleep
        self._on_wait = on_wait
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: float | None = None
        self.cost = 1.0  # what one request costs, learned from the headers
        self.min_interval = 0.0  # spacing between requests, once a burst 429 was seen
        self._last = 0.0

    def observe(self, headers: Mapping[str, str], status: int = 200) -> None:
        """Learn from one response's status and headers."""
        if status == 429 and headers.get("RateLimit-Reason") == "jira-burst-based":
            with self._lock:
                if not self.min_interval:
                    log.info("burst_limited", rate=BURST_SAFE_RATE)
                self.min_interval = 1.0 / BURST_SAFE_RATE
        remaining = _int(headers.get("X-RateLimit-Remaining"))
        if remaining is None:
            return
        limit = _int(headers.get("X-RateLimit-Limit"))
        reset = _reset_at(headers.get("X-RateLimit-Reset"))
        with self._lock:
            same_window = reset is not None and reset == self.reset
            if same_window and self.remaining is not None and remaining < self.remaining:
                spent = self.remaining - remaining
                self.cost = 0.8 * self.cost + 0.2 * spent
            self.limit, self.remaining, self.reset = limit, remaining, reset

    def delay(self) -> float:
        """Seconds to wait before the next request (0 when the quota is comfortable)."""
        with self._lock:
            if self.remaining is None or self.reset is None or not self.limit:
                return 0.0
            left = self.reset - self._wall()
            if left <= 0:
                return 0.0
            if self.remaining < 2 * self.cost:
                return left + 0.5  # what is left would not cover the next request
            if self.remaining < 0.2 * self.limit:
                # Near the limit: spread what remains evenly over the rest of the window.
                return left * self.cost / self.remaining
            return 0.0

    def _spacing(self) -> float:
        with self._lock:
            if not self.min_interval:
                return 0.0
            now = self._wall()
            start = max(now, self._last + self.min_interval)
            self._last = start
            return start - now

    def wait(self) -> None:
        """Sleep as long as ``delay`` says (capped), counting it as a rate-limit wait."""
        spacing = self._spacing()
        if spacing > 0:
            self._sleep(spacing)
        seconds = min(self.delay(), MAX_PACING_WAIT)
        if seconds <= 0:
            return
        if seconds > 1:
            log.info("quota_pacing", seconds=round(seconds, 2), remaining=self.remaining)
        if self._on_wait is not None:
            self._on_wait(seconds)
        self._sleep(seconds)
        with self._lock:
            if self.reset is not None and self._wall() >= self.reset:
                self.remaining = None  # a new window: learn it again from the next response


class IssueWriteSpacer:
    """At most ``writes`` writes to one issue per ``window`` seconds (waits otherwise)."""

    def __init__(
        self,
        writes: int = ISSUE_WRITES,
        window: float = ISSUE_WINDOW,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.writes = writes
        self.window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._recent: defaultdict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str) -> None:
        """Block until one more write to ``key`` keeps within the limit, then count it."""
        while True:
            with self._lock:
                now = self._monotonic()
                recent = self._recent[key]
                while recent and recent[0] <= now - self.window:
                    recent.popleft()
                if len(recent) < self.writes:
                    recent.append(now)
                    if len(self._recent) > PRUNE_AT:
                        self._prune(now)
                    return
                pause = recent[0] + self.window - now
            self._sleep(pause)

    def _prune(self, now: float) -> None:
        stale = [
            k for k, times in self._recent.items() if not times or times[-1] <= now - self.window
        ]
        for key in stale:
            del self._recent[key]
