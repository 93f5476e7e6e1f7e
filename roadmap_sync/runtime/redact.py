"""Secret redaction: tokens never reach a log line, a report or an error message."""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

# Keys whose values are secrets wherever they appear in a log event.
SECRET_KEYS = re.compile(r"(token|secret|password|passwd|authorization|api_key)", re.IGNORECASE)
REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


class Redactor:
    """Masks known secret values in text, and secret-named keys in log events."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}))

    def text(self, text: str) -> str:
        """Mask every known secret inside a string."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """structlog processor."""
        for key, value in list(event.items()):
            if SECRET_KEYS.search(key) and value is not None:
                event[key] = REDACTED
            elif isinstance(value, str):
                event[key] = self.text(value)
            elif isinstance(value, BaseException):
                event[key] = self.text(f"{type(value).__name__}: {value}")
        return event
