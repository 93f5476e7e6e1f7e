"""Webhook delivery: registered URLs receive Jira's issue and version events.

Issue events (``jira:issue_created|updated|deleted``) carry ``issue_event_type_name``, the
acting ``user`` and the issue as the flavor shows it; updates carry ``changelog.items`` of
``{field, fieldtype, fieldId, from, fromString, to, toString}`` (Server payloads lack
``fieldId``). Version events (``jira:version_created|updated|released|unreleased|deleted|
moved``) carry the ``version`` (a deletion that moved its issues also ``mergedTo``). When a
webhook is registered with a secret, the body is signed the way Jira signs it: the
``X-Hub-Signature`` header carries ``sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, Account, Flavor
from roadmap_sync.sandbox.errors import bad_request
from roadmap_sync.sandbox.store import Issue, IssueChange
from roadmap_sync.sandbox.views import flavor_fields

DELIVERY_TIMEOUT_SECONDS = 5.0
ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
VERSION_EVENTS = tuple(
    f"jira:version_{kind}"
    for kind in ("created", "updated", "released", "unreleased", "deleted", "moved")
)
ALL_EVENTS = ISSUE_EVENTS + VERSION_EVENTS


@dataclass
class Webhook:
    """A registered receiver."""

    webhook_id: int
    url: str
    secret: str | None
    events: tuple[str, ...]
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The registration as the test hooks list it (never the secret itself)."""
        return {
            "id": self.webhook_id,
            "url": self.url,
            "events": list(self.events),
            "signed": self.secret is not None,
            "deliveries": list(self.deliveries),
        }


def _events(value: Any) -> tuple[str, ...]:
    """A registration's events: the listed ones, or every issue and version event."""
    if value is None:
        return ALL_EVENTS
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise bad_request("'events' must be a list of event names.")
    return tuple(value)


def _secret(value: Any) -> str | None:
    """A registration's secret: a string, or none."""
    if value is not None and not isinstance(value, str):
        raise bad_request("'secret' must be a string.")
    return value


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_payload(
    change: IssueChange,
    issue: Issue,
    flavor: Flavor,
    base_url: str,
    epic_link_field: str = EPIC_LINK_FIELD,
) -> bytes:
    """The JSON body Jira posts for an issue event."""
    user = change.actor.as_user(base_url, flavor)
    payload: dict[str, Any] = {
        "timestamp": int(change.at.timestamp() * 1000),
        "webhookEvent": change.event,
        "issue_event_type_name": change.event_type,
        "user": user,
        "issue": {
            "id": issue["id"],
            "self": f"{base_url}/rest/api/2/issue/{issue['id']}",
            "key": issue["key"],
            "fields": dict(flavor_fields(issue["fields"], flavor, epic_link_field)),
        },
    }
    if change.items:
        payload["changelog"] = {
            "id": str(abs(hash((issue["key"], change.at))) % 10**8),
            "items": [item.as_json(with_field_id=flavor == "cloud") for item in change.items],
        }
    return json.dumps(payload, default=str).encode()


def build_version_payload(
    event: str, version: dict[str, Any], base_url: str, at_ms: int, extra: dict[str, Any]
) -> bytes:
    """The JSON body Jira posts for a version event."""

    def shown(v: dict[str, Any]) -> dict[str, Any]:
        return {"self": f"{base_url}/rest/api/2/version/{v['id']}", **v}

    payload: dict[str, Any] = {
        "timestamp": at_ms,
        "webhookEvent": event,
        "version": shown(version),
    }
    if extra.get("mergedTo"):
        payload["mergedTo"] = shown(extra["mergedTo"])
    return json.dumps(payload, default=str).encode()


class WebhookDispatcher:
    """Posts payloads from a background thread so edits never wait on receivers."""

    def __init__(self, flavor: Flavor, base_url: str, epic_link_field: str = EPIC_LINK_FIELD):
        self.flavor = flavor
        self.base_url = base_url
        self.epic_link_field = epic_link_field
        self._hooks: list[Webhook] = []
        self._ids = itertools.count(1)
        self._queue: queue.Queue[tuple[Webhook, bytes, str] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def register(self, url: str, secret: str | None, events: tuple[str, ...]) -> Webhook:
        """Add a receiver."""
        hook = Webhook(next(self._ids), url, secret, events)
        with self._lock:
            self._hooks.append(hook)
        return hook

    def register_from(self, body: Mapping[str, Any]) -> Webhook:
        """Add a receiver from a registration body: ``url``, optional ``secret`` and ``events``.

        Jira's admin endpoint and the ``/_sandbox/webhooks`` hook register the same way.
        """
        return self.register(
            str(body["url"]), _secret(body.get("secret")), _events(body.get("events"))
        )

    def unregister(self, webhook_id: int) -> bool:
        """Remove a receiver; False if there was none with that id."""
        with self._lock:
            before = len(self._hooks)
            self._hooks = [h for h in self._hooks if h.webhook_id != webhook_id]
            return len(self._hooks) != before

    def listing(self) -> list[dict[str, Any]]:
        """Receivers and their delivery history."""
        with self._lock:
            return [h.as_json() for h in self._hooks]

    def on_change(self, change: IssueChange, issue: Issue) -> None:
        """Store listener: queue a delivery to every receiver of this event."""
        with self._lock:
            targets = [h for h in self._hooks if change.event in h.events]
        if not targets:
            return
        body = build_payload(change, issue, self.flavor, self.base_url, self.epic_link_field)
        for hook in targets:
            self._queue.put((hook, body, change.key))

    def on_version(
        self, event: str, version: dict[str, Any], actor: Account, extra: dict[str, Any]
    ) -> None:
        """Store listener for version events."""
        with self._lock:
            targets = [h for h in self._hooks if event in h.events]
        if not targets:
            return
        at_ms = int(time.time() * 1000)
        body = build_version_payload(event, version, self.base_url, at_ms, extra)
        for hook in targets:
            self._queue.put((hook, body, f"version {version.get('name')}"))

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued delivery has been attempted (tests use this)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the delivery thread once the queue is empty."""
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, hook: Webhook, body: bytes, key: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        if hook.secret:
            headers["X-Hub-Signature"] = sign(hook.secret, body)
        request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            status = 0
            hook.deliveries.append({"issue": key, "status": status, "error": str(error)})
            return
        hook.deliveries.append({"issue": key, "status": status})
