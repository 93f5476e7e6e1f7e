"""Jira-shaped API errors: every failure the sandbox answers is one of these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ApiError(Exception):
    """An HTTP error answered as Jira's ``{"errorMessages": [...], "errors": {...}}`` body."""

    def __init__(
        self,
        status: int,
        messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        # Some endpoints (bulk edit) answer errors in their own shape.
        self.payload = dict(payload) if payload is not None else None
        super().__init__(f"{status}: {'; '.join(self.messages)} {self.errors}")

    def body(self) -> dict[str, Any]:
        """The JSON body Jira sends with this error."""
        if self.payload is not None:
            return self.payload
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found_issue() -> ApiError:
    """Jira's answer for an issue that does not exist or cannot be seen."""
    return ApiError(404, ["Issue does not exist or you do not have permission to see it."])


def bad_request(message: str) -> ApiError:
    """A 400 with one top-level message."""
    return ApiError(400, [message])


def bulk_error(status: int, message: str) -> ApiError:
    """The bulk edit API's own error shape: ``{"errors": [{"message": ...}]}``."""
    return ApiError(status, [message], payload={"errors": [{"message": message}]})
