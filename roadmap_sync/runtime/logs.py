"""Logging setup, called once by the entry point: JSON lines off a terminal, pretty on one."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import stamina.instrumentation
import structlog

from roadmap_sync.runtime.redact import Redactor

# Libraries that log through the standard library; their lines stay off the console unless
# the log level is debug (our own events say what matters, in our words).
QUIET_LIBRARIES = ("jira", "urllib3", "requests", "stamina")


def _on_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """One retry, as our own event: stamina's default hook logs raw exception reprs as warnings."""
    structlog.get_logger("roadmap_sync.retry").info(
        "retry_scheduled",
        attempt=details.retry_num,
        wait_seconds=round(details.wait_for, 2),
        error=type(details.caused_by).__name__,
    )


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing, not at configuration.

    The entry point may run many times in one process (tests, the demo) while stderr is
    swapped underneath; a logger bound to an old stream would write to a closed file.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    level: str = "info", stream: TextIO | None = None, redactor: Redactor | None = None
) -> None:
    """Route structlog (and stdlib logging) to ``stream`` (stderr by default)."""
    out: Any = stream or _CurrentStderr()
    on_terminal = (stream or sys.stderr).isatty()
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=True)
        if on_terminal
        else structlog.processors.JSONRenderer()
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redactor or Redactor(),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), format="%(message)s")
    quiet = logging.DEBUG if numeric <= logging.DEBUG else logging.ERROR
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    stamina.instrumentation.set_on_retry_hooks([_on_retry])
