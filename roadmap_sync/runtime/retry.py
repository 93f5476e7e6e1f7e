"""Retries for HTTP requests (Jira, chat webhooks), in one place: Retry-After honoured in full.

The ``jira`` library's own ``ResilientSession`` may wake before ``Retry-After`` has passed and
does not retry a 503 without the header, so the Jira adapter runs it with ``max_retries=0`` and
retries here with stamina: a 429/503 carrying ``Retry-After`` waits exactly that long, other
transient failures back off exponentially with jitter.

Bounded, whatever the server does: a failure that backs off burns one of ``attempts``; a wait
that the server asked for (``Retry-After``) does not, since the server said when to come back,
but all of one request's such waits together stay within ``max_wait`` (and at most
``RATE_LIMIT_RETRIES`` of them). Reads (GET) are idempotent, so any 5xx is worth another try;
writes retry only what says "try later" (429, 502, 503, 504) and dropped connections, which is
safe because label ``update`` verbs are idempotent.
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
# For reads: every server error but those that say the request itself is the problem.
PERMANENT_SERVER_ERRORS = frozenset({501, 505})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RATE_LIMIT_RETRIES = 50  # Retry-After: 0 for ever must end too
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


def _method(error: BaseException) -> str | None:
    """The HTTP method of the failed request, when the error knows it."""
    response = _response(error)
    request = response.request if response is not None else getattr(error, "request", None)
    method = getattr(request, "method", None)
    return method.upper() if isinstance(method, str) else None


def transient_status(status: int | None, method: str | None) -> bool:
    """Whether a response status is worth another try for a request with this method."""
    if status is None:
        return False
    if status in TRANSIENT_STATUSES:
        return True
    idempotent = method in IDEMPOTENT_METHODS
    return idempotent and 500 <= status <= 599 and status not in PERMANENT_SERVER_ERRORS


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
        if not transient_status(status, _method(error)):
            return False
        response = _response(error)
        header = response.headers.get("Retry-After") if response is not None else None
        wait = retry_after_seconds(header) if status in (429, 503) else None
        if wait is None:
            return True
        if wait > self.policy.max_wait:
            log.warning("retry_after_too_long", status=status, retry_after=wait)
            return False
        return wait


class _CallBudget:
    """One request's allowance: ``attempts`` failures that back off, and up to ``max_wait``
    seconds of server-requested waits that burn no attempt; none of them past ``time_left``."""

    def __init__(self, decider: RetryDecider, time_left: Callable[[], float] | None) -> None:
        self.decider = decider
        self.policy = decider.policy
        self.time_left = time_left
        self.failures = 0
        self.waits = 0
        self.waited = 0.0

    def __call__(self, error: Exception) -> bool | float:
        decision = self.decider(error)
        if decision is False:
            return False
        if self.time_left is not None:
            # The caller's deadline (a run's ROADMAP_SYNC_WRITE_DEADLINE) outranks the server's
            # Retry-After: a wait that would end past it is not started. A backoff is at most
            # ``backoff_max``, so it is only refused once the time is up.
            left = self.time_left()
            if left <= 0 or (decision is not True and decision > left):
                log.warning("retry_past_deadline", seconds_left=round(max(left, 0.0), 3))
                return False
        if decision is True:
            self.failures += 1
            return self.failures < self.policy.attempts
        self.waits += 1
        if self.waited + decision > self.policy.max_wait or self.waits > RATE_LIMIT_RETRIES:
            log.warning("rate_limit_budget_spent", waited=round(self.waited, 3), waits=self.waits)
            return False
        self.waited += decision
        if self.decider.on_wait is not None:
            self.decider.on_wait(decision)
        log.info("rate_limited", retry_after=decision)
        return decision


def call_with_retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    decider: RetryDecider | None = None,
    *,
    time_left: Callable[[], float] | None = None,
) -> T:
    """Run ``action`` until it succeeds, the policy gives up, the error is permanent, or
    (``time_left``, seconds) the caller's deadline leaves no time for the next wait."""
    budget = _CallBudget(decider or RetryDecider(policy), time_left)
    for attempt in stamina.retry_context(
        on=budget,
        attempts=None,  # the budget decides: failures counted, Retry-After waits not
        timeout=None,
        wait_initial=policy.backoff_initial,
        wait_max=policy.backoff_max,
    ):
        with attempt:
            return action()
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover
