"""Initial schema: runs, snapshots, item snapshots, findings, audit, reports, deliveries.

Revision ID: 0001
Revises:
Create Date: 2025-11-25

Types and names are spelled out here rather than imported from store_tables, so this revision
keeps creating the same schema when the table definitions move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the state store."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("config_hash", sa.String(128), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("alignment", sa.Float, nullable=True),
        sa.Column("reverts_run", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["reverts_run"], ["runs.id"], name="fk_runs_reverts_run_runs", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_runs_roadmap_started_at", "runs", ["roadmap", "started_at"])

    op.create_table(
        "snapshots",
        sa.Column("run_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("finding_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_snapshots"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_snapshots_run_id_runs", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "item_snapshots",
        sa.Column("run_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("issue_type", sa.String(255), nullable=False),
        sa.Column("hierarchy_level", sa.Integer, nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("parent", sa.String(255), nullable=True),
        sa.Column("planned_release", sa.String(255), nullable=True),
        sa.Column("scheduled_release", sa.String(255), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("warnings", _json(), nullable=False),
        sa.Column("owned_labels", _json(), nullable=False),
        sa.Column("story_points", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_item_snapshots"),
        sa.UniqueConstraint("run_id", "key", name="uq_item_snapshots_run_id_key"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["snapshots.run_id"],
            name="fk_item_snapshots_run_id_snapshots",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "findings",
        sa.Column("run_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("release", sa.String(255), nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_findings"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["snapshots.run_id"],
            name="fk_findings_run_id_snapshots",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("issue_key", sa.String(255), nullable=False),
        sa.Column("added", _json(), nullable=False),
        sa.Column("removed", _json(), nullable=False),
        sa.Column("labels_before", _json(), nullable=False),
        sa.Column("labels_after", _json(), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_audit_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_audit_run_id", "audit", ["run_id"])

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_reports_run_id_runs", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_reports_run_id", "reports", ["run_id"])
    op.create_index(
        "ix_reports_roadmap_format_created_at", "reports", ["roadmap", "format", "created_at"]
    )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_deliveries_report_id_reports",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_deliveries_report_id", "deliveries", ["report_id"])


def downgrade() -> None:
    """Drop every table of the state store (children first)."""
    for table in ("deliveries", "reports", "audit", "findings", "item_snapshots", "snapshots"):
        op.drop_table(table)
    op.drop_index("ix_runs_roadmap_started_at", table_name="runs")
    op.drop_table("runs")
