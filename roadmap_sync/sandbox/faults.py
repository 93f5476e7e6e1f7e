"""Injected faults: what a misbehaving Jira does to a client, per endpoint.

Tests arm a fault through ``POST /_sandbox/faults``; the HTTP layer asks ``FaultBook.take``
before answering each request and acts it out.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# "reset_after": the request is carried out (a write lands), then the connection is reset
# before any answer, as when a proxy or Jira itself drops it after committing.
# "foreign" answers a search normally but slips in ``issue`` (a lying search result: the
# client must not trust that every result matches its query).
FaultKind = Literal["rate_limit", "error", "latency", "reset", "truncate", "reset_after", "foreign"]
FAULT_KINDS: tuple[str, ...] = (
    "rate_limit",
    "error",
    "latency",
    "reset",
    "truncate",
    "reset_after",
    "foreign",
)

# Endpoint names a fault can target; "*" matches every REST request (never /_sandbox/).
ENDPOINTS: tuple[str, ...] = (
    "*",
    "search",
    "issue_get",
    "issue_put",
    "bulk_submit",
    "bulk_queue",
    "meta",
)


@dataclass
class Fault:
    """One armed fault: fires on ``times`` matching requests after skipping ``after`` of them."""

    endpoint: str
    kind: FaultKind
    times: int = 1
    after: int = 0
    status: int = 503
    retry_after: float | None = None
    latency_ms: int = 0
    issue: str | None = None
    fired: int = 0
    seen: int = field(default=0)

    @classmethod
    def from_json(cls, spec: Mapping[str, Any]) -> Fault:
        """Validate a fault spec from the test-hook API."""
        endpoint = str(spec.get("endpoint", "*"))
        kind = str(spec.get("kind", ""))
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        retry_after = spec.get("retry_after")
        fault = cls(
            endpoint=endpoint,
            kind=kind,  # type: ignore[arg-type]  # checked against FAULT_KINDS above
            times=int(spec.get("times", 1)),
            after=int(spec.get("after", 0)),
            status=int(spec.get("status", 429 if kind == "rate_limit" else 503)),
            retry_after=float(retry_after) if retry_after is not None else None,
            latency_ms=int(spec.get("latency_ms", 0)),
            issue=str(spec["issue"]) if spec.get("issue") else None,
        )
        if fault.kind == "foreign" and (fault.issue is None or endpoint != "search"):
            raise ValueError("a 'foreign' fault needs endpoint 'search' and an 'issue' key")
        if fault.kind == "rate_limit" and fault.retry_after is None:
            fault.retry_after = 1.0
        return fault

    def as_json(self) -> dict[str, Any]:
        """The fault as ``GET /_sandbox/faults`` lists it."""
        return {
            "endpoint": self.endpoint,
            "kind": self.kind,
            "times": self.times,
            "after": self.after,
            "status": self.status,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "issue": self.issue,
            "fired": self.fired,
        }


class FaultBook:
    """The armed faults; thread-safe, consumed in the order they were armed."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, fault: Fault) -> None:
        """Add a fault."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._faults.clear()

    def listing(self) -> list[dict[str, Any]]:
        """Every fault armed, with how often it fired."""
        with self._lock:
            return [f.as_json() for f in self._faults]

    def take(self, endpoint: str) -> Fault | None:
        """The fault to act out for this request, if any; counts it as fired.

        ``times`` < 0 means "every time".
        """
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in ("*", endpoint):
                    continue
                if fault.times >= 0 and fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                return fault
        return None
