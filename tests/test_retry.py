"""Retry decisions: Retry-After honoured in full, permanent errors never retried."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import pytest
import requests
from jira import JIRAError

from roadmap_sync.runtime.retry import RetryDecider, RetryPolicy, retry_after_seconds


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
