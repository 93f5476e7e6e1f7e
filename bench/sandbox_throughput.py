"""How fast the sandbox pages a large backlog, next to a trivial server sending the same bytes.

Run ``python -m bench.sandbox_throughput [--issues 100000] [--runs 3]``. It generates a backlog,
loads it into an in-process sandbox, and pages ``project in (ACME, OPS) ORDER BY key ASC`` with a
bare ``requests.Session`` loop (``.json()`` per page, as a client would):

- Cloud ``GET /rest/api/3/search/jql`` with ``nextPageToken``;
- Data Center ``GET /rest/api/2/search`` with ``startAt``;
- baseline: the Cloud pages, captured byte for byte, served by a minimal ``http.server`` on
  loopback with the same client loop, so "sandbox vs trivial server" says how much of the time
  the sandbox itself costs (JSON encoding, rendering and routing) beyond HTTP and ``.json()``.

Client and server share one process (and its GIL), as they do in the test suite. Memory is
measured in a separate pass under ``tracemalloc`` (which slows everything down), so the timed
runs are untraced; ``ru_maxrss`` is read after the sandbox has loaded and served its Cloud runs.
"""

from __future__ import annotations

import argparse
import base64
import gc
import resource
import socket
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests

from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.generate import generate_backlog
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData
from roadmap_sync.trackers.jira.tracker import SEARCH_FIELDS

JQL = "project in (ACME, OPS) ORDER BY key ASC"
FIELDS = ",".join((*SEARCH_FIELDS, "customfield_10016"))  # the bot's list, story points
CLOUD_PATH = "/rest/api/3/search/jql"
DC_PATH = "/rest/api/2/search"
TARGET = 20_000
MIB = 1024 * 1024
TIMEOUT = 60


@dataclass
class Pass:
    """One complete paging of the query."""

    issues: int
    pages: int
    seconds: float
    first_page: float
    body_bytes: int

    @property
    def rate(self) -> float:
        """Issues per second."""
        return self.issues / self.seconds


@dataclass
class Series:
    """Repeated passes over one endpoint."""

    label: str
    passes: list[Pass] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median issues per second."""
        return statistics.median(p.rate for p in self.passes)


@dataclass
class Memory:
    """What the sandbox holds: tracemalloc figures and the process's maximum RSS."""

    load_peak: int = 0
    loaded: int = 0
    serve_peak: int = 0
    served: int = 0
    pages: int = 0
    maxrss: int = 0


@dataclass
class Captured:
    """The Cloud pages as sent, and which ``nextPageToken`` asks for which page."""

    pages: list[bytes] = field(default_factory=list)
    index_by_token: dict[str, int] = field(default_factory=dict)


# -- the client loops --------------------------------------------------------------------------


def client_session(site: SandboxServer) -> requests.Session:
    """A bare session with the flavor's Authorization header precomputed."""
    session = requests.Session()
    session.headers.update(site.auth_headers())
    return session


def page_cloud(
    session: requests.Session,
    base_url: str,
    page_size: int,
    capture: Captured | None = None,
    max_pages: int | None = None,
) -> Pass:
    """Page ``/rest/api/3/search/jql`` by ``nextPageToken`` until ``isLast`` (or ``max_pages``)."""
    params: dict[str, str | int] = {"jql": JQL, "fields": FIELDS, "maxResults": page_size}
    issues = pages = body_bytes = 0
    first_page = 0.0
    start = time.perf_counter()
    while True:
        response = session.get(base_url + CLOUD_PATH, params=params, timeout=TIMEOUT)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if pages == 0:
            first_page = time.perf_counter() - start
        issues += len(body["issues"])
        pages += 1
        body_bytes += len(response.content)
        if capture is not None:
            capture.pages.append(response.content)
        if body["isLast"] or pages == max_pages:
            break
        params["nextPageToken"] = body["nextPageToken"]
        if capture is not None:
            capture.index_by_token[body["nextPageToken"]] = pages
    return Pass(issues, pages, time.perf_counter() - start, first_page, body_bytes)


def page_datacenter(session: requests.Session, base_url: str, page_size: int) -> Pass:
    """Page ``/rest/api/2/search`` by ``startAt`` until ``total``."""
    params: dict[str, str | int] = {"jql": JQL, "fields": FIELDS, "maxResults": page_size}
    issues = pages = body_bytes = 0
    first_page = 0.0
    start = time.perf_counter()
    while True:
        params["startAt"] = issues
        response = session.get(base_url + DC_PATH, params=params, timeout=TIMEOUT)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if pages == 0:
            first_page = time.perf_counter() - start
        issues += len(body["issues"])
        pages += 1
        body_bytes += len(response.content)
        if issues >= body["total"] or not body["issues"]:
            break
    return Pass(issues, pages, time.perf_counter() - start, first_page, body_bytes)


# -- the trivial baseline server ---------------------------------------------------------------


class _PageHandler(BaseHTTPRequestHandler):
    """Answers each request with a captured page, looked up by ``nextPageToken``."""

    protocol_version = "HTTP/1.1"
    captured: ClassVar[Captured]

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr lines."""

    def do_GET(self) -> None:
        """Send the page the token asks for, head and body in one write (as the sandbox does)."""
        token = parse_qs(urlsplit(self.path).query).get("nextPageToken", [""])[-1]
        body = self.captured.pages[self.captured.index_by_token.get(token, 0)]
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)


class TrivialServer:
    """A minimal ``ThreadingHTTPServer`` on loopback serving pre-encoded pages."""

    def __init__(self, captured: Captured) -> None:
        handler = type("PageHandler", (_PageHandler,), {"captured": captured})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> TrivialServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# -- phases ------------------------------------------------------------------------------------


def maxrss_bytes() -> int:
    """The process's peak resident set size (Linux reports KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def timed_runs(
    label: str, runs: int, expected: int, one_pass: Callable[[], Pass], out: list[Series]
) -> Series:
    """Run ``one_pass`` ``runs`` times, checking that each pass saw every issue."""
    series = Series(label)
    for number in range(1, runs + 1):
        gc.collect()
        result = one_pass()
        if result.issues != expected:
            raise SystemExit(f"{label}: paged {result.issues} issues, expected {expected}")
        series.passes.append(result)
        print(f"  {label}  run {number}: {result.rate:>9,.0f} issues/s  ({result.seconds:.2f} s)")
    out.append(series)
    return series


def measure_memory(n_issues: int, seed: int, page_size: int, max_pages: int) -> Memory:
    """Generate, load and serve ``max_pages`` pages under tracemalloc (about 5x slower).

    The figures include the client's allocations, which are one page at a time.
    """
    gc.collect()
    tracemalloc.start()
    try:
        data = SiteData.from_json(generate_backlog(n_issues, seed))
        with SandboxServer(data, flavor="cloud", bulk_delay=0.01) as site:
            del data
            gc.collect()
            memory = Memory()
            memory.loaded, memory.load_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            with client_session(site) as session:
                served = page_cloud(session, site.url, page_size, max_pages=max_pages)
            gc.collect()
            memory.served, memory.serve_peak = tracemalloc.get_traced_memory()
            memory.pages = served.pages
    finally:
        tracemalloc.stop()
    return memory


@dataclass(frozen=True)
class Settings:
    """The command line."""

    issues: int
    runs: int
    page_size: int
    seed: int
    memory_pages: int


def start_site(settings: Settings, flavor: Flavor) -> tuple[SandboxServer, float, float]:
    """A started sandbox with a fresh backlog, and the seconds to generate and to load it."""
    t0 = time.perf_counter()
    document = generate_backlog(settings.issues, settings.seed)
    generated = time.perf_counter()
    site = SandboxServer(SiteData.from_json(document), flavor=flavor, bulk_delay=0.01).start()
    del document  # the store keeps its own copy of each issue's fields
    return site, generated - t0, time.perf_counter() - generated


def run(settings: Settings) -> int:
    """Every phase, then the summary."""
    print(
        f"sandbox throughput: {settings.issues:,} issues (seed {settings.seed}), "
        f"pages of {settings.page_size}, {settings.runs} run(s) each\n"
        f"  jql: {JQL}\n  fields: {FIELDS}\n"
    )
    started = time.perf_counter()
    series: list[Series] = []
    captured = Captured()

    site, generate_s, load_s = start_site(settings, "cloud")
    print(f"  generate_backlog {generate_s:.2f} s, load {load_s:.2f} s")
    expected = len(site.store.issues)
    with site, client_session(site) as session:
        cloud = timed_runs(
            "Cloud  /rest/api/3/search/jql (sandbox)",
            settings.runs,
            expected,
            lambda: page_cloud(session, site.url, settings.page_size),
            series,
        )
        maxrss = maxrss_bytes()
        page_cloud(session, site.url, settings.page_size, captured)  # the baseline's pages

    with TrivialServer(captured) as trivial, requests.Session() as session:
        session.headers["Authorization"] = "Basic " + base64.b64encode(b"x:y").decode()
        baseline = timed_runs(
            "trivial http.server, same Cloud pages  ",
            settings.runs,
            expected,
            lambda: page_cloud(session, trivial.url, settings.page_size),
            series,
        )
    del captured

    site, _, _ = start_site(settings, "datacenter")
    with site, client_session(site) as session:
        timed_runs(
            "DC     /rest/api/2/search     (sandbox)",
            settings.runs,
            expected,
            lambda: page_datacenter(session, site.url, settings.page_size),
            series,
        )

    memory = None
    if settings.memory_pages > 0:
        print(f"  memory: generate, load and {settings.memory_pages} pages under tracemalloc ...")
        memory = measure_memory(
            settings.issues, settings.seed, settings.page_size, settings.memory_pages
        )

    print_table(series)
    print(f"\ngenerate_backlog({settings.issues:,}): {generate_s:.2f} s")
    print(f"load into the sandbox (SiteData + SiteStore + server start): {load_s:.2f} s")
    print(
        f"ru_maxrss after generate + load + {settings.runs} Cloud run(s): {maxrss / MIB:,.0f} MiB"
    )
    if memory is not None:
        print_memory(memory)
    ratio = cloud.median / baseline.median
    print(f"\nsandbox vs trivial server: {ratio:.2f}x  (Cloud sandbox median / baseline median)")
    verdict = "met" if cloud.median >= TARGET else "NOT met"
    print(f"target >= {TARGET:,} issues/s (Cloud median {cloud.median:,.0f}): {verdict}")
    print(f"total bench time: {time.perf_counter() - started:.1f} s")
    return 0


def print_table(series: Sequence[Series]) -> None:
    """One row per endpoint: every run, the median, first-page latency and bytes per second."""
    runs = len(series[0].passes)
    runs_head = "".join(f"{'run ' + str(i):>10}" for i in range(1, runs + 1))
    header = f"{'issues/s':<40}{runs_head}{'median':>10}{'1st page':>10}{'MiB/s':>8}"
    print("\n" + header)
    print("-" * len(header))
    for s in series:
        cells = "".join(f"{p.rate:>10,.0f}" for p in s.passes)
        first_ms = statistics.median(p.first_page for p in s.passes) * 1000
        mib_s = statistics.median(p.body_bytes / p.seconds for p in s.passes) / MIB
        print(f"{s.label:<40}{cells}{s.median:>10,.0f}{first_ms:>8.0f}ms{mib_s:>8.1f}")
    one = series[0].passes[0]
    print(f"({one.pages:,} pages a pass, {one.body_bytes / one.pages / 1024:.0f} KiB a page)")


def print_memory(memory: Memory) -> None:
    """The tracemalloc figures."""
    print(
        f"tracemalloc peak, generate + load: {memory.load_peak / MIB:,.0f} MiB; "
        f"held once loaded: {memory.loaded / MIB:,.0f} MiB"
    )
    growth = (memory.served - memory.loaded) / MIB
    print(
        f"tracemalloc peak while serving {memory.pages} pages: {memory.serve_peak / MIB:,.0f} MiB "
        f"(held afterwards: {memory.served / MIB:,.0f} MiB, {growth:+.1f} MiB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_throughput", description=__doc__)
    parser.add_argument("--issues", type=int, default=100_000, help="backlog size (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes per endpoint (default 3)")
    parser.add_argument("--page-size", type=int, default=100, help="maxResults (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--memory-pages",
        type=int,
        default=100,
        help="pages served under tracemalloc; 0 skips the memory pass (default 100)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return run(Settings(args.issues, args.runs, args.page_size, args.seed, args.memory_pages))


if __name__ == "__main__":
    raise SystemExit(main())
