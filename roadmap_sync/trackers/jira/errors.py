"""Jira failures described in one safe line."""

from __future__ import annotations

import requests
from jira import JIRAError

__all__ = ["describe"]


def describe(error: BaseException) -> str:
    """A safe one-line description: never ``str(JIRAError)``, which prints request headers."""
    if isinstance(error, JIRAError):
        text = (error.text or "").strip().replace("\n", " ")
        where = f" for {error.url}" if error.url else ""
        return f"Jira answered HTTP {error.status_code}{where}: {text[:300]}"
    if isinstance(error, requests.RequestException):
        return f"{type(error).__name__} talking to Jira"
    return f"{type(error).__name__}: {error}"
