"""How long a run takes against a Jira that stops answering, with the default settings.

Run as ``python -m bench.dead_jira [--issues 3000] [--runs 1]``.

Each scenario starts a fresh in-process sandbox with ``generate_backlog(issues, seed=1)``, arms
a fault, and times one ``roadmap-sync run --once --force`` (the command, in this process) with
every setting at its default (6 attempts with exponential backoff from 0.5 s, Retry-After up to
300 s, the write breaker at 5 failures in a row and 1,800 s):

- ``dc-503-after-300``: Data Center, ``PUT /issue`` answers 503 without Retry-After after 300
  successful writes;
- ``cloud-bulk-503``: Cloud, ``POST /bulk/issues/fields`` answers 503 for ever;
- ``dc-search-503``: Data Center, every search answers 503 (the run fails while reading).

The baseline is the same run on the same backlog without a fault, timed in the same process, so
the ratio says how much longer a dead Jira holds a run than a healthy one. Figures are printed,
never asserted; the target is a run that ends (exit 1) within 3 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from roadmap_sync.cli import main
from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.generate import generate_backlog
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData

REPO = Path(__file__).resolve().parent.parent
ROADMAP = REPO / "config" / "roadmap.example.yaml"
SCENARIOS: dict[str, tuple[Flavor, dict[str, Any] | None]] = {
    "dc-503-after-300": (
        "datacenter",
        {"endpoint": "issue_put", "kind": "error", "status": 503, "after": 300, "times": -1},
    ),
    "cloud-bulk-503": (
        "cloud",
        {"endpoint": "bulk_submit", "kind": "error", "status": 503, "times": -1},
    ),
    "dc-search-503": (
        "datacenter",
        {"endpoint": "search", "kind": "error", "status": 503, "times": -1},
    ),
}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set ROADMAP_SYNC_* variables for the duration (and only those)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def one_run(
    backlog: dict[str, Any], flavor: Flavor, fault: dict[str, Any] | None
) -> tuple[float, int]:
    """(seconds, exit status) of one ``run --once --force`` against a fresh sandbox."""
    data = SiteData.from_json(copy.deepcopy(backlog))
    with SandboxServer(data, flavor=flavor) as site, tempfile.TemporaryDirectory() as tmp:
        settings = {
            "ROADMAP_SYNC_JIRA_URL": site.url,
            "ROADMAP_SYNC_JIRA_TOKEN": site.token,
            "ROADMAP_SYNC_DATA_DIR": tmp,
            "ROADMAP_SYNC_LOG_LEVEL": "error",
        }
        if flavor == "cloud":
            settings["ROADMAP_SYNC_JIRA_EMAIL"] = site.email
        if fault is not None:
            requests.post(f"{site.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
        with environment(settings), contextlib.redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            status = main(["run", "--once", "--force", "--config", str(ROADMAP)])
            return time.perf_counter() - started, status


def main_bench() -> None:
    """Time every scenario and its fault-free baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"backlog: generate_backlog({args.issues}, seed=1); runs per figure: {args.runs}")
    print(f"{'scenario':<20} {'healthy s':>10} {'dead s':>10} {'ratio':>7} {'exit':>5}")
    for name, (flavor, fault) in SCENARIOS.items():
        data = generate_backlog(args.issues, seed=1)
        healthy = [one_run(data, flavor, None)[0] for _ in range(args.runs)]
        dead = [one_run(data, flavor, fault) for _ in range(args.runs)]
        base = statistics.median(healthy)
        worst = max(seconds for seconds, _ in dead)
        statuses = ",".join(str(status) for _, status in dead)
        print(f"{name:<20} {base:>10.1f} {worst:>10.1f} {worst / base:>7.1f} {statuses:>5}")


if __name__ == "__main__":
    main_bench()
