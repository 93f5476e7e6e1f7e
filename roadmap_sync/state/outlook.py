"""Reading and writing the release outlook: per-run outlooks, baselines, metric readings.

Kept apart from ``store.py``: it uses the store's connections (one transaction per write) and
its own tables (``outlook_tables.py``, migration ``0004_forecast``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from roadmap_sync.core.baseline import Baseline
from roadmap_sync.core.metric_status import Reading
from roadmap_sync.state import outlook_tables as o
from roadmap_sync.state.store import StateStore

__all__ = ["OutlookStore"]

Json = dict[str, Any]


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"timestamp {value.isoformat()} has no time zone")
    return value.astimezone(dt.UTC)


class OutlookStore:
    """The outlook tables of one state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    # -- per-run outlooks ---------------------------------------------------------------------
    def record_outlooks(
        self, run_id: int, roadmap: str, at: dt.datetime, outlooks: Mapping[str, Json]
    ) -> int:
        """Store the outlooks of a run that differ from each release's latest; how many.

        An unchanged outlook adds no row (a sync every 15 minutes would otherwise store the
        same forecast 96 times a day); readers take the latest row at or before a run.
        """
        latest = self.outlooks(roadmap, None)
        rows = [
            {"run_id": run_id, "roadmap": roadmap, "release": release, "at": _utc(at), "data": data}
            for release, data in outlooks.items()
            if latest.get(release) != data
        ]
        if rows:
            with self.store._write(f"record outlook of run {run_id}") as conn:
                conn.execute(o.release_outlooks.insert(), rows)
        return len(rows)

    def outlooks(self, roadmap: str, run_id: int | None) -> dict[str, Json]:
        """Release id -> its outlook as of a run (the latest at or before it; None: newest)."""
        table = o.release_outlooks
        newest = (
            sa.select(table.c.release, sa.func.max(table.c.id).label("id"))
            .where(table.c.roadmap == roadmap)
            .group_by(table.c.release)
        )
        if run_id is not None:
            newest = newest.where(table.c.run_id <= run_id)
        latest = newest.subquery()
        query = sa.select(table.c.release, table.c.data).join(latest, latest.c.id == table.c.id)
        with self.store._read(f"read outlook of {roadmap}") as conn:
            return {row.release: dict(row.data) for row in conn.execute(query)}

    def history(
        self, roadmap: str, release: str, since: dt.datetime
    ) -> list[tuple[dt.datetime, Json]]:
        """(at, outlook) of a release since `since`, oldest first."""
        table = o.release_outlooks
        query = (
            sa.select(table.c.at, table.c.data)
            .where(
                table.c.roadmap == roadmap, table.c.release == release, table.c.at >= _utc(since)
            )
            .order_by(table.c.at, table.c.id)
        )
        with self.store._read(f"read outlook history of {release}") as conn:
            return [(row.at, dict(row.data)) for row in conn.execute(query)]

    # -- baselines ------------------------------------------------------------------------------
    def baselines(self, roadmap: str) -> dict[str, tuple[Baseline, Json | None]]:
        """Release id -> (baseline, frozen growth or None) of a roadmap."""
        table = o.release_baselines
        query = sa.select(table).where(table.c.roadmap == roadmap)
        with self.store._read(f"read baselines of {roadmap}") as conn:
            return {
                row.release: (
                    Baseline(
                        row.release,
                        row.at,
                        row.release_date,
                        {str(k): float(v) for k, v in row.members.items()},
                    ),
                    None if row.final is None else dict(row.final),
                )
                for row in conn.execute(query)
            }

    def save_baseline(self, roadmap: str, baseline: Baseline, run_id: int | None) -> None:
        """Record a release's baseline (a release has one; an existing one is kept)."""
        table = o.release_baselines
        exists = sa.select(table.c.id).where(
            table.c.roadmap == roadmap, table.c.release == baseline.release_id
        )
        with self.store._write(f"save baseline of {baseline.release_id}") as conn:
            if conn.execute(exists).first() is not None:
                return
            conn.execute(
                table.insert().values(
                    roadmap=roadmap,
                    release=baseline.release_id,
                    at=_utc(baseline.at),
                    run_id=run_id,
                    release_date=baseline.release_date,
                    members=dict(baseline.members),
                    final=None,
                )
            )

    def freeze(self, roadmap: str, release: str, final: Json) -> None:
        """Keep a shipped release's final growth; it no longer changes."""
        table = o.release_baselines
        update = (
            table.update()
            .where(table.c.roadmap == roadmap, table.c.release == release, table.c.final.is_(None))
            .values(final=final)
        )
        with self.store._write(f"freeze baseline of {release}") as conn:
            conn.execute(update)

    # -- metric readings ------------------------------------------------------------------------
    def record_reading(
        self, roadmap: str, release: str, metric: str, reading: Reading, source: str
    ) -> None:
        """Keep one reading per metric and day (a later reading the same day replaces it)."""
        table = o.metric_readings
        where = (
            table.c.roadmap == roadmap,
            table.c.release == release,
            table.c.metric == metric,
            table.c.day == reading.at,
        )
        with self.store._write(f"record reading of {metric}") as conn:
            conn.execute(table.delete().where(*where))
            conn.execute(
                table.insert().values(
                    roadmap=roadmap, release=release, metric=metric, day=reading.at,
                    value=reading.value, source=source,
                )
            )  # fmt: skip

    def readings(
        self, roadmap: str, release: str, metrics: Iterable[str]
    ) -> dict[str, list[Reading]]:
        """Metric name -> its recorded readings, oldest first."""
        table = o.metric_readings
        names = list(metrics)
        found: dict[str, list[Reading]] = {name: [] for name in names}
        if not names:
            return found
        query = (
            sa.select(table.c.metric, table.c.day, table.c.value)
            .where(
                table.c.roadmap == roadmap, table.c.release == release, table.c.metric.in_(names)
            )
            .order_by(table.c.day)
        )
        with self.store._read(f"read readings of {release}") as conn:
            for row in conn.execute(query):
                found[row.metric].append(Reading(row.day, float(row.value)))
        return found
