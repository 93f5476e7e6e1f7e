"""The state store's errors, apart from the store so that catching them imports no database."""

from __future__ import annotations

__all__ = ["NotFoundError", "StoreError"]


class StoreError(Exception):
    """The state store could not be opened, read or written."""


class NotFoundError(StoreError, LookupError):
    """A run or report with that id does not exist."""
