"""Report delivery: every enabled channel gets the report; one failing never stops the rest.

Channels are registered here, in one place, each in its own module (``file``, ``chat``,
``mail``) behind the small ``Channel`` record.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import structlog

from roadmap_sync.reports.delivery import chat, file, mail
from roadmap_sync.reports.delivery.base import (
    Channel,
    DeliveryError,
    DeliveryJob,
    DeliveryResult,
    RenderedReport,
)
from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.redact import Redactor

__all__ = ["CHANNELS", "DeliveryResult", "RenderedReport", "deliver"]

# Files first: the report is on disk before anything slow or remote is tried.
CHANNELS: tuple[Channel, ...] = (
    file.CHANNEL,
    chat.CHANNEL,
    mail.CHANNEL,
)
log = structlog.get_logger(__name__)


def _describe(error: Exception) -> str:
    if isinstance(error, DeliveryError):
        tries = f"{error.attempts} attempt{'' if error.attempts == 1 else 's'}"
        return f"{error} (after {tries})"
    return f"{type(error).__name__}: {error}"


def _run(channel: Channel, job: DeliveryJob) -> list[DeliveryResult]:
    try:
        results = channel.send(job)
    # Any failure, bugs included, becomes a failed result: the other channels still run and
    # the caller still holds the report.
    except Exception as error:
        label = channel.label(job)
        detail = job.redactor.text(_describe(error))
        log.warning("delivery_failed", channel=label, detail=detail)
        return [DeliveryResult(channel=label, ok=False, detail=detail)]
    for result in results:
        event = "delivery_sent" if result.ok else "delivery_failed"
        log.info(event, channel=result.channel, detail=result.detail)
    return results


def deliver(
    report: RenderedReport,
    config: DeliveryConfig,
    *,
    out_dir: Path,
    now: datetime | None = None,
) -> list[DeliveryResult]:
    """Deliver ``report`` through every enabled channel; never raises for a channel failure."""
    job = DeliveryJob(
        report=report,
        config=config,
        out_dir=out_dir,
        now=now or datetime.now().astimezone(),
        redactor=Redactor(config.secrets()),
    )
    results: list[DeliveryResult] = []
    for channel in CHANNELS:
        if channel.enabled(config):
            results += _run(channel, job)
    return results
