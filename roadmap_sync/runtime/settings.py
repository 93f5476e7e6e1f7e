"""Runtime settings from the environment, a ``.env`` file and container secrets files.

Every variable is prefixed ``ROADMAP_SYNC_``; a secrets directory (``/run/secrets`` when it
exists, or ``ROADMAP_SYNC_SECRETS_DIR``) may hold one file per setting, named like the variable
in lower case (``roadmap_sync_jira_token``), which is how Docker and Kubernetes mount secrets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from roadmap_sync.runtime.breaker import WriteLimits

DEFAULT_SECRETS_DIR = Path("/run/secrets")
SETTINGS_SOURCES = SettingsConfigDict(
    # A validation error must not echo the raw environment: it holds tokens and passwords.
    hide_input_in_errors=True,
    env_prefix="ROADMAP_SYNC_",
    env_file=".env",
    env_file_encoding="utf-8",
    extra="ignore",
    case_sensitive=False,
)


class Settings(BaseSettings):
    """What the bot needs at run time; the roadmap itself lives in the roadmap files."""

    model_config = SETTINGS_SOURCES

    jira_url: str | None = Field(None, description="Base URL of the Jira site")
    jira_email: str | None = Field(None, description="Cloud only: the account's e-mail")
    jira_token: SecretStr | None = Field(
        None, description="Cloud API token or Data Center personal access token"
    )
    config: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Roadmap files, separated by commas"
    )
    data_dir: Path = Field(Path("data"), description="Where the state database and reports live")
    state_url: str | None = Field(
        None, description="SQLAlchemy URL of the state store; default SQLite in data_dir"
    )
    log_level: Literal["debug", "info", "warning", "error"] | None = Field(
        None,
        description="debug, info, warning or error (default: info for run/serve, else warning)",
    )
    jira_concurrency: int = Field(4, ge=1, le=32, description="Parallel writes on Data Center")
    bulk_threshold: int = Field(
        20, ge=1, description="Cloud: use the bulk edit API from this many changed issues"
    )
    max_retry_wait: float = Field(
        300.0, gt=0, description="Longest Retry-After the bot waits before giving up"
    )
    retry_attempts: int = Field(6, ge=1, le=20, description="Attempts per Jira request")
    request_timeout: float = Field(30.0, gt=0, description="Seconds per Jira request")

    http_host: str = Field("127.0.0.1", description="serve: interface of the HTTP server")
    http_port: int = Field(8080, ge=0, le=65535, description="serve: port of the HTTP server")
    sync_interval: float = Field(
        900.0, gt=0, description="serve: seconds between full syncs (unless sync_cron is set)"
    )
    sync_cron: str | None = Field(None, description="serve: crontab for full syncs instead")
    report_cron: str = Field("0 8 * * mon", description="serve: crontab of the weekly report")
    timezone: str = Field("UTC", description="serve: time zone of the cron expressions")
    misfire_grace: float = Field(300.0, ge=1, description="serve: seconds a late job may still run")
    webhook_secret: SecretStr | None = Field(
        None, description="serve: shared secret of Jira webhooks (HMAC signature or ?token=)"
    )
    webhook_debounce: float = Field(
        2.0, ge=0, description="serve: quiet seconds before a webhook triggers a re-sync"
    )
    shutdown_timeout: float = Field(
        25.0, gt=0, description="serve: seconds to finish the current write batch on SIGTERM"
    )

    # -- reliability and security (issue 10): the worker's HTTP limits -------------------------
    http_token: SecretStr | None = Field(
        None, description="serve: bearer token required on /metrics and /reports/latest"
    )
    http_max_connections: int = Field(
        32, ge=4, le=1000, description="serve: open HTTP connections accepted at once"
    )
    http_read_timeout: float = Field(
        10.0, gt=0, le=300, description="serve: seconds a client has to send a whole request"
    )
    http_idle_timeout: float = Field(
        15.0, ge=1, le=3600, description="serve: seconds an idle keep-alive connection stays open"
    )
    # ... and bounded failure: a run stops writing to a tracker that keeps failing.
    write_failure_limit: int = Field(
        5, ge=1, le=100_000, description="Failed writes in a row after which a run stops writing"
    )
    write_deadline: float = Field(
        1800.0, gt=0, le=7 * 86400, description="Seconds a run may spend writing labels"
    )

    def write_limits(self) -> WriteLimits:
        """The write breaker's limits."""
        return WriteLimits(self.write_failure_limit, self.write_deadline)

    @field_validator("config", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        # A list in an environment variable is written "a.yaml,b.yaml" by people, not JSON.
        if isinstance(value, str):
            return [Path(part.strip()) for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (expected like Europe/Berlin)") from None
        return value

    @field_validator("sync_cron", "report_cron", mode="after")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) not in (5, 6):
            raise ValueError(
                f"{value!r} is not a cron expression: 5 fields (minute hour day month weekday), "
                "or 6 with leading seconds"
            )
        return value

    @field_validator("jira_url", mode="after")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def resolved_state_url(self) -> str:
        """The state store URL, defaulting to a SQLite file in the data directory."""
        return self.state_url or f"sqlite:///{self.data_dir / 'state.db'}"

    def secrets(self) -> list[str]:
        """Secret values to mask wherever text leaves the process."""
        values = [self.jira_token, self.webhook_secret, self.http_token]
        found = [v.get_secret_value() for v in values if v is not None]
        if self.state_url:
            password = make_url_password(self.state_url)
            if password:
                found.append(password)
        return found


def make_url_password(url: str) -> str | None:
    """The password inside a database URL, if any (so that it can be masked)."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def secrets_source() -> dict[str, Any]:
    """pydantic-settings' init-time ``_secrets_dir``, only when the directory exists."""
    secrets_dir = Path(os.environ.get("ROADMAP_SYNC_SECRETS_DIR", DEFAULT_SECRETS_DIR))
    return {"_secrets_dir": secrets_dir} if secrets_dir.is_dir() else {}


def load_settings(**overrides: Any) -> Settings:
    """Build settings once, reading a secrets directory only when there is one."""
    return Settings(**secrets_source(), **overrides)
