"""The ``--rate-limit cloud`` profile: burst, points quota and per-issue writes, with headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from roadmap_sync.sandbox.ratelimits import PROFILES, RateLimiter, RateLimitProfile
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data

TINY = RateLimitProfile(
    name="tiny",
    burst_rate=1000.0,
    burst_capacity=1000.0,
    quota_points=120,
    quota_window=3600,
    issue_writes=2,
    issue_window=60.0,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_quota_counts_points_and_resets_with_the_window() -> None:
    """Each request costs its base point plus its objects; the next window starts afresh."""
    wall = Clock(7200.0)
    limiter = RateLimiter(TINY, wall=wall, monotonic=Clock(0.0))
    assert limiter.admit("search", "GET") is None
    limiter.charge(1 + 100)
    headers = limiter.headers()
    assert headers["X-RateLimit-Limit"] == "120"
    assert headers["X-RateLimit-Remaining"] == "19"
    assert headers["X-RateLimit-NearLimit"] == "true"
    assert headers["X-RateLimit-Reset"] == "1970-01-01T03:00Z"
    limiter.charge(19)
    refusal = limiter.admit("search", "GET")
    assert refusal is not None and refusal.reason == "jira-quota-tenant-based"
    assert refusal.retry_after == 3600
    wall.now = 10800.0
    assert limiter.admit("search", "GET") is None
    assert "X-RateLimit-NearLimit" not in limiter.headers()


def test_burst_limit_is_per_endpoint_and_refills() -> None:
    """A burst empties one endpoint's bucket only; it refills at the profile's rate."""
    mono = Clock(0.0)
    profile = RateLimitProfile("b", 2.0, 2.0, 10**6, 60, 100, 1.0)
    limiter = RateLimiter(profile, wall=Clock(0.0), monotonic=mono)
    assert limiter.admit("search", "GET") is None
    assert limiter.admit("search", "GET") is None
    refusal = limiter.admit("search", "GET")
    assert refusal is not None and refusal.reason == "jira-burst-based"
    assert limiter.admit("issue_get", "GET") is None
    mono.now += 0.5
    assert limiter.admit("search", "GET") is None


def test_per_issue_write_limit() -> None:
    """A third write to one issue within the window is refused; other issues are not."""
    mono = Clock(0.0)
    limiter = RateLimiter(TINY, wall=Clock(0.0), monotonic=mono)
    assert limiter.admit("issue_put", "PUT", "ACME-1") is None
    assert limiter.admit("issue_put", "PUT", "ACME-1") is None
    refusal = limiter.admit("issue_put", "PUT", "ACME-1")
    assert refusal is not None and refusal.reason == "jira-per-issue-on-write"
    assert refusal.retry_after == 60
    assert limiter.admit("issue_put", "PUT", "ACME-2") is None
    mono.now += 60.0
    assert limiter.admit("issue_put", "PUT", "ACME-1") is None


def test_cloud_profile_exists() -> None:
    """The documented profile name is ``cloud``."""
    assert PROFILES["cloud"].quota_points > 0


@pytest.fixture
def limited() -> Iterator[SandboxServer]:
    """A Cloud site with a tiny quota and per-issue write limit."""
    with SandboxServer(site_data(), flavor="cloud", rate_limit=TINY, search_lag=0) as server:
        yield server


def test_headers_on_every_response_and_429_with_retry_after(limited: SandboxServer) -> None:
    """Ordinary responses carry the quota headers; when it runs out, 429 with Retry-After."""
    session = requests.Session()
    session.headers.update(limited.auth_headers())
    first = session.get(f"{limited.url}/rest/api/3/myself", timeout=5)
    assert first.status_code == 200
    assert int(first.headers["X-RateLimit-Remaining"]) == 119
    page = session.get(
        f"{limited.url}/rest/api/3/search/jql",
        params={"jql": "project = ACME", "fields": "labels", "maxResults": 100},
        timeout=5,
    )
    assert int(page.headers["X-RateLimit-Remaining"]) == 119 - 101
    statuses = [session.get(f"{limited.url}/rest/api/3/myself", timeout=5) for _ in range(20)]
    refused = statuses[-1]
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Reason"] == "jira-quota-tenant-based"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errorMessages"]


def test_per_issue_write_limit_over_http(limited: SandboxServer) -> None:
    """Writes to one issue beyond its limit answer 429 jira-per-issue-on-write."""
    url = f"{limited.url}/rest/api/3/issue/ACME-30"
    body = {"update": {"labels": [{"add": "x"}]}}
    headers = limited.auth_headers()
    answers = [requests.put(url, json=body, headers=headers, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [204, 204, 429]
    assert answers[2].headers["RateLimit-Reason"] == "jira-per-issue-on-write"
