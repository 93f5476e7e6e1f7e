"""The state store against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.records import AuditRow, ItemSnapshot, RunRecord, Snapshot
from roadmap_sync.core.retention import RetentionPolicy
from roadmap_sync.state.store import (
    NotFoundError,
    PruneResult,
    StateStore,
    StoreError,
    migration_config,
)
from roadmap_sync.state.tables import metadata
from tests.pg import pg_database_url, pg_server_url  # noqa: F401  (fixtures, used by name)

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
CEST = dt.timezone(dt.timedelta(hours=2))
TABLES = {
    "alembic_version",
    "runs",
    "snapshots",
    "item_versions",
    "findings",
    "audit",
    "reports",
    "deliveries",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database, once per backend."""
    if request.param == "sqlite":
        # A directory that does not exist yet: opening the store must create it.
        return f"sqlite:///{tmp_path / 'data' / 'state.db'}"
    # Looked up by name so that SQLite-only runs never start PostgreSQL.
    url: str = request.getfixturevalue("pg_database_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    """An open, migrated store."""
    with StateStore.open(store_url) as opened:
        yield opened


@pytest.fixture
def raw(store_url: str) -> Iterator[sa.Engine]:
    """A plain engine on the same database, to look behind the store's back."""
    engine = sa.create_engine(store_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def item(key: str, **changes: object) -> ItemSnapshot:
    """An item snapshot with every field set; ``changes`` overrides some."""
    base = ItemSnapshot(
        key=key,
        summary=f"Summary of {key} – with ünïcode",
        issue_type="Story",
        hierarchy_level=0,
        status="In Progress",
        done=False,
        parent="PAY-1",
        planned_release="2025.2 Checkout",
        scheduled_release="2025.2",
        verdict=Verdict.ALIGNED,
        warnings=("beyond_horizon",),
        owned_labels=("rs-aligned", "rs-release-2025.2"),
        story_points=2.5,
        project="PAY",
        status_category="indeterminate",
        labels=("team-web", "rs-aligned", "rs-release-2025.2"),
        fix_versions=("2025.2",),
        components=("Checkout", "Web"),
    )
    return base._replace(**changes)  # type: ignore[arg-type]


def count(engine: sa.Engine, table: str) -> int:
    """Rows in a table, counted without the store."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def finished_run(
    store: StateStore,
    roadmap: str,
    started_at: dt.datetime,
    *,
    kind: str = "run",
    outcome: str = "ok",
    items: tuple[ItemSnapshot, ...] | None = (),
    alignment: float | None = None,
    finished_at: dt.datetime | None = None,
) -> int:
    """A run started at ``started_at``, with a snapshot unless ``items`` is None, then finished."""
    run_id = store.start_run(roadmap, kind, "hash", started_at)  # type: ignore[arg-type]
    if items is not None:
        store.record_snapshot(run_id, items, ())
    if outcome != "running":
        end = finished_at or started_at + dt.timedelta(minutes=1)
        store.finish_run(run_id, outcome, {}, end, alignment)  # type: ignore[arg-type]
    return run_id


def test_migrations_create_the_schema_once(store_url: str, raw: sa.Engine) -> None:
    """Opening an empty database migrates it to head; reopening keeps schema and data as is."""
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    with StateStore.open(store_url) as first:
        run_id = first.start_run("payments", "plan", "hash", T0)
    assert set(sa.inspect(raw).get_table_names()) >= TABLES
    with StateStore.open(store_url) as second:
        assert second.run(run_id).roadmap == "payments"
    with raw.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        assert list(versions) == [head]
    assert count(raw, "runs") == 1


def test_concurrent_first_opens_migrate_once(store_url: str, raw: sa.Engine) -> None:
    """Several stores opening one empty database at once all succeed; the schema is made once."""

    def open_and_write(n: int) -> int:
        with StateStore.open(store_url) as opened:
            return opened.start_run("a", "plan", "hash", T0 + dt.timedelta(seconds=n))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert len(set(pool.map(open_and_write, range(4)))) == 4
    assert count(raw, "alembic_version") == 1


def test_migrated_schema_matches_the_table_definitions(store: StateStore, raw: sa.Engine) -> None:
    """The migrations build exactly what store_tables describes: autogenerate finds no diff."""
    with raw.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_run_lifecycle_round_trips_every_field(store: StateStore) -> None:
    """start -> snapshot -> audit -> finish comes back field for field, timestamps in UTC."""
    started = dt.datetime(2025, 3, 3, 10, 0, 0, 123456, tzinfo=CEST)
    run_id = store.start_run("payments", "apply", "cfg-1", started)
    assert store.run(run_id) == RunRecord(
        run_id, "payments", "apply", "cfg-1", started, None, "running", {}, None, None
    )
    items = (
        item("PAY-2"),
        item(
            "PAY-3",
            issue_type="Sub-task",
            hierarchy_level=-1,
            done=True,
            parent=None,
            planned_release=None,
            scheduled_release=None,
            verdict=Verdict.ORPHAN,
            warnings=(),
            owned_labels=(),
            story_points=None,
            labels=(),
            fix_versions=(),
            components=(),
        ),
        item("PAY-1", issue_type="Epic", hierarchy_level=1, verdict=Verdict.OUT_OF_SCOPE),
        # A row recorded without what the item was read as (as migrated from revision 0001).
        item(
            "OPS-9",
            verdict=Verdict.IGNORED,
            story_points=0.0,
            labels=None,
            project="",
            status_category="",
            fix_versions=(),
            components=(),
        ),
    )
    in_key_order = (items[3], items[2], items[0], items[1])
    found = (
        Finding(FindingKind.UNCOVERED_FEATURE, "2025.2 Checkout", "Apple Pay", "no item"),
        Finding(FindingKind.UNKNOWN_EPIC, None, "PAY-404", "epic not in Jira"),
    )
    store.record_snapshot(run_id, items, found)
    team, aligned, oos = "team", "rs-aligned", "rs-oos"
    audit = [
        AuditRow(run_id, "PAY-1", (oos,), (aligned,), (team, aligned), (team, oos), True),
        AuditRow(run_id, "PAY-3", ("rs-orphan",), (), (), ("rs-orphan",), False, "HTTP 403"),
    ]
    store.record_audit(audit)
    finished = started + dt.timedelta(seconds=90.5)
    store.finish_run(run_id, "partial", {"changed": 2, "failed": 1}, finished, 0.75)
    revert = store.start_run("payments", "revert", "cfg-1", finished, reverts_run=run_id)

    record = store.run(run_id)
    assert record == RunRecord(
        run_id,
        "payments",
        "apply",
        "cfg-1",
        started,
        finished,
        "partial",
        {"changed": 2, "failed": 1},
        0.75,
        None,
    )
    assert record.started_at.tzinfo is dt.UTC and record.finished_at is not None
    assert record.finished_at.tzinfo is dt.UTC
    assert record.duration_seconds == 90.5
    assert store.snapshot(run_id) == Snapshot(run_id, "payments", started, in_key_order, found)
    assert store.audit(run_id) == audit
    assert store.run(revert).reverts_run == run_id


def test_runs_are_newest_first_filtered_and_limited(store: StateStore) -> None:
    """runs() orders by start time (not id), filters by roadmap and honours the limit."""
    hours = {"a1": (1, "a"), "b3": (3, "b"), "a2": (2, "a"), "a4": (4, "a")}
    ids = {
        name: store.start_run(roadmap, "plan", "hash", T0 + dt.timedelta(hours=hour))
        for name, (hour, roadmap) in hours.items()
    }

    def names(records: list[RunRecord]) -> list[str]:
        by_id = {run_id: name for name, run_id in ids.items()}
        return [by_id[record.run_id] for record in records]

    assert names(store.runs()) == ["a4", "b3", "a2", "a1"]
    assert names(store.runs("a")) == ["a4", "a2", "a1"]
    assert names(store.runs("a", limit=2)) == ["a4", "a2"]
    assert store.runs("nobody") == []
    assert store.runs(limit=0) == []


def test_latest_snapshot_picks_the_newest_eligible_run(store: StateStore) -> None:
    """Only finished plan/apply/run runs with a snapshot count; before is strict; exclude works."""

    def at(hour: int) -> dt.datetime:
        return T0 + dt.timedelta(hours=hour)

    def run(hour: int, **options: object) -> int:
        return finished_run(store, "a", at(hour), items=(item(f"A-{hour}"),), **options)  # type: ignore[arg-type]

    plan, apply, partial = run(1, kind="plan"), run(2, kind="apply"), run(3, outcome="partial")
    run(4, kind="revert")
    run(5, outcome="running")
    finished_run(store, "a", at(6), items=None)
    finished_run(store, "b", at(7), items=(item("B-1"),))

    latest = store.latest_snapshot("a")
    assert latest is not None
    assert (latest.run_id, latest.taken_at, latest.items) == (partial, at(3), (item("A-3"),))
    assert latest.taken_at.tzinfo is dt.UTC

    def pick(**query: object) -> int | None:
        found = store.latest_snapshot("a", **query)  # type: ignore[arg-type]
        return None if found is None else found.run_id

    assert pick(before=at(3)) == apply
    assert pick(before=at(3).astimezone(CEST) + dt.timedelta(seconds=1)) == partial
    assert pick(exclude_run=partial) == apply
    assert pick(before=at(2), exclude_run=plan) is None
    assert store.latest_snapshot("nobody") is None


def test_alignment_history_is_oldest_first(store: StateStore) -> None:
    """Finished runs with an alignment, ordered by finish time; since is inclusive."""
    ends = [T0 + dt.timedelta(days=day) for day in range(4)]
    # Started in the opposite order to finishing: the history follows finish time.
    finished_run(store, "a", T0, alignment=0.7, finished_at=ends[3])
    finished_run(store, "a", T0 + dt.timedelta(hours=1), alignment=0.6, finished_at=ends[2])
    finished_run(store, "a", T0 + dt.timedelta(hours=2), alignment=0.5, finished_at=ends[0])
    finished_run(store, "a", T0, alignment=None, finished_at=ends[1])
    finished_run(store, "a", T0, outcome="running")
    finished_run(store, "b", T0, alignment=0.1, finished_at=ends[1])

    assert store.alignment_history("a") == [(ends[0], 0.5), (ends[2], 0.6), (ends[3], 0.7)]
    since = store.alignment_history("a", since=ends[2].astimezone(CEST))
    assert since == [(ends[2], 0.6), (ends[3], 0.7)]
    assert all(when.tzinfo is dt.UTC for when, _ in since)
    assert store.alignment_history("nobody") == []


def test_reports_and_deliveries_round_trip(store: StateStore) -> None:
    """Reports come back whole; latest_report picks by format and roadmap; deliveries by time."""
    run_id = store.start_run("a", "run", "hash", T0)
    big_html = "<h1>Drift – ünïcode</h1>" + "<p>row</p>" * 100_000
    md_a = store.save_report(run_id, "a", "markdown", "# a", T0)
    html_a = store.save_report(run_id, "a", "html", big_html, T0 + dt.timedelta(minutes=1))
    md_b = store.save_report(None, "b", "markdown", "# b", T0 + dt.timedelta(minutes=2))

    assert store.report(html_a) == ("a", "html", big_html)
    assert store.latest_report("a", "markdown") == (md_a, "# a")
    assert store.latest_report(None, "markdown") == (md_b, "# b")
    assert store.latest_report("a", "json") is None

    store.record_delivery(md_a, "file", True, "reports/a.md", T0 + dt.timedelta(minutes=5))
    store.record_delivery(md_a, "mail", False, "451 try later", T0 + dt.timedelta(minutes=3))
    assert store.deliveries(md_a) == [
        ("mail", False, "451 try later"),
        ("file", True, "reports/a.md"),
    ]
    assert store.deliveries(md_b) == []


def test_failed_writes_leave_nothing_behind(store: StateStore, raw: sa.Engine) -> None:
    """A write that fails part-way (duplicate key after a full chunk) keeps none of its rows."""
    run_id = store.start_run("a", "run", "hash", T0)
    items = [item(f"A-{n}") for n in range(6_001)]
    with pytest.raises(StoreError, match=r"(?i)unique|duplicate"):
        store.record_snapshot(run_id, [*items, item("A-3")], ())
    assert store.snapshot(run_id) is None
    assert (count(raw, "snapshots"), count(raw, "item_versions")) == (0, 0)

    store.record_snapshot(run_id, items, ())
    with pytest.raises(StoreError):  # one snapshot per run; the first one stays intact
        store.record_snapshot(run_id, items[:1], ())
    snapshot = store.snapshot(run_id)
    assert snapshot is not None and len(snapshot.items) == len(items)

    unknown_run = AuditRow(run_id + 1000, "A-1", ("x",), (), (), ("x",), True)
    with pytest.raises(StoreError):
        store.record_audit([AuditRow(run_id, "A-1", ("x",), (), (), ("x",), True), unknown_run])
    assert store.audit(run_id) == []


def test_a_snapshot_streamed_from_an_iterator_is_stored_whole(
    store: StateStore, raw: sa.Engine
) -> None:
    """A one-shot run hands the store its rows as a generator (never all in memory): each row
    is read once, all are stored and counted; a duplicate key late in the stream stores
    nothing of that snapshot and leaves the previous one intact."""
    items = [item(f"S-{n}") for n in range(12_001)]
    read: list[str] = []

    def stream(rows: list[ItemSnapshot]) -> Iterator[ItemSnapshot]:
        for row in rows:
            read.append(row.key)
            yield row

    first = store.start_run("s", "run", "hash", T0)
    store.record_snapshot(first, stream(items), ())
    assert read == [row.key for row in items]
    snapshot = store.snapshot(first)
    assert snapshot is not None
    assert sorted(snapshot.items, key=lambda row: row.key) == sorted(items, key=lambda r: r.key)
    with raw.connect() as conn:
        counted = conn.execute(
            sa.text("SELECT item_count FROM snapshots WHERE run_id = :run"), {"run": first}
        ).scalar_one()
    assert counted == len(items)

    second = store.start_run("s", "run", "hash", T0 + dt.timedelta(hours=1))
    changed = [row._replace(summary="edited") for row in items]
    with pytest.raises(StoreError, match="duplicate key S-7"):
        store.record_snapshot(second, stream([*changed, changed[7]]), ())
    assert store.snapshot(second) is None
    assert count(raw, "item_versions") == len(items)
    # An incremental snapshot compares only the changed keys, and refuses one given twice.
    with pytest.raises(StoreError, match="duplicate key S-3"):
        store.record_snapshot(second, [*changed[:5], changed[3]], (), changed={"S-3", "S-4"})
    assert store.snapshot(second) is None
    assert count(raw, "item_versions") == len(items)
    current = store.current_items("s")
    assert {row.key: row.summary for row in current} == {row.key: row.summary for row in items}


def test_missing_records(store: StateStore) -> None:
    """Absent runs and reports raise NotFoundError (a LookupError); absent snapshots are None."""
    with pytest.raises(NotFoundError):
        store.run(404)
    with pytest.raises(LookupError):
        store.finish_run(404, "ok", {}, T0, None)
    with pytest.raises(NotFoundError):
        store.report(404)
    assert store.snapshot(404) is None
    assert store.audit(404) == []
    with pytest.raises(StoreError):
        store.record_snapshot(404, [item("A-1")], ())
    with pytest.raises(StoreError):
        store.record_delivery(404, "file", True, None, T0)


def test_bad_arguments_are_refused_before_writing(store: StateStore) -> None:
    """Naive timestamps, unknown kinds and a 'running' final outcome raise ValueError."""
    with pytest.raises(ValueError, match="time zone"):
        store.start_run("a", "run", "hash", dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="run kind"):
        store.start_run("a", "sync", "hash", T0)  # type: ignore[arg-type]
    assert store.runs() == []
    run_id = store.start_run("a", "run", "hash", T0)
    with pytest.raises(ValueError, match="outcome"):
        store.finish_run(run_id, "running", {}, T0, None)
    assert store.run(run_id).finished_at is None


@pytest.mark.parametrize("size", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_large_snapshot_round_trips(store: StateStore, size: int) -> None:
    """A snapshot of tens of thousands of items comes back identical, in Jira's key order."""
    verdicts = list(Verdict)
    items = tuple(
        item(
            f"BIG-{n}",
            verdict=verdicts[n % len(verdicts)],
            done=n % 3 == 0,
            story_points=None if n % 5 == 0 else float(n % 13),
            owned_labels=() if n % 2 else ("rs-aligned",),
        )
        for n in range(size, 0, -1)  # descending keys: order must come from the store
    )
    run_id = store.start_run("big", "run", "hash", T0)
    store.record_snapshot(run_id, items, ())
    snapshot = store.snapshot(run_id)
    assert snapshot is not None
    assert snapshot.items == items[::-1]


def test_threads_share_one_store(store: StateStore) -> None:
    """Writers and readers on several threads at once all succeed."""

    def work(n: int) -> int:
        run_id = store.start_run(f"r{n % 3}", "run", "hash", T0 + dt.timedelta(seconds=n))
        store.record_snapshot(run_id, [item(f"T{n}-{i}") for i in range(200)], ())
        store.record_audit([AuditRow(run_id, f"T{n}-0", ("x",), (), (), ("x",), True)])
        store.finish_run(run_id, "ok", {"n": n}, T0 + dt.timedelta(hours=1), 0.5)
        assert store.latest_snapshot(f"r{n % 3}") is not None
        return run_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        run_ids = list(pool.map(work, range(40)))
    assert len(set(run_ids)) == 40
    assert all(store.run(run_id).counts == {"n": n} for n, run_id in enumerate(run_ids))
    assert len(store.runs(limit=100)) == 40


def test_ping_answers(store: StateStore) -> None:
    """A reachable database answers the readiness check."""
    assert store.ping() is True


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    """An SQLite store creates its file's directories and runs in WAL mode."""
    path = tmp_path / "a" / "b" / "state.db"
    with StateStore.open(f"sqlite:///{path}") as opened:
        assert opened.ping()
    assert path.is_file()
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_unreachable_database_error_hides_the_password() -> None:
    """Failing to open a server raises StoreError, and its message masks the URL's password."""
    url = "postgresql+psycopg://bot:s3cr3t-pw@127.0.0.1:1/state?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        StateStore.open(url)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "bot:***@127.0.0.1:1" in str(caught.value)


def test_unchanged_items_are_stored_once(store: StateStore, raw: sa.Engine) -> None:
    """A run over an unchanged backlog adds no item rows; older snapshots keep their items."""
    first = (item("A-1"), item("A-2"), item("A-3"))
    runs = [finished_run(store, "a", T0, items=first)]
    runs.append(finished_run(store, "a", T0 + dt.timedelta(hours=1), items=first))
    assert count(raw, "item_versions") == 3
    second = (item("A-1"), item("A-2", status="Done", done=True), item("A-4"))
    runs.append(finished_run(store, "a", T0 + dt.timedelta(hours=2), items=second))
    assert count(raw, "item_versions") == 5  # A-2's new state and the new A-4
    snapshots = [store.snapshot(run_id) for run_id in runs]
    assert [s.items if s else None for s in snapshots] == [first, first, second]
    assert store.current_items("a") == second
    latest = store.latest_state_run("a")
    assert latest is not None and latest.run_id == runs[-1]


def test_changed_keys_limit_what_is_compared(store: StateStore) -> None:
    """With changed keys, only those are compared; a changed key that is missing is gone."""
    base = (item("A-1"), item("A-2"), item("A-3"))
    finished_run(store, "a", T0, items=base)
    run_id = store.start_run("a", "run", "hash", T0 + dt.timedelta(hours=1))
    renamed = item("A-1", summary="renamed")
    store.record_snapshot(run_id, (renamed, item("A-2")), (), changed={"A-1", "A-3"})
    snapshot = store.snapshot(run_id)
    assert snapshot is not None and snapshot.items == (renamed, item("A-2"))


def test_snapshots_of_roadmaps_are_apart(store: StateStore) -> None:
    """Two roadmaps holding the same key keep their own versions."""
    finished_run(store, "a", T0, items=(item("X-1"),))
    b = finished_run(store, "b", T0, items=(item("X-1", verdict=Verdict.ORPHAN),))
    finished_run(store, "a", T0 + dt.timedelta(hours=1), items=())
    snapshot = store.snapshot(b)
    assert snapshot is not None and snapshot.items[0].verdict is Verdict.ORPHAN
    assert store.current_items("a") == ()


def test_retention_keeps_recent_runs_and_one_snapshot_a_week(
    store: StateStore, raw: sa.Engine
) -> None:
    """Past the detail window only each week's newest snapshot stays; audit goes, runs stay."""
    day = dt.timedelta(days=1)
    now = T0 + 60 * day
    ids = []
    for n in range(60):  # one run a day, item A-1 changing every day
        at = T0 + n * day
        run_id = finished_run(store, "a", at, items=(item("A-1", summary=f"day {n}"), item("A-2")))
        store.record_audit([AuditRow(run_id, "A-1", ("x",), (), (), ("x",), True)], at=at)
        ids.append(run_id)
    policy = RetentionPolicy.parse("detail=14d,weekly=forever,runs=forever")
    before = {run_id: store.snapshot(run_id) for run_id in ids}

    result = store.prune(policy, now)

    kept = {run_id for run_id in ids if store.snapshot(run_id) is not None}
    recent = {run_id for n, run_id in enumerate(ids) if T0 + n * day >= now - 14 * day}
    newest_of_week = {
        (T0 + n * day).isocalendar()[:2]: run_id
        for n, run_id in enumerate(ids)
        if run_id not in recent
    }
    assert kept == recent | set(newest_of_week.values())
    assert all(store.snapshot(run_id) == before[run_id] for run_id in kept)
    assert result.snapshots == 60 - len(kept)
    assert count(raw, "item_versions") == len(kept) + 1  # A-1 once per kept day, A-2 once
    assert len(store.runs("a", limit=100)) == 60
    old = store.run(ids[0])
    assert old.detail_pruned and store.audit(old.run_id) == []
    assert not store.run(ids[-1]).detail_pruned and store.audit(ids[-1]) != []
    assert store.prune(policy, now) == PruneResult()  # nothing more to do


def test_retention_of_runs_deletes_old_summaries(store: StateStore) -> None:
    """runs=… deletes older run rows with everything hanging off them."""
    finished_run(store, "a", T0, items=(item("A-1"),))
    latest = finished_run(store, "a", T0 + dt.timedelta(days=30), items=(item("A-1"),))
    policy = RetentionPolicy.parse("detail=7d,weekly=14d,runs=14d")
    assert store.prune(policy, T0 + dt.timedelta(days=31)).runs == 1
    assert [run.run_id for run in store.runs("a")] == [latest]
    assert store.current_items("a") == (item("A-1"),)


def test_sqlite_maintenance_analyzes_and_vacuums(tmp_path: Path) -> None:
    """maintain() analyzes, and vacuums once most of the file is free pages."""
    path = tmp_path / "state.db"
    with StateStore.open(f"sqlite:///{path}") as opened:
        run_id = finished_run(opened, "a", T0, items=tuple(item(f"A-{n}") for n in range(5_000)))
        finished_run(opened, "a", T0 + dt.timedelta(days=200), items=())
        opened.maintain()
        full = path.stat().st_size
        policy = RetentionPolicy.parse("detail=30d,weekly=60d")
        assert opened.prune(policy, T0 + dt.timedelta(days=201)).item_versions == 5_000
        assert "vacuum" in opened.maintain()
        assert path.stat().st_size < full / 2
        assert opened.snapshot(run_id) is None


def test_migration_converts_old_snapshots(tmp_path: Path) -> None:
    """Snapshots stored one row per item per run (revision 0001) read back the same after 0003."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        command.upgrade(migration_config(conn), "0001")
        for run_id, hour, summaries in ((1, 0, ("a", "b")), (2, 1, ("a", "b")), (3, 2, ("c",))):
            started = (T0 + dt.timedelta(hours=hour)).replace(tzinfo=None)
            conn.execute(
                sa.text(
                    "INSERT INTO runs (id, roadmap, kind, config_hash, started_at, finished_at, "
                    "outcome, counts) VALUES (:id, 'a', 'run', 'h', :at, :at, 'ok', '{}')"
                ),
                {"id": run_id, "at": started},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO snapshots (run_id, item_count, finding_count) VALUES (:id, 2, 0)"
                ),
                {"id": run_id},
            )
            for position, summary in enumerate(summaries):
                conn.execute(
                    sa.text(
                        "INSERT INTO item_snapshots VALUES (:id, :pos, :key, :summary, 'Story', "
                        "0, 'To Do', 0, NULL, 'r1', NULL, 'aligned', '[]', :owned, "
                        "NULL)"
                    ),
                    {
                        "id": run_id,
                        "pos": position,
                        "key": f"A-{position + 1}",
                        "summary": summary,
                        "owned": '["roadmap-r1"]',
                    },
                )
    engine.dispose()
    with StateStore.open(url) as opened:
        one, two, three = (opened.snapshot(n) for n in (1, 2, 3))
        assert one is not None and two is not None and three is not None
        assert [i.summary for i in one.items] == ["a", "b"] and one.items == two.items
        assert [(i.key, i.summary) for i in three.items] == [("A-1", "c")]
        assert one.items[0].owned_labels == ("roadmap-r1",) and one.items[0].labels is None
        run_id = opened.start_run("a", "run", "h", T0 + dt.timedelta(hours=3))
        opened.record_snapshot(run_id, (item("A-1"),), ())
        assert opened.snapshot(3) == three
