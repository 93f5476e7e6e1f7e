"""PostgreSQL leader failover mid-run: the leader's lock connection is killed while it writes.

The leader notices within a second, stops writing and records its run as partial; the other
replica takes the lock, waits for that run to end, then syncs the rest. Runs never overlap.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data
from tests.worker_harness import WorkerProcess, permissive_roadmap, start_worker, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A Data Center sandbox whose label writes are slow enough to kill the leader mid-run."""
    with SandboxServer(site_data(800, seed=9), flavor="datacenter") as server:
        requests.post(
            f"{server.url}/_sandbox/faults",
            json={"endpoint": "issue_put", "kind": "latency", "latency_ms": 40, "times": -1},
            timeout=5,
        ).raise_for_status()
        yield server


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on the shared database."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def events(worker: WorkerProcess, name: str) -> list[dict[str, object]]:
    """The worker's log events with this name."""
    found = []
    for line in worker.log().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == name:
            found.append(event)
    return found


def writes(site: SandboxServer) -> int:
    """Label writes the sandbox received."""
    return len(requests.get(f"{site.url}/_sandbox/writes", timeout=5).json()["writes"])


def test_leader_losing_its_database_connection_hands_over_cleanly(
    sandbox: SandboxServer, pg_database_url: str, tmp_path: Path
) -> None:
    """pg_terminate_backend on the leader's lock: it stops, the other replica finishes the job."""
    roadmap = permissive_roadmap(tmp_path)
    settings = {
        "ROADMAP_SYNC_STATE_URL": pg_database_url,
        "ROADMAP_SYNC_SYNC_INTERVAL": "1",
        "ROADMAP_SYNC_JIRA_CONCURRENCY": "2",
    }
    first = start_worker(sandbox, tmp_path / "a", roadmap, **settings)
    second = start_worker(sandbox, tmp_path / "b", roadmap, **settings)
    try:
        wait_for(lambda: writes(sandbox) >= 60, 90, "the first sync to be writing")
        # The leadership lock is the one-key advisory lock form (run leases use two keys).
        holders = query(
            pg_database_url,
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1",
        )
        assert len(holders) == 1, holders
        killed_at = time.time()
        query(pg_database_url, f"SELECT pg_terminate_backend({holders[0][0]})")

        def handed_over() -> bool:
            rows = query(
                pg_database_url,
                "SELECT count(*) FROM runs WHERE kind = 'run' AND outcome = 'ok' "
                f"AND started_at > to_timestamp({killed_at})",
            )
            return int(str(rows[0][0])) >= 1

        wait_for(handed_over, 120, "a complete sync after the failover")
    finally:
        for worker in (first, second):
            if worker.process.poll() is None:
                worker.stop()
    runs = query(
        pg_database_url,
        "SELECT id, started_at, finished_at, outcome FROM runs WHERE kind = 'run' "
        "ORDER BY started_at",
    )
    assert all(outcome != "running" for *_, outcome in runs), runs
    for (_, _, finished, _), (_, started, _, _) in itertools.pairwise(runs):
        assert finished is not None and finished <= started, f"two runs overlapped: {runs}"
    lost = [w for w in (first, second) if events(w, "writes_stopped")]
    assert len(lost) == 1, "exactly the old leader stopped its writes"
    old, new = (first, second) if lost[0] is first else (second, first)
    assert "leadership" in str(events(old, "writes_stopped")[0]["reason"])
    assert runs[0][3] == "partial", runs
    assert any(e["outcome"] == "ok" for e in events(new, "run_recorded"))
