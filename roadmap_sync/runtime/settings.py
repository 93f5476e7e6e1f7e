"""Runtime settings from the environment, a ``.env`` file and container secrets files.

Every variable is prefixed ``ROADMAP_SYNC_``; a secrets directory (``/run/secrets`` when it
exists, or ``ROADMAP_SYNC_SECRETS_DIR``) may hold one file per setting, named like the variable
in lower case (``roadmap_sync_jira_token``), which is how Docker and Kubernetes mount secrets.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from roadmap_sync.core.retention import DEFAULT_RETENTION, RetentionPolicy
from roadmap_sync.runtime.breaker import WriteLimits
from roadmap_sync.runtime.schedule import cron_problem

DEFAULT_SECRETS_DIR = Path("/run/secrets")
ENV_PREFIX = "ROADMAP_SYNC_"
MAX_SETTING_CHARS = 4096  # a URL, a path, a token: none is longer; a 50 MB value is a mistake
SETTINGS_SOURCES = SettingsConfigDict(
    # A validation error must not echo the raw environment: it holds tokens and passwords.
    hide_input_in_errors=True,
    # inf and nan are no timeouts (ROADMAP_SYNC_REQUEST_TIMEOUT=inf overflowed in the socket).
    allow_inf_nan=False,
    str_max_length=MAX_SETTING_CHARS,
    env_prefix=ENV_PREFIX,
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
        100,
        ge=1,
        le=10**9,
        # Below it, concurrent per-issue writes finish sooner than bulk tasks polled one after
        # the other: an incremental sync changes tens of issues (bench/steady_state.py).
        description="Cloud: use the bulk edit API from this many changed issues",
    )
    max_retry_wait: float = Field(
        300.0, gt=0, le=86400, description="Longest Retry-After the bot waits before giving up"
    )
    retry_attempts: int = Field(6, ge=1, le=20, description="Attempts per Jira request")
    request_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds per Jira request")

    http_host: str = Field("127.0.0.1", description="serve: interface of the HTTP server")
    http_port: int = Field(8080, ge=0, le=65535, description="serve: port of the HTTP server")
    sync_interval: float = Field(
        900.0,
        gt=0,
        le=31 * 86400,
        description="serve: seconds between full syncs (unless sync_cron is set)",
    )
    sync_cron: str | None = Field(None, description="serve: crontab for full syncs instead")
    report_cron: str = Field("0 8 * * mon", description="serve: crontab of the weekly report")
    timezone: str = Field("UTC", description="serve: time zone of the cron expressions")
    misfire_grace: float = Field(
        300.0, ge=1, le=7 * 86400, description="serve: seconds a late job may still run"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="serve: shared secret of Jira webhooks (HMAC signature or ?token=)"
    )
    webhook_debounce: float = Field(
        2.0, ge=0, le=3600, description="serve: quiet seconds before a webhook triggers a re-sync"
    )
    shutdown_timeout: float = Field(
        25.0,
        gt=0,
        le=3600,
        description="serve: seconds to finish the current write batch on SIGTERM",
    )

    # -- reliability and security (issue 10): the worker's HTTP limits -------------------------
    http_token: SecretStr | None = Field(
        None,
        description="serve: bearer token required on /metrics and /reports/{latest,roadmap}",
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

    # -- steady state: incremental syncs between full reconciles, and how long history is kept
    full_sync_cron: str = Field(
        "0 3 * * *",
        description="serve and run --once: crontab of full reconciles (reading the whole "
        "backlog); the syncs in between read only what changed",
    )
    incremental_overlap: float = Field(
        300.0,
        ge=0,
        description="seconds an incremental sync reads back before the previous read began "
        "(clock skew, Cloud search lag)",
    )
    retention: str = Field(
        DEFAULT_RETENTION,
        description="how long history is kept, e.g. detail=90d,weekly=forever,runs=forever",
    )

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

    @field_validator("retention", mode="after")
    @classmethod
    def _valid_retention(cls, value: str) -> str:
        RetentionPolicy.parse(value)  # RetentionError is a ValueError: a validation error
        return value

    @field_validator("sync_cron", "report_cron", "full_sync_cron", mode="after")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        # APScheduler's own parser, now: "61 * * * *" must fail at start, not in the scheduler.
        problem = cron_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("state_url", mode="after")
    @classmethod
    def _valid_state_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Imported here: SQLAlchemy costs a third of a second that `plan` would otherwise pay.
        from sqlalchemy.engine import make_url  # noqa: PLC0415
        from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            # The URL may hold a password: never repeat it.
            raise ValueError(
                "not a database URL (expected sqlite:///path/state.db or "
                "postgresql+psycopg://user:password@host:5432/db)"
            ) from None
        if backend not in STATE_BACKENDS:
            raise ValueError(
                f"unsupported database {backend!r} (expected one of {', '.join(STATE_BACKENDS)})"
            )
        return value

    @field_validator("http_token", "webhook_secret", "jira_token", mode="after")
    @classmethod
    def _printable_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(
            ord(c) < 32 or ord(c) == 127 for c in value.get_secret_value()
        ):
            raise ValueError("contains a control character (a stray newline in a secrets file?)")
        return value

    @field_validator("jira_url", mode="after")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def retention_policy(self) -> RetentionPolicy:
        """The parsed retention policy."""
        return RetentionPolicy.parse(self.retention)

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
    # Imported here: SQLAlchemy costs a third of a second that `plan` would otherwise pay.
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        return make_url(url).password
    except ArgumentError:
        return None


STATE_BACKENDS = ("sqlite", "postgresql")
# Fields whose values must never be shown, even in a settings error.
SECRET_FIELDS = frozenset(
    {"jira_token", "webhook_secret", "http_token", "state_url", "chat_webhook_url", "smtp_password"}
)
# ROADMAP_SYNC_* variables that are read but are not fields.
OTHER_VARIABLES = frozenset({"SECRETS_DIR"})


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``sync_cron`` -> ROADMAP_SYNC_SYNC_CRON."""
    return ENV_PREFIX + field.upper()


def settings_problems(error: ValidationError) -> list[str]:
    """One line per invalid setting, naming its environment variable and what is allowed."""
    lines = []
    for problem in error.errors():
        loc = problem["loc"]
        field = str(loc[0]) if loc else ""
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "finite_number":
            message = "must be a finite number (not inf or nan)"
        shown = ""
        if field and field not in SECRET_FIELDS and "input" in problem:
            value = problem["input"]
            text = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            if not isinstance(value, dict) and text not in message:
                shown = f" (got {text})"
        name = env_name(field) if field else "settings"
        lines.append(f"{name}: {message}{shown}")
    return lines


def unknown_variables(*models: type[BaseModel]) -> list[str]:
    """Warnings for ROADMAP_SYNC_* variables that are no setting, with the closest one."""
    known = {env_name(name) for model in models for name in model.model_fields}
    known |= {ENV_PREFIX + name for name in OTHER_VARIABLES}
    warnings = []
    for name in sorted(os.environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a roadmap-sync setting and is ignored{hint}")
    return warnings


def secrets_source() -> dict[str, Any]:
    """pydantic-settings' init-time ``_secrets_dir``, only when the directory exists."""
    secrets_dir = Path(os.environ.get("ROADMAP_SYNC_SECRETS_DIR", DEFAULT_SECRETS_DIR))
    return {"_secrets_dir": secrets_dir} if secrets_dir.is_dir() else {}


def load_settings(**overrides: Any) -> Settings:
    """Build settings once, reading a secrets directory only when there is one."""
    return Settings(**secrets_source(), **overrides)
