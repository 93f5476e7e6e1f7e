"""Report speed: the weekly report of a 100,000-item backlog, built from the state store.

Run as ``python -m bench.report_speed [--issues 100000] [--runs 3]``.

Set-up (untimed): ``generate_backlog(n, seed=1)`` is converted and classified against
``config/roadmap.example.yaml`` exactly as a sync would, and recorded as two runs a week apart
in a fresh SQLite state store; between them a "week" of change moves 1% of the items to another
release, removes 0.2% and adds 0.5% new ones.

Timed, in ``--runs`` rounds alternating which goes first:

- **baseline**: reading the two snapshots the report compares (``latest_snapshot`` twice),
  the floor of any report that diffs two runs item by item;
- **report**: what ``roadmap-sync report --format html`` does after opening the store:
  ``build_report_for`` (both snapshots, the drift, the report model, the outlook) and
  ``render_html``.

Then one untimed pass under ``tracemalloc`` gives the report's peak Python allocation.
Figures are printed, never asserted; the target (issue 11) is the HTML report under 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import tempfile
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from bench.common import timed
from roadmap_sync.core.classify import classify
from roadmap_sync.core.model import BacklogItem
from roadmap_sync.core.records import ItemSnapshot, alignment_score, snapshot_items
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.publish import build_report_for
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.reports.html import render_html
from roadmap_sync.sandbox.generate import generate_backlog
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.jira.convert import item_from_json

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "roadmap.example.yaml"
SEED = 1
NOW = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
HOUR = dt.timedelta(hours=1)
SITE = "https://acme.example.net"
T = TypeVar("T")


def backlog(issues: int, roadmap: Roadmap) -> tuple[list[BacklogItem], tuple[ItemSnapshot, ...]]:
    """The generated backlog as items and as the snapshot rows a sync stores."""
    document = generate_backlog(issues, SEED)
    scope = set(roadmap.tracker.projects)
    items = [
        item_from_json(issue, epic_link_field=None, story_points_field="customfield_10016")
        for issue in document["issues"]
    ]
    items = [item for item in items if item.project in scope]
    versions = {v["name"] for project in document["projects"] for v in project["versions"]}
    classification = classify(items, roadmap, today=NOW.date(), known_versions=versions)
    return items, tuple(snapshot_items(items, classification, roadmap))


def week_of_change(rows: Sequence[ItemSnapshot], roadmap: Roadmap) -> list[ItemSnapshot]:
    """The rows a week later: 1% moved to another release, 0.2% removed, 0.5% new."""
    releases = [release.id for release in roadmap.releases]
    changed: list[ItemSnapshot] = []
    for index, row in enumerate(rows):
        if index % 500 == 7:
            continue  # removed from the backlog
        if index % 100 == 3:
            target = releases[(index // 100) % len(releases)]
            changed.append(replace(row, planned_release=target, scheduled_release=None))
        else:
            changed.append(row)
    template = rows[-1]
    for number in range(len(rows) // 200):
        key = f"ACME-{900_000 + number}"
        changed.append(replace(template, key=key, planned_release=None, scheduled_release=None))
    return changed


def record(
    store: StateStore, roadmap: Roadmap, rows: Sequence[ItemSnapshot], at: dt.datetime
) -> int:
    """Record one finished run with its snapshot, as the engine's recorder does."""
    run_id = store.start_run(roadmap.product, "run", roadmap.config_hash, at)
    store.record_snapshot(run_id, rows, ())
    store.finish_run(run_id, "ok", {"items": len(rows)}, at, alignment_score(rows))
    return run_id


@dataclass
class Scenario:
    """One report to time: its store, and the timings of its rounds."""

    name: str
    runs: int  # recorded runs in the store: 1 = the first report, 2 = a week later
    base: list[float] = field(default_factory=list)
    report: list[float] = field(default_factory=list)
    peak: int = 0
    html_bytes: int = 0


def measure(scenario: Scenario, roadmap: Roadmap, snapshots: Sequence[Sequence[ItemSnapshot]],
            rounds: int, tmp: Path) -> None:  # fmt: skip
    """Record the scenario's runs in a fresh store, then time baseline and report rounds."""
    with StateStore.open(f"sqlite:///{tmp / (scenario.name + '.db')}") as store:
        for index, rows in enumerate(snapshots[: scenario.runs]):
            record(store, roadmap, rows, NOW - WEEK * (scenario.runs - 1 - index) - HOUR)

        def baseline() -> object:
            # Every snapshot the report compares, read whole: the floor of an item-by-item diff.
            return [store.snapshot(run.run_id) for run in store.runs(roadmap.product)]

        def report() -> str:
            return render_html(build_report_for(store, roadmap, SITE, NOW))

        for round_ in range(rounds):
            order = (baseline, report) if round_ % 2 == 0 else (report, baseline)
            for action in order:
                result, seconds = timed(action)
                if action is report:
                    scenario.report.append(seconds)
                    scenario.html_bytes = len(str(result).encode())
                else:
                    scenario.base.append(seconds)
        gc.collect()
        tracemalloc.start()
        report()
        scenario.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Set up the stores, time the rounds, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.report_speed", description=__doc__)
    parser.add_argument("--issues", type=int, default=100_000, help="generated issues (100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    args = parser.parse_args(argv)
    roadmap = load_roadmap(EXAMPLE)
    _items, rows = backlog(args.issues, roadmap)
    snapshots = [rows, week_of_change(rows, roadmap)]
    scenarios = [Scenario("first report", 1), Scenario("a week later", 2)]
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in scenarios:
            measure(scenario, roadmap, snapshots, args.runs, Path(tmp))
    print(f"report speed: {len(rows):,} items in scope ({args.issues:,} generated);")
    print(f"{args.runs} rounds per scenario, baseline and report alternating; medians.")
    print("baseline = reading the compared snapshots whole (store.snapshot per run);")
    print("report = build_report_for + render_html, as `report --format html` does.")
    print()
    header = ("scenario", "baseline s", "report s", "ratio", "peak MB", "HTML KB", "rounds s")
    print(f"{header[0]:<14}" + "".join(f"{h:>12}" for h in header[1:-1]) + f"  {header[-1]}")
    worst = 0.0
    for scenario in scenarios:
        base = statistics.median(scenario.base)
        built = statistics.median(scenario.report)
        worst = max(worst, built)
        cells = (
            f"{base:.2f}", f"{built:.2f}", f"{built / base:.2f}x",
            f"{scenario.peak / 2**20:.1f}", f"{scenario.html_bytes / 1024:.1f}",
        )  # fmt: skip
        rounds = " ".join(f"{t:.2f}" for t in scenario.report)
        print(f"{scenario.name:<14}" + "".join(f"{c:>12}" for c in cells) + f"  {rounds}")
    print()
    verdict = "met" if worst < 2.0 else "NOT met"
    print(f"target (issue 11): the HTML report at 100,000 items under 2 s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
