"""What every delivery channel shares: the report, the result, the job and the retry glue.

Channels turn their library's errors into ``DeliveryError`` at the point of failure, already
stripped of secrets (a ``requests`` error quotes the webhook URL, whose path *is* the token),
and say whether the failure is worth retrying; retrying itself is the tracker code's
``call_with_retry``, so the whole project retries in one place, the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import structlog

from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.redact import Redactor
from roadmap_sync.runtime.retry import RetryDecider, RetryPolicy, call_with_retry

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RenderedReport:
    """A drift report rendered in every format a channel may need."""

    title: str
    markdown: str
    html: str
    summary: str
    url: str | None = None
    # (text, url) of the Jira searches behind the numbers; chat shows them under the summary.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery went; ``channel`` and ``detail`` never carry secrets."""

    channel: str
    ok: bool
    detail: str | None = None


@dataclass(frozen=True)
class DeliveryJob:
    """Everything a channel needs for one delivery, passed explicitly."""

    report: RenderedReport
    config: DeliveryConfig
    out_dir: Path
    now: datetime
    redactor: Redactor

    def retry_policy(self) -> RetryPolicy:
        """The configured attempts and waits, as the shared retry code takes them."""
        return RetryPolicy(
            attempts=self.config.delivery_attempts,
            max_wait=self.config.delivery_max_retry_after,
            backoff_initial=self.config.delivery_backoff_initial,
            backoff_max=self.config.delivery_backoff_max,
        )


@dataclass(frozen=True)
class Channel:
    """One way of delivering a report, registered in ``dispatch.CHANNELS``."""

    name: str
    enabled: Callable[[DeliveryConfig], bool]
    label: Callable[[DeliveryJob], str]
    send: Callable[[DeliveryJob], list[DeliveryResult]]


class DeliveryError(Exception):
    """A delivery attempt failed; the message is safe to log and show."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.attempts = 1

    def redacted(self, redactor: Redactor) -> DeliveryError:
        """The same failure with known secrets masked (servers echo tokens in replies)."""
        return DeliveryError(
            redactor.text(str(self)), transient=self.transient, retry_after=self.retry_after
        )


class DeliveryRetryDecider(RetryDecider):
    """stamina hook for deliveries: the channel already classified the failure."""

    def __init__(self, policy: RetryPolicy, channel: str) -> None:
        super().__init__(policy)
        self.channel = channel

    def __call__(self, error: Exception) -> bool | float:
        """False to give up, True to back off, seconds to wait exactly (Retry-After)."""
        if not isinstance(error, DeliveryError) or not error.transient:
            return False
        wait = error.retry_after
        if wait is not None and wait > self.policy.max_wait:
            log.warning("retry_after_too_long", channel=self.channel, retry_after=wait)
            return False
        log.info("delivery_retrying", channel=self.channel, reason=str(error), retry_after=wait)
        return True if wait is None else wait


def send_with_retry(action: Callable[[], T], job: DeliveryJob, channel: str) -> T:
    """Run one channel's send until it succeeds, gives up, or fails for good."""
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        try:
            return action()
        except DeliveryError as error:
            # Masked before stamina sees it: its retry log line quotes the error.
            raise error.redacted(job.redactor) from None

    policy = job.retry_policy()
    try:
        return call_with_retry(counted, policy, DeliveryRetryDecider(policy, channel))
    except DeliveryError as error:
        error.attempts = attempts
        raise
