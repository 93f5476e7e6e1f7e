"""A run killed with SIGKILL mid-apply: the next process marks it interrupted, and ``revert``
restores every issue, including the changes that landed without being confirmed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from roadmap_sync.cli import main
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from tests.conftest import REPO, site_data
from tests.worker_harness import wait_for

pytestmark = pytest.mark.slow
EXAMPLE = str(REPO / "config" / "roadmap.example.yaml")


def writes(site: SandboxServer) -> int:
    """Write requests the sandbox has received."""
    return len(requests.get(f"{site.url}/_sandbox/writes", timeout=5).json()["writes"])


def labels_of(site: SandboxServer) -> dict[str, set[str]]:
    """Every issue's labels, as the sandbox holds them."""
    return {key: set(i["fields"].get("labels") or []) for key, i in site.store.issues.items()}


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The state store: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'state.db'}"
    url: str = request.getfixturevalue("pg_database_url")
    return url


def test_killed_run_is_interrupted_and_revert_restores_every_issue(
    tmp_path: Path,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGKILL after ~150 of ~500 writes: history says interrupted; revert undoes all of it."""
    with SandboxServer(site_data(600, seed=21), flavor="datacenter") as site:
        before = labels_of(site)
        # Slow writes, so that the kill lands in the middle of the apply.
        requests.post(
            f"{site.url}/_sandbox/faults",
            json={"endpoint": "issue_put", "kind": "latency", "latency_ms": 15, "times": -1},
            timeout=5,
        ).raise_for_status()
        environment = {
            **os.environ,
            "ROADMAP_SYNC_JIRA_URL": site.url,
            "ROADMAP_SYNC_JIRA_TOKEN": site.token,
            "ROADMAP_SYNC_DATA_DIR": str(tmp_path / "data"),
            "ROADMAP_SYNC_STATE_URL": state_url,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "roadmap_sync", "run", "--once", "--force", "--config", EXAMPLE],
            env=environment,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: writes(site) >= 150, 120, "150 label writes")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        # Requests already in the sandbox finish after the client died; let them land.
        settled = [-1]

        def quiet() -> bool:
            count = writes(site)
            done = count == settled[0]
            settled[0] = count
            return done

        wait_for(quiet, 30, "the writes in flight to land")
        requests.delete(f"{site.url}/_sandbox/faults", timeout=5)
        changed = {key for key, labels in labels_of(site).items() if labels != before[key]}
        assert changed, "the killed run wrote something"

        for name, value in environment.items():
            if name.startswith("ROADMAP_SYNC_"):
                monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("COLUMNS", "200")  # rich would shorten the outcome column
        assert main(["history"]) == 0
        history = capsys.readouterr().out
        assert "interrupted" in history
        with StateStore.open(state_url) as store:
            (run,) = store.runs()
            rows = store.audit(run.run_id)
        assert run.outcome == "interrupted"
        assert any(row.pending for row in rows), "the batch in flight was recorded ahead"
        assert changed <= {row.key for row in rows}, "every change that landed is in the audit"

        assert main(["revert", str(run.run_id), "--yes", "--config", EXAMPLE]) == 0
        after = labels_of(site)
        assert after == before, sorted(k for k in after if after[k] != before[k])[:10]
