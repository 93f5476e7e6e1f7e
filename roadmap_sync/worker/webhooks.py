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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

HANDLED_EVENTS = frozenset({"jira:issue_updated", "jira:issue_created"})


def verify(secret: str, body: bytes, signature: str | None, token: str | None) -> bool:
    """Whether the request carries a valid signature or URL token for ``secret``."""
    if signature:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.strip())
    if token:
        return hmac.compare_digest(secret, token)
    return False


@dataclass(frozen=True)
class IssueEvent:
    """What a webhook told us: which issue changed, and whether it is epic-level."""

    event: str
    key: str
    project: str
    hierarchy_level: int
    changed_fields: tuple[str, ...]


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
    level = _mapping(fields.get("issuetype")).get("hierarchyLevel", 0)
    project = _mapping(fields.get("project")).get("key") or issue["key"].rsplit("-", 1)[0]
    items = _mapping(payload.get("changelog")).get("items")
    items = items if isinstance(items, list) else []
    changed = tuple(str(i.get("field")) for i in items if isinstance(i, Mapping))
    return IssueEvent(
        event=str(payload["webhookEvent"]),
        key=issue["key"],
        project=str(project),
        hierarchy_level=level if isinstance(level, int) else 0,
        changed_fields=changed,
    )


class Debouncer:
    """Collects keys and calls ``flush`` once no new key arrived for ``delay`` seconds.

    A burst of webhooks (a person editing several fields, a bulk change) becomes one targeted
    sync instead of many.
    """

    def __init__(self, delay: float, flush: Callable[[frozenset[str]], None]) -> None:
        self.delay = delay
        self._flush = flush
        self._keys: set[str] = set()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        """Note a changed issue; (re)start the quiet-period timer."""
        with self._lock:
            self._keys.add(key)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._fire)
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
