"""What every engine command needs: settings, roadmaps, a tracker, and a console."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from rich.console import Console

from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.core.roadmap.errors import RoadmapError
from roadmap_sync.engine.roadmap_files import load_roadmaps
from roadmap_sync.reports.delivery.settings import load_delivery
from roadmap_sync.runtime.redact import Redactor
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.runtime.settings import Settings
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.base import Tracker, TrackerError, TrackerUnreachableError
from roadmap_sync.trackers.registry_types import ConnectOptions

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_GUARD = 3
EXIT_CHANGES = 4  # plan --detailed-exitcode: changes are pending


class CommandError(Exception):
    """A failure to report in one line and exit with ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class CommandContext:
    """Settings built once by the entry point, plus output streams."""

    settings: Settings
    redactor: Redactor
    out: Console
    err: Console

    @classmethod
    def create(cls, settings: Settings) -> CommandContext:
        """Consoles on stdout/stderr; colours only on a terminal."""
        return cls(
            settings,
            Redactor([*settings.secrets(), *_delivery_secrets()]),
            console(sys.stdout),
            console(sys.stderr),
        )

    def config_paths(self, args: argparse.Namespace) -> list[Path]:
        """Roadmap files from ``--config``, else ``ROADMAP_SYNC_CONFIG``."""
        paths: list[Path] = list(getattr(args, "config", None) or self.settings.config)
        if not paths:
            raise CommandError(
                "no roadmap file: pass --config FILE or set ROADMAP_SYNC_CONFIG", EXIT_USAGE
            )
        return paths

    def roadmaps(self, args: argparse.Namespace) -> list[Roadmap]:
        """Load and validate every roadmap file; any problem is exit status 2."""
        try:
            return load_roadmaps(self.config_paths(args))
        except RoadmapError as error:
            raise CommandError(str(error), EXIT_USAGE) from None

    def retry_policy(self) -> RetryPolicy:
        """Retries as configured."""
        return RetryPolicy(
            attempts=self.settings.retry_attempts, max_wait=self.settings.max_retry_wait
        )

    def tracker(
        self,
        *,
        on_wait: Callable[[float], None] | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> Tracker:
        """Connect to the tracker as configured (hooks feed the worker's metrics)."""
        settings = self.settings
        if not settings.jira_url:
            raise CommandError("ROADMAP_SYNC_JIRA_URL is not set", EXIT_USAGE)
        url_problem = jira_url_problem(settings.jira_url)
        if url_problem:
            raise CommandError(url_problem, EXIT_USAGE)
        if settings.jira_token is None:
            raise CommandError("ROADMAP_SYNC_JIRA_TOKEN is not set", EXIT_USAGE)
        try:
            options = ConnectOptions(
                url=settings.jira_url,
                email=settings.jira_email,
                token=settings.jira_token.get_secret_value(),
                policy=self.retry_policy(),
                timeout=settings.request_timeout,
                concurrency=settings.jira_concurrency,
                bulk_threshold=settings.bulk_threshold,
                on_wait=on_wait,
                on_response=on_response,
            )
            return registry.connect(options)
        except TrackerUnreachableError as error:
            message = f"{self.redactor.text(str(error))}; check ROADMAP_SYNC_JIRA_URL"
            raise CommandError(message, EXIT_FAILED) from None
        except TrackerError as error:
            raise CommandError(self.redactor.text(str(error)), EXIT_FAILED) from None

    def text_format(self, requested: str | None) -> str:
        """The output format asked for, else a table on a terminal and plain lines off one."""
        if requested:
            return requested
        return "table" if self.out.is_terminal else "plain"

    def today(self) -> dt.date:
        """Today in the configured time zone (overdue releases and the horizon use it)."""
        return dt.datetime.now(ZoneInfo(self.settings.timezone)).date()

    @staticmethod
    def now() -> dt.datetime:
        """Now, in UTC."""
        return dt.datetime.now(dt.UTC)


def jira_url_problem(url: str) -> str | None:
    """What is wrong with a Jira base URL that no request could fix, with the likely fix."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        if "://" not in url and " " not in url.strip():
            return (
                f"ROADMAP_SYNC_JIRA_URL {url!r} has no scheme: did you mean "
                f"https://{url.strip().lstrip('/')}?"
            )
        return (
            f"ROADMAP_SYNC_JIRA_URL {url!r} is not a URL (expected like https://acme.atlassian.net)"
        )
    if parts.scheme not in ("http", "https"):
        return (
            f"ROADMAP_SYNC_JIRA_URL {url!r}: the scheme must be https:// (or http://), "
            f"not {parts.scheme}://"
        )
    return None


def console(stream: TextIO) -> Console:
    """A console on `stream`: off a terminal it never wraps lines (pipes and logs get them
    whole); on one it wraps at the terminal's width."""
    found = Console(file=stream, highlight=False)
    if not found.is_terminal:
        found.soft_wrap = True
    return found


def _delivery_secrets() -> list[str]:
    """Chat webhook URL and SMTP password, to mask too (invalid settings surface when used)."""
    try:
        return load_delivery().secrets()
    except ValidationError:
        return []


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit``, ``--top``, ``--issues``)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {number})")
    return number


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` (repeatable)."""
    parser.add_argument(
        "--config",
        type=Path,
        action="append",
        metavar="FILE",
        help="roadmap file (repeatable; default: ROADMAP_SYNC_CONFIG)",
    )


def keys_preview(keys: Sequence[str], limit: int = 8) -> str:
    """A short list of keys for messages."""
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")
