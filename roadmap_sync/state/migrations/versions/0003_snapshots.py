"""Snapshots as item versions: an unchanged run stores its run row, not 80,000 item rows.

Revision ID: 0003_snapshots
Revises: 0004_forecast
Create Date: 2026-11-30

``item_snapshots`` (one row per item per run) becomes ``item_versions`` (one row per distinct
state of an item, valid over a range of snapshot sequence numbers); ``snapshots`` gains that
sequence number and ``runs`` the time the retention policy pruned a run's detail. Existing
snapshots are converted: identical rows of consecutive snapshots become one version. Converted
rows carry no read inputs (labels, fixVersions ...), so the first sync after the upgrade reads
the whole backlog.

Types and names are spelled out here rather than imported from the table definitions, so this
revision keeps creating the same schema when those move on. No table is rebuilt (SQLite's
batch mode would drop and re-create ``snapshots``, and with foreign keys on, dropping it
cascades into ``findings``): ``seq`` stays nullable in the schema and is filled by the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_snapshots"
# Written against 0001 and relinked after 0004_forecast when issue 11 was merged with main:
# neither 0002 nor 0004 touches the snapshot tables.
down_revision: str | Sequence[str] | None = "0004_forecast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _typed(name: str) -> sa.ColumnClause[Any]:
    """A column of the shared layout with the type that decodes it (JSON lists, booleans)."""
    if name in ("warnings", "owned_labels"):
        return sa.column(name, _json())
    return sa.column(name, sa.Boolean) if name == "done" else sa.column(name)


# The columns both layouts share, in this order.
_SHARED = (
    "key",
    "summary",
    "issue_type",
    "hierarchy_level",
    "status",
    "done",
    "parent",
    "planned_release",
    "scheduled_release",
    "verdict",
    "warnings",
    "owned_labels",
    "story_points",
)
_CHUNK = 5_000


def _json(nullable: bool = False) -> sa.JSON:
    return sa.JSON(none_as_null=nullable).with_variant(
        postgresql.JSONB(none_as_null=nullable), "postgresql"
    )


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def upgrade() -> None:
    """Add the sequence and pruning columns, create item_versions, convert the old rows."""
    op.add_column("runs", sa.Column("detail_pruned_at", sa.DateTime(timezone=True)))
    op.add_column("snapshots", sa.Column("seq", sa.Integer, nullable=True))
    op.execute("UPDATE snapshots SET seq = run_id")
    op.create_index("ix_snapshots_seq", "snapshots", ["seq"], unique=True)
    versions = op.create_table(
        "item_versions",
        sa.Column("roadmap", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("valid_from", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("valid_to", sa.Integer, nullable=True),
        sa.Column("digest", sa.BigInteger, nullable=True),
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
        sa.Column("project", sa.String(255), nullable=True),
        sa.Column("status_category", sa.String(32), nullable=True),
        sa.Column("labels", _json(True), nullable=True),
        sa.Column("fix_versions", _json(True), nullable=True),
        sa.Column("components", _json(True), nullable=True),
        sa.Column("created", sa.String(10), nullable=True),
        sa.Column("resolved", sa.String(10), nullable=True),
        sa.PrimaryKeyConstraint("roadmap", "key", "valid_from", name="pk_item_versions"),
    )
    op.create_index("ix_item_versions_roadmap_valid_to", "item_versions", ["roadmap", "valid_to"])
    assert versions is not None
    _convert(op.get_bind(), versions)
    op.drop_table("item_snapshots")


def _convert(conn: sa.Connection, versions: sa.Table) -> None:
    """One version per run of identical rows of an item in consecutive snapshots."""
    old = sa.table("item_snapshots", sa.column("run_id"), *map(_typed, _SHARED))
    snaps = conn.execute(
        sa.text(
            "SELECT s.run_id, s.seq, r.roadmap FROM snapshots s JOIN runs r ON r.id = s.run_id "
            "ORDER BY s.seq"
        )
    ).all()
    open_rows: dict[tuple[str, str], dict[str, Any]] = {}
    closed: list[dict[str, Any]] = []
    for run_id, seq, roadmap in snaps:
        seen: set[str] = set()
        query = sa.select(*(old.c[c] for c in _SHARED)).where(old.c.run_id == run_id)
        for row in conn.execute(query):
            values = dict(zip(_SHARED, row, strict=True))
            key = values["key"]
            seen.add(key)
            current = open_rows.get((roadmap, key))
            if current is not None and all(current[c] == values[c] for c in _SHARED):
                continue
            if current is not None:
                current["valid_to"] = seq
                closed.append(current)
            open_rows[(roadmap, key)] = {
                **values,
                "roadmap": roadmap,
                "valid_from": seq,
                "valid_to": None,
                "digest": None,
            }
        for (owner, key), current in list(open_rows.items()):
            if owner == roadmap and key not in seen:
                current["valid_to"] = seq
                closed.append(current)
                del open_rows[(owner, key)]
    for chunk in _chunks([*closed, *open_rows.values()]):
        conn.execute(versions.insert(), chunk)


def downgrade() -> None:
    """Expand item versions back into one row per item per snapshot."""
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
    conn = op.get_bind()
    target = sa.table(
        "item_snapshots", sa.column("run_id"), sa.column("position"), *map(_typed, _SHARED)
    )
    versions = sa.table(
        "item_versions", *map(_typed, ("roadmap", "valid_from", "valid_to", *_SHARED))
    )
    snaps = conn.execute(
        sa.text("SELECT s.run_id, s.seq, r.roadmap FROM snapshots s JOIN runs r ON r.id = s.run_id")
    ).all()
    for run_id, seq, roadmap in snaps:
        c = versions.c
        rows = conn.execute(
            sa.select(*(c[name] for name in _SHARED))
            .where(
                c.roadmap == roadmap,
                c.valid_from <= seq,
                sa.or_(c.valid_to.is_(None), c.valid_to > seq),
            )
            .order_by(c.key)
        ).all()
        values = [
            {"run_id": run_id, "position": n, **dict(zip(_SHARED, row, strict=True))}
            for n, row in enumerate(rows)
        ]
        for chunk in _chunks(values):
            conn.execute(target.insert(), chunk)
    op.drop_index("ix_item_versions_roadmap_valid_to", table_name="item_versions")
    op.drop_table("item_versions")
    op.drop_index("ix_snapshots_seq", table_name="snapshots")
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("detail_pruned_at")
