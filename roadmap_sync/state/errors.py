"""The state store's errors, apart from the store so that catching them imports no database."""

from __future__ import annotations

__all__ = ["NotFoundError", "StoreConfigError", "StoreError"]


class StoreError(Exception):
    """The state store could not be opened, read or written."""


class NotFoundError(StoreError, LookupError):
    """A run or report with that id does not exist."""


class StoreConfigError(StoreError):
    """The configured store cannot work at all: a bad URL, a data directory that cannot be
    created or written. A configuration error (exit 2), found before anything is sent."""
