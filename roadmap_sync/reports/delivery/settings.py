"""Delivery configuration: where the weekly drift report goes (files, chat webhook, e-mail).

Field names map one to one onto flat environment variables under ``ROADMAP_SYNC_``
(``smtp_host`` is ``ROADMAP_SYNC_SMTP_HOST``), so the fields can be copied into the main
``Settings`` class and a ``DeliveryConfig`` built from it with
``DeliveryConfig.model_validate(settings, from_attributes=True)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from roadmap_sync.runtime.settings import SETTINGS_SOURCES, secrets_source

SmtpMode = Literal["plain", "starttls", "smtps"]
DEFAULT_SMTP_PORTS: dict[str, int] = {"plain": 25, "starttls": 587, "smtps": 465}
# Webhook path segments and query values at least this long are tokens (Slack's 24-character
# secret, a Teams workflow's signature), shorter ones are words like "services" or "hooks".
MIN_TOKEN_PART = 16


def webhook_secrets(url: str) -> list[str]:
    """Every form in which a webhook URL's secret part can show up in a message."""
    parts = urlsplit(url)
    path_query = f"{parts.path}?{parts.query}" if parts.query else parts.path
    found = [url, path_query, parts.path, parts.query]
    found += [segment for segment in parts.path.split("/") if len(segment) >= MIN_TOKEN_PART]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= MIN_TOKEN_PART]
    if parts.password:
        found.append(parts.password)
    return [value for value in found if value and value != "/"]


class DeliveryConfig(BaseModel):
    """Delivery channels and their settings; a channel is on when its target is configured."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    report_dir: Path | None = Field(
        default=None, description="Where report files are written (default: <data_dir>/reports)"
    )
    report_url: str | None = Field(
        default=None,
        description="Where people open the report (e.g. https://roadmap.acme.com/reports/latest); "
        "chat and mail link to it",
    )
    chat_webhook_url: SecretStr | None = Field(
        default=None, description="Incoming webhook (Slack, Mattermost, Teams workflow); a secret"
    )
    chat_timeout: float = Field(default=10.0, gt=0, description="Seconds per webhook request")
    smtp_host: str | None = Field(
        default=None, description="SMTP relay host; e-mail is off without it"
    )
    smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Default by mode: 25 plain, 587 starttls, 465 smtps",
    )
    smtp_mode: SmtpMode = Field(
        default="starttls", description="plain (local relays), starttls, or smtps (implicit TLS)"
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user (needs TLS)")
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP AUTH password; a secret"
    )
    smtp_from: str | None = Field(default=None, description="From address of the report mail")
    smtp_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Recipients, separated by commas"
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds per SMTP socket operation")
    smtp_ca_file: Path | None = Field(
        default=None, description="PEM bundle to trust instead of the system CAs (private relays)"
    )
    delivery_attempts: int = Field(default=4, ge=1, le=20, description="Attempts per channel")
    delivery_backoff_initial: float = Field(
        default=1.0, ge=0, description="First wait after a transient failure, in seconds"
    )
    delivery_backoff_max: float = Field(default=30.0, ge=0, description="Longest backoff wait")
    delivery_max_retry_after: float = Field(
        default=300.0, gt=0, description="Longest Retry-After honoured before giving up"
    )

    @field_validator(
        "chat_webhook_url",
        "smtp_host",
        "smtp_port",
        "smtp_username",
        "smtp_password",
        "smtp_from",
        "smtp_ca_file",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # An environment variable set to "" (compose files do that) means "not configured".
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("smtp_mode", mode="before")
    @classmethod
    def _lower_mode(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_to", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        # People write "a@x.org, b@x.org" in an environment variable, not JSON.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("smtp_to", mode="after")
    @classmethod
    def _check_recipients(cls, value: list[str]) -> list[str]:
        bad = [address for address in value if "@" not in address]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _check_mail(self) -> DeliveryConfig:
        if self.email_enabled and not self.smtp_from:
            raise ValueError("smtp_from is required when smtp_host and smtp_to are set")
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ValueError("smtp_username and smtp_password go together")
        if self.smtp_username and self.smtp_mode == "plain":
            # smtplib would send the password in clear text; make the admin choose TLS.
            raise ValueError("SMTP credentials need TLS: set smtp_mode to starttls or smtps")
        return self

    @property
    def chat_enabled(self) -> bool:
        """Whether reports are posted to a chat webhook."""
        return self.chat_webhook_url is not None

    @property
    def email_enabled(self) -> bool:
        """Whether reports are mailed: a relay and at least one recipient are configured."""
        return bool(self.smtp_host and self.smtp_to)

    def smtp_port_or_default(self) -> int:
        """The configured SMTP port, or the usual one for the mode."""
        return self.smtp_port or DEFAULT_SMTP_PORTS[self.smtp_mode]

    def report_dir_under(self, data_dir: Path) -> Path:
        """The report directory, defaulting to ``<data_dir>/reports``."""
        return self.report_dir or data_dir / "reports"

    def secrets(self) -> list[str]:
        """Secret values to mask wherever text leaves the process."""
        found: list[str] = []
        if self.smtp_password is not None:
            found.append(self.smtp_password.get_secret_value())
        if self.chat_webhook_url is not None:
            found += webhook_secrets(self.chat_webhook_url.get_secret_value())
        return found


class _DeliveryEnvironment(BaseSettings, DeliveryConfig):
    """DeliveryConfig read from the same environment, .env and secrets files as Settings."""

    model_config = SettingsConfigDict(**SETTINGS_SOURCES, frozen=True)


def load_delivery() -> DeliveryConfig:
    """Where reports go, from ROADMAP_SYNC_REPORT_DIR, _CHAT_WEBHOOK_URL, _SMTP_* ..."""
    environment = _DeliveryEnvironment(**secrets_source())
    return DeliveryConfig.model_validate(environment, from_attributes=True)
