"""E-mail delivery over SMTP: plain (local relays), STARTTLS or SMTPS, optional AUTH."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from roadmap_sync.reports.delivery.base import (
    Channel,
    DeliveryError,
    DeliveryJob,
    DeliveryResult,
    send_with_retry,
)
from roadmap_sync.reports.delivery.settings import DeliveryConfig

Refused = dict[str, tuple[int, bytes]]


def build_message(job: DeliveryJob) -> EmailMessage:
    """The report as multipart/alternative: the Markdown as text/plain, then the HTML."""
    config, report = job.config, job.report
    sender = config.smtp_from or ""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "roadmap-sync.invalid"
    message = EmailMessage()
    message["Subject"] = report.title
    message["From"] = sender
    message["To"] = ", ".join(config.smtp_to)
    message["Date"] = format_datetime(job.now)
    # An explicit domain: make_msgid's default is a reverse DNS lookup that can stall.
    message["Message-ID"] = make_msgid(domain=domain)
    # Quoted-printable: rendered HTML has lines past SMTP's 998-octet limit, and QP needs no
    # 8BITMIME from the relay.
    message.set_content(report.markdown, subtype="plain", cte="quoted-printable")
    message.add_alternative(report.html, subtype="html", cte="quoted-printable")
    return message


def _tls_context(config: DeliveryConfig) -> ssl.SSLContext:
    cafile = str(config.smtp_ca_file) if config.smtp_ca_file else None
    return ssl.create_default_context(cafile=cafile)


def _connect(config: DeliveryConfig) -> smtplib.SMTP:
    host, port, timeout = config.smtp_host or "", config.smtp_port_or_default(), config.smtp_timeout
    # gethostname, not smtplib's default getfqdn, which does a reverse DNS lookup.
    helo = socket.gethostname()
    if config.smtp_mode == "smtps":
        return smtplib.SMTP_SSL(
            host, port, local_hostname=helo, timeout=timeout, context=_tls_context(config)
        )
    smtp = smtplib.SMTP(host, port, local_hostname=helo, timeout=timeout)
    if config.smtp_mode == "starttls":
        try:
            # Raises when the server offers no STARTTLS: never fall back to clear text.
            smtp.starttls(context=_tls_context(config))
        except BaseException:
            smtp.close()
            raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    # A failing QUIT after the server took the message must not turn into a retry (and a
    # second copy of the mail), so its errors are dropped.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _send_once(config: DeliveryConfig, message: EmailMessage) -> Refused:
    try:
        smtp = _connect(config)
        try:
            if config.smtp_username and config.smtp_password:
                smtp.login(config.smtp_username, config.smtp_password.get_secret_value())
            return smtp.send_message(message, to_addrs=config.smtp_to)
        finally:
            _close(smtp)
    except (smtplib.SMTPException, OSError) as error:
        raise classify(error) from None


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def classify(error: smtplib.SMTPException | OSError) -> DeliveryError:
    """A DeliveryError for an SMTP failure: 4xx replies and dropped connections are transient."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        transient = all(400 <= code < 500 for code in codes)
        return DeliveryError(f"all recipients refused ({codes})", transient=transient)
    if isinstance(error, smtplib.SMTPResponseException):
        reply = f"SMTP {error.smtp_code} {_reply_text(error.smtp_error)}"
        return DeliveryError(reply, transient=400 <= error.smtp_code < 500)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"server disconnected: {error}", transient=True)
    if isinstance(error, ssl.SSLError):
        # Certificate and protocol mismatches are configuration errors; retrying won't help.
        return DeliveryError(f"TLS failed: {error.reason or error}", transient=False)
    if isinstance(error, smtplib.SMTPException):
        return DeliveryError(f"{type(error).__name__}: {error}", transient=False)
    return DeliveryError(f"{type(error).__name__}: {error.strerror or error}", transient=True)


def send(job: DeliveryJob) -> list[DeliveryResult]:
    """Mail the report to every recipient, retrying transient failures."""
    label = _label(job)
    # Built once so every attempt carries the same Message-ID: if a lost reply made us send
    # twice, mail clients can fold the copies.
    message = build_message(job)
    refused = send_with_retry(lambda: _send_once(job.config, message), job, label)
    if refused:
        # Some recipients got it; retrying would mail them again, so report and stop.
        who = ", ".join(f"{address} ({code})" for address, (code, _) in sorted(refused.items()))
        return [DeliveryResult(channel=label, ok=False, detail=f"recipients refused: {who}")]
    return [DeliveryResult(channel=label, ok=True)]


def _enabled(config: DeliveryConfig) -> bool:
    return config.email_enabled


def _label(job: DeliveryJob) -> str:
    count = len(job.config.smtp_to)
    return f"mail:{count} recipient{'' if count == 1 else 's'}"


CHANNEL = Channel(name="mail", enabled=_enabled, label=_label, send=send)
