"""Leadership per roadmap, so several replicas never sync the same roadmap at once.

With PostgreSQL, a replica leads a roadmap while it holds a session-level advisory lock on a
dedicated connection; if the replica dies, PostgreSQL drops the connection and the lock, and
another replica's next attempt takes over. SQLite is single-replica by nature, so there the
lock is only process-local.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading

import structlog
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from roadmap_sync.state.store import database_url

log = structlog.get_logger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name."""
    digest = hashlib.sha256(f"roadmap-sync:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """Try-acquire, hold and release named leaderships."""

    def __init__(self, state_url: str) -> None:
        self.shared = state_url.startswith("postgresql")
        self._engine: Engine | None = (
            # NullPool: closing a connection must really close it, which releases its locks.
            create_engine(database_url(state_url), poolclass=NullPool) if self.shared else None
        )
        self._held: dict[str, Connection | None] = {}
        self._lock = threading.Lock()

    def lead(self, name: str) -> bool:
        """True when this replica leads ``name`` (acquiring it if free)."""
        with self._lock:
            if name in self._held and self._still_held(name):
                return True
            self._held.pop(name, None)
            if self._engine is None:
                self._held[name] = None
                return True
            try:
                connection = self._engine.connect()
            except SQLAlchemyError as error:
                log.warning("leadership_unavailable", name=name, error=type(error).__name__)
                return False
            try:
                acquired = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(name)}
                    ).scalar()
                )
                connection.commit()
            except SQLAlchemyError as error:
                connection.close()
                log.warning("leadership_unavailable", name=name, error=type(error).__name__)
                return False
            if not acquired:
                connection.close()
                return False
            self._held[name] = connection
            log.info("leadership_acquired", name=name)
            return True

    def holds(self, name: str) -> bool:
        """Whether this replica still leads ``name`` (its lock connection still answers)."""
        with self._lock:
            if name not in self._held:
                return False
            if self._still_held(name):
                return True
            self._held.pop(name, None)
            return False

    def _still_held(self, name: str) -> bool:
        connection = self._held.get(name)
        if connection is None:
            return True
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
        except SQLAlchemyError:
            log.warning("leadership_lost", name=name)
            return False
        return True

    def release_all(self) -> None:
        """Give up every leadership (on shutdown)."""
        with self._lock:
            for connection in self._held.values():
                if connection is not None:
                    with contextlib.suppress(SQLAlchemyError):  # it may already be gone
                        connection.close()
            self._held.clear()
            if self._engine is not None:
                self._engine.dispose()
