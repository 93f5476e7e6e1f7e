"""Steady state: a simulated day of scheduled syncs over a large backlog, and the last ratios.

Run ``python -m bench.steady_state`` (defaults: 100,000 issues, 96 syncs, 50 edits between
syncs, both flavors, 3 timed rounds, peak RSS at 200,000 issues; a quick pass:
``--issues 20000 --syncs 8 --rss-issues 40000 --runs 1``). Per flavor, in one run:

1. A sandbox (``generate_backlog(N, seed=1)``) in its own process, whose clock the bench moves
   (``--generate`` via ``roadmap-sync sandbox serve`` cannot be given one), without search lag
   (each plan is compared with a full plan of the same moment); the bot runs here, with a
   fresh SQLite state store and the worker's ``SteadySync`` (default settings: full reconcile
   daily at 03:00 UTC, 5 minutes of overlap, default retention), and Cloud's read-your-writes
   journal expires as it would between real 15-minute syncs.
2. A first full sync labels the backlog (guard forced) and a second reads back its writes.
3. Ten syncs with no edit between them: the store's growth per unchanged run.
4. The simulated day: ``--syncs`` scheduled syncs 15 simulated minutes apart, each after
   ``--edits`` random person edits through the sandbox's hooks (labels, fixVersions, parent
   links, summaries, new issues; one item moved out of the scope half-way). Before each sync
   the incremental plan it will make is compared with a full plan of the same moment (every
   ``--compare-every``-th step); then the recorded sync runs and its requests, wall time and
   writes are counted. 03:00 falls in the day, so one scheduled full reconcile happens.
5. The SQLite file after the day, and a 30-day projection with the default retention
   (nothing is pruned within its 90 days of detail, so growth is linear).
6. ``--runs`` alternating rounds of: the bare loop (a plain ``requests.Session`` fetching and
   decoding the scope's pages with the bot's field list), ``make_plan``, and the whole
   ``roadmap-sync plan --format json`` process (stdout to /dev/null) next to the bare loop plus
   the interpreter's start-up (``python -c pass``); and a lean loop over the same pages
   (``http.client`` and orjson) with the sandbox process's CPU during it. The lean loop gives
   the sandbox's issues/s through ``/search/jql`` with the bot's field list: the bare loop's
   own CPU (``requests``, the standard library's decoder) exceeds the sandbox's, so its rate
   measures the client (printed too, for comparison with earlier runs).
7. The HTML report at the day's end (the public report functions), median of three builds.

Then, for Cloud only, peak RSS of ``roadmap-sync plan --format json`` and of
``roadmap-sync run --once --full`` (guard refused: it reads, plans and records the snapshot)
over ``--rss-issues`` issues, each process measured alone (``wait4``).

Figures are printed, never asserted; the verdicts say whether issue 11's targets are met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import http.client
import math
import multiprocessing as mp
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

import orjson
import requests

from bench.common import median, timed, verdict
from roadmap_sync.core.retention import RetentionPolicy
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine import consistency
from roadmap_sync.engine.incremental import SteadySync, plan_incremental, window_minutes
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import SyncPlan, make_plan
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.api_search import CLOUD_MAX_PAGE, DC_MAX_PAGE
from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, Flavor
from roadmap_sync.sandbox.server import DEFAULT_EMAIL, DEFAULT_TOKEN, authorization
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.base import Tracker
from roadmap_sync.trackers.jira.jql import scope_jql
from roadmap_sync.trackers.jira.paging import CLOUD_PAGE_REQUEST, DC_PAGE_REQUEST
from roadmap_sync.trackers.jira.tracker import SEARCH_FIELDS, JiraTracker
from roadmap_sync.trackers.registry_types import ConnectOptions

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "roadmap.example.yaml"
SEED = 1
DAY_START = dt.datetime(2026, 11, 25, 3, 10, tzinfo=dt.UTC)  # just after the daily full
STEP = dt.timedelta(minutes=15)
POLICY = RetryPolicy(attempts=4, max_wait=10, backoff_initial=0.01, backoff_max=0.05)
TIMEOUT = 300.0
MB = 1_000_000
T = TypeVar("T")
VERSIONS = ("2026.10", "2026.11", "2026.12", "2027.02", "2027.04", "Someday")
LABELS = ("a11y", "store-pickup", "team-web", "needs-design", "roadmap-orphan", "roadmap-r2")
# Targets of issue 11.
TARGET_INCREMENTAL_SECONDS = 2.0
TARGET_GROWTH_BYTES = 100_000
TARGET_DAY_MB = 50
TARGET_PLAN_RATIO = 1.3
TARGET_PROCESS_RATIO = 1.5
TARGET_RSS_MB = 300
TARGET_HTML_SECONDS = 2.0
TARGET_SANDBOX = 20_000
UNCHANGED_RUNS = 10


# -- the sandbox, in its own process, on a clock the bench moves --------------------------------


def _serve(flavor: Flavor, issues: int, offset: Synchronized[float], ready: Any, stop: Any) -> None:
    """The sandbox process: generate, load, serve until told to stop."""
    from roadmap_sync.sandbox.generate import generate_backlog
    from roadmap_sync.sandbox.server import SandboxServer
    from roadmap_sync.sandbox.store import SiteData

    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset.value)

    data = SiteData.from_json(generate_backlog(issues, SEED))
    # No search lag: each sync's plan is compared with a full plan of the same moment, which
    # eventual consistency would make a race (the overlap covers Cloud's lag in production).
    server = SandboxServer(data, flavor=flavor, clock=clock, bulk_delay=0.05, search_lag=0)
    del data
    gc.freeze()  # the loaded backlog lives as long as the process
    server.start()
    ready.send(server.url)
    stop.wait()
    server.shutdown()


class Sandbox:
    """A sandbox process and the simulated clock it shares with the bot."""

    def __init__(self, flavor: Flavor, issues: int, start: dt.datetime | None) -> None:
        context = mp.get_context("fork")
        self.flavor = flavor
        self.offset: Synchronized[float] = context.Value("d", 0.0)
        if start is not None:
            self.offset.value = (start - dt.datetime.now(dt.UTC)).total_seconds()
        receiver, sender = context.Pipe(duplex=False)
        self.stop = context.Event()
        started = time.perf_counter()
        self.process = context.Process(
            target=_serve, args=(flavor, issues, self.offset, sender, self.stop), daemon=True
        )
        self.process.start()
        if not receiver.poll(900):
            raise SystemExit("the sandbox did not start within 15 minutes")
        self.url: str = receiver.recv()
        self.start_seconds = time.perf_counter() - started
        self.http = requests.Session()

    def now(self) -> dt.datetime:
        """The simulated time."""
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset.value)

    def advance(self, step: dt.timedelta) -> None:
        """Move the simulated clock forward."""
        self.offset.value += step.total_seconds()

    def tally(self) -> Counter[str]:
        """REST requests since the last call, per endpoint (and forget them)."""
        body = self.http.get(f"{self.url}/_sandbox/requests", timeout=TIMEOUT).json()
        self.http.delete(f"{self.url}/_sandbox/requests", timeout=TIMEOUT).raise_for_status()
        return Counter({str(k): int(v) for k, v in body["requests"].items()})

    def hook(self, path: str, body: dict[str, Any]) -> requests.Response:
        """A person's edit or creation through the sandbox's hooks."""
        return self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=TIMEOUT)

    def close(self) -> None:
        """Stop the sandbox process."""
        self.http.close()
        self.stop.set()
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()


@contextmanager
def sandbox(flavor: Flavor, issues: int, start: dt.datetime | None = None) -> Iterator[Sandbox]:
    """A sandbox process for the duration of a block."""
    site = Sandbox(flavor, issues, start)
    try:
        yield site
    finally:
        site.close()


def connect(site: Sandbox, on_request: Callable[[str], None] | None = None) -> JiraTracker:
    """The production adapter, connected to the sandbox."""
    email = DEFAULT_EMAIL if site.flavor == "cloud" else None
    options = ConnectOptions(site.url, email, DEFAULT_TOKEN, POLICY, on_request=on_request)
    tracker = registry.connect(options)
    assert isinstance(tracker, JiraTracker)
    return tracker


# -- person edits --------------------------------------------------------------------------------


class People:
    """Random person edits of the kinds that move traces, plus edits that move nothing."""

    KINDS = ("label", "label", "fix_version", "fix_version", "parent", "summary", "create")

    def __init__(self, site: Sandbox, roadmap: Roadmap, items: Sequence[str], seed: int) -> None:
        self.site = site
        self.rng = random.Random(seed)
        self.keys = list(items)
        self.epics = [f"ACME-{n}" for n in range(1, 13)]
        self.failed = 0

    def edit(self, count: int) -> None:
        """``count`` random edits."""
        for _ in range(count):
            kind = self.rng.choice(self.KINDS)
            response = getattr(self, f"_{kind}")()
            if response is not None and response.status_code >= 300:
                self.failed += 1  # e.g. a parent link the sandbox refuses; counted, not fatal

    def leave_scope(self) -> None:
        """Move one item out of the roadmap's scope (tracker.jql leaves Legacy out)."""
        key = self.rng.choice(self.keys)
        self.site.hook(f"issues/{key}/edit", {"fields": {"components": [{"name": "Legacy"}]}})

    def _key(self) -> str:
        return self.rng.choice(self.keys)

    def _label(self) -> requests.Response:
        verb = self.rng.choice(("add", "remove"))
        label = self.rng.choice(LABELS)
        return self.site.hook(f"issues/{self._key()}/edit", {"update": {"labels": [{verb: label}]}})

    def _fix_version(self) -> requests.Response:
        versions = self.rng.sample(VERSIONS, self.rng.choice((0, 1, 1, 2)))
        body = {"fields": {"fixVersions": [{"name": v} for v in versions]}}
        return self.site.hook(f"issues/{self._key()}/edit", body)

    def _parent(self) -> requests.Response | None:
        key = self._key()
        if key in self.epics:
            return None
        epic = self.rng.choice(self.epics)
        link: Any = {"key": epic} if self.site.flavor == "cloud" else epic
        name = "parent" if self.site.flavor == "cloud" else EPIC_LINK_FIELD
        body = {"fields": {name: link}}
        return self.site.hook(f"issues/{key}/edit", body)

    def _summary(self) -> requests.Response:
        body = {"fields": {"summary": f"Reworded {self.rng.randrange(10**6)}"}}
        return self.site.hook(f"issues/{self._key()}/edit", body)

    def _create(self) -> requests.Response:
        fields: dict[str, Any] = {
            "project": {"key": "ACME"},
            "summary": "Filed during the day",
            "issuetype": {"name": "Story"},
        }
        if self.rng.random() < 0.5:
            fields["labels"] = [self.rng.choice(LABELS)]
        response = self.site.hook("issues", {"fields": fields})
        if response.status_code < 300:
            self.keys.append(str(response.json()["key"]))
        return response


# -- one simulated day ----------------------------------------------------------------------------


@dataclass
class SyncFigures:
    """One recorded sync of the day."""

    full: bool
    seconds: float
    items_read: int
    searches: int
    budget: int
    changelogs: int
    writes: int
    label_ops: int
    needed_ops: int | None
    mismatches: int | None


@dataclass
class DayFigures:
    """Everything measured for one flavor."""

    flavor: str
    issues: int
    items: int = 0
    page: int = 0
    sandbox_start: float = 0.0
    first_full_seconds: float = 0.0
    first_full_changes: int = 0
    unchanged_growth: list[int] = field(default_factory=list)
    unchanged_seconds: list[float] = field(default_factory=list)
    unchanged_searches: list[int] = field(default_factory=list)
    size_start: int = 0
    size_day: int = 0
    syncs: list[SyncFigures] = field(default_factory=list)
    failed_edits: int = 0
    bare: list[float] = field(default_factory=list)
    lean: list[float] = field(default_factory=list)  # http.client + orjson over the same pages
    sandbox_cpu: list[float] = field(default_factory=list)  # the sandbox's CPU during `lean`
    plan: list[float] = field(default_factory=list)
    process: list[float] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    html_seconds: list[float] = field(default_factory=list)  # the first, then repeats
    html_bytes: int = 0
    load: list[float] = field(default_factory=list)
    items_now: int = 0  # items in the scope at the day's end (the ratio rounds read them)


def db_size(path: Path) -> int:
    """The SQLite file's size once the write-ahead log is checkpointed into it."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def label_ops(plan: SyncPlan) -> int:
    """Labels a plan adds and removes."""
    return plan.labels.labels_added + plan.labels.labels_removed


def plans_differ(incremental: SyncPlan, full: SyncPlan) -> int:
    """Items whose trace or label change differs, plus one if the findings differ."""
    inc = {t.key: t for t in incremental.classification.traces}
    ful = {t.key: t for t in full.classification.traces}
    inc_changes = {c.key: c for c in incremental.labels.changes}
    ful_changes = {c.key: c for c in full.labels.changes}
    keys = inc.keys() | ful.keys()
    differ = sum(
        1 for k in keys if inc.get(k) != ful.get(k) or inc_changes.get(k) != ful_changes.get(k)
    )
    return differ + int(incremental.classification.findings != full.classification.findings)


class Day:
    """The bot's side of one flavor's day."""

    def __init__(self, site: Sandbox, store_path: Path, figures: DayFigures) -> None:
        self.site = site
        self.figures = figures
        self.roadmap = load_roadmap(EXAMPLE)
        # The bot's own count of its requests by purpose: on Data Center the release baselines'
        # changelog reads are searches too (`expand=changelog`), which the sandbox tallies as
        # "search"; they read history, not the backlog, so the search budget leaves them out.
        self.requests: Counter[str] = Counter()
        tracker = connect(site, lambda endpoint: self.requests.update((endpoint,)))
        # Real syncs are 15 minutes apart, so Cloud's read-your-writes journal (writes of the
        # last 10 minutes of real time, read back since search lags them) has expired by the
        # next one; here 15 simulated minutes pass in seconds, and the sandbox has no search
        # lag: the journal is given the time it would have had.
        consistency.RECENT_WRITES_WINDOW = dt.timedelta(0)
        tracker._recent.seconds = 0.0
        self.tracker: Tracker = tracker
        self.store_path = store_path
        self.store = StateStore.open(f"sqlite:///{store_path}")
        self.steady = SteadySync(self.store, retention=RetentionPolicy())

    def sync(self, *, force: bool = False) -> tuple[SyncPlan, float, Counter[str], int]:
        """One recorded sync: its plan, wall seconds, requests, issues written.

        The requests are the sandbox's tally, except that on Data Center the bot's changelog
        searches are moved from "search" to "changelog" (as Cloud's bulk fetch is tallied).
        """
        self.site.tally()
        self.requests.clear()
        gc.collect()
        started = time.perf_counter()
        result = self.steady.sync(self.roadmap, self.tracker, force=force, clock=self.site.now)
        seconds = time.perf_counter() - started
        written = len(result.report.outcomes) if result.report is not None else 0
        tally = self.site.tally()
        if self.site.flavor == "datacenter":
            tally["search"] -= self.requests["changelog"]
            tally["changelog"] += self.requests["changelog"]
        return result.plan, seconds, tally, written

    def compare(self) -> tuple[int, int]:
        """Mismatches between the incremental plan the next sync makes and a full plan, and
        the label operations the full plan needs."""
        now = self.site.now()
        decision = self.steady.decide(self.roadmap, now)
        full = make_plan(self.roadmap, self.tracker, today=now.date(), now=now)
        if decision.baseline is None:  # the scheduled full reconcile: nothing to compare
            return 0, label_ops(full)
        minutes = window_minutes(decision.baseline.read_at, now, self.steady.overlap)
        incremental = plan_incremental(
            self.roadmap,
            self.tracker,
            today=now.date(),
            now=now,
            baseline=decision.baseline,
            minutes=minutes,
        )
        return plans_differ(incremental, full), label_ops(full)

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def simulate_day(
    site: Sandbox, scratch: Path, figures: DayFigures, syncs: int, edits: int, compare_every: int
) -> Day:
    """Steps 2-5 of the module docstring."""
    day = Day(site, scratch / f"{figures.flavor}.db", figures)
    plan, figures.first_full_seconds, _, _ = day.sync(force=True)
    figures.items = len(plan.items)
    figures.first_full_changes = plan.labels.issues
    print(
        f"  first full sync: {figures.first_full_seconds:.1f} s, {figures.items:,} items, "
        f"{plan.labels.issues:,} issues labelled",
        flush=True,
    )
    site.advance(STEP)
    day.sync()  # reads back the first sync's own writes
    for _ in range(UNCHANGED_RUNS):
        before = db_size(day.store_path)
        site.advance(STEP)
        plan, seconds, tally, _ = day.sync()
        figures.unchanged_growth.append(db_size(day.store_path) - before)
        figures.unchanged_seconds.append(seconds)
        figures.unchanged_searches.append(tally["search"])
    figures.size_start = db_size(day.store_path)
    people = People(site, day.roadmap, [item.key for item in plan.items], SEED)
    for step in range(syncs):
        people.edit(edits)
        if step == syncs // 2:
            people.leave_scope()  # a deletion or move out of the scope, once in the day
        site.advance(STEP)
        mismatches = needed = None
        if compare_every and step % compare_every == 0:
            mismatches, needed = day.compare()
        plan, seconds, tally, written = day.sync()
        read = len(plan.items) if plan.full_read else (plan.items_read or 0)
        budget = math.ceil(read / figures.page) + 2
        figures.syncs.append(
            SyncFigures(
                plan.full_read,
                seconds,
                read,
                tally["search"],
                budget,
                tally["changelog"],
                written,
                label_ops(plan),
                needed,
                mismatches,
            )
        )
        if step % 8 == 0 or plan.full_read:
            kind = "FULL" if plan.full_read else "incr"
            print(
                f"  sync {step + 1:>3} {kind}: {seconds:.2f} s, read {read:,}, "
                f"{tally['search']} searches, {written} issues written, "
                f"mismatches {mismatches}",
                flush=True,
            )
    figures.failed_edits = people.failed
    figures.size_day = db_size(day.store_path)
    return day


# -- ratios ------------------------------------------------------------------------------------


PageGetter = Callable[[str, dict[str, Any]], dict[str, Any]]


def walk_pages(flavor: Flavor, get: PageGetter, jql: str, fields: Sequence[str]) -> int:
    """Every page of the query, in the flavor's own paging: issues read."""
    wanted = ",".join(fields)
    issues = 0
    if flavor == "cloud":
        params: dict[str, Any] = {"jql": jql, "maxResults": CLOUD_PAGE_REQUEST, "fields": wanted}
        while True:
            page = get("/rest/api/2/search/jql", params)
            issues += len(page["issues"])
            if page.get("isLast", True) or not page.get("nextPageToken"):
                return issues
            params["nextPageToken"] = page["nextPageToken"]
    while True:
        params = {"jql": jql, "startAt": issues, "maxResults": DC_PAGE_REQUEST, "fields": wanted}
        page = get("/rest/api/2/search", params)
        issues += len(page["issues"])
        if not page["issues"] or issues >= int(page["total"]):
            return issues


def bare_read(site: Sandbox, jql: str, fields: Sequence[str]) -> int:
    """Fetch and decode every page of the query the way a plain client would: issues read."""
    session = requests.Session()
    session.headers["Authorization"] = authorization(site.flavor, DEFAULT_EMAIL, DEFAULT_TOKEN)
    with session:

        def get(path: str, params: dict[str, Any]) -> dict[str, Any]:
            return cast(dict[str, Any], session.get(site.url + path, params=params).json())

        return walk_pages(site.flavor, get, jql, fields)


def lean_read(site: Sandbox, jql: str, fields: Sequence[str]) -> int:
    """The same pages through ``http.client`` and orjson, a client that costs little beside
    the sandbox: the bare loop spends more of its time in ``requests`` and the standard
    library's decoder than the sandbox spends serving (its CPU is printed next to it)."""
    address = urlsplit(site.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=TIMEOUT)
    headers = {
        "Authorization": authorization(site.flavor, DEFAULT_EMAIL, DEFAULT_TOKEN),
        "Accept": "application/json",
    }

    def get(path: str, params: dict[str, Any]) -> dict[str, Any]:
        connection.request("GET", f"{path}?{urlencode(params)}", headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"the sandbox answered {response.status}: {body[:200]!r}")
        return cast(dict[str, Any], orjson.loads(body))

    try:
        return walk_pages(site.flavor, get, jql, fields)
    finally:
        connection.close()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_env(site: Sandbox, data_dir: Path) -> dict[str, str]:
    """The environment that points the CLI at the sandbox."""
    env = dict(os.environ)
    env.update(
        ROADMAP_SYNC_JIRA_URL=site.url,
        ROADMAP_SYNC_JIRA_TOKEN=DEFAULT_TOKEN,
        ROADMAP_SYNC_DATA_DIR=str(data_dir),
        ROADMAP_SYNC_LOG_LEVEL="warning",
    )
    if site.flavor == "cloud":
        env["ROADMAP_SYNC_JIRA_EMAIL"] = DEFAULT_EMAIL
    return env


# A small process that starts the measured command and reports its peak RSS: a child forked
# from this (large) process would count this process's pages in its own high-water mark.
LAUNCHER = """
import os, sys
out, command = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as report:
    report.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, int]:
    """A child process, output discarded: wall seconds and exit status."""
    started = time.perf_counter()
    done = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
        check=False,
    )
    return time.perf_counter() - started, done.returncode


def peak_rss(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, int]:
    """A child process, output discarded: wall seconds, exit status, peak RSS bytes."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, report.name, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
            check=True,
        )
        seconds = time.perf_counter() - started
        maxrss, status = (int(part) for part in report.read().split())
    scale = 1 if sys.platform == "darwin" else 1024
    return seconds, status, maxrss * scale


def plan_command() -> list[str]:
    """``roadmap-sync plan --format json`` on the example roadmap."""
    cli = Path(sys.executable).with_name("roadmap-sync")
    return [str(cli), "plan", "--format", "json", "--config", str(EXAMPLE)]


def ratio_rounds(day: Day, figures: DayFigures, runs: int, scratch: Path) -> None:
    """Bare loop, make_plan and the plan process, alternating their order."""
    site = day.site
    jql = f"{scope_jql(day.roadmap.tracker.scope)} ORDER BY key ASC"
    assert isinstance(day.tracker, JiraTracker)
    fields = [*SEARCH_FIELDS, *day.tracker.jira_site.custom_fields()]
    env = child_env(site, scratch / "plan-data")
    interpreter = [sys.executable, "-c", "pass"]
    now = site.now()
    sandbox_pid = site.process.pid
    assert sandbox_pid is not None
    for number in range(runs):
        steps = ["bare", "lean", "plan", "process", "startup"]
        for step in steps if number % 2 == 0 else steps[::-1]:
            if step in ("bare", "lean"):
                reader = bare_read if step == "bare" else lean_read
                cpu = process_cpu(sandbox_pid)
                read, seconds = timed(lambda: reader(site, jql, fields))  # noqa: B023 - now
                if read != figures.items_now:
                    raise SystemExit(f"{step} loop read {read}, the plan {figures.items_now}")
                if step == "bare":
                    figures.bare.append(seconds)
                else:
                    figures.lean.append(seconds)
                    figures.sandbox_cpu.append(process_cpu(sandbox_pid) - cpu)
            elif step == "plan":
                _, seconds = timed(
                    lambda: make_plan(day.roadmap, day.tracker, today=now.date(), now=now)
                )
                figures.plan.append(seconds)
            elif step == "process":
                seconds, status = run_timed(plan_command(), env)
                if status != 0:
                    raise SystemExit(f"plan --format json exited {status}")
                figures.process.append(seconds)
            else:
                figures.startup.append(run_timed(interpreter, env)[0])
        print(
            f"  round {number + 1}: bare {figures.bare[-1]:.2f} s, lean {figures.lean[-1]:.2f} s, "
            f"make_plan "
            f"{figures.plan[-1]:.2f} s, plan process {figures.process[-1]:.2f} s, "
            f"python start-up {figures.startup[-1]:.3f} s",
            flush=True,
        )


def html_report(day: Day, figures: DayFigures, repeats: int = 3) -> None:
    """The HTML report from the store at the day's end, built ``repeats`` times: one timing
    swings by a third on a loaded machine, so the median is the figure (the first, which
    also compiles the template, is printed beside it)."""
    from roadmap_sync.engine.publish import build_report_for
    from roadmap_sync.reports.html import render_html

    def render() -> str:
        report = build_report_for(day.store, day.roadmap, day.site.url, day.site.now())
        return render_html(report)

    for _ in range(repeats):
        html, seconds = timed(render)
        figures.html_seconds.append(seconds)
    figures.html_bytes = len(html.encode())


def measure_flavor(flavor: Flavor, args: argparse.Namespace, scratch: Path) -> DayFigures:
    """Everything for one flavor."""
    figures = DayFigures(flavor, args.issues)
    figures.page = CLOUD_MAX_PAGE if flavor == "cloud" else DC_MAX_PAGE
    print(f"[{flavor}] sandbox with {args.issues:,} generated issues ...", flush=True)
    with sandbox(flavor, args.issues, DAY_START) as site:
        figures.sandbox_start = site.start_seconds
        figures.load.append(os.getloadavg()[0])
        day = simulate_day(site, scratch, figures, args.syncs, args.edits, args.compare_every)
        try:
            figures.items_now = len(day.store.current_items(day.roadmap.product))
            ratio_rounds(day, figures, args.runs, scratch)
            html_report(day, figures)
        finally:
            day.close()
        figures.load.append(os.getloadavg()[0])
    return figures


@dataclass
class RssFigures:
    """Peak RSS of whole CLI processes over a large backlog (Cloud)."""

    issues: int
    plan_rss: int = 0
    plan_seconds: float = 0.0
    run_rss: int = 0
    run_seconds: float = 0.0
    run_status: int = 0
    startup_rss: int = 0


def measure_rss(issues: int, scratch: Path) -> RssFigures:
    """Peak RSS of plan --format json and of run --once --full, each in its own process."""
    figures = RssFigures(issues)
    print(f"[rss] Cloud sandbox with {issues:,} generated issues ...", flush=True)
    with sandbox("cloud", issues) as site:
        env = child_env(site, scratch / "rss-data")
        figures.plan_seconds, _, figures.plan_rss = peak_rss(plan_command(), env)
        cli = Path(sys.executable).with_name("roadmap-sync")
        command = [str(cli), "run", "--once", "--full", "--config", str(EXAMPLE)]
        figures.run_seconds, figures.run_status, figures.run_rss = peak_rss(command, env)
        version = [str(cli), "--version"]
        figures.startup_rss = peak_rss(version, env)[2]
    return figures


# -- the table ---------------------------------------------------------------------------------

LABEL = 58
CELL = 36


def row(label: str, cells: Sequence[str]) -> None:
    """One line of the table."""
    print(f"{label:<{LABEL}}" + "".join(f"{cell:<{CELL}}" for cell in cells).rstrip())


def print_day(results: Sequence[DayFigures], args: argparse.Namespace) -> None:
    """Sections 1-3."""
    row("", [r.flavor for r in results])
    row("issues in the roadmap's scope", [f"{r.items:,}" for r in results])
    row("sandbox start (generate + load)", [f"{r.sandbox_start:.0f} s" for r in results])
    row(
        "first full sync (labels the backlog)",
        [f"{r.first_full_seconds:.1f} s, {r.first_full_changes:,} issues" for r in results],
    )
    print(f"\n1. The simulated day: {args.syncs} syncs, {args.edits} edits before each")
    incr = [[s for s in r.syncs if not s.full] for r in results]
    fulls = [[s for s in r.syncs if s.full] for r in results]
    row(
        "  incremental syncs / full reads",
        [f"{len(i)} / {len(f)}" for i, f in zip(incr, fulls, strict=True)],
    )
    row(
        "  items read per incremental: median [max]",
        [
            f"{median([s.items_read for s in i]):,.0f} "
            f"[{max((s.items_read for s in i), default=0):,}]"
            for i in incr
        ],
    )
    row(
        "  search requests <= ceil(read/page)+2: runs over",
        [
            f"{sum(1 for s in i if s.searches > s.budget)} of {len(i)} "
            f"(max {max((s.searches for s in i), default=0)}, page {r.page})"
            for r, i in zip(results, incr, strict=True)
        ],
    )
    row(
        "  changelog reads per incremental (baselines): median [max]",
        [
            f"{median([s.changelogs for s in i]):.0f} [{max((s.changelogs for s in i), default=0)}]"
            for i in incr
        ],
    )
    row(
        "  incremental wall time: median [max]",
        [
            f"{median([s.seconds for s in i]):.2f} s [{max((s.seconds for s in i), default=0):.2f}]"
            for i in incr
        ],
    )
    row(
        "  slowest incrementals: #step seconds/read/written",
        [
            " ".join(
                f"#{step} {s.seconds:.2f}/{s.items_read}/{s.writes}"
                for step, s in sorted(
                    ((n, s) for n, s in enumerate(r.syncs, 1) if not s.full),
                    key=lambda pair: -pair[1].seconds,
                )[:3]
            )
            for r in results
        ],
    )
    row(
        "  full read wall time (day's full reads)",
        [" ".join(f"{s.seconds:.1f}s" for s in f) or "-" for f in fulls],
    )
    row(
        "  incremental / full (median wall)",
        [
            f"{median([s.seconds for s in i]) / median([s.seconds for s in f]):.3f}x" if f else "-"
            for i, f in zip(incr, fulls, strict=True)
        ],
    )
    row(
        f"  target incremental <= {TARGET_INCREMENTAL_SECONDS:.0f} s (max) and budget",
        [
            verdict(
                max((s.seconds for s in i), default=0) <= TARGET_INCREMENTAL_SECONDS
                and all(s.searches <= s.budget for s in i)
            )
            for i in incr
        ],
    )
    compared = [[s for s in r.syncs if s.mismatches is not None] for r in results]
    row(
        "  plans compared with a full plan / mismatches",
        [f"{len(c)} / {sum(s.mismatches or 0 for s in c)}" for c in compared],
    )
    row(
        "  label ops written / needed by the full plan",
        [
            f"{sum(s.label_ops for s in c):,} / {sum(s.needed_ops or 0 for s in c):,}"
            for c in compared
        ],
    )
    row(
        "  target: 0 mismatches, writes == needed",
        [
            verdict(
                sum(s.mismatches or 0 for s in c) == 0
                and sum(s.label_ops for s in c) == sum(s.needed_ops or 0 for s in c)
            )
            for c in compared
        ],
    )
    row("  person edits the sandbox refused", [f"{r.failed_edits}" for r in results])
    print("\n2. State store (SQLite, file size after a WAL checkpoint; MB = 10^6 bytes)")
    row(
        f"  growth per unchanged run: mean [max] of {UNCHANGED_RUNS}",
        [
            f"{statistics.mean(r.unchanged_growth) / 1000:.1f} KB "
            f"[{max(r.unchanged_growth) / 1000:.1f} KB]"
            for r in results
        ],
    )
    row(
        "  unchanged incremental: wall, searches",
        [
            f"{median(r.unchanged_seconds):.2f} s, {median(r.unchanged_searches):.0f}"
            for r in results
        ],
    )
    row(
        f"  target growth <= {TARGET_GROWTH_BYTES // 1000} KB per unchanged run",
        [verdict(max(r.unchanged_growth, default=0) <= TARGET_GROWTH_BYTES) for r in results],
    )
    row(
        "  file before the day / after the day",
        [f"{r.size_start / MB:.1f} MB / {r.size_day / MB:.1f} MB" for r in results],
    )
    row(
        f"  target after the day < {TARGET_DAY_MB} MB",
        [verdict(r.size_day < TARGET_DAY_MB * MB) for r in results],
    )
    row(
        "  30-day projection (default retention)",
        [
            f"{(r.size_start + 30 * (r.size_day - r.size_start)) / MB:.0f} MB "
            f"(+{(r.size_day - r.size_start) / MB:.1f} MB/day)"
            for r in results
        ],
    )


def print_ratios(results: Sequence[DayFigures], args: argparse.Namespace) -> None:
    """Sections 3-4."""
    print(f"\n3. Ratios, median of {args.runs} alternating round(s), same sandbox")
    series: tuple[tuple[str, Callable[[DayFigures], list[float]]], ...] = (
        ("bare loop (requests + .json())", lambda r: r.bare),
        ("lean loop (http.client + orjson)", lambda r: r.lean),
        ("make_plan", lambda r: r.plan),
        ("plan --format json (whole process)", lambda r: r.process),
        ("python -c pass (interpreter start-up)", lambda r: r.startup),
    )
    for name, values in series:
        row(
            f"  {name}",
            [
                f"{median(values(r)):.2f} s [{' '.join(f'{v:.2f}' for v in values(r))}]"
                for r in results
            ],
        )
    row("  make_plan / bare loop", [f"{median(r.plan) / median(r.bare):.2f}x" for r in results])
    row(
        f"  target make_plan <= {TARGET_PLAN_RATIO}x bare",
        [verdict(median(r.plan) / median(r.bare) <= TARGET_PLAN_RATIO) for r in results],
    )
    row(
        "  plan process / (bare loop + start-up)",
        [f"{median(r.process) / (median(r.bare) + median(r.startup)):.2f}x" for r in results],
    )
    row(
        f"  target plan process <= {TARGET_PROCESS_RATIO}x",
        [
            verdict(
                median(r.process) / (median(r.bare) + median(r.startup)) <= TARGET_PROCESS_RATIO
            )
            for r in results
        ],
    )
    row(
        "  issues/s through the bare loop (requests + .json())",
        [f"{r.items_now / median(r.bare):,.0f}" for r in results],
    )
    row(
        "  sandbox issues/s (lean client: http.client + orjson)",
        [
            f"{r.items_now / median(r.lean):,.0f} [{median(r.lean):.2f} s]"
            + (
                f" ({verdict(r.items_now / median(r.lean) >= TARGET_SANDBOX)} >= 20,000)"
                if r.flavor == "cloud"
                else ""
            )
            for r in results
        ],
    )
    row(
        "  sandbox process CPU per read (issues per CPU-second)",
        [
            f"{median(r.sandbox_cpu):.2f} s ({r.items_now / median(r.sandbox_cpu):,.0f})"
            for r in results
        ],
    )
    print("\n4. HTML report at the day's end (no week-old run in the store: a first report)")
    row(
        "  build_report_for + render_html, median [first]",
        [
            f"{median(r.html_seconds):.2f} s [{r.html_seconds[0]:.2f} s], "
            f"{r.html_bytes / 1000:.0f} KB ({verdict(median(r.html_seconds) < TARGET_HTML_SECONDS)}"
            f" < {TARGET_HTML_SECONDS:.0f} s)"
            for r in results
        ],
    )
    row(
        "  load average (1 min) before | after",
        [" | ".join(f"{x:.1f}" for x in r.load) + f" ({os.cpu_count()} CPUs)" for r in results],
    )


def print_rss(figures: RssFigures) -> None:
    """Section 5."""
    print(f"\n5. Peak RSS, whole processes, Cloud, {figures.issues:,} issues (MB = 10^6 bytes)")
    row("  roadmap-sync --version (start-up only)", [f"{figures.startup_rss / MB:.0f} MB"])
    row(
        "  roadmap-sync plan --format json",
        [
            f"{figures.plan_rss / MB:.0f} MB ({figures.plan_seconds:.1f} s) "
            f"{verdict(figures.plan_rss < TARGET_RSS_MB * MB)} < {TARGET_RSS_MB} MB"
        ],
    )
    row(
        "  roadmap-sync run --once --full (records)",
        [
            f"{figures.run_rss / MB:.0f} MB ({figures.run_seconds:.1f} s, "
            f"exit {figures.run_status}) "
            f"{verdict(figures.run_rss < TARGET_RSS_MB * MB)} < {TARGET_RSS_MB} MB"
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, measure, print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.steady_state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--issues", type=int, default=100_000, help="generated issues (100000)")
    parser.add_argument("--syncs", type=int, default=96, help="scheduled syncs in the day (96)")
    parser.add_argument("--edits", type=int, default=50, help="edits before each sync (50)")
    parser.add_argument("--runs", type=int, default=3, help="alternating timed rounds (3)")
    parser.add_argument(
        "--compare-every", type=int, default=1, help="compare plans every N syncs (1)"
    )
    parser.add_argument(
        "--rss-issues", type=int, default=200_000, help="issues for peak RSS (200000; 0 skips)"
    )
    parser.add_argument("--flavor", choices=("cloud", "datacenter", "both"), default="both")
    args = parser.parse_args(argv)
    configure_logging("warning")
    flavors: list[Flavor] = ["cloud", "datacenter"] if args.flavor == "both" else [args.flavor]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="steady-bench-") as name:
        scratch = Path(name)
        results = [measure_flavor(flavor, args, scratch) for flavor in flavors]
        rss = measure_rss(args.rss_issues, scratch) if args.rss_issues else None
    print(
        f"\n=== steady state: {args.issues:,} generated issues (seed {SEED}), "
        f"{EXAMPLE.relative_to(REPO)}, python {sys.version.split()[0]} ==="
    )
    print_day(results, args)
    print_ratios(results, args)
    if rss is not None:
        print_rss(rss)
    print(f"\ntotal bench time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
