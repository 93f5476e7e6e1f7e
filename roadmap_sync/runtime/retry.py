"""Retries for HTTP requests (Jira, chat webhooks), in one place: Retry-After honoured in full.

The ``jira`` library's own ``ResilientSession`` may wake before ``Retry-After`` has passed and
does not retry a 503 without the header, so the Jira adapter runs it with ``max_retries=0`` and
retries here with stamina: a 429/503 carrying ``Retry-After`` waits exactly that long (up to a
cap), other transient failures back off exponentially with jitter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests
import stamina
import structlog

T = TypeVar("T")
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
TRANSIENT_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.JSONDecodeError,  # a body cut short decodes badly
)
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a request counts as failed."""

    attempts: int = 6
    max_wait: float = 300.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: delay seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _status(error: BaseException) -> int | None:
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return error.response.status_code
    # Client libraries' own errors (``jira.JIRAError``) carry the status as an attribute.
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def _response(error: BaseException) -> requests.Response | None:
    response = getattr(error, "response", None)
    return response if isinstance(response, requests.Response) else None


class RetryDecider:
    """stamina backoff hook: False to give up, True to back off, seconds to wait exactly."""

    def __init__(self, policy: RetryPolicy, on_wait: Callable[[float], None] | None = None):
        self.policy = policy
        self.on_wait = on_wait

    def __call__(self, error: Exception) -> bool | float:
        """Decide about one failed attempt."""
        if isinstance(error, TRANSIENT_TRANSPORT_ERRORS):
            return True  # resets, timeouts, truncated bodies: back off and try again
        status = _status(error)
        if status not in TRANSIENT_STATUSES:
            return False
        response = _response(error)
        header = response.headers.get("Retry-After") if response is not None else None
        wait = retry_after_seconds(header)
        if wait is None:
            return True
        if wait > self.policy.max_wait:
            log.warning("retry_after_too_long", status=status, retry_after=wait)
            return False
        if self.on_wait is not None:
            self.on_wait(wait)
        log.info("rate_limited", status=status, retry_after=wait)
        return wait


def call_with_retry(
    action: Callable[[], T], policy: RetryPolicy, decider: RetryDecider | None = None
) -> T:
    """Run ``action`` until it succeeds, the policy gives up, or the error is permanent."""
    hook = decider or RetryDecider(policy)
    for attempt in stamina.retry_context(
        on=hook,
        attempts=policy.attempts,
        timeout=None,
        wait_initial=policy.backoff_initial,
        wait_max=policy.backoff_max,
    ):
        with attempt:
            return action()
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover
