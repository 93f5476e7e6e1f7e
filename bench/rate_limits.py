"""Rate limits: a whole sync against a sandbox enforcing Jira Cloud's limits (``--rate-limit
cloud``), next to the same sync against an unlimited sandbox, both measured in this run.

Run as ``python -m bench.rate_limits [--issues 100000]``.

For each of the two sandboxes (``roadmap_sync sandbox serve --flavor cloud --generate N``, in
its own process, with the default 2 s search lag) the production ``JiraTracker`` runs one full
sync (``make_plan`` + ``apply_plan(force=True)``) and then a second ``make_plan`` that must find
nothing to change. Every HTTP response the bot receives is counted by status (retries
included). The target: at most 1% of the requests against the limited site answered 429, the
bot pacing itself from the ``X-RateLimit-*`` headers instead of running into the quota. The
figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.sync_throughput import EXAMPLE
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import apply_plan, make_plan
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.ratelimits import PROFILES
from roadmap_sync.sandbox.server import DEFAULT_EMAIL, DEFAULT_TOKEN
from roadmap_sync.trackers.jira.tracker import JiraTracker

READY = re.compile(r"sandbox listening on (http://\S+)")
TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
# A quota 429 may ask for up to a minute (the sandbox's compressed window).
POLICY = RetryPolicy(attempts=8, max_wait=120, backoff_initial=0.05, backoff_max=1.0)
TARGET_SHARE = 0.01


@dataclass
class SyncResult:
    """What one full sync (and the plan after it) cost."""

    label: str
    statuses: Counter[int] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)
    plan_seconds: float = 0.0
    apply_seconds: float = 0.0
    second_plan_seconds: float = 0.0
    items: int = 0
    changes: int = 0
    failed: int = 0
    second_changes: int = -1

    @property
    def requests(self) -> int:
        """Responses received, retries included."""
        return sum(self.statuses.values())

    @property
    def limited(self) -> int:
        """Responses that were 429."""
        return self.statuses[429]


def _sandbox(issues: int, rate_limit: str | None) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "roadmap_sync", "sandbox", "serve", "--flavor", "cloud",
        "--generate", str(issues), "--seed", "1", "--port", "0",
    ]  # fmt: skip
    if rate_limit:
        command += ["--rate-limit", rate_limit]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    killer = threading.Timer(600, process.kill)
    killer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = READY.search(line)
            if found:
                return process, found.group(1)
        raise SystemExit(f"the sandbox exited ({process.wait()}) before it was ready")
    finally:
        killer.cancel()


def measure(label: str, issues: int, rate_limit: str | None) -> SyncResult:
    """One full sync and a second plan against a fresh sandbox."""
    result = SyncResult(label)
    process, url = _sandbox(issues, rate_limit)
    lock = threading.Lock()

    def on_response(status: int) -> None:
        with lock:
            result.statuses[status] += 1

    try:
        tracker = JiraTracker.connect(
            url,
            DEFAULT_EMAIL,
            DEFAULT_TOKEN,
            POLICY,
            on_response=on_response,
            on_wait=result.waits.append,
        )
        roadmap = load_roadmap(EXAMPLE)
        started = time.perf_counter()
        plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
        result.plan_seconds = time.perf_counter() - started
        result.items, result.changes = len(plan.items), plan.labels.issues
        started = time.perf_counter()
        report = apply_plan(plan, tracker, force=True)
        result.apply_seconds = time.perf_counter() - started
        result.failed = len(report.failed)
        started = time.perf_counter()
        again = make_plan(roadmap, tracker, today=TODAY, now=NOW)
        result.second_plan_seconds = time.perf_counter() - started
        result.second_changes = again.labels.issues
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    return result


def report(results: Sequence[SyncResult], issues: int) -> None:
    """Print the figures and the verdict."""
    profile = PROFILES["cloud"]
    print(
        f"\n{issues:,} generated issues, Cloud sandbox (search lag 2 s); profile 'cloud': "
        f"{profile.quota_points:,} points per {profile.quota_window} s, burst "
        f"{profile.burst_rate:g}/s per endpoint, {profile.issue_writes} writes per issue per "
        f"{profile.issue_window:g} s\n"
    )
    header = f"{'':28}" + "".join(f"{r.label:>22}" for r in results)
    print(header)
    rows = [
        ("items read", lambda r: f"{r.items:,}"),
        ("changes applied (failed)", lambda r: f"{r.changes:,} ({r.failed})"),
        ("second plan: changes", lambda r: f"{r.second_changes:,}"),
        ("requests (responses)", lambda r: f"{r.requests:,}"),
        ("answered 429", lambda r: f"{r.limited:,} ({r.limited / max(1, r.requests):.2%})"),
        ("pacing/Retry-After waits", lambda r: f"{len(r.waits)} ({sum(r.waits):.1f} s)"),
        ("plan, apply, plan (s)", lambda r: f"{r.plan_seconds:.1f}, {r.apply_seconds:.1f}, "
                                            f"{r.second_plan_seconds:.1f}"),
    ]  # fmt: skip
    for name, cell in rows:
        print(f"{name:28}" + "".join(f"{cell(r):>22}" for r in results))
    base, limited = results
    total_base = base.plan_seconds + base.apply_seconds + base.second_plan_seconds
    total = limited.plan_seconds + limited.apply_seconds + limited.second_plan_seconds
    share = limited.limited / max(1, limited.requests)
    print(f"\nwall time, limited vs unlimited: {total:.1f} s vs {total_base:.1f} s "
          f"({total / max(total_base, 1e-9):.2f}x)")  # fmt: skip
    verdict = "MET" if share <= TARGET_SHARE else "MISSED"
    print(f"429 share {share:.2%} (target <= {TARGET_SHARE:.0%}): {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the unlimited and the rate-limited sync, print both."""
    parser = argparse.ArgumentParser(prog="python -m bench.rate_limits", description=__doc__)
    parser.add_argument("--issues", type=int, default=100_000, help="generated issues (100000)")
    args = parser.parse_args(argv)
    configure_logging("warning")
    results = [
        measure("unlimited", args.issues, None),
        measure("--rate-limit cloud", args.issues, "cloud"),
    ]
    report(results, args.issues)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
