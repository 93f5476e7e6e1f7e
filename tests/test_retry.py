"""Retry decisions: Retry-After honoured in full, permanent errors never retried."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import pytest
import requests
from jira import JIRAError

from roadmap_sync.runtime.retry import (
    RetryDecider,
    RetryPolicy,
    call_with_retry,
    retry_after_seconds,
)


def jira_error(status: int, headers: dict[str, str] | None = None) -> JIRAError:
    """A JIRAError carrying a real ``requests.Response``, as the client raises it."""
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return JIRAError("boom", status_code=status, response=response)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0.25", 0.25), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    """Delay-seconds values parse; nonsense is ignored rather than trusted."""
    assert retry_after_seconds(header) == expected


def test_retry_after_http_date() -> None:
    """An HTTP-date Retry-After becomes the seconds until then."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    seconds = retry_after_seconds(format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 28 <= seconds <= 30


@pytest.mark.parametrize(
    ("error", "decision"),
    [
        (jira_error(429, {"Retry-After": "4"}), 4.0),
        (jira_error(503, {"Retry-After": "2"}), 2.0),
        (jira_error(503), True),
        (jira_error(429), True),
        (jira_error(429, {"Retry-After": "3600"}), False),
        (jira_error(400), False),
        (jira_error(401), False),
        (jira_error(404), False),
        (requests.ConnectionError("reset"), True),
        (requests.exceptions.ChunkedEncodingError("truncated"), True),
        (ValueError("a bug"), False),
    ],
)
def test_decider(error: Exception, decision: bool | float) -> None:
    """Wait exactly Retry-After; back off on transient errors; give up on the rest."""
    result = RetryDecider(RetryPolicy(max_wait=300))(error)
    # bool is an int: 0.0 == False, so the type matters as much as the value.
    assert type(result) is type(decision)
    assert result == decision


def failed_request(method: str, status: int) -> JIRAError:
    """A JIRAError for a request with this method, as the client raises it."""
    error = jira_error(status)
    assert error.response is not None
    error.response.request = requests.Request(method, "http://jira/rest").prepare()
    return error


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("GET", 500, True),  # a read is idempotent: any server error is worth another try
        ("GET", 507, True),
        ("GET", 501, False),  # "not implemented" will not change
        ("PUT", 500, False),  # a write retries only what says "try later"
        ("PUT", 503, True),
        ("POST", 502, True),
        ("GET", 404, False),
    ],
)
def test_reads_retry_every_server_error_writes_only_transient_ones(
    method: str, status: int, retried: bool
) -> None:
    """The method of the failed request decides how far a server error is trusted to pass."""
    assert (RetryDecider(RetryPolicy())(failed_request(method, status)) is True) is retried


def test_retry_after_waits_burn_no_attempt_but_share_a_budget() -> None:
    """Ten Retry-After waits fit in two attempts; the budget of max_wait ends an endless 429."""
    calls = 0

    def limited_ten_times() -> str:
        nonlocal calls
        calls += 1
        if calls <= 10:
            raise jira_error(429, {"Retry-After": "0.001"})
        return "done"

    policy = RetryPolicy(attempts=2, max_wait=1.0, backoff_initial=0.001, backoff_max=0.001)
    assert call_with_retry(limited_ten_times, policy) == "done"
    calls = 0

    def always_limited() -> str:
        nonlocal calls
        calls += 1
        raise jira_error(429, {"Retry-After": "0.02"})

    tight = RetryPolicy(attempts=2, max_wait=0.05, backoff_initial=0.001, backoff_max=0.001)
    with pytest.raises(JIRAError):
        call_with_retry(always_limited, tight)
    assert calls == 3  # two waits of 0.02 s fit in 0.05 s, a third would not
