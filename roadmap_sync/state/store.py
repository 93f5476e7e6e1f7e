"""The state store: runs, their snapshots, the audit of every label change, reports, deliveries.

An SQLite file by default, PostgreSQL (psycopg 3) by URL. Opening a store migrates its schema to
the newest Alembic revision, so an upgrade of the container upgrades the database. Every write
method is one transaction; the store is safe to share between threads.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine, Row
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import Finding
from roadmap_sync.core.records import (
    AuditRow,
    ItemSnapshot,
    RunKind,
    RunOutcome,
    RunRecord,
    Snapshot,
    key_order,
)
from roadmap_sync.core.retention import RetentionPolicy, snapshots_to_keep
from roadmap_sync.state import outlook_tables as _outlook_tables  # noqa: F401 - registers them
from roadmap_sync.state import tables as t
from roadmap_sync.state.errors import NotFoundError, StoreConfigError, StoreError
from roadmap_sync.state.leases import open_leases

__all__ = [
    "MIGRATIONS",
    "NotFoundError",
    "PruneResult",
    "StateStore",
    "StoreConfigError",
    "StoreError",
    "migration_config",
]

MIGRATIONS: Final = Path(__file__).resolve().with_name("migrations")

# Rows per executemany: bounds the parameter lists held in memory for a 100k-item snapshot
# without costing round trips (one transaction either way).
_CHUNK: Final = 1_000
# Markers in _record_versions' table of current rows: a key not there; a row already matched.
_ABSENT: Final = object()
_MATCHED: Final = object()
# How long an SQLite writer waits for another thread's or process's write lock.
_SQLITE_BUSY_SECONDS: Final = 30.0
# pg_advisory_xact_lock key that serialises migrations of one database ("rsync" in ASCII).
WAL_ATTEMPTS = 40  # about 40 s of waiting in all
_PG_MIGRATION_LOCK: Final = 0x7273796E63
# pg_advisory_xact_lock key that serialises snapshot sequence numbers ("rsnap").
_PG_SNAPSHOT_LOCK: Final = 0x72736E6170
# Keys per `key IN (...)` query: well under every database's parameter limit.
_KEYS_PER_QUERY: Final = 500

_T = TypeVar("_T")


def migration_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for the packaged migrations, with no alembic.ini."""
    config = Config()
    # ConfigParser interpolates '%': a path containing one would otherwise break the lookup.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    # Without it Alembic warns about legacy path splitting; we have a single path anyway.
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class StateStore:
    """Runs, snapshots, audit, reports and deliveries in one SQL database."""

    def __init__(self, url: str) -> None:
        """Connect to ``url`` (creating an SQLite file's directory) and migrate to head."""
        parsed = _parse_url(url)
        # The only form of the URL that may reach a message: the password masked.
        self._label = parsed.render_as_string(hide_password=True)
        try:
            _ensure_sqlite_dir(parsed)
            self._engine = _create_engine(parsed)
        except (OSError, ImportError, SQLAlchemyError) as exc:  # unwritable dir, missing driver
            raise StoreConfigError(f"cannot open state store {self._label}: {exc}") from None
        try:
            _migrate(self._engine)
        except (SQLAlchemyError, CommandError) as exc:
            self._engine.dispose()
            raise StoreError(f"cannot open state store {self._label}: {_reason(exc)}") from exc
        self._leases = open_leases(parsed)
        # A process that opens the store is the "next run or worker" of a run killed mid-apply.
        self.mark_interrupted()

    @classmethod
    def open(cls, url: str) -> StateStore:
        """Open (and migrate) the store at ``url``."""
        return cls(url)

    @classmethod
    def open_existing(cls, url: str) -> StateStore | None:
        """The store at ``url`` if an SQLite file is already there (read-only commands must not
        create one); a server database is always opened."""
        parsed = _parse_url(url)
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and (
            database in ("", ":memory:") or not Path(database).expanduser().exists()
        ):
            return None
        return cls(url)

    def __repr__(self) -> str:
        return f"StateStore({self._label!r})"

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection (and give up the leases of runs still held)."""
        self._leases.close()
        self._engine.dispose()

    def ping(self) -> bool:
        """Readiness: True when the database answers ``SELECT 1``."""
        try:
            with self._engine.connect() as conn:
                return bool(conn.execute(sa.text("SELECT 1")).scalar_one() == 1)
        except SQLAlchemyError:
            return False

    # -- runs ---------------------------------------------------------------------------------

    def start_run(
        self,
        roadmap: str,
        kind: RunKind,
        config_hash: str,
        started_at: dt.datetime,
        reverts_run: int | None = None,
    ) -> int:
        """Record a run as running and return its id."""
        t.run_kind(kind)
        values = {
            "roadmap": roadmap,
            "kind": kind,
            "config_hash": config_hash,
            "started_at": _aware(started_at),
            "finished_at": None,
            "outcome": "running",
            "counts": {},
            "alignment": None,
            "reverts_run": reverts_run,
        }
        with self._write("start run") as conn:
            run_id = _new_id(conn.execute(t.runs.insert().values(values)))
            # Before the row is visible to others, so nobody sees it running without a lease.
            try:
                self._leases.hold(run_id)
            except (OSError, SQLAlchemyError) as exc:
                raise StoreError(f"cannot take the lease of run {run_id}: {exc}") from None
        return run_id

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: Mapping[str, int],
        finished_at: dt.datetime,
        alignment: float | None,
    ) -> None:
        """Record how a run ended."""
        if t.run_outcome(outcome) == "running":
            raise ValueError("a finished run needs a final outcome, not 'running'")
        update = (
            t.runs.update()
            .where(t.runs.c.id == run_id)
            .values(
                outcome=outcome,
                counts={str(name): int(n) for name, n in counts.items()},
                finished_at=_aware(finished_at),
                alignment=alignment,
            )
        )
        with self._write(f"finish run {run_id}") as conn:
            if conn.execute(update).rowcount == 0:
                raise NotFoundError(f"no run {run_id}")
        self._leases.release(run_id)

    def mark_interrupted(self, roadmap: str | None = None) -> list[int]:
        """Mark ``interrupted`` every running run whose process is gone (its lease is free).

        Such a run was killed mid-way (SIGKILL, a lost node): its audit holds what it intended
        and what it confirmed; ``revert`` re-reads the issues to undo whatever landed.
        """
        query = sa.select(t.runs.c.id).where(t.runs.c.outcome == "running")
        if roadmap is not None:
            query = query.where(t.runs.c.roadmap == roadmap)
        with self._read("list running runs") as conn:
            running = list(conn.execute(query).scalars())
        dead = [run_id for run_id in running if not self._lease_alive(run_id)]
        for run_id in dead:
            self._close_interrupted(run_id)
        return dead

    def live_runs(self, roadmap: str) -> list[int]:
        """Running runs of a roadmap whose process is still at work (their lease is held)."""
        query = sa.select(t.runs.c.id).where(
            t.runs.c.outcome == "running", t.runs.c.roadmap == roadmap
        )
        with self._read("list running runs") as conn:
            running = list(conn.execute(query).scalars())
        return [run_id for run_id in running if self._lease_alive(run_id)]

    def _lease_alive(self, run_id: int) -> bool:
        try:
            return self._leases.alive(run_id)
        except (OSError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot check the lease of run {run_id}: {exc}") from None

    def _close_interrupted(self, run_id: int) -> None:
        audit = t.audit.c
        tallies = sa.select(
            sa.func.count().filter(audit.ok.is_(True)),
            sa.func.count().filter(audit.ok.is_(False), audit.pending.is_(False)),
            sa.func.count().filter(audit.pending.is_(True)),
            sa.func.max(audit.at),
        ).where(audit.run_id == run_id)
        with self._write(f"mark run {run_id} interrupted") as conn:
            applied, failed, pending, last = conn.execute(tallies).one()
            started = conn.execute(
                sa.select(t.runs.c.started_at).where(t.runs.c.id == run_id)
            ).scalar_one()
            counts = {
                "changes_applied": int(applied),
                "changes_failed": int(failed),
                "changes_pending": int(pending),
            }
            # Only if still running: the run may have finished since it was listed.
            conn.execute(
                t.runs.update()
                .where(t.runs.c.id == run_id, t.runs.c.outcome == "running")
                .values(outcome="interrupted", counts=counts, finished_at=last or started)
            )

    def run(self, run_id: int) -> RunRecord:
        """The run with this id (NotFoundError if there is none)."""
        with self._read(f"read run {run_id}") as conn:
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no run {run_id}")
        return t.run_from_row(row)

    def runs(self, roadmap: str | None = None, limit: int = 20) -> list[RunRecord]:
        """The newest ``limit`` runs, newest first, of one roadmap or of all."""
        if limit <= 0:
            return []
        query = (
            sa.select(t.runs).order_by(t.runs.c.started_at.desc(), t.runs.c.id.desc()).limit(limit)
        )
        if roadmap is not None:
            query = query.where(t.runs.c.roadmap == roadmap)
        with self._read("list runs") as conn:
            return [t.run_from_row(row) for row in conn.execute(query)]

    def has_synced(self, roadmap: str, *, excluding: int | None = None) -> bool:
        """Whether a full sync of the roadmap (``run``/``apply``) ever finished ok or partly
        applied; `excluding` leaves out a run in progress. False means a first sync."""
        query = (
            sa.select(t.runs.c.id)
            .where(t.runs.c.roadmap == roadmap)
            .where(t.runs.c.kind.in_(("run", "apply")))
            .where(t.runs.c.outcome.in_(("ok", "partial")))
            .limit(1)
        )
        if excluding is not None:
            query = query.where(t.runs.c.id != excluding)
        with self._read("look up earlier syncs") as conn:
            return conn.execute(query).first() is not None

    def alignment_history(
        self, roadmap: str, since: dt.datetime | None = None
    ) -> list[tuple[dt.datetime, float]]:
        """(finished_at, alignment) of the roadmap's finished runs that have one, oldest first."""
        query = (
            sa.select(t.runs.c.finished_at, t.runs.c.alignment)
            .where(
                t.runs.c.roadmap == roadmap,
                t.runs.c.outcome != "running",
                t.runs.c.finished_at.is_not(None),
                t.runs.c.alignment.is_not(None),
            )
            .order_by(t.runs.c.finished_at, t.runs.c.id)
        )
        if since is not None:
            query = query.where(t.runs.c.finished_at >= _aware(since))
        with self._read("read alignment history") as conn:
            return [(row.finished_at, float(row.alignment)) for row in conn.execute(query)]

    # -- snapshots ------------------------------------------------------------------------------

    def record_snapshot(
        self,
        run_id: int,
        items: Iterable[ItemSnapshot],
        findings: Sequence[Finding],
        *,
        changed: Collection[str] | None = None,
    ) -> int:
        """Store a run's item traces and roadmap findings (once per run); its sequence number.

        Only items whose state differs from the roadmap's current one get a new row, so an
        unchanged run adds its marker and findings alone. With ``changed``, the caller vouches
        that items with other keys are stored as they are and none is gone (an incremental
        sync knows what it re-read), and only these keys are compared; a changed key missing
        from ``items`` is gone. ``items`` may be an iterator: it is read once, as rows are
        written, and a duplicate key among those compared undoes the whole snapshot (with
        ``changed``, the other keys are the caller's word and are only counted).
        """
        with self._write(f"record snapshot of run {run_id}") as conn:
            roadmap = conn.execute(
                sa.select(t.runs.c.roadmap).where(t.runs.c.id == run_id)
            ).scalar_one_or_none()
            if roadmap is None:
                raise NotFoundError(f"record snapshot of run {run_id} failed: no run {run_id}")
            seq = _next_snapshot(conn, run_id, len(findings))
            count = _record_versions(conn, run_id, roadmap, seq, items, changed)
            conn.execute(
                sa.update(t.snapshots)
                .where(t.snapshots.c.run_id == run_id)
                .values(item_count=count)
            )
            if findings:
                conn.execute(
                    t.findings.insert(),
                    [t.finding_values(run_id, n, finding) for n, finding in enumerate(findings)],
                )
        return seq

    def snapshot(self, run_id: int) -> Snapshot | None:
        """The snapshot a run recorded, or None."""
        query = sa.select(t.runs, t.snapshots.c.seq).join(
            t.snapshots, t.snapshots.c.run_id == t.runs.c.id
        )
        with self._read(f"read snapshot of run {run_id}") as conn:
            row = conn.execute(query.where(t.runs.c.id == run_id)).one_or_none()
            return None if row is None else _load_snapshot(conn, row)

    def latest_snapshot(
        self,
        roadmap: str,
        *,
        before: dt.datetime | None = None,
        exclude_run: int | None = None,
        labels: bool = True,
    ) -> Snapshot | None:
        """The newest finished plan/apply/run snapshot of a roadmap, started before ``before``.

        ``labels=False`` leaves each item's warnings and owned labels empty (reports).
        """
        query = (
            sa.select(t.runs, t.snapshots.c.seq)
            .join(t.snapshots, t.snapshots.c.run_id == t.runs.c.id)
            .where(
                t.runs.c.roadmap == roadmap,
                t.runs.c.kind.in_(t.SNAPSHOT_KINDS),
                t.runs.c.outcome != "running",
            )
            .order_by(t.runs.c.started_at.desc(), t.runs.c.id.desc())
            .limit(1)
        )
        if before is not None:
            query = query.where(t.runs.c.started_at < _aware(before))
        if exclude_run is not None:
            query = query.where(t.runs.c.id != exclude_run)
        with self._read(f"read latest snapshot of {roadmap}") as conn:
            row = conn.execute(query).one_or_none()
            return None if row is None else _load_snapshot(conn, row, labels=labels)

    def latest_state_run(self, roadmap: str) -> RunRecord | None:
        """The run whose snapshot is the roadmap's current state (the last one recorded)."""
        query = (
            sa.select(t.runs)
            .join(t.snapshots, t.snapshots.c.run_id == t.runs.c.id)
            .where(t.runs.c.roadmap == roadmap)
            .order_by(t.snapshots.c.seq.desc())
            .limit(1)
        )
        with self._read(f"read latest state of {roadmap}") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else t.run_from_row(row)

    def current_items(self, roadmap: str) -> tuple[ItemSnapshot, ...]:
        """Every item of the roadmap's current state (its last recorded snapshot), in key order."""
        c = t.item_versions.c
        query = sa.select(*t.ITEM_COLUMNS).where(c.roadmap == roadmap, c.valid_to.is_(None))
        with self._read(f"read current items of {roadmap}") as conn:
            return _items_in_key_order(conn, query, t.ItemReader())

    # -- retention --------------------------------------------------------------------------------

    def prune(self, policy: RetentionPolicy, now: dt.datetime) -> PruneResult:
        """Delete what the retention policy no longer keeps (one transaction)."""
        now = _aware(now)
        with self._write("prune history") as conn:
            return _prune(conn, policy, now)

    def maintain(self, *, vacuum_share: float = 0.25) -> str:
        """SQLite: ANALYZE, and VACUUM when free pages exceed ``vacuum_share`` of the file.

        PostgreSQL's autovacuum does both on its own. Returns what was done, for the log.
        """
        if self._engine.dialect.name != "sqlite":
            return "none (autovacuum)"
        try:
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
                pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
                free = int(conn.exec_driver_sql("PRAGMA freelist_count").scalar_one())
                done = "analyze"
                if pages and free / pages > vacuum_share:
                    conn.exec_driver_sql("VACUUM")
                    done += f", vacuum ({free} of {pages} pages free)"
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                return done
        except SQLAlchemyError as exc:
            raise StoreError(f"maintenance failed: {_reason(exc)}") from exc

    # -- audit ------------------------------------------------------------------------------------

    def record_audit(
        self,
        rows: Sequence[AuditRow],
        *,
        at: dt.datetime | None = None,
        batch: int | None = None,
    ) -> None:
        """Record attempted label changes, stamped ``at`` (default: now, UTC).

        With ``batch``, they confirm that batch's pending rows (``record_intent``), which are
        replaced in the same transaction. Labels added are remembered as the bot's own.
        """
        if not rows and batch is None:
            return
        stamp = _aware(at) if at is not None else dt.datetime.now(dt.UTC)
        values = [t.audit_values(row, stamp, batch) for row in rows]
        with self._write("record audit") as conn:
            if batch is not None and rows:
                run_ids = {row.run_id for row in rows}
                conn.execute(
                    t.audit.delete().where(
                        t.audit.c.run_id.in_(run_ids),
                        t.audit.c.batch == batch,
                        t.audit.c.pending.is_(True),
                    )
                )
            for chunk in _chunked(values, _CHUNK):
                conn.execute(t.audit.insert(), chunk)
            _remember_written(conn, rows)

    def record_intent(self, rows: Sequence[AuditRow], batch: int) -> None:
        """Write-ahead: record a batch's changes as pending before they are sent."""
        if not rows:
            return
        stamp = dt.datetime.now(dt.UTC)
        values = [t.audit_values(replace(row, pending=True), stamp, batch) for row in rows]
        with self._write("record intended changes") as conn:
            for chunk in _chunked(values, _CHUNK):
                conn.execute(t.audit.insert(), chunk)
            # Before the write: a label that lands while the process dies is still the bot's.
            _remember_written(conn, rows)

    def written_labels(self, roadmap: str) -> frozenset[str]:
        """Every label the bot has written for this roadmap (owned with those it writes now)."""
        query = sa.select(t.written_labels.c.label).where(t.written_labels.c.roadmap == roadmap)
        with self._read(f"read labels written for {roadmap}") as conn:
            return frozenset(conn.execute(query).scalars())

    def audit(self, run_id: int) -> list[AuditRow]:
        """A run's audit rows in the order they were recorded."""
        query = sa.select(t.audit).where(t.audit.c.run_id == run_id).order_by(t.audit.c.id)
        with self._read(f"read audit of run {run_id}") as conn:
            return [t.audit_from_row(row) for row in conn.execute(query)]

    def audit_since(self, roadmap: str, since: dt.datetime) -> list[tuple[AuditRow, dt.datetime]]:
        """A roadmap's audit rows recorded at or after ``since``, oldest first, with their time.

        The Jira adapter reads these back as they are now, since Cloud's search lags writes.
        """
        query = (
            sa.select(t.audit)
            .join(t.runs, t.runs.c.id == t.audit.c.run_id)
            .where(t.runs.c.roadmap == roadmap, t.audit.c.at >= _aware(since))
            .order_by(t.audit.c.id)
        )
        with self._read(f"read recent audit of {roadmap}") as conn:
            return [(t.audit_from_row(row), _aware(row.at)) for row in conn.execute(query)]

    # -- reports ----------------------------------------------------------------------------------

    def save_report(
        self,
        run_id: int | None,
        roadmap: str,
        fmt: str,
        content: str,
        created_at: dt.datetime,
        *,
        replace_older: bool = False,
    ) -> int:
        """Store a rendered report and return its id.

        ``replace_older`` deletes the roadmap's earlier reports in ``fmt`` in the same
        transaction: for documents only the newest of which is ever read (the suggestions, some
        megabytes each at 100,000 issues), so the store does not grow with every refresh.
        """
        insert = t.reports.insert().values(
            run_id=run_id,
            roadmap=roadmap,
            format=fmt,
            content=content,
            created_at=_aware(created_at),
        )
        with self._write("save report") as conn:
            report_id = _new_id(conn.execute(insert))
            if replace_older:
                conn.execute(
                    t.reports.delete().where(
                        t.reports.c.roadmap == roadmap,
                        t.reports.c.format == fmt,
                        t.reports.c.id != report_id,
                    )
                )
            return report_id

    def report(self, report_id: int) -> tuple[str, str, str]:
        """(roadmap, format, content) of a report (NotFoundError if there is none)."""
        query = sa.select(t.reports.c.roadmap, t.reports.c.format, t.reports.c.content).where(
            t.reports.c.id == report_id
        )
        with self._read(f"read report {report_id}") as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(f"no report {report_id}")
        return (row.roadmap, row.format, row.content)

    def latest_report(self, roadmap: str | None, fmt: str) -> tuple[int, str] | None:
        """(id, content) of the newest report in ``fmt``, of one roadmap or of any."""
        query = (
            sa.select(t.reports.c.id, t.reports.c.content)
            .where(t.reports.c.format == fmt)
            .order_by(t.reports.c.created_at.desc(), t.reports.c.id.desc())
            .limit(1)
        )
        if roadmap is not None:
            query = query.where(t.reports.c.roadmap == roadmap)
        with self._read("read latest report") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else (row.id, row.content)

    def latest_report_at(self, roadmap: str, fmt: str) -> dt.datetime | None:
        """When the newest report of a roadmap in ``fmt`` was saved (None: never)."""
        query = sa.select(sa.func.max(t.reports.c.created_at)).where(
            t.reports.c.roadmap == roadmap, t.reports.c.format == fmt
        )
        with self._read("read latest report time") as conn:
            moment = conn.execute(query).scalar_one_or_none()
        return None if moment is None else _aware(moment)

    def record_delivery(
        self, report_id: int, channel: str, ok: bool, detail: str | None, at: dt.datetime
    ) -> None:
        """Record one attempt to deliver a report over a channel."""
        insert = t.deliveries.insert().values(
            report_id=report_id, channel=channel, ok=ok, detail=detail, at=_aware(at)
        )
        with self._write(f"record delivery of report {report_id}") as conn:
            conn.execute(insert)

    def deliveries(self, report_id: int) -> list[tuple[str, bool, str | None]]:
        """(channel, ok, detail) of a report's delivery attempts, oldest first."""
        query = (
            sa.select(t.deliveries.c.channel, t.deliveries.c.ok, t.deliveries.c.detail)
            .where(t.deliveries.c.report_id == report_id)
            .order_by(t.deliveries.c.at, t.deliveries.c.id)
        )
        with self._read(f"read deliveries of report {report_id}") as conn:
            return [(row.channel, bool(row.ok), row.detail) for row in conn.execute(query)]

    # -- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        """One transaction; database errors become StoreError and nothing is kept."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed: {_reason(exc)}") from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed: {_reason(exc)}") from exc


# -- engine and migrations --------------------------------------------------------------------


def database_url(url: str) -> URL:
    """A state store URL as the store connects to it (shared with the worker's locks)."""
    return _parse_url(url)


def _parse_url(url: str) -> URL:
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        # The message would echo the URL, password included.
        raise StoreConfigError("state store URL is not a valid SQLAlchemy URL") from None
    # SQLAlchemy 2.0 maps a bare postgresql:// to psycopg2, which we do not ship.
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _ensure_sqlite_dir(url: URL) -> None:
    database = url.database or ""
    # In-memory databases and file: URIs name no plain path whose directory we could create.
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return
    if database.startswith("file:"):
        return
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    # SQLite would say only "unable to open database file", and only once asked to.
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise PermissionError(f"{target} is not writable by this user")


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        # Connections die behind load balancers and failovers; test each one before use.
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = sa.create_engine(
        url,
        # The worker's threads share the pool; each connection is used by one at a time.
        connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_SECONDS},
    )
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (reports, health checks) run while a run writes its snapshot.
        _switch_to_wal(cursor)
        # Durable at each checkpoint rather than each commit: safe with WAL, much faster.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting out other connections doing the same.

    Switching a new database file to WAL takes an exclusive lock and SQLite does not apply the
    busy timeout to it, so several processes opening a fresh file at once see "database is
    locked" immediately; a short retry lets the first one finish.
    """
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _migrate(engine: Engine) -> None:
    """Upgrade the schema to head in one transaction, one migrator at a time."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite would autocommit each DDL statement; an explicit IMMEDIATE transaction
            # makes the migration atomic and makes a second process opening the file wait.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            # Two processes opening an empty database would both try to create the tables.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        command.upgrade(migration_config(conn), "head")


# -- writing and reading snapshots -------------------------------------------------------------


def _next_snapshot(conn: Connection, run_id: int, findings: int) -> int:
    """Insert the run's snapshot marker (its item count set once they are written) with the
    next sequence number; that number."""
    if conn.dialect.name == "postgresql":
        # Two writers must not both take max + 1 (SQLite serialises writers by itself).
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_SNAPSHOT_LOCK)))
    s = t.snapshots.c
    following = sa.select(
        sa.literal(run_id), sa.literal(0), sa.literal(findings),
        sa.func.coalesce(sa.func.max(s.seq), 0) + 1,
    )  # fmt: skip
    conn.execute(
        t.snapshots.insert().from_select(
            ["run_id", "item_count", "finding_count", "seq"], following
        )
    )
    return int(conn.execute(sa.select(s.seq).where(s.run_id == run_id)).scalar_one())


def _record_versions(
    conn: Connection,
    run_id: int,
    roadmap: str,
    seq: int,
    items: Iterable[ItemSnapshot],
    changed: Collection[str] | None,
) -> int:
    """New versions for items that differ from their current row; close the replaced ones
    (and those of items gone). How many items were given; a duplicate key is a StoreError
    (among the keys compared: with ``changed``, the others are vouched for by the caller).

    No set of the keys seen is kept (8 MB at 200,000 items, at the run's peak): a current row
    once matched is marked in place, and a new key given twice breaks the primary key.
    """
    c = t.item_versions.c
    current_query = sa.select(c.key, c.digest).where(c.roadmap == roadmap, c.valid_to.is_(None))
    current: dict[str, object] = {}  # key -> digest of its current row, or _MATCHED
    wanted: set[str] | None = None
    if changed is None:
        current.update((k, d) for k, d in conn.execute(current_query))
    else:
        wanted = set(changed)
        for chunk in _chunked(sorted(wanted), _KEYS_PER_QUERY):
            current.update((k, d) for k, d in conn.execute(current_query.where(c.key.in_(chunk))))
    closes: list[dict[str, object]] = []
    count = 0

    def new_versions() -> Iterator[dict[str, object]]:
        nonlocal count
        for item in items:
            count += 1
            key = item.key
            if wanted is not None and key not in wanted:
                continue
            digest = t.item_digest(item)
            stored = current.get(key, _ABSENT)
            if stored is _MATCHED:
                raise StoreError(f"record snapshot of run {run_id} failed: duplicate key {key}")
            if stored is not _ABSENT:
                current[key] = _MATCHED
                if stored == digest:
                    continue
                closes.append({"k": key})
            yield t.item_values(roadmap, seq, item, digest)

    # Rows are built a chunk at a time: a first snapshot of 200,000 items held as parameter
    # dicts would double the run's memory. The replaced rows are closed afterwards, and
    # (roadmap, key, valid_from) stays unique meanwhile since every new row starts at seq.
    for batch in _chunked(new_versions(), _CHUNK):
        conn.execute(t.item_versions.insert(), batch)
    # Current rows no item matched: gone (with ``changed``, only changed keys were looked up).
    closes.extend({"k": key} for key, stored in current.items() if stored is not _MATCHED)
    if closes:
        close = (
            sa.update(t.item_versions)
            .where(
                c.roadmap == roadmap,
                c.key == sa.bindparam("k"),
                c.valid_to.is_(None),
                c.valid_from < seq,
            )
            .values(valid_to=seq)
        )
        for batch in _chunked(closes, _CHUNK):
            conn.execute(close, batch)
    return count


def _remember_written(conn: Connection, rows: Sequence[AuditRow]) -> None:
    """Add the labels these rows add to ``written_labels`` of their runs' roadmaps."""
    labels_by_run: dict[int, set[str]] = {}
    for row in rows:
        if row.added:
            labels_by_run.setdefault(row.run_id, set()).update(row.added)
    if not labels_by_run:
        return
    query = sa.select(t.runs.c.id, t.runs.c.roadmap).where(t.runs.c.id.in_(labels_by_run))
    roadmaps = {run_id: roadmap for run_id, roadmap in conn.execute(query)}
    values = sorted(
        {(roadmaps[run], label) for run, labels in labels_by_run.items() for label in labels}
    )
    insert = (
        postgresql_insert(t.written_labels)
        if conn.dialect.name == "postgresql"
        else sqlite_insert(t.written_labels)
    )
    conn.execute(
        insert.on_conflict_do_nothing(),
        [{"roadmap": roadmap, "label": label} for roadmap, label in values],
    )


def _load_snapshot(conn: Connection, run_row: Row[Any], *, labels: bool = True) -> Snapshot:
    run_id: int = run_row.id
    seq: int = run_row.seq
    c = t.item_versions.c
    columns = t.ITEM_COLUMNS if labels else t.REPORT_ITEM_COLUMNS
    from_row = t.ItemReader() if labels else t.report_item_from_row
    item_query = sa.select(*columns).where(
        c.roadmap == run_row.roadmap,
        c.valid_from <= seq,
        sa.or_(c.valid_to.is_(None), c.valid_to > seq),
    )
    finding_query = (
        sa.select(*t.FINDING_COLUMNS)
        .where(t.findings.c.run_id == run_id)
        .order_by(t.findings.c.position)
    )
    return Snapshot(
        run_id=run_id,
        roadmap=run_row.roadmap,
        taken_at=run_row.started_at,
        items=_items_in_key_order(conn, item_query, from_row),
        findings=tuple(map(t.finding_from_row, conn.execute(finding_query))),
    )


def _plain_rows(conn: Connection, query: sa.Select[Any]) -> list[Any]:
    """A snapshot's rows as the driver's own tuples.

    SQLAlchemy's result rows cost almost as much as SQLite's reading of them (0.25 s against
    0.33 s for an 80,000-item snapshot), and these columns need none of its processing: the
    readers take texts, numbers, SQLite's 0/1 booleans and JSON lists as either driver hands
    them. Runs in the connection's transaction, with the statement compiled for its dialect.
    """
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    positions = compiled.positiontup
    args = tuple(params[name] for name in positions) if positions is not None else params
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _items_in_key_order(
    conn: Connection, query: sa.Select[Any], from_row: Callable[[Any], ItemSnapshot]
) -> tuple[ItemSnapshot, ...]:
    """A snapshot's items, read and sorted into key order."""
    with gc_paused():  # 80,000 new records: collections would walk them again and again
        items = map(from_row, _plain_rows(conn, query))
        return tuple(sorted(items, key=lambda item: key_order(item.key)))


# -- retention ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneResult:
    """What one pass of the retention policy deleted."""

    runs: int = 0
    snapshots: int = 0
    item_versions: int = 0
    audit_rows: int = 0


def _prune(conn: Connection, policy: RetentionPolicy, now: dt.datetime) -> PruneResult:
    r = t.runs.c
    runs_deleted = 0
    runs_cutoff = policy.runs_cutoff(now)
    if runs_cutoff is not None:
        runs_deleted = conn.execute(sa.delete(t.runs).where(r.started_at < runs_cutoff)).rowcount
    snapshots = versions = 0
    roadmaps = set(conn.execute(sa.select(r.roadmap).distinct()).scalars())
    roadmaps |= set(conn.execute(sa.select(t.item_versions.c.roadmap).distinct()).scalars())
    for roadmap in sorted(roadmaps):
        dropped, deleted = _prune_snapshots(conn, roadmap, policy, now)
        snapshots += dropped
        versions += deleted
    audit_rows = 0
    detail_cutoff = policy.detail_cutoff(now)
    if detail_cutoff is not None:
        old_runs = sa.select(r.id).where(r.started_at < detail_cutoff)
        audit_rows = conn.execute(sa.delete(t.audit).where(t.audit.c.run_id.in_(old_runs))).rowcount
        conn.execute(
            sa.update(t.runs)
            .where(r.started_at < detail_cutoff, r.detail_pruned_at.is_(None))
            .values(detail_pruned_at=now)
        )
    return PruneResult(runs_deleted, snapshots, versions, audit_rows)


def _prune_snapshots(
    conn: Connection, roadmap: str, policy: RetentionPolicy, now: dt.datetime
) -> tuple[int, int]:
    """Drop the roadmap's snapshots the policy does not keep, then the versions none uses."""
    s, r, c = t.snapshots.c, t.runs.c, t.item_versions.c
    listed = conn.execute(
        sa.select(s.seq, r.started_at, s.run_id)
        .join(t.runs, r.id == s.run_id)
        .where(r.roadmap == roadmap)
    ).all()
    keep = snapshots_to_keep(((seq, started) for seq, started, _ in listed), policy, now)
    dropped = [run_id for seq, _, run_id in listed if seq not in keep]
    for chunk in _chunked(dropped, _KEYS_PER_QUERY):
        conn.execute(sa.delete(t.snapshots).where(s.run_id.in_(chunk)))
    kept = sorted(keep)
    query = sa.select(c.key, c.valid_from, c.valid_to).where(c.roadmap == roadmap)
    if kept:  # current rows hold the newest snapshot, which is always kept
        query = query.where(c.valid_to.is_not(None))
    closed = conn.execute(query).all()
    unused = [{"k": key, "f": start} for key, start, end in closed if not _covers(kept, start, end)]
    delete = sa.delete(t.item_versions).where(
        c.roadmap == roadmap, c.key == sa.bindparam("k"), c.valid_from == sa.bindparam("f")
    )
    for batch in _chunked(unused, _CHUNK):
        conn.execute(delete, batch)
    return len(dropped), len(unused)


def _covers(kept: Sequence[int], start: int, end: int | None) -> bool:
    """Whether a kept snapshot falls in the version's range ``start <= seq < end``."""
    at = bisect.bisect_left(kept, start)
    return at < len(kept) and (end is None or kept[at] < end)


# -- small helpers ----------------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    # A naive time is ambiguous (local? UTC?) and would compare wrongly against stored UTC.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp {value.isoformat()} has no time zone")
    return value.astimezone(dt.UTC)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise StoreError("the database returned no id for the new row")
    return int(key[0])


def _chunked(rows: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _reason(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's echo of the statement and its parameters."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text or type(exc).__name__
