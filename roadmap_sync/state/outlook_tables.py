"""Tables of the release outlook (issue 12): forecasts, scope baselines, metric readings.

Registered on the store's shared ``metadata`` so that the schema check covers them; created by
migration ``0004_forecast``.
"""

from __future__ import annotations

import sqlalchemy as sa

from roadmap_sync.state.tables import KEY, NAME, Json, UtcDateTime, metadata

__all__ = ["metric_readings", "release_baselines", "release_outlooks"]

# One row per release per recorded full sync: the forecast, baseline growth and metric states
# as computed then (JSON), so a report shows a run as it was and compares it with an older one.
release_outlooks = sa.Table(
    "release_outlooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("roadmap", NAME, nullable=False),
    sa.Column("release", NAME, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.UniqueConstraint("run_id", "release"),
    sa.Index("ix_release_outlooks_roadmap_release_at", "roadmap", "release", "at"),
)

# One baseline per release: its scope (item key -> story points) and date when baselined;
# `final` keeps the frozen growth of a shipped release.
release_baselines = sa.Table(
    "release_baselines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("roadmap", NAME, nullable=False),
    sa.Column("release", NAME, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("release_date", sa.Date, nullable=False),
    sa.Column("members", Json, nullable=False),
    sa.Column("final", Json, nullable=True),
    sa.UniqueConstraint("roadmap", "release"),
)

# Goal metric readings from automated sources, one per metric and day (manual readings stay
# in metrics.yaml, which is their record).
metric_readings = sa.Table(
    "metric_readings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("roadmap", NAME, nullable=False),
    sa.Column("release", NAME, nullable=False),
    sa.Column("metric", KEY, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.UniqueConstraint("roadmap", "release", "metric", "day"),
)
