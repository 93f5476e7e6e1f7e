"""Jira webhooks: authenticate the request, parse the event, debounce the re-syncs.

Jira signs webhooks registered with a secret with ``X-Hub-Signature: sha256=<hex HMAC>``
of the body; sites that cannot sign use a secret token in the URL (``?token=...``). Anything
else is rejected. Issue events (created, updated, deleted) carry ``issue_event_type_name``, the
acting ``user`` and ``changelog.items`` of ``{field, fieldtype, fieldId, from, fromString, to,
toString}`` (Server payloads lack ``fieldId``); version events carry the ``version``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
VERSION_EVENTS = frozenset(
    f"jira:version_{kind}"
    for kind in ("created", "updated", "released", "unreleased", "deleted", "moved")
)
MAX_WAIT_FACTOR = 10


def verify(secret: str, body: bytes, signature: str | None, token: str | None) -> bool:
    """Whether the request carries a valid signature or URL token for ``secret``."""
    # Compared as bytes: compare_digest refuses non-ASCII text, and a request must never
    # turn a malformed credential into a 500.
    if signature:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), _utf8(signature.strip()))
    if token:
        return hmac.compare_digest(secret.encode(), _utf8(token))
    return False


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class IssueEvent:
    """What an issue webhook told us: which issue, what changed, and who changed it."""

    event: str
    key: str
    project: str
    changed_fields: tuple[str, ...]
    # Labels added or removed by the change (from the changelog's space-separated strings).
    labels_changed: frozenset[str]
    # Who made the change: account id (Cloud), user name and key (Server); empty if unsaid.
    actor: frozenset[str] = frozenset()
    issue_id: str = ""

    @property
    def deleted(self) -> bool:
        """The issue no longer exists."""
        return self.event == "jira:issue_deleted"

    def is_echo(self, owned: Callable[[str], bool], bot: str = "") -> bool:
        """True for the bot's own label write coming back: an update that only changed labels
        the bot owns, made by the bot (or by someone unnamed, as older payloads are).

        Every label the bot writes comes back as a webhook; re-tracing those would re-read
        thousands of issues after each sync. A person's edit of a bot-owned label is not an
        echo: it is re-traced, and the bot's label restored.
        """
        if self.event != "jira:issue_updated" or not self.changed_fields:
            return False
        if set(self.changed_fields) != {"labels"}:
            return False
        if not all(owned(label) for label in self.labels_changed):
            return False
        return not self.actor or not bot or bot in self.actor

    def only_touches(self, owned: Callable[[str], bool]) -> bool:
        """True for an update that only changed labels for which ``owned`` holds."""
        return self.is_echo(owned)


@dataclass(frozen=True)
class VersionEvent:
    """A version was created, renamed, released, unreleased, moved or deleted."""

    event: str
    version_id: str
    name: str
    project_id: str
    merged_to: str | None = None

    @property
    def kind(self) -> str:
        """``created``, ``updated``, ``released``, ``unreleased``, ``deleted`` or ``moved``."""
        return self.event.removeprefix("jira:version_")


Event = IssueEvent | VersionEvent


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _actor(payload: Mapping[str, Any]) -> frozenset[str]:
    user = _mapping(payload.get("user"))
    return frozenset(
        str(user[name]) for name in ("accountId", "name", "key") if isinstance(user.get(name), str)
    )


def _version_event(payload: Mapping[str, Any]) -> VersionEvent | None:
    version = _mapping(payload.get("version"))
    if version.get("id") is None:
        return None
    merged = _mapping(payload.get("mergedTo")).get("id")
    return VersionEvent(
        event=str(payload["webhookEvent"]),
        version_id=str(version["id"]),
        name=str(version.get("name", "")),
        project_id=str(version.get("projectId", "")),
        merged_to=str(merged) if merged is not None else None,
    )


def parse_event(body: bytes) -> Event | None:
    """The issue or version event in a webhook body, or None when it is not one we act on."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, Mapping):
        return None
    if payload.get("webhookEvent") in VERSION_EVENTS:
        return _version_event(payload)
    if payload.get("webhookEvent") not in ISSUE_EVENTS:
        return None
    issue = payload.get("issue")
    if not isinstance(issue, Mapping) or not isinstance(issue.get("key"), str):
        return None
    fields = _mapping(issue.get("fields"))
    project = _mapping(fields.get("project")).get("key") or issue["key"].rsplit("-", 1)[0]
    items = _mapping(payload.get("changelog")).get("items")
    items = [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []
    labels: set[str] = set()
    for item in items:
        # Cloud names the field by display name and id; Server only by name.
        if item.get("field") == "labels" or item.get("fieldId") == "labels":
            before = set(str(item.get("fromString") or "").split())
            after = set(str(item.get("toString") or "").split())
            labels |= before ^ after
    return IssueEvent(
        event=str(payload["webhookEvent"]),
        key=issue["key"],
        project=str(project),
        changed_fields=tuple(str(i.get("fieldId") or i.get("field")) for i in items),
        labels_changed=frozenset(labels),
        actor=_actor(payload),
        issue_id=str(issue.get("id") or ""),
    )


class Debouncer:
    """Collects keys (issue keys, version events) and calls ``flush`` once no new one arrived
    for ``delay`` seconds.

    A burst of webhooks (a person editing several fields, a bulk change) becomes one targeted
    sync instead of many.
    """

    def __init__(self, delay: float, flush: Callable[[frozenset[Any]], None]) -> None:
        self.delay = delay
        # A steady stream of events must not postpone the flush for ever.
        self.max_wait = MAX_WAIT_FACTOR * delay
        self._flush = flush
        self._keys: set[Any] = set()
        self._timer: threading.Timer | None = None
        self._first_at = 0.0
        self._lock = threading.Lock()

    def discard(self, key: Any) -> None:
        """Forget a pending key (a deleted issue needs no re-sync)."""
        with self._lock:
            self._keys.discard(key)

    def add(self, key: Any) -> None:
        """Note a changed issue; (re)start the quiet-period timer, up to the maximum wait."""
        with self._lock:
            now = time.monotonic()
            if not self._keys:
                self._first_at = now
            self._keys.add(key)
            if self._timer is not None:
                self._timer.cancel()
            wait = max(0.0, min(self.delay, self._first_at + self.max_wait - now))
            self._timer = threading.Timer(wait, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            keys, self._keys, self._timer = frozenset(self._keys), set(), None
        if keys:
            self._flush(keys)

    def cancel(self) -> None:
        """Drop pending keys (shutdown)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None
            self._keys.clear()
