"""The request and response values passed between the HTTP layer and the endpoints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from roadmap_sync.sandbox.catalog import Account
from roadmap_sync.sandbox.errors import bad_request


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    raw_query: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    account: Account | None = None
    route: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter."""
        return list(self.query.get(name, []))

    def json(self) -> Any:
        """The body as JSON; malformed JSON is Jira's 400."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise bad_request(f"Unexpected character in request body: {error}") from error

    @property
    def api_version(self) -> str:
        """The REST version in the path (``2`` or ``3``)."""
        return self.route.get("v", "2")


@dataclass
class Response:
    """A response to send: a JSON-able body (or None for 204) plus headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Objects in a body already encoded (a search page): what the points quota charges for.
    objects: int | None = None

    def encoded(self) -> bytes:
        """The body bytes."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":"), default=str).encode()
