"""Run leases: a running run's process holds a lock that dies with it.

A run killed with SIGKILL (or a container that loses its node) cannot mark itself finished; its
row stays ``running``. The next process to open the store tells a dead run from a live one by
its lease: the lock the run's process took when it started the run and holds until it records
the end. The operating system or the database drops the lock with the process or connection:

- SQLite (a file): ``flock`` on ``<database>-runs/<run id>.lock`` next to the database file;
- PostgreSQL: a session advisory lock (``pg_advisory_lock(classid, run id)``) on a connection
  of its own, so a run is dead only once its process's lock is gone;
- anything else (an in-memory database): only this process's own runs can be alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

__all__ = ["RunLeases", "open_leases"]

# The first key of the two-key advisory lock form: "runs" in ASCII (the leadership locks use
# the one-bigint form, a separate lock space in PostgreSQL).
_PG_CLASS = 0x72756E73


class RunLeases(Protocol):
    """Take, give up and test the leases of runs."""

    def hold(self, run_id: int) -> None:
        """Take the lease of a run this process has just started."""
        ...

    def release(self, run_id: int) -> None:
        """Give it up once the run's end is recorded."""
        ...

    def alive(self, run_id: int) -> bool:
        """Whether some process still holds the run's lease."""
        ...

    def close(self) -> None:
        """Give up every lease held."""
        ...


class LocalLeases:
    """Leases known to this process only (in-memory databases)."""

    def __init__(self) -> None:
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def hold(self, run_id: int) -> None:
        with self._lock:
            self._held.add(run_id)

    def release(self, run_id: int) -> None:
        with self._lock:
            self._held.discard(run_id)

    def alive(self, run_id: int) -> bool:
        with self._lock:
            return run_id in self._held

    def close(self) -> None:
        with self._lock:
            self._held.clear()


class FileLeases:
    """``flock`` leases in a directory beside an SQLite file; the kernel drops them on exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[int, int] = {}  # run id -> open file descriptor
        self._lock = threading.Lock()

    def _path(self, run_id: int) -> Path:
        return self.directory / f"{run_id}.lock"

    def hold(self, run_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._path(run_id), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with self._lock:
            self._held[run_id] = descriptor

    def release(self, run_id: int) -> None:
        with self._lock:
            descriptor = self._held.pop(run_id, None)
        if descriptor is not None:
            with contextlib.suppress(OSError):
                self._path(run_id).unlink()
            os.close(descriptor)

    def alive(self, run_id: int) -> bool:
        with self._lock:
            if run_id in self._held:
                return True
        try:
            descriptor = os.open(self._path(run_id), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True  # another process holds it: the run is alive
        finally:
            os.close(descriptor)  # closing drops a lock we may have taken
        with contextlib.suppress(OSError):
            self._path(run_id).unlink()
        return False

    def close(self) -> None:
        for run_id in list(self._held):
            self.release(run_id)


class PostgresLeases:
    """Session advisory locks, one dedicated connection per run held."""

    def __init__(self, url: URL) -> None:
        # NullPool: closing a connection must really close it, which drops its locks.
        self._engine = sa.create_engine(url, poolclass=NullPool)
        self._held: dict[int, Connection] = {}
        self._lock = threading.Lock()

    def hold(self, run_id: int) -> None:
        connection = self._engine.connect()
        connection.execute(
            sa.text("SELECT pg_advisory_lock(:cls, :run)"), {"cls": _PG_CLASS, "run": run_id}
        )
        connection.commit()
        with self._lock:
            self._held[run_id] = connection

    def release(self, run_id: int) -> None:
        with self._lock:
            connection = self._held.pop(run_id, None)
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # a killed connection is already gone
                connection.close()

    def alive(self, run_id: int) -> bool:
        with self._lock:
            if run_id in self._held:
                return True
        with self._engine.connect() as connection:
            free = bool(
                connection.execute(
                    sa.text("SELECT pg_try_advisory_lock(:cls, :run)"),
                    {"cls": _PG_CLASS, "run": run_id},
                ).scalar()
            )
            if free:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:cls, :run)"),
                    {"cls": _PG_CLASS, "run": run_id},
                )
            connection.commit()
        return not free

    def close(self) -> None:
        for run_id in list(self._held):
            self.release(run_id)
        self._engine.dispose()


def open_leases(url: URL) -> RunLeases:
    """The lease kind that fits the store at ``url``."""
    if url.get_backend_name() == "postgresql":
        return PostgresLeases(url)
    database = url.database or ""
    is_file = database not in ("", ":memory:") and not database.startswith("file:")
    if url.get_backend_name() == "sqlite" and is_file:
        path = Path(database).expanduser()
        return FileLeases(path.with_name(path.name + "-runs"))
    return LocalLeases()
