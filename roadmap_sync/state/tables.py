"""The state store's tables (SQLAlchemy Core) and how the project's records map onto rows.

This is the schema the code reads and writes; ``migrations/versions`` create it, frozen per
revision, and a test checks that the two agree. No I/O here: store.py runs the queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any, Final, cast, get_args

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Row

from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.records import AuditRow, ItemSnapshot, RunKind, RunOutcome, RunRecord

# Deterministic constraint names, so later migrations can alter them by name (SQLite's batch
# mode needs names to rebuild a table).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the state store needs timezone-aware timestamps")
        utc = value.astimezone(dt.UTC)
        # SQLite has no zone-aware type and would store the local wall time as given; PostgreSQL
        # stores timestamptz and wants the zone.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: we stored naive UTC
            return value.replace(tzinfo=dt.UTC)
        # PostgreSQL answers in the session's zone; callers compare and print UTC.
        return value.astimezone(dt.UTC)


# JSONB on PostgreSQL (smaller, indexable); text-backed JSON elsewhere.
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# The same, with Python None stored as SQL NULL rather than JSON 'null'.
NullableJson = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

KEY = sa.String(255)  # Jira keys, roadmap and release names: short, indexed
NAME = sa.String(255)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("roadmap", NAME, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("config_hash", sa.String(128), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("counts", Json, nullable=False),
    sa.Column("alignment", sa.Float, nullable=True),
    sa.Column(
        "reverts_run",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # When the retention policy removed the run's item-level detail (snapshot, audit rows).
    sa.Column("detail_pruned_at", UtcDateTime(), nullable=True),
    # runs(roadmap) newest first, latest_snapshot and alignment_history all filter by roadmap.
    sa.Index("ix_runs_roadmap_started_at", "roadmap", "started_at"),
)

# One row per run that recorded a snapshot: a run over an empty backlog still has one, which an
# item count alone could not tell apart from "no snapshot". ``seq`` numbers snapshots in the
# order they were recorded; item versions are valid over a range of them.
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("finding_count", sa.Integer, nullable=False),
    # Always set by the store; nullable only because adding a NOT NULL column to an existing
    # SQLite table would mean rebuilding it (see migration 0003).
    sa.Column("seq", sa.Integer, nullable=True),
    sa.Index("ix_snapshots_seq", "seq", unique=True),
)

# Snapshots stored as item versions: one row per distinct state of an item, valid for the
# snapshots ``valid_from <= seq < valid_to`` of its roadmap (``valid_to`` NULL: still current).
# An unchanged run adds no row here, only its ``runs`` and ``snapshots`` rows. Besides the
# trace (what reports and drift read), a row holds what the item was read as (labels,
# fixVersions, components ...), so an incremental sync can re-trace it without reading it
# again; those columns are NULL in rows migrated from before they were recorded.
item_versions = sa.Table(
    "item_versions",
    metadata,
    sa.Column("roadmap", NAME, primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("valid_from", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("valid_to", sa.Integer, nullable=True),
    # A hash of the row's values: comparing it tells an unchanged item without reading it.
    sa.Column("digest", sa.BigInteger, nullable=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("issue_type", NAME, nullable=False),
    sa.Column("hierarchy_level", sa.Integer, nullable=False),
    sa.Column("status", NAME, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False),
    sa.Column("parent", KEY, nullable=True),
    sa.Column("planned_release", NAME, nullable=True),
    sa.Column("scheduled_release", NAME, nullable=True),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("warnings", Json, nullable=False),
    sa.Column("owned_labels", Json, nullable=False),
    sa.Column("story_points", sa.Float, nullable=True),
    sa.Column("project", NAME, nullable=True),
    sa.Column("status_category", sa.String(32), nullable=True),
    sa.Column("labels", NullableJson, nullable=True),
    sa.Column("fix_versions", NullableJson, nullable=True),
    sa.Column("components", NullableJson, nullable=True),
    sa.Column("created", sa.String(10), nullable=True),
    sa.Column("resolved", sa.String(10), nullable=True),
    # The current rows of a roadmap (valid_to NULL), and pruning by range.
    sa.Index("ix_item_versions_roadmap_valid_to", "roadmap", "valid_to"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("snapshots.run_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("release", NAME, nullable=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("issue_key", KEY, nullable=False),
    sa.Column("added", Json, nullable=False),
    sa.Column("removed", Json, nullable=False),
    sa.Column("labels_before", Json, nullable=False),
    sa.Column("labels_after", Json, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    # Write-ahead: a batch's intended changes are recorded pending before they are sent, and
    # replaced by their outcomes afterwards; a pending row left behind may or may not have landed.
    sa.Column("pending", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("batch", sa.Integer, nullable=True),
    sa.Index("ix_audit_run_id_batch", "run_id", "batch"),
)

# Every label the bot has written, per roadmap: with the labels it writes now, what it owns.
written_labels = sa.Table(
    "written_labels",
    metadata,
    sa.Column("roadmap", NAME, primary_key=True),
    sa.Column("label", sa.String(255), primary_key=True),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    sa.Column("roadmap", NAME, nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # latest_report(roadmap, fmt)
    sa.Index("ix_reports_roadmap_format_created_at", "roadmap", "format", "created_at"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "report_id",
        sa.Integer,
        sa.ForeignKey("reports.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("channel", sa.Text, nullable=False),  # "file:/a/long/path.html" is common
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
)


# -- records <-> rows -------------------------------------------------------------------------

SNAPSHOT_KINDS: Final = ("plan", "apply", "run")  # the kinds whose snapshot drift compares
_KINDS: Final = frozenset(get_args(RunKind))
_OUTCOMES: Final = frozenset(get_args(RunOutcome))
# A dict lookup: Verdict(value) costs several times more on the 100k-row read path.
_VERDICTS: Final = {verdict.value: verdict for verdict in Verdict}


def run_kind(value: str) -> RunKind:
    """``value`` as a RunKind; ValueError if it is none."""
    if value not in _KINDS:
        raise ValueError(f"unknown run kind {value!r}; expected one of {sorted(_KINDS)}")
    return cast(RunKind, value)


def run_outcome(value: str) -> RunOutcome:
    """``value`` as a RunOutcome; ValueError if it is none."""
    if value not in _OUTCOMES:
        raise ValueError(f"unknown run outcome {value!r}; expected one of {sorted(_OUTCOMES)}")
    return cast(RunOutcome, value)


def run_from_row(row: Row[Any]) -> RunRecord:
    """A RunRecord from a full ``runs`` row."""
    return RunRecord(
        run_id=row.id,
        roadmap=row.roadmap,
        kind=run_kind(row.kind),
        config_hash=row.config_hash,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=run_outcome(row.outcome),
        counts={str(name): int(n) for name, n in row.counts.items()},
        alignment=row.alignment,
        reverts_run=row.reverts_run,
        detail_pruned=row.detail_pruned_at is not None,
    )


# ItemSnapshot's fields in order, as stored in ``item_versions`` (item_from_row unpacks them).
ITEM_FIELDS: Final = (
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
    "project",
    "status_category",
    "labels",
    "fix_versions",
    "components",
    "created",
    "resolved",
)
_LIST_FIELDS: Final = frozenset(
    {"warnings", "owned_labels", "labels", "fix_versions", "components"}
)
# The JSON list columns are read as their raw text (SQLite) and decoded by ItemReader, which
# decodes each distinct text once: 100,000 rows repeat a few dozen label and version lists, and
# a json.loads per column per row was most of the time it took to load a snapshot.
ITEM_COLUMNS: Final = tuple(
    sa.type_coerce(item_versions.c[name], sa.Text)
    if name in _LIST_FIELDS
    else item_versions.c[name]
    for name in ITEM_FIELDS
)


def item_digest(item: ItemSnapshot) -> int:
    """A stable 63-bit hash of everything stored about an item (equal rows, equal digests)."""
    values = (
        item.key, item.summary, item.issue_type, item.hierarchy_level, item.status, item.done,
        item.parent, item.planned_release, item.scheduled_release, str(item.verdict),
        item.warnings, item.owned_labels, item.story_points, item.project,
        item.status_category, item.labels, item.fix_versions, item.components, item.created,
        item.resolved,
    )  # fmt: skip
    digest = hashlib.blake2b(repr(values).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def item_values(roadmap: str, seq: int, item: ItemSnapshot, digest: int) -> dict[str, object]:
    """The ``item_versions`` row of an item's state that starts with snapshot ``seq``."""
    labels = item.labels
    return {
        "roadmap": roadmap,
        "key": item.key,
        "valid_from": seq,
        "valid_to": None,
        "digest": digest,
        "summary": item.summary,
        "issue_type": item.issue_type,
        "hierarchy_level": item.hierarchy_level,
        "status": item.status,
        "done": item.done,
        "parent": item.parent,
        "planned_release": item.planned_release,
        "scheduled_release": item.scheduled_release,
        "verdict": str(item.verdict),  # StrEnum: the value, without the slow .value descriptor
        "warnings": list(item.warnings),
        "owned_labels": list(item.owned_labels),
        "story_points": item.story_points,
        "project": item.project if labels is not None else None,
        "status_category": item.status_category if labels is not None else None,
        "labels": list(labels) if labels is not None else None,
        "fix_versions": list(item.fix_versions) if labels is not None else None,
        "components": list(item.components) if labels is not None else None,
        "created": item.created if labels is not None else None,
        "resolved": item.resolved if labels is not None else None,
    }


class ItemReader:
    """Turns rows selected as ITEM_COLUMNS into ItemSnapshots, sharing equal lists."""

    def __init__(self) -> None:
        self._lists: dict[str, tuple[str, ...]] = {}

    def _list(self, value: str | list[str] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, str):  # PostgreSQL's driver decodes JSONB itself
            return tuple(value)
        found = self._lists.get(value)
        if found is None:
            found = self._lists[value] = tuple(json.loads(value))
        return found

    def __call__(self, row: Sequence[Any]) -> ItemSnapshot:
        """An ItemSnapshot from a row selected as ITEM_COLUMNS."""
        (key, summary, issue_type, level, status, done, parent, planned, scheduled, verdict,
         warnings, owned, points, project, category, labels, fix_versions, components,
         created, resolved) = row  # fmt: skip
        lists = self._list
        return ItemSnapshot(
            key,
            summary,
            issue_type,
            level,
            status,
            bool(done),
            parent,
            planned,
            scheduled,
            _VERDICTS[verdict],
            lists(warnings) or (),
            lists(owned) or (),
            points,
            project or "",
            category or "",
            lists(labels),
            lists(fix_versions) or (),
            lists(components) or (),
            created or "",
            resolved or "",
        )


# Reports need neither warnings nor owned labels; skipping their JSON decoding halves the time
# to read a 100,000-item snapshot (bench/report_speed.py).
REPORT_ITEM_COLUMNS: Final = tuple(
    item_versions.c[name]
    for name in ITEM_FIELDS[: ITEM_FIELDS.index("story_points") + 1]
    if name not in ("warnings", "owned_labels")
)


def report_item_from_row(row: Sequence[Any]) -> ItemSnapshot:
    """An ItemSnapshot without warnings and labels, from a row selected as REPORT_ITEM_COLUMNS."""
    key, summary, issue_type, level, status, done, parent, planned, scheduled, verdict, points = row
    # tuple.__new__ with every field: the NamedTuple's own __new__ is a Python call with 20
    # parameters, a third of the time a report takes to load 80,000 rows.
    return _new_tuple(ItemSnapshot, (
        key, summary, issue_type, level, status, bool(done), parent, planned, scheduled,
        _VERDICTS[verdict], (), (), points, *_REPORT_ROW_REST,
    ))  # fmt: skip


_new_tuple = tuple.__new__
# The fields a report row leaves at their defaults, in order.
_REPORT_ROW_REST: Final = tuple(
    ItemSnapshot._field_defaults[name]
    for name in ItemSnapshot._fields[ItemSnapshot._fields.index("story_points") + 1 :]
)


def finding_values(run_id: int, position: int, finding: Finding) -> dict[str, object]:
    """The ``findings`` row of one finding."""
    return {
        "run_id": run_id,
        "position": position,
        "kind": finding.kind.value,
        "release": finding.release,
        "subject": finding.subject,
        "message": finding.message,
    }


FINDING_COLUMNS: Final = (
    findings.c.kind,
    findings.c.release,
    findings.c.subject,
    findings.c.message,
)


def finding_from_row(row: Sequence[Any]) -> Finding:
    """A Finding from a row selected as FINDING_COLUMNS."""
    kind, release, subject, message = row
    return Finding(FindingKind(kind), release, subject, message)


def audit_values(row: AuditRow, at: dt.datetime, batch: int | None = None) -> dict[str, object]:
    """The ``audit`` row of one attempted (or, when pending, intended) label change."""
    return {
        "pending": row.pending,
        "batch": batch,
        "run_id": row.run_id,
        "issue_key": row.key,
        "added": list(row.added),
        "removed": list(row.removed),
        "labels_before": list(row.before),
        "labels_after": list(row.after),
        "ok": row.ok,
        "error": row.error,
        "at": at,
    }


def audit_from_row(row: Row[Any]) -> AuditRow:
    """An AuditRow from a full ``audit`` row."""
    return AuditRow(
        run_id=row.run_id,
        key=row.issue_key,
        added=tuple(row.added),
        removed=tuple(row.removed),
        before=tuple(row.labels_before),
        after=tuple(row.labels_after),
        ok=bool(row.ok),
        error=row.error,
        pending=bool(row.pending),
    )
