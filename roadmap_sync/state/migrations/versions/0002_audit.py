"""Write-ahead audit and label ownership: pending audit rows per batch, labels the bot wrote.

Revision ID: 0002_audit
Revises: 0001
Create Date: 2026-11-30

An audit row is written ``pending`` (the change the bot is about to send, numbered by batch)
before the batch goes to the tracker and replaced by its confirmed outcome afterwards, so a run
killed mid-apply leaves a record of every change that may have landed. ``written_labels`` keeps
every label the bot has written per roadmap: the bot owns those and the labels it writes now,
not every label that merely starts with its prefix. It is filled from the existing audit here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_audit"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the pending flag and batch number to audit rows; create and fill written_labels."""
    with op.batch_alter_table("audit") as batch:
        batch.add_column(
            sa.Column("pending", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("batch", sa.Integer, nullable=True))
    op.create_index("ix_audit_run_id_batch", "audit", ["run_id", "batch"])
    op.create_table(
        "written_labels",
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("roadmap", "label", name="pk_written_labels"),
    )
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("roadmap", sa.String))
    audit = sa.table("audit", sa.column("run_id", sa.Integer), sa.column("added", _json()))
    rows = op.get_bind().execute(
        sa.select(runs.c.roadmap, audit.c.added).join(runs, runs.c.id == audit.c.run_id)
    )
    written = {(roadmap, str(label)) for roadmap, added in rows for label in added or ()}
    if written:
        table = sa.table("written_labels", sa.column("roadmap"), sa.column("label"))
        op.bulk_insert(table, [{"roadmap": r, "label": label} for r, label in sorted(written)])


def downgrade() -> None:
    """Drop written_labels and the audit columns."""
    op.drop_table("written_labels")
    op.drop_index("ix_audit_run_id_batch", table_name="audit")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("batch")
        batch.drop_column("pending")
