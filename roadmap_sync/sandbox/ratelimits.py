"""Jira Cloud's rate limits, as a profile a sandbox site can enforce (``--rate-limit cloud``).

Atlassian documents three independent limits ("Rate limiting"; "Build an app that respects
rate limits"), each answered with 429, ``Retry-After`` (seconds) and ``RateLimit-Reason``:

- a burst limit per endpoint and method (``jira-burst-based``): a token bucket here;
- a points-based quota (``jira-quota-tenant-based``): each request costs 1 point plus 1 per
  object it returns (issues of a search page, versions of a list); writes cost 1. The real
  window is an hour; the sandbox compresses it to a wall-clock minute so that tests and
  benchmarks meet it, which also makes ``X-RateLimit-Reset``'s documented minute precision
  (``yyyy-MM-ddTHH:mmZ``) exact;
- a per-issue write limit (``jira-per-issue-on-write``).

Every REST response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` for the quota, and
``X-RateLimit-NearLimit: true`` once less than 20% of it remains, so a client can slow down
before it runs out.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["PROFILES", "RateLimitProfile", "RateLimiter", "Refusal"]

NEAR_LIMIT_SHARE = 0.2  # "less than 20% of the budget remains"


@dataclass(frozen=True)
class RateLimitProfile:
    """The numbers of one rate-limit profile."""

    name: str
    burst_rate: float  # tokens per second per (endpoint, method)
    burst_capacity: float
    quota_points: int  # per quota window
    quota_window: int  # seconds; windows start at multiples of it (wall clock)
    issue_writes: int  # writes to one issue ...
    issue_window: float  # ... per this many seconds


PROFILES: dict[str, RateLimitProfile] = {
    "cloud": RateLimitProfile(
        name="cloud",
        burst_rate=50.0,
        burst_capacity=100.0,
        quota_points=50_000,
        quota_window=60,
        issue_writes=10,
        issue_window=10.0,
    ),
}


@dataclass(frozen=True)
class Refusal:
    """A 429: why, and how long to wait."""

    reason: str
    retry_after: float
    message: str


class RateLimiter:
    """Enforces one profile; thread-safe. ``wall`` and ``monotonic`` are injectable for tests."""

    def __init__(
        self,
        profile: RateLimitProfile,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile = profile
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._window_start = 0
        self._spent = 0
        self._writes: defaultdict[str, deque[float]] = defaultdict(deque)

    # -- the points quota ----------------------------------------------------------------------
    def _roll(self) -> int:
        """The current window's start (wall-clock seconds), resetting the count when it moved."""
        window = self.profile.quota_window
        start = int(self._wall() // window * window)
        if start != self._window_start:
            self._window_start, self._spent = start, 0
        return start

    def headers(self) -> dict[str, str]:
        """The quota headers every REST response carries."""
        with self._lock:
            start = self._roll()
            remaining = max(0, self.profile.quota_points - self._spent)
        reset = datetime.fromtimestamp(start + self.profile.quota_window, UTC)
        headers = {
            "X-RateLimit-Limit": str(self.profile.quota_points),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
        }
        if remaining < self.profile.quota_points * NEAR_LIMIT_SHARE:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers

    def charge(self, points: int) -> None:
        """Count what an answered request cost."""
        with self._lock:
            self._roll()
            self._spent += max(1, points)

    # -- admission -------------------------------------------------------------------------------
    def admit(self, endpoint: str, method: str, issue: str | None = None) -> Refusal | None:
        """Whether a request may run now; a ``Refusal`` (429) when a limit is exhausted."""
        with self._lock:
            start = self._roll()
            if self._spent >= self.profile.quota_points:
                wait = start + self.profile.quota_window - self._wall()
                return Refusal(
                    "jira-quota-tenant-based",
                    max(1.0, math.ceil(wait)),
                    "The points quota for this hour has been used up.",
                )
            refusal = self._burst(endpoint, method)
            if refusal is None and issue is not None:
                refusal = self._issue_write(issue)
            return refusal

    def _burst(self, endpoint: str, method: str) -> Refusal | None:
        profile = self.profile
        now = self._monotonic()
        tokens, at = self._buckets.get((endpoint, method), (profile.burst_capacity, now))
        tokens = min(profile.burst_capacity, tokens + (now - at) * profile.burst_rate)
        if tokens < 1.0:
            self._buckets[(endpoint, method)] = (tokens, now)
            wait = (1.0 - tokens) / profile.burst_rate
            return Refusal("jira-burst-based", max(1.0, math.ceil(wait)), "Rate limit exceeded.")
        self._buckets[(endpoint, method)] = (tokens - 1.0, now)
        return None

    def _issue_write(self, issue: str) -> Refusal | None:
        profile = self.profile
        now = self._monotonic()
        recent = self._writes[issue]
        while recent and recent[0] <= now - profile.issue_window:
            recent.popleft()
        if len(recent) >= profile.issue_writes:
            wait = recent[0] + profile.issue_window - now
            return Refusal(
                "jira-per-issue-on-write",
                max(1.0, math.ceil(wait)),
                f"Too many updates to issue {issue}; space out writes to it.",
            )
        recent.append(now)
        return None

    def issue_write_allowed(self, issue: str) -> bool:
        """Count one write to an issue (bulk edits); False when its limit is reached."""
        with self._lock:
            return self._issue_write(issue) is None
