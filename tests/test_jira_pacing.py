"""Pacing from Jira Cloud's rate-limit headers, and spacing of writes to one issue."""

from __future__ import annotations

import pytest

from roadmap_sync.trackers.jira.pacing import IssueWriteSpacer, QuotaPacer


class Clock:
    """Wall and monotonic time the test moves; sleeping advances it."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


RESET = "1970-01-01T01:00Z"  # epoch 3600


def headers(remaining: int, limit: int = 1000) -> dict[str, str]:
    """The quota headers of one response."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": RESET,
    }


def test_no_wait_while_the_quota_is_comfortable() -> None:
    """Plenty remaining: requests go out at once."""
    clock = Clock(3000.0)
    pacer = QuotaPacer(wall=clock, sleep=clock.sleep)
    pacer.observe(headers(900))
    assert pacer.delay() == 0.0


def test_near_the_limit_the_remainder_is_spread_over_the_window() -> None:
    """Below 20%, each request waits its share of the time left (cost learned from headers)."""
    clock = Clock(3000.0)
    pacer = QuotaPacer(wall=clock, sleep=clock.sleep)
    pacer.observe(headers(200))
    pacer.observe(headers(100))  # one request cost 100 points
    assert pacer.cost == pytest.approx(0.8 + 20.0)
    delay = pacer.delay()
    assert 0 < delay < 600
    assert delay == pytest.approx(600 * pacer.cost / 100)


def test_waits_for_the_reset_when_the_rest_would_not_cover_a_request() -> None:
    """Remaining below the next request's cost: wait until the window resets."""
    clock = Clock(3000.0)
    pacer = QuotaPacer(wall=clock, sleep=clock.sleep)
    pacer.observe(headers(1))
    assert pacer.delay() == pytest.approx(600.5)
    pacer.wait()
    assert clock.slept == [120.0]  # capped; the next response tells the new state


def test_headers_without_quota_change_nothing() -> None:
    """Data Center sends no quota headers: no pacing at all."""
    pacer = QuotaPacer()
    pacer.observe({"Content-Type": "application/json"})
    assert pacer.delay() == 0.0


def test_writes_to_one_issue_are_spaced() -> None:
    """The sixth write to one issue within 10 s waits; other issues do not."""
    clock = Clock(0.0)
    spacer = IssueWriteSpacer(writes=5, window=10.0, monotonic=clock, sleep=clock.sleep)
    for _ in range(5):
        spacer.wait("ACME-1")
    assert clock.slept == []
    spacer.wait("ACME-2")
    assert clock.slept == []
    spacer.wait("ACME-1")
    assert clock.slept == [10.0]


def test_after_a_burst_429_requests_are_spaced() -> None:
    """A burst-based 429 makes every later request keep its distance; a quota 429 does not."""
    clock = Clock(3000.0)
    pacer = QuotaPacer(wall=clock, sleep=clock.sleep)
    pacer.observe({"RateLimit-Reason": "jira-quota-tenant-based"}, 429)
    pacer.wait()
    pacer.wait()
    assert clock.slept == []
    pacer.observe({"RateLimit-Reason": "jira-burst-based"}, 429)
    pacer.wait()
    pacer.wait()
    assert clock.slept == [pytest.approx(0.04)]
