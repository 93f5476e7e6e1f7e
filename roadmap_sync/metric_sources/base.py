"""What every metric source shares: its error and safe descriptions of where it points."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["MetricSourceError", "where"]


class MetricSourceError(Exception):
    """A metric source could not give a reading; the message is safe to show and store."""


def where(url: str) -> str:
    """Scheme, host and port of a URL: its path and query may carry tokens."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}"
