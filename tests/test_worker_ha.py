"""Two ``serve`` replicas, one PostgreSQL, one sandbox: one leader per roadmap, failover."""

from __future__ import annotations

import itertools
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data
from tests.worker_harness import WorkerProcess, permissive_roadmap, start_worker, wait_for

pytestmark = pytest.mark.slow
PRODUCT = "Acme Web Shop"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A Cloud sandbox with a small backlog."""
    with SandboxServer(site_data(200, seed=9), flavor="cloud", bulk_delay=0.01) as server:
        yield server


def recorded_runs(worker: WorkerProcess) -> int:
    """How many runs this replica recorded, from its own log."""
    count = 0
    for line in worker.log().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "run_recorded":
            count += 1
    return count


def runs_in_store(url: str) -> list[tuple[int, object, object]]:
    """(id, started, finished) of every full sync run recorded in the shared database."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, started_at, finished_at FROM runs "
                    "WHERE kind = 'run' ORDER BY started_at"
                )
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1], row[2]) for row in rows]


def count_rows(url: str, sql: str) -> int:
    """A count from the shared database."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_one_leader_syncs_reports_once_and_fails_over(
    sandbox: SandboxServer,
    pg_database_url: str,
    tmp_path: Path,
) -> None:
    """Syncs never overlap and run on one replica; the report goes out once; failover works."""
    roadmap = permissive_roadmap(tmp_path)
    settings = {
        "ROADMAP_SYNC_STATE_URL": pg_database_url,
        "ROADMAP_SYNC_SYNC_INTERVAL": "1",
        "ROADMAP_SYNC_REPORT_CRON": "*/3 * * * * *",  # every 3 s, so both replicas try often
        "ROADMAP_SYNC_REPORT_DIR": str(tmp_path / "reports"),
    }
    first = start_worker(sandbox, tmp_path / "a", roadmap, **settings)
    second = start_worker(sandbox, tmp_path / "b", roadmap, **settings)
    try:
        wait_for(lambda: len(runs_in_store(pg_database_url)) >= 4, 40, "four syncs")
        wait_for(
            lambda: (
                count_rows(pg_database_url, "SELECT count(*) FROM reports WHERE format='html'") >= 1
            ),
            20,
            "the weekly report",
        )
        time.sleep(4)  # both replicas' report jobs fire again; neither may send a second one
        runs = runs_in_store(pg_database_url)
        for (_, _, finished), (_, started, _) in itertools.pairwise(runs):
            assert finished is not None and finished <= started, "two syncs overlapped"
        a, b = recorded_runs(first), recorded_runs(second)
        assert (a == 0) != (b == 0), f"both replicas synced: {a} and {b}"
        assert count_rows(pg_database_url, "SELECT count(*) FROM reports WHERE format='html'") == 1
        assert count_rows(pg_database_url, "SELECT count(*) FROM deliveries") >= 1
        leader, follower = (first, second) if a else (second, first)
        # Each replica says which role it has, on /readyz and in its metrics.
        assert "leader of Acme Web Shop" in leader.get("/readyz").text
        assert "follower for Acme Web Shop" in follower.get("/readyz").text
        assert leader.metric("roadmap_sync_leader", roadmap="Acme Web Shop") == 1
        assert follower.metric("roadmap_sync_leader", roadmap="Acme Web Shop") == 0
        before = recorded_runs(follower)
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(timeout=10)
        wait_for(lambda: recorded_runs(follower) > before + 1, 30, "the follower to take over")
        assert follower.get("/healthz").status_code == 200
    finally:
        for worker in (first, second):
            if worker.process.poll() is None:
                worker.stop()
