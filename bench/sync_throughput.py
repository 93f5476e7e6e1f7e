"""Sync throughput: the whole engine (``make_plan`` + ``apply_plan``) over a generated backlog.

Run as ``python -m bench.sync_throughput [--issues 100000] [--runs 3] [--flavor both]``.

Each flavor is measured in its own bot process (a worker this script starts), so
``ru_maxrss`` starts fresh for each; the sandbox (``generate_backlog(n, seed=1)`` loaded into a
``SandboxServer``) runs in yet another process, started through ``roadmap_sync sandbox serve``,
so its CPU never competes for the measured process's GIL. Per flavor the worker:

1. connects the production ``JiraTracker``, then runs one full sync on the fresh sandbox:
   ``make_plan`` (untraced; ``ru_maxrss`` is read before and after it) and
   ``apply_plan(force=True)``, with the sandbox's per-endpoint request tally read after each;
2. runs a second sync (``make_plan`` + ``apply_plan``) that must write nothing, with its own
   request tally; it also warms the sandbox up after the first sync's writes;
3. runs ``--runs`` timed rounds of (bare loop, ``make_plan``), alternating which goes first.
   The bare loop is a plain ``requests.Session`` fetching and ``.json()``-decoding the same
   pages (same path, JQL, field list and ``maxResults`` as ``JiraTracker.fetch_items``);
4. runs ``make_plan`` once more under ``tracemalloc`` (slow, so untimed) for its peak.

Wall times are what the targets are about; because the machine may be busy with other work,
each timed run also records this process's CPU time and the sandbox process's CPU time
(``/proc/PID/stat``), and the summary prints the 1-minute load average around the rounds.

The figures are printed, never asserted. Minimum request counts: pages at the server's page
cap for the scope query, plus one version lookup per project, plus one write per issue that
changes (Data Center's per-issue PUT). Cloud's bulk edit API can beat that per-issue minimum:
its floor is one submit and one poll per (ADD|REMOVE, label) group of up to 1000 issues.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests

from bench.common import median, timed, verdict
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import SyncPlan, apply_plan, make_plan
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.api_search import CLOUD_MAX_PAGE, DC_MAX_PAGE
from roadmap_sync.sandbox.bulk import MAX_BULK_ISSUES
from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.server import DEFAULT_EMAIL, DEFAULT_TOKEN, authorization
from roadmap_sync.trackers.jira.jql import scope_jql as adapter_scope_jql
from roadmap_sync.trackers.jira.paging import CLOUD_PAGE_REQUEST, DC_PAGE_REQUEST
from roadmap_sync.trackers.jira.tracker import SEARCH_FIELDS, JiraTracker

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "roadmap.example.yaml"
SEED = 1
TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
POLICY = RetryPolicy(attempts=4, max_wait=10, backoff_initial=0.01, backoff_max=0.05)
# The adapter's own field list and page requests, so the bare loop fetches exactly the same
# pages; the epic link and story points fields it appends come from the connected SiteInfo.
CLOUD_SEARCH = "/rest/api/2/search/jql"  # the jira client's default REST version is 2
DC_SEARCH = "/rest/api/2/search"
WRITE_ENDPOINTS = ("issue_put", "bulk_submit", "bulk_queue")
READY = re.compile(r"sandbox listening on (http://\S+)")
STARTUP_TIMEOUT = 600.0
TIMEOUT = 120.0
MB = 1_000_000
T = TypeVar("T")
TARGET_RATIO = 1.3
TARGET_MB = 300


# -- the sandbox process -----------------------------------------------------------------------


class SandboxProcess:
    """``roadmap_sync sandbox serve --generate N`` in a child process, on a free loopback port."""

    def __init__(self, flavor: Flavor, issues: int, seed: int) -> None:
        command = [
            sys.executable, "-m", "roadmap_sync", "sandbox", "serve", "--flavor", flavor,
            "--generate", str(issues), "--seed", str(seed), "--port", "0",
        ]  # fmt: skip
        started = time.perf_counter()
        self.flavor = flavor
        self.http = requests.Session()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        killer = threading.Timer(STARTUP_TIMEOUT, self.process.kill)
        killer.start()
        try:
            self.url = self._wait_ready()
        except BaseException:
            self.close()
            raise
        finally:
            killer.cancel()
        self.start_seconds = time.perf_counter() - started

    def _wait_ready(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            found = READY.search(line)
            if found:
                return found.group(1)
        raise SystemExit(f"the sandbox exited (status {self.process.wait()}) before it was ready")

    def tally(self) -> dict[str, int]:
        """REST requests received since the last reset, per endpoint name."""
        body = self.http.get(f"{self.url}/_sandbox/requests", timeout=TIMEOUT).json()
        return {str(k): int(v) for k, v in body["requests"].items()}

    def reset_tally(self) -> None:
        """Forget the request tally."""
        self.http.delete(f"{self.url}/_sandbox/requests", timeout=TIMEOUT).raise_for_status()

    def close(self) -> None:
        """Stop the sandbox (SIGTERM, then SIGKILL if it lingers)."""
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the bare baseline -------------------------------------------------------------------------


def scope_jql(roadmap: Roadmap) -> str:
    """The query ``JiraTracker.fetch_items`` sends for the roadmap's scope."""
    return f"{adapter_scope_jql(roadmap.tracker.scope)} ORDER BY key ASC"


def search_fields(tracker: JiraTracker) -> list[str]:
    """The adapter's field list: the fixed fields plus the custom fields the site has."""
    return [*SEARCH_FIELDS, *tracker.jira_site.custom_fields()]


def bare_session(sandbox: SandboxProcess) -> requests.Session:
    """A plain session with the flavor's Authorization header."""
    session = requests.Session()
    session.headers["Authorization"] = authorization(sandbox.flavor, DEFAULT_EMAIL, DEFAULT_TOKEN)
    return session


def bare_read(
    session: requests.Session, url: str, flavor: Flavor, jql: str, fields: Sequence[str]
) -> tuple[int, int, float]:
    """Fetch and decode every page of the query: (issues, pages, seconds)."""
    wanted = ",".join(fields)
    issues = pages = 0
    started = time.perf_counter()
    if flavor == "cloud":
        params: dict[str, Any] = {"jql": jql, "maxResults": CLOUD_PAGE_REQUEST, "fields": wanted}
        while True:
            response = session.get(url + CLOUD_SEARCH, params=params, timeout=TIMEOUT)
            response.raise_for_status()
            page = response.json()
            issues += len(page["issues"])
            pages += 1
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                break
            params["nextPageToken"] = token
    else:
        while True:
            params = {
                "jql": jql,
                "startAt": issues,
                "maxResults": DC_PAGE_REQUEST,
                "fields": wanted,
            }
            response = session.get(url + DC_SEARCH, params=params, timeout=TIMEOUT)
            response.raise_for_status()
            page = response.json()
            batch = len(page["issues"])
            issues += batch
            pages += 1
            if not batch or issues >= int(page["total"]):
                break
    return issues, pages, time.perf_counter() - started


# -- one flavor, in the worker process ---------------------------------------------------------


@dataclass
class FlavorResult:
    """Everything one worker measured; JSON-friendly so it can cross the process boundary."""

    flavor: str
    issues: int
    items: int = 0
    page_cap: int = 0
    pages_min: int = 0
    versions_min: int = 0
    changes: int = 0
    bulk_floor: int = 0
    sandbox_start_seconds: float = 0.0
    connect_requests: dict[str, int] = field(default_factory=dict)
    first_plan_requests: dict[str, int] = field(default_factory=dict)
    first_sync_requests: dict[str, int] = field(default_factory=dict)
    first_plan_seconds: float = 0.0
    first_read_seconds: float = 0.0
    apply_seconds: float = 0.0
    apply_failed: int = 0
    second_plan_seconds: float = 0.0
    second_apply_seconds: float = 0.0
    second_changes: int = -1
    second_outcomes: int = -1
    second_requests: dict[str, int] = field(default_factory=dict)
    bare_seconds: list[float] = field(default_factory=list)
    bare_cpu: list[float] = field(default_factory=list)
    bare_sandbox_cpu: list[float] = field(default_factory=list)
    bare_pages: int = 0
    plan_seconds: list[float] = field(default_factory=list)
    plan_cpu: list[float] = field(default_factory=list)
    plan_sandbox_cpu: list[float] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    tracemalloc_peak: int = 0
    tracemalloc_held: int = 0
    traced_plan_seconds: float = 0.0
    maxrss_before: int = 0
    maxrss_delta: int = 0
    load_average: list[float] = field(default_factory=list)
    worker_seconds: float = 0.0


def maxrss_bytes() -> int:
    """This process's resident-set high-water mark (Linux reports KiB, macOS bytes)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            values = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cost:
    """One timed action: wall seconds, this process's CPU, the sandbox process's CPU."""

    wall: float
    cpu: float
    sandbox_cpu: float


def costed(action: Callable[[], T], sandbox: SandboxProcess) -> tuple[T, Cost]:
    """``action()`` with its wall time and both processes' CPU time."""
    gc.collect()
    sandbox_before = process_cpu_seconds(sandbox.process.pid)
    cpu_before = time.process_time()
    started = time.perf_counter()
    value = action()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    return value, Cost(wall, cpu, process_cpu_seconds(sandbox.process.pid) - sandbox_before)


def bulk_floor(plan: SyncPlan) -> int:
    """Fewest Cloud bulk tasks: one per (ADD|REMOVE, label) group of up to 1000 issues."""
    groups: Counter[tuple[str, str]] = Counter()
    for change in plan.labels.changes:
        groups.update(("ADD", label) for label in change.add)
        groups.update(("REMOVE", label) for label in change.remove)
    return sum(math.ceil(n / MAX_BULK_ISSUES) for n in groups.values())


def plan_once(roadmap: Roadmap, tracker: JiraTracker) -> SyncPlan:
    """One ``make_plan`` with the bench's fixed clock."""
    return make_plan(roadmap, tracker, today=TODAY, now=NOW)


def connect(sandbox: SandboxProcess) -> JiraTracker:
    """The production adapter connected to the sandbox."""
    email = DEFAULT_EMAIL if sandbox.flavor == "cloud" else None
    return JiraTracker.connect(sandbox.url, email, DEFAULT_TOKEN, POLICY)


def first_sync(
    result: FlavorResult, sandbox: SandboxProcess, roadmap: Roadmap, tracker: JiraTracker
) -> None:
    """make_plan + apply_plan(force=True) on the fresh sandbox, with tallies and ru_maxrss."""
    sandbox.reset_tally()
    gc.collect()
    result.maxrss_before = maxrss_bytes()
    plan, result.first_plan_seconds = timed(partial(plan_once, roadmap, tracker))
    result.maxrss_delta = maxrss_bytes() - result.maxrss_before
    result.first_plan_requests = sandbox.tally()
    result.first_read_seconds = plan.read_seconds
    result.items = len(plan.items)
    result.changes = plan.labels.issues
    result.bulk_floor = bulk_floor(plan)
    result.pages_min = max(1, math.ceil(result.items / result.page_cap))
    result.versions_min = len(roadmap.tracker.projects)
    report, result.apply_seconds = timed(partial(apply_plan, plan, tracker, force=True))
    result.apply_failed = len(report.failed)
    result.first_sync_requests = sandbox.tally()
    print(
        f"  first sync: make_plan {result.first_plan_seconds:.2f} s "
        f"({result.items:,} items, {result.changes:,} changes), "
        f"apply {result.apply_seconds:.2f} s ({result.apply_failed} failed)",
        flush=True,
    )


def bare_round(
    result: FlavorResult,
    sandbox: SandboxProcess,
    session: requests.Session,
    roadmap: Roadmap,
    tracker: JiraTracker,
) -> None:
    """One timed pass of the bare loop over the adapter's query and fields."""
    read = partial(
        bare_read, session, sandbox.url, sandbox.flavor, scope_jql(roadmap), search_fields(tracker)
    )
    (issues, pages, _), cost = costed(read, sandbox)
    if issues != result.items:
        raise SystemExit(f"the bare loop read {issues} issues, make_plan {result.items}")
    result.bare_seconds.append(cost.wall)
    result.bare_cpu.append(cost.cpu)
    result.bare_sandbox_cpu.append(cost.sandbox_cpu)
    result.bare_pages = pages


def second_sync(
    result: FlavorResult, sandbox: SandboxProcess, roadmap: Roadmap, tracker: JiraTracker
) -> None:
    """make_plan + apply_plan(force=True) again: nothing left to write, pages only.

    It also warms the sandbox up after the first sync's writes, before the timed rounds.
    """
    sandbox.reset_tally()
    plan, result.second_plan_seconds = timed(partial(plan_once, roadmap, tracker))
    result.second_changes = plan.labels.issues
    report, result.second_apply_seconds = timed(partial(apply_plan, plan, tracker, force=True))
    result.second_outcomes = len(report.outcomes)
    result.second_requests = sandbox.tally()
    print(
        f"  second sync: make_plan {result.second_plan_seconds:.2f} s "
        f"({result.second_changes:,} changes), apply {result.second_apply_seconds:.3f} s",
        flush=True,
    )


def timed_rounds(
    result: FlavorResult, sandbox: SandboxProcess, roadmap: Roadmap, tracker: JiraTracker, runs: int
) -> None:
    """Bare loop vs make_plan on the same sandbox, alternating which goes first."""
    with bare_session(sandbox) as session:
        for number in range(runs):
            for step in ("plan", "bare") if number % 2 else ("bare", "plan"):
                if step == "bare":
                    bare_round(result, sandbox, session, roadmap, tracker)
                    continue
                plan, cost = costed(partial(plan_once, roadmap, tracker), sandbox)
                result.plan_seconds.append(cost.wall)
                result.plan_cpu.append(cost.cpu)
                result.plan_sandbox_cpu.append(cost.sandbox_cpu)
                result.read_seconds.append(plan.read_seconds)
                del plan
            print(
                f"  round {number + 1}: bare {result.bare_seconds[-1]:.2f} s, make_plan "
                f"{result.plan_seconds[-1]:.2f} s (read {result.read_seconds[-1]:.2f} s)",
                flush=True,
            )


def traced_plan(result: FlavorResult, roadmap: Roadmap, tracker: JiraTracker) -> None:
    """make_plan under tracemalloc: the peak of what it allocates, and what the plan keeps."""
    gc.collect()
    tracemalloc.start()
    try:
        started = time.perf_counter()
        plan = plan_once(roadmap, tracker)
        result.traced_plan_seconds = time.perf_counter() - started
        result.tracemalloc_held, result.tracemalloc_peak = tracemalloc.get_traced_memory()
        del plan
    finally:
        tracemalloc.stop()
    print(
        f"  traced make_plan: {result.traced_plan_seconds:.2f} s, "
        f"peak {result.tracemalloc_peak / MB:,.0f} MB",
        flush=True,
    )


def measure(flavor: Flavor, issues: int, runs: int) -> FlavorResult:
    """Every measurement for one flavor (run inside the worker process)."""
    started = time.perf_counter()
    result = FlavorResult(flavor, issues)
    result.page_cap = CLOUD_MAX_PAGE if flavor == "cloud" else DC_MAX_PAGE
    roadmap = load_roadmap(EXAMPLE)
    print(f"[{flavor}] starting the sandbox with {issues:,} generated issues ...", flush=True)
    with SandboxProcess(flavor, issues, SEED) as sandbox:
        result.sandbox_start_seconds = sandbox.start_seconds
        print(f"  sandbox ready at {sandbox.url} in {sandbox.start_seconds:.1f} s", flush=True)
        sandbox.reset_tally()
        tracker = connect(sandbox)
        result.connect_requests = sandbox.tally()
        first_sync(result, sandbox, roadmap, tracker)
        second_sync(result, sandbox, roadmap, tracker)
        result.load_average.append(os.getloadavg()[0])
        timed_rounds(result, sandbox, roadmap, tracker, runs)
        result.load_average.append(os.getloadavg()[0])
        traced_plan(result, roadmap, tracker)
    result.worker_seconds = time.perf_counter() - started
    return result


# -- the summary -------------------------------------------------------------------------------

LABEL_WIDTH = 50
CELL_WIDTH = 34


def _row(label: str, cells: Sequence[str]) -> None:
    print(f"{label:<{LABEL_WIDTH}}" + "".join(f"{cell:<{CELL_WIDTH}}" for cell in cells).rstrip())


def _tally_text(tally: dict[str, int]) -> str:
    return " ".join(f"{k}={v:,}" for k, v in sorted(tally.items())) or "(none)"


def _ratio(actual: int, minimum: int) -> str:
    return f"{actual:,} / {minimum:,} = {actual / minimum:.2f}x" if minimum else f"{actual:,} / 0"


def print_requests(results: Sequence[FlavorResult]) -> None:
    """Section 1: requests of one full sync against the minimum."""
    print("\n1. API calls, one full sync on a fresh sandbox (make_plan + apply_plan(force=True))")
    tallies = [r.first_sync_requests for r in results]
    _row(
        "  search pages            actual / min",
        [
            f"{_ratio(t.get('search', 0), r.pages_min)} (cap {r.page_cap:,})"
            for r, t in zip(results, tallies, strict=True)
        ],
    )
    _row(
        "  version lookups (meta)  actual / min",
        [_ratio(t.get("meta", 0), r.versions_min) for r, t in zip(results, tallies, strict=True)],
    )
    _row("  issues needing a label change", [f"{r.changes:,}" for r in results])
    _row(
        "  PUT /issue (per-issue writes)",
        [f"{t.get('issue_put', 0):,}" for t in tallies],
    )
    _row(
        "  bulk submits / floor",
        [
            _ratio(t.get("bulk_submit", 0), r.bulk_floor) if r.flavor == "cloud" else "n/a"
            for r, t in zip(results, tallies, strict=True)
        ],
    )
    _row(
        "  bulk polls / floor (1 per task)",
        [
            _ratio(t.get("bulk_queue", 0), r.bulk_floor) if r.flavor == "cloud" else "n/a"
            for r, t in zip(results, tallies, strict=True)
        ],
    )
    other = [
        {k: v for k, v in t.items() if k not in ("search", "meta", *WRITE_ENDPOINTS)}
        for t in tallies
    ]
    if any(other):
        _row("  other endpoints", [_tally_text(o) for o in other])
    per_issue = [r.pages_min + r.versions_min + r.changes for r in results]
    _row(
        "  TOTAL actual / min (1 write per change)",
        [_ratio(sum(t.values()), m) for t, m in zip(tallies, per_issue, strict=True)],
    )
    if any(r.flavor == "cloud" for r in results):
        _row(
            "  TOTAL actual / bulk floor (Cloud)",
            [
                _ratio(sum(t.values()), r.pages_min + r.versions_min + 2 * r.bulk_floor)
                if r.flavor == "cloud"
                else "n/a"
                for r, t in zip(results, tallies, strict=True)
            ],
        )
    _row("  (not counted: connect)", [_tally_text(r.connect_requests) for r in results])
    _row("  (of which make_plan)", [_tally_text(r.first_plan_requests) for r in results])


def _cpu_ratio(result: FlavorResult) -> float:
    """Both processes' CPU for make_plan over the same for the bare loop (medians)."""
    plan = median(result.plan_cpu) + median(result.plan_sandbox_cpu)
    return plan / (median(result.bare_cpu) + median(result.bare_sandbox_cpu))


def print_timing(results: Sequence[FlavorResult], runs: int) -> None:
    """Section 2: make_plan and its read part against the bare loop."""
    print(f"\n2. Read wall time, median of {runs} run(s), same sandbox, same pages")
    bare = [median(r.bare_seconds) for r in results]
    read = [median(r.read_seconds) for r in results]
    plan = [median(r.plan_seconds) for r in results]

    def cells(values: Sequence[float], runs_of: Callable[[FlavorResult], list[float]]) -> list[str]:
        return [
            f"{v:.2f} s  [{' '.join(f'{s:.2f}' for s in runs_of(r))}]"
            for v, r in zip(values, results, strict=True)
        ]

    _row("  bare requests.Session loop + .json()", cells(bare, lambda r: r.bare_seconds))
    _row("  make_plan read part (read_seconds)", cells(read, lambda r: r.read_seconds))
    _row("  make_plan total (read+classify+plan)", cells(plan, lambda r: r.plan_seconds))
    _row(
        "  issues/s: bare | make_plan",
        [
            f"{r.items / b:,.0f} | {r.items / p:,.0f}"
            for r, b, p in zip(results, bare, plan, strict=True)
        ],
    )
    _row("  read / bare", [f"{x / b:.2f}x" for x, b in zip(read, bare, strict=True)])
    _row("  make_plan / bare", [f"{p / b:.2f}x" for p, b in zip(plan, bare, strict=True)])
    _row(
        f"  target make_plan <= {TARGET_RATIO}x bare",
        [verdict(p / b <= TARGET_RATIO) for p, b in zip(plan, bare, strict=True)],
    )
    _row("  (pages per bare pass)", [f"{r.bare_pages:,}" for r in results])
    print("  CPU seconds behind the wall times (medians; the machine's other load does not count):")
    _row(
        "  bot CPU: bare | make_plan",
        [
            f"{median(r.bare_cpu):.2f} | {median(r.plan_cpu):.2f} s"
            f" ({median(r.plan_cpu) / median(r.bare_cpu):.2f}x)"
            for r in results
        ],
    )
    _row(
        "  sandbox CPU: bare | make_plan",
        [f"{median(r.bare_sandbox_cpu):.2f} | {median(r.plan_sandbox_cpu):.2f} s" for r in results],
    )
    _row(
        "  (bot + sandbox CPU) make_plan / bare",
        [f"{_cpu_ratio(r):.2f}x" for r in results],
    )
    _row(
        "  load average (1 min) before | after",
        [
            " | ".join(f"{x:.1f}" for x in r.load_average) + f" ({os.cpu_count()} CPUs)"
            for r in results
        ],
    )


def print_memory(results: Sequence[FlavorResult]) -> None:
    """Section 3: peak memory of the bot process during make_plan."""
    print(f"\n3. Bot-process memory during make_plan (MB = 10^6 bytes; target < {TARGET_MB} MB)")
    _row(
        "  tracemalloc peak (Python heap, traced pass)",
        [f"{r.tracemalloc_peak / MB:,.1f} MB" for r in results],
    )
    _row(
        "  tracemalloc still held by the returned plan",
        [f"{r.tracemalloc_held / MB:,.1f} MB" for r in results],
    )
    _row(
        "  ru_maxrss delta (OS resident high-water)",
        [f"{r.maxrss_delta / MB:,.1f} MB (from {r.maxrss_before / MB:,.0f} MB)" for r in results],
    )
    _row(
        f"  target < {TARGET_MB} MB (both figures)",
        [verdict(max(r.tracemalloc_peak, r.maxrss_delta) < TARGET_MB * MB) for r in results],
    )


def print_writes(results: Sequence[FlavorResult]) -> None:
    """Section 4: the write pass, and a second sync that must write nothing."""
    print("\n4. Writes")
    _row(
        "  first sync: make_plan (fresh sandbox)",
        [f"{r.first_plan_seconds:.2f} s" for r in results],
    )
    _row(
        "  first sync: apply_plan(force=True)",
        [
            f"{r.apply_seconds:.2f} s ({r.changes / r.apply_seconds:,.0f} issues/s)"
            if r.apply_seconds
            else "0 s"
            for r in results
        ],
    )
    _row("  first sync: failed outcomes", [f"{r.apply_failed:,}" for r in results])
    _row(
        "  second sync: make_plan + apply",
        [f"{r.second_plan_seconds:.2f} s + {r.second_apply_seconds:.3f} s" for r in results],
    )
    _row(
        "  second sync: changes / outcomes",
        [f"{r.second_changes:,} / {r.second_outcomes:,}" for r in results],
    )
    _row("  second sync: requests", [_tally_text(r.second_requests) for r in results])
    _row(
        "  second sync: pages + version lookups only",
        [
            "yes"
            if r.second_requests.get("search", 0) == r.pages_min
            and sum(r.second_requests.values()) == r.pages_min + r.versions_min
            else "NO"
            for r in results
        ],
    )


def print_summary(results: Sequence[FlavorResult], issues: int, runs: int) -> None:
    """The whole table: one column per flavor."""
    print(
        f"\n=== sync throughput: {issues:,} generated issues (seed {SEED}), "
        f"{EXAMPLE.relative_to(REPO)}, {runs} timed run(s) ==="
    )
    _row("", [r.flavor for r in results])
    _row("issues in the roadmap's scope", [f"{r.items:,}" for r in results])
    _row(
        "sandbox start (generate + load, own process)",
        [f"{r.sandbox_start_seconds:.1f} s" for r in results],
    )
    print_requests(results)
    print_timing(results, runs)
    print_memory(results)
    print_writes(results)
    if any(r.flavor == "cloud" for r in results):
        print(
            "note: Cloud writes through the bulk edit API, so its total is compared both with "
            "the per-issue minimum (which bulk beats) and with the bulk floor "
            f"(one submit + one poll per ADD/REMOVE-label group of <= {MAX_BULK_ISSUES})."
        )


# -- entry points ------------------------------------------------------------------------------


def run_worker(flavor: Flavor, issues: int, runs: int, path: Path) -> int:
    """Measure one flavor in this process and write the result as JSON."""
    configure_logging("warning")
    result = measure(flavor, issues, runs)
    path.write_text(json.dumps(asdict(result)))
    return 0


def run_all(flavors: Sequence[Flavor], issues: int, runs: int) -> int:
    """One worker process per flavor, one after the other, then the summary."""
    started = time.perf_counter()
    results: list[FlavorResult] = []
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as scratch:
        for flavor in flavors:
            out = Path(scratch) / f"{flavor}.json"
            command = [
                sys.executable, "-m", "bench.sync_throughput", "--issues", str(issues),
                "--runs", str(runs), "--flavor", flavor, "--worker-result", str(out),
            ]  # fmt: skip
            status = subprocess.call(command, cwd=REPO)
            if status != 0:
                print(f"the {flavor} worker failed with status {status}", file=sys.stderr)
                return status
            results.append(FlavorResult(**json.loads(out.read_text())))
    print_summary(results, issues, runs)
    print(f"\ntotal bench time: {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the bench (or, internally, one flavor's worker)."""
    parser = argparse.ArgumentParser(prog="python -m bench.sync_throughput", description=__doc__)
    parser.add_argument("--issues", type=int, default=100_000, help="generated issues (100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed make_plan runs (default 3)")
    parser.add_argument(
        "--flavor", choices=("cloud", "datacenter", "both"), default="both", help="default both"
    )
    parser.add_argument("--worker-result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    flavors: list[Flavor] = ["cloud", "datacenter"] if args.flavor == "both" else [args.flavor]
    if args.worker_result is not None:
        if len(flavors) != 1:
            parser.error("a worker measures one flavor")
        return run_worker(flavors[0], args.issues, args.runs, args.worker_result)
    return run_all(flavors, args.issues, args.runs)


if __name__ == "__main__":
    raise SystemExit(main())
