"""Chat delivery: one POST to an incoming webhook (Slack, Mattermost, Teams workflows).

The body is Slack's: ``text`` is the fallback Mattermost renders and Slack shows in
notifications, ``blocks`` the rich layout; Teams workflows accept any JSON body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from roadmap_sync.reports.delivery.base import (
    Channel,
    DeliveryError,
    DeliveryJob,
    DeliveryResult,
    RenderedReport,
    send_with_retry,
)
from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.retry import retry_after_seconds

# Slack rejects a whole message whose blocks exceed these limits (invalid_blocks).
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BODY_EXCERPT = 200
USER_AGENT = "roadmap-sync"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn_escape(text: str) -> str:
    # Slack reads <...> as links and mentions; its docs ask for exactly these three escapes.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(report: RenderedReport) -> dict[str, Any]:
    """The Slack-compatible JSON body for a report."""
    link = report.url if report.url and report.url.startswith(("https://", "http://")) else None
    # The fallback stays unescaped: Mattermost shows "text" as Markdown, entities and all.
    fallback = "\n".join(part for part in (report.title, report.summary, link) if part)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(report.title, HEADER_LIMIT)},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(_mrkdwn_escape(report.summary), SECTION_LIMIT),
            },
        },
    ]
    searches = [
        f"<{url}|{_mrkdwn_escape(text)}>"
        for text, url in report.links
        if url.startswith(("https://", "http://")) and "|" not in url and ">" not in url
    ]
    if searches:
        listing = _clip(" · ".join(searches), SECTION_LIMIT)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": listing}})
    if link:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open report"}}
        blocks.append({"type": "actions", "elements": [{**button, "url": link}]})
    return {"text": fallback, "blocks": blocks}


def _host(url: str) -> str:
    # Only host and port: the path and query of a webhook URL are its credentials.
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = parts.port
    except ValueError:  # a malformed port; the label must still be built
        port = None
    return f"{host}:{port}" if port else host


def _post_once(url: str, payload: dict[str, Any], timeout: float) -> None:
    try:
        response = requests.post(
            url,
            json=payload,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            allow_redirects=False,  # a redirect would re-send the report somewhere else
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        # The exception text quotes the URL path (the token); say what happened without it.
        raise DeliveryError(f"{type(error).__name__} to webhook", transient=True) from None
    except requests.RequestException as error:
        raise DeliveryError(f"{type(error).__name__} to webhook", transient=False) from None
    if response.ok:
        return
    status = response.status_code
    body = " ".join(response.text.split())[:BODY_EXCERPT]
    message = f"HTTP {status} {response.reason}" + (f": {body}" if body else "")
    transient = status == 429 or status >= 500
    retry_after = retry_after_seconds(response.headers.get("Retry-After")) if transient else None
    raise DeliveryError(message, transient=transient, retry_after=retry_after)


def send(job: DeliveryJob) -> list[DeliveryResult]:
    """POST the report summary to the webhook, retrying rate limits and server errors."""
    secret = job.config.chat_webhook_url
    if secret is None:
        raise DeliveryError("no webhook URL configured", transient=False)
    url = secret.get_secret_value()
    if urlsplit(url).scheme not in {"http", "https"}:
        raise DeliveryError("webhook URL must be http(s)", transient=False)
    payload = webhook_payload(job.report)
    label = _label(job)
    send_with_retry(lambda: _post_once(url, payload, job.config.chat_timeout), job, label)
    return [DeliveryResult(channel=label, ok=True)]


def _enabled(config: DeliveryConfig) -> bool:
    return config.chat_enabled


def _label(job: DeliveryJob) -> str:
    secret = job.config.chat_webhook_url
    return f"chat:{_host(secret.get_secret_value())}" if secret else "chat:?"


CHANNEL = Channel(name="chat", enabled=_enabled, label=_label, send=send)
