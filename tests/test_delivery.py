"""Report delivery against real servers on loopback: aiosmtpd, http.server, real files."""

from __future__ import annotations

import email
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from structlog.testing import capture_logs

from roadmap_sync.reports.delivery.chat import webhook_payload
from roadmap_sync.reports.delivery.dispatch import DeliveryResult, RenderedReport, deliver
from roadmap_sync.reports.delivery.settings import DeliveryConfig, SmtpMode
from tests.conftest import require

NOW = datetime(2024, 11, 29, 9, 30, tzinfo=UTC)
TOKEN = "XyZsecretWebhookToken0123456789"
WEBHOOK_PATH = f"/services/T0001/B0001/{TOKEN}"
PASSWORD = "correct-horse-battery-staple"
RECIPIENTS = ["po@example.org", "lead@example.org", "cto@example.org"]
# Waits small enough that every retry test finishes in well under a second.
FAST = {"delivery_backoff_initial": 0.01, "delivery_backoff_max": 0.02}
LONG_LINE = "x" * 2000  # longer than SMTP's 998-octet line limit


def report(url: str | None = "https://reports.example.org/acme/48") -> RenderedReport:
    """A small rendered report with the awkward bits: non-ASCII, markup, a very long line."""
    return RenderedReport(
        title="Café Web Shop: roadmap drift, week 48",
        markdown="# Drift\n\n- 3 orphans\n- 1 out of scope\n",
        html=f"<html><body><h1>Drift</h1><p>{LONG_LINE}</p></body></html>",
        summary="3 orphans, 1 item out of scope\n<R2> goal has no backlog item & needs one",
        url=url,
    )


def free_port() -> int:
    """A loopback port nobody listens on (aiosmtpd's Controller cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def no_secret_in(results: list[DeliveryResult], logs: list[Any], *secrets: str) -> None:
    """Assert no secret shows up in any result or captured log event."""
    text = repr(results) + repr(logs)
    for secret in secrets:
        assert secret not in text


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class Inbox:
    """aiosmtpd handler: collects envelopes, answering scripted replies to DATA first."""

    replies: list[str] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    data_commands: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Take the message unless a scripted reply is due."""
        self.data_commands += 1
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        return "250 OK"

    def only_message(self) -> EmailMessage:
        """The one message received, parsed."""
        assert len(self.envelopes) == 1
        content = self.envelopes[0].content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Authenticator:
    """aiosmtpd authenticator: accepts only the one user and password, notes the mechanism."""

    mechanisms: list[str] = field(default_factory=list)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Check the credentials; handled=False lets aiosmtpd answer 535 on failure."""
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data == (b"bot", PASSWORD.encode())
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(inbox: Inbox, **options: Any) -> Iterator[Controller]:
    """A real SMTP server on loopback for the duration of the block."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    openssl = shutil.which("openssl")
    require(openssl is not None, "the TLS tests need the openssl command to make a certificate")
    assert openssl is not None
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    command += ["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key)]
    command += ["-out", str(cert), "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side of the test certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


def mail_config(controller: Controller, **overrides: Any) -> DeliveryConfig:
    """Mail-only delivery to the test server."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": controller.port,
        "smtp_mode": "plain",
        "smtp_from": "Roadmap Bot <bot@example.org>",
        "smtp_to": ", ".join(RECIPIENTS),
        "smtp_timeout": 5,
        **FAST,
    }
    return DeliveryConfig.model_validate(values | overrides)


def test_mail_is_multipart_alternative(tmp_path: Path) -> None:
    """The mail carries Markdown as text/plain and HTML as text/html, with all headers."""
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        results = deliver(report(), mail_config(controller), out_dir=tmp_path, now=NOW)
    assert results[-1] == DeliveryResult("mail:3 recipients", ok=True, detail=None)
    assert sorted(inbox.envelopes[0].rcpt_tos) == sorted(RECIPIENTS)
    message = inbox.only_message()
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == report().title
    assert message["From"] == "Roadmap Bot <bot@example.org>"
    assert [a.addr_spec for a in message["To"].addresses] == RECIPIENTS
    assert message["Date"].datetime == NOW
    assert message["Message-ID"].endswith("@example.org>")
    plain, html = message.iter_parts()
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n") == report().markdown
    assert LONG_LINE in html.get_content()


@pytest.mark.parametrize(("mechanism", "other"), [("PLAIN", "LOGIN"), ("LOGIN", "PLAIN")])
def test_mail_starttls_with_auth(
    tmp_path: Path, tls_files: tuple[Path, Path], mechanism: str, other: str
) -> None:
    """STARTTLS upgrades the session before AUTH, and the right password is accepted."""
    inbox, auth = Inbox(), Authenticator()
    options = {
        "tls_context": server_tls(tls_files),
        "require_starttls": True,
        "auth_required": True,
        "auth_exclude_mechanism": [other],
    }
    with smtp_server(inbox, authenticator=auth, **options) as ctl:
        config = mail_config(
            ctl,
            smtp_mode="starttls",
            smtp_username="bot",
            smtp_password=PASSWORD,
            smtp_ca_file=tls_files[0],
        )
        results = deliver(report(), config, out_dir=tmp_path, now=NOW)
    assert results[-1].ok, results[-1].detail
    assert auth.mechanisms == [mechanism]
    assert inbox.only_message()["Subject"] == report().title


def test_mail_smtps_implicit_tls(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    """SMTPS speaks TLS from the first byte, and AUTH works over it."""
    inbox = Inbox()
    # aiosmtpd only counts STARTTLS as TLS for AUTH; on an SMTPS socket it is TLS anyway.
    options = {"ssl_context": server_tls(tls_files), "auth_require_tls": False}
    with smtp_server(inbox, authenticator=Authenticator(), **options) as controller:
        config = mail_config(
            controller,
            smtp_mode="smtps",
            smtp_username="bot",
            smtp_password=PASSWORD,
            smtp_ca_file=tls_files[0],
        )
        results = deliver(report(), config, out_dir=tmp_path, now=NOW)
    assert results[-1].ok, results[-1].detail
    assert inbox.only_message().get_content_type() == "multipart/alternative"


def test_mail_wrong_password_fails_without_leaking(
    tmp_path: Path, tls_files: tuple[Path, Path]
) -> None:
    """A rejected login is a permanent failure whose detail and logs hold no password."""
    inbox = Inbox()
    options = {"tls_context": server_tls(tls_files), "authenticator": Authenticator()}
    wrong = "wrong-password-1234"
    with smtp_server(inbox, **options) as controller, capture_logs() as logs:
        config = mail_config(
            controller,
            smtp_mode="starttls",
            smtp_username="bot",
            smtp_password=wrong,
            smtp_ca_file=tls_files[0],
        )
        results = deliver(report(), config, out_dir=tmp_path, now=NOW)
    failed = results[-1]
    assert not failed.ok
    assert failed.detail is not None
    assert "535" in failed.detail
    assert "after 1 attempt)" in failed.detail  # 5xx: no retry
    assert inbox.envelopes == []
    no_secret_in(results, logs, wrong)


def test_mail_retries_temporary_reply(tmp_path: Path) -> None:
    """A 421 reply is temporary: the next attempt delivers the mail."""
    inbox = Inbox(replies=["421 4.3.2 Try again later"])
    with smtp_server(inbox) as controller:
        results = deliver(report(), mail_config(controller), out_dir=tmp_path, now=NOW)
    assert results[-1].ok, results[-1].detail
    assert inbox.data_commands == 2
    assert inbox.only_message()["Subject"] == report().title


def test_mail_permanent_reply_not_retried(tmp_path: Path) -> None:
    """A 5xx reply fails the delivery at once."""
    inbox = Inbox(replies=["554 5.6.0 Message rejected"])
    with smtp_server(inbox) as controller:
        results = deliver(report(), mail_config(controller), out_dir=tmp_path, now=NOW)
    assert results[-1] == DeliveryResult(
        "mail:3 recipients", ok=False, detail="SMTP 554 5.6.0 Message rejected (after 1 attempt)"
    )
    assert inbox.data_commands == 1


def test_mail_connection_refused_retried_then_reported(tmp_path: Path) -> None:
    """No server listening: bounded retries, then a failed result, not an exception."""
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": free_port(),
        "smtp_mode": "plain",
        "smtp_from": "bot@example.org",
        "smtp_to": ["po@example.org"],
        "delivery_attempts": 3,
    }
    config = DeliveryConfig.model_validate(values | FAST)
    results = deliver(report(), config, out_dir=tmp_path, now=NOW)
    assert results[-1].channel == "mail:1 recipient"
    assert not results[-1].ok
    assert results[-1].detail == "ConnectionRefusedError: Connection refused (after 3 attempts)"


def test_mail_refuses_clear_text_when_starttls_missing(tmp_path: Path) -> None:
    """A server without STARTTLS gets nothing: no silent downgrade to clear text."""
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        results = deliver(
            report(), mail_config(controller, smtp_mode="starttls"), out_dir=tmp_path, now=NOW
        )
    assert not results[-1].ok
    assert results[-1].detail is not None
    assert "STARTTLS" in results[-1].detail
    assert inbox.data_commands == 0


def test_mail_untrusted_certificate_fails(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    """A certificate the client does not trust fails for good instead of being accepted."""
    inbox = Inbox()
    with smtp_server(inbox, ssl_context=server_tls(tls_files)) as controller:
        results = deliver(
            report(), mail_config(controller, smtp_mode="smtps"), out_dir=tmp_path, now=NOW
        )
    assert results[-1].detail is not None
    assert results[-1].detail.startswith("TLS failed: CERTIFICATE_VERIFY_FAILED")
    assert "after 1 attempt)" in results[-1].detail
    assert inbox.envelopes == []


# --- chat webhook --------------------------------------------------------------------------


@dataclass
class Hit:
    """One request the webhook receiver saw."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webhook receiver that answers scripted (status, headers, body) replies, then 200."""

    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = WEBHOOK_PATH) -> str:
        """The webhook URL, token included."""
        return f"http://127.0.0.1:{self.port}{path}"

    def json(self, index: int = 0) -> Any:
        """The JSON body of one request."""
        return json.loads(self.hits[index].body)


@contextmanager
def webhook_server(receiver: Receiver) -> Iterator[Receiver]:
    """Serve ``receiver`` on a loopback port for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.hits.append(Hit(self.path, dict(self.headers), body, time.monotonic()))
            status, headers, reply = (
                receiver.replies.pop(0) if receiver.replies else (200, {}, b"ok")
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def chat_config(url: str, **overrides: Any) -> DeliveryConfig:
    """Chat-only delivery (plus the file channel, which is always on)."""
    return DeliveryConfig.model_validate(
        {"chat_webhook_url": url, "chat_timeout": 5, **FAST} | overrides
    )


def test_chat_posts_slack_blocks(tmp_path: Path) -> None:
    """The webhook gets Slack JSON: fallback text, header, mrkdwn summary and a report button."""
    with webhook_server(Receiver()) as receiver:
        results = deliver(report(), chat_config(receiver.url()), out_dir=tmp_path, now=NOW)
    assert results[-1] == DeliveryResult(f"chat:127.0.0.1:{receiver.port}", ok=True)
    hit = receiver.hits[0]
    assert hit.path == WEBHOOK_PATH
    assert hit.headers["Content-Type"] == "application/json"
    body = receiver.json()
    assert body["text"].startswith(report().title + "\n3 orphans")
    header, section, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": report().title}}
    assert section["text"]["type"] == "mrkdwn"
    assert "&lt;R2&gt; goal has no backlog item &amp; needs one" in section["text"]["text"]
    assert actions["elements"][0]["url"] == report().url


def test_chat_payload_without_url_has_no_button() -> None:
    """Without a served report there is no button, and long titles are clipped for Slack."""
    long = RenderedReport(title="T" * 200, markdown="", html="", summary="s", url=None)
    payload = webhook_payload(long)
    assert [block["type"] for block in payload["blocks"]] == ["header", "section"]
    assert len(payload["blocks"][0]["text"]["text"]) == 150


def test_chat_honours_retry_after(tmp_path: Path) -> None:
    """A 429 with Retry-After: 0.2 is retried after that long; retry logs mask the token."""
    receiver = Receiver(replies=[(429, {"Retry-After": "0.2"}, f"slow down {TOKEN}".encode())])
    with webhook_server(receiver), capture_logs() as logs:
        results = deliver(report(), chat_config(receiver.url()), out_dir=tmp_path, now=NOW)
    assert results[-1].ok
    assert len(receiver.hits) == 2
    assert receiver.hits[1].at - receiver.hits[0].at >= 0.19
    assert receiver.json(0) == receiver.json(1)
    no_secret_in(results, logs, TOKEN)


def test_chat_client_error_is_permanent(tmp_path: Path) -> None:
    """A 400 fails after one POST, and the token echoed by the server is masked."""
    receiver = Receiver(replies=[(400, {}, f"invalid_token {TOKEN}".encode())])
    with webhook_server(receiver), capture_logs() as logs:
        results = deliver(report(), chat_config(receiver.url()), out_dir=tmp_path, now=NOW)
    assert len(receiver.hits) == 1
    assert results[-1] == DeliveryResult(
        f"chat:127.0.0.1:{receiver.port}",
        ok=False,
        detail="HTTP 400 Bad Request: invalid_token *** (after 1 attempt)",
    )
    no_secret_in(results, logs, TOKEN, WEBHOOK_PATH)


def test_chat_server_errors_retried_a_bounded_number_of_times(tmp_path: Path) -> None:
    """A webhook that keeps answering 503 is tried delivery_attempts times, then reported."""
    receiver = Receiver(replies=[(503, {}, b"")] * 5)
    with webhook_server(receiver):
        config = chat_config(receiver.url(), delivery_attempts=3)
        results = deliver(report(), config, out_dir=tmp_path, now=NOW)
    assert len(receiver.hits) == 3
    assert results[-1].detail == "HTTP 503 Service Unavailable (after 3 attempts)"


def test_chat_unreachable_never_reveals_url(tmp_path: Path) -> None:
    """Connection errors (whose text quotes the URL) are reported without path or token."""
    url = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"
    with capture_logs() as logs:
        results = deliver(report(), chat_config(url, delivery_attempts=2), out_dir=tmp_path)
    assert not results[-1].ok
    assert results[-1].detail == "ConnectionError to webhook (after 2 attempts)"
    no_secret_in(results, logs, TOKEN, WEBHOOK_PATH)


# --- files ---------------------------------------------------------------------------------


def test_file_writes_dated_and_latest(tmp_path: Path) -> None:
    """Dated HTML/Markdown files and latest.* copies appear, with no temp files left over."""
    out = tmp_path / "reports"
    results = deliver(report(), DeliveryConfig(), out_dir=out, now=NOW)
    stem = "cafe-web-shop-roadmap-drift-week-48-2024-11-29"
    assert results == [
        DeliveryResult(f"file:{out / stem}.html", ok=True),
        DeliveryResult(f"file:{out / stem}.md", ok=True),
    ]
    assert sorted(os.listdir(out)) == sorted(
        [f"{stem}.html", f"{stem}.md", "latest.html", "latest.md"]
    )
    assert (out / "latest.html").read_text(encoding="utf-8") == report().html
    assert (out / f"{stem}.md").read_text(encoding="utf-8") == report().markdown


def test_file_replaced_atomically(tmp_path: Path) -> None:
    """A new report replaces latest.html by rename: a reader of the old file sees it whole."""
    deliver(report(), DeliveryConfig(), out_dir=tmp_path, now=NOW)
    newer = RenderedReport(title="Acme", markdown="new", html="<p>new</p>", summary="s")
    with (tmp_path / "latest.html").open(encoding="utf-8") as reader:
        deliver(newer, DeliveryConfig(), out_dir=tmp_path, now=NOW)
        assert reader.read() == report().html  # the old inode, untouched
    assert (tmp_path / "latest.html").read_text(encoding="utf-8") == "<p>new</p>"
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_file_unwritable_dir_is_a_failed_result(tmp_path: Path) -> None:
    """A report dir that cannot be created yields a failed result, not an exception."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    results = deliver(report(), DeliveryConfig(), out_dir=blocker / "reports", now=NOW)
    assert len(results) == 1
    assert results[0].channel == f"file:{blocker / 'reports'}"
    assert not results[0].ok
    assert results[0].detail is not None
    assert results[0].detail.startswith(("FileExistsError", "NotADirectoryError"))


# --- all channels --------------------------------------------------------------------------


def test_one_channel_failing_does_not_stop_the_others(tmp_path: Path) -> None:
    """Files and chat failing still leave the mail delivered, each outcome reported."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    inbox = Inbox()
    receiver = Receiver(replies=[(404, {}, b"no_service")])
    with smtp_server(inbox) as controller, webhook_server(receiver):
        config = mail_config(controller, chat_webhook_url=receiver.url())
        results = deliver(report(), config, out_dir=blocker / "reports", now=NOW)
    assert [(r.channel.split(":")[0], r.ok) for r in results] == [
        ("file", False),
        ("chat", False),
        ("mail", True),
    ]
    assert len(inbox.envelopes) == 1


# --- configuration -------------------------------------------------------------------------


class EnvDelivery(BaseSettings, DeliveryConfig):
    """The delivery fields read from the environment, as the main Settings will read them."""

    model_config = SettingsConfigDict(env_prefix="ROADMAP_SYNC_", extra="ignore")


def test_config_from_flat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat ROADMAP_SYNC_* variables build the config; recipients split on commas."""
    env = {
        "ROADMAP_SYNC_REPORT_DIR": "/srv/reports",
        "ROADMAP_SYNC_CHAT_WEBHOOK_URL": f"https://hooks.slack.com{WEBHOOK_PATH}",
        "ROADMAP_SYNC_SMTP_HOST": "mail.example.org",
        "ROADMAP_SYNC_SMTP_MODE": "SMTPS",
        "ROADMAP_SYNC_SMTP_USERNAME": "bot",
        "ROADMAP_SYNC_SMTP_PASSWORD": PASSWORD,
        "ROADMAP_SYNC_SMTP_FROM": "bot@example.org",
        "ROADMAP_SYNC_SMTP_TO": "a@example.org, b@example.org",
        "ROADMAP_SYNC_SMTP_TIMEOUT": "12",
        "ROADMAP_SYNC_DELIVERY_ATTEMPTS": "2",
        "ROADMAP_SYNC_SMTP_PORT": "",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = DeliveryConfig.model_validate(EnvDelivery(_env_file=None), from_attributes=True)  # type: ignore[call-arg]
    assert config.report_dir == Path("/srv/reports")
    assert config.smtp_to == ["a@example.org", "b@example.org"]
    assert config.smtp_port_or_default() == 465
    assert (config.smtp_timeout, config.delivery_attempts) == (12, 2)
    assert config.chat_enabled
    assert config.email_enabled
    assert PASSWORD in config.secrets()
    assert TOKEN in config.secrets()
    assert PASSWORD not in repr(config)


@pytest.mark.parametrize(("mode", "port"), [("plain", 25), ("starttls", 587), ("smtps", 465)])
def test_smtp_port_defaults_by_mode(mode: SmtpMode, port: int) -> None:
    """Each SMTP mode has its usual port unless one is set."""
    assert DeliveryConfig(smtp_mode=mode).smtp_port_or_default() == port
    assert DeliveryConfig(smtp_mode=mode, smtp_port=2525).smtp_port_or_default() == 2525


def test_defaults_enable_only_files(tmp_path: Path) -> None:
    """Nothing configured: no chat, no mail, report dir under the data dir."""
    config = DeliveryConfig()
    assert (config.chat_enabled, config.email_enabled) == (False, False)
    assert config.report_dir_under(tmp_path) == tmp_path / "reports"
    assert config.smtp_mode == "starttls"
    assert config.delivery_attempts == 4


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smtp_host": "h", "smtp_to": "a@x.org"}, "smtp_from is required"),
        ({"smtp_username": "bot"}, "go together"),
        ({"smtp_username": "bot", "smtp_password": PASSWORD, "smtp_mode": "plain"}, "need TLS"),
        ({"smtp_to": "a@x.org, nobody"}, "not an e-mail address: nobody"),
    ],
)
def test_config_rejects_unsafe_or_incomplete_mail(values: dict[str, Any], message: str) -> None:
    """Incomplete mail settings and credentials over clear text fail at startup, secret-free."""
    with pytest.raises(ValidationError, match=message) as caught:
        DeliveryConfig(**values)
    assert PASSWORD not in str(caught.value)
