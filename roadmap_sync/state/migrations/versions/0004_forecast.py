"""Release outlook: per-run forecasts and growth, scope baselines, goal metric readings.

Revision ID: 0004_forecast
Revises: 0001
Create Date: 2026-11-30

Types and names are spelled out rather than imported, so this revision keeps creating the same
schema when the table definitions move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_forecast"
down_revision: str | Sequence[str] | None = "0002_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the outlook tables."""
    op.create_table(
        "release_outlooks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("release", sa.String(255), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            ondelete="CASCADE",
            name="fk_release_outlooks_run_id_runs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_release_outlooks"),
        sa.UniqueConstraint("run_id", "release", name="uq_release_outlooks_run_id_release"),
    )
    op.create_index(
        "ix_release_outlooks_roadmap_release_at", "release_outlooks", ["roadmap", "release", "at"]
    )
    op.create_table(
        "release_baselines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("release", sa.String(255), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("release_date", sa.Date, nullable=False),
        sa.Column("members", _json(), nullable=False),
        sa.Column("final", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            ondelete="SET NULL",
            name="fk_release_baselines_run_id_runs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_release_baselines"),
        sa.UniqueConstraint("roadmap", "release", name="uq_release_baselines_roadmap_release"),
    )
    op.create_table(
        "metric_readings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("release", sa.String(255), nullable=False),
        sa.Column("metric", sa.String(255), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_readings"),
        sa.UniqueConstraint(
            "roadmap",
            "release",
            "metric",
            "day",
            name="uq_metric_readings_roadmap_release_metric_day",
        ),
    )


def downgrade() -> None:
    """Drop the outlook tables."""
    op.drop_table("metric_readings")
    op.drop_table("release_baselines")
    op.drop_index("ix_release_outlooks_roadmap_release_at", "release_outlooks")
    op.drop_table("release_outlooks")
