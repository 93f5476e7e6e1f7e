"""Jira webhooks: authenticate the request, extract the issue, debounce the re-syncs.

Jira signs webhooks registered with a secret with ``X-Hub-Signature: sha256=<hex HMAC>``
of the body; sites that cannot sign use a secret token in the URL (``?token=...``). Anything
else is rejected.
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

HANDLED_EVENTS = frozenset({"jira:issue_updated", "jira:issue_created"})
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
    """What a webhook told us: which issue changed, and whether it is epic-level."""

    event: str
    key: str
    project: str
    changed_fields: tuple[str, ...]
    # Labels added or removed by the change (from the changelog's space-separated strings).
    labels_changed: frozenset[str]

    def only_touches(self, owned: Callable[[str], bool]) -> bool:
        """True for an update that only changed labels for which ``owned`` holds.

        Every label the bot writes comes back as a webhook; re-tracing those issues would
        re-read thousands of them after each sync for nothing.
        """
        return (
            self.event == "jira:issue_updated"
            and bool(self.changed_fields)
            and set(self.changed_fields) == {"labels"}
            and all(owned(label) for label in self.labels_changed)
        )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_event(body: bytes) -> IssueEvent | None:
    """The issue event in a webhook body, or None when it is not one we act on."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, Mapping) or payload.get("webhookEvent") not in HANDLED_EVENTS:
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
        if item.get("field") == "labels":
            before = set(str(item.get("fromString") or "").split())
            after = set(str(item.get("toString") or "").split())
            labels |= before ^ after
    return IssueEvent(
        event=str(payload["webhookEvent"]),
        key=issue["key"],
        project=str(project),
        changed_fields=tuple(str(i.get("field")) for i in items),
        labels_changed=frozenset(labels),
    )


class Debouncer:
    """Collects keys and calls ``flush`` once no new key arrived for ``delay`` seconds.

    A burst of webhooks (a person editing several fields, a bulk change) becomes one targeted
    sync instead of many.
    """

    def __init__(self, delay: float, flush: Callable[[frozenset[str]], None]) -> None:
        self.delay = delay
        # A steady stream of events must not postpone the flush for ever.
        self.max_wait = MAX_WAIT_FACTOR * delay
        self._flush = flush
        self._keys: set[str] = set()
        self._timer: threading.Timer | None = None
        self._first_at = 0.0
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
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
