"""``roadmap-sync demo``: the whole product on a built-in sandbox, no Jira needed.

The first demo generates a backlog, syncs it and writes the drift report. The sandbox's
backlog is kept in the data directory, so the next demo resumes it "a week later": people
have moved and added work in the meantime, and the second report shows that drift.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
    add_config_argument,
    positive_int,
)
from roadmap_sync.commands.help import add_command
from roadmap_sync.commands.plan_output import render_apply, render_plan
from roadmap_sync.commands.sync_commands import build_plan
from roadmap_sync.commands.text import change_counts
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.publish import build_report_for, publish
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.sandbox.catalog import FLAVORS
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.command import load_site
from roadmap_sync.sandbox.generate import GENERATED_NOW
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData
from roadmap_sync.state.store import StateStore

EXAMPLE_ROADMAP = "examples/roadmap.example.yaml"
# What people do to the backlog during a demo "week": (issue, Jira edit body).
WEEK_OF_EDITS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("first story of ACME-3", {"fields": {"parent": {"key": "ACME-7"}}}),
    ("first story of ACME-9", {"fields": {"parent": None}}),
    ("first story of ACME-5", {"fields": {"fixVersions": [{"name": "2027.04"}]}}),
)
NEW_WORK: tuple[dict[str, Any], ...] = (
    {"summary": "Export orders as CSV (customer ask)", "fixVersions": [{"name": "2026.12"}]},
    {"summary": "Spike: evaluate a new search engine"},
    {"summary": "Checkout: show delivery dates", "parent": {"key": "ACME-1"}},
)


def example_roadmap() -> Path:
    """The example roadmap shipped inside the package, so the demo runs from any directory."""
    path = Path(str(files("roadmap_sync").joinpath(EXAMPLE_ROADMAP)))
    if not path.is_file():  # only a zipped install could get here
        raise CommandError(f"cannot find the packaged {EXAMPLE_ROADMAP}: pass --config", EXIT_USAGE)
    return path


WEEK = dt.timedelta(days=7)
MIDWEEK = dt.timedelta(days=3)
# The team closes about as much as it did each week before: the oldest open stories of the
# first releases' epics, in roadmap order, half on Thursday and half on Friday.
CLOSED_PER_DAY = 12
CLOSING_EPICS = ("ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-5")


@dataclass
class DemoContext(CommandContext):
    """The demo's commands, on the sandbox site's clock: a demo "week" spans a real week."""

    clock: SiteClock = field(default_factory=SiteClock)

    def today(self) -> dt.date:
        """The site's day."""
        return self.clock.now().date()

    def now(self) -> dt.datetime:  # type: ignore[override]
        """The site's time."""
        return self.clock.now()


def _first_story_of(sandbox: SandboxServer, epic: str) -> str | None:
    for key, issue in sandbox.store.issues.items():
        fields = issue["fields"]
        if (fields.get("parent") or {}).get("key") == epic and (
            fields["issuetype"].get("hierarchyLevel") == 0
        ):
            return key
    return None


def _open_stories(sandbox: SandboxServer) -> list[str]:
    """Open stories of the closing epics, nearest release first, oldest first."""
    found = []
    for epic in CLOSING_EPICS:
        for key, issue in sandbox.store.issues.items():
            fields = issue["fields"]
            if (
                (fields.get("parent") or {}).get("key") == epic
                and fields["issuetype"].get("hierarchyLevel") == 0
                and fields["status"]["statusCategory"]["key"] != "done"
            ):
                found.append(key)
    return found


def _team_closes_work(ctx: CommandContext, sandbox: SandboxServer) -> None:
    """Two days of the team finishing stories, through the sandbox as people would."""
    closing = iter(_open_stories(sandbox))
    closed = []
    for _day in range(2):
        sandbox.clock.advance(dt.timedelta(days=1))
        for key in [next(closing, None) for _ in range(CLOSED_PER_DAY)]:
            if key is None:
                break
            requests.post(
                f"{sandbox.url}/_sandbox/issues/{key}/transition", json={"status": "Done"},
                timeout=10,
            ).raise_for_status()  # fmt: skip
            closed.append(key)
    ctx.out.print(f"  - the team finished {len(closed)} stories ({', '.join(closed[:4])}, ...)")


def _a_week_passes(ctx: CommandContext, sandbox: SandboxServer) -> None:
    """A week passes on the site's clock; midweek people edit the backlog, as in Jira."""
    sandbox.clock.advance(MIDWEEK)
    ctx.out.print("[bold]A week later.[/bold] People changed the backlog in the meantime:")
    for what, body in WEEK_OF_EDITS:
        key = _first_story_of(sandbox, what.rsplit(" ", 1)[-1])
        if key is None:
            continue
        requests.post(
            f"{sandbox.url}/_sandbox/issues/{key}/edit", json=body, timeout=10
        ).raise_for_status()
        ctx.out.print(f"  - {key} ({what}): {json.dumps(body['fields'])}")
    for fields in NEW_WORK:
        story = {"project": {"key": "ACME"}, "issuetype": {"name": "Story"}, **fields}
        created = requests.post(
            f"{sandbox.url}/_sandbox/issues", json={"fields": story}, timeout=10
        ).json()
        ctx.out.print(f"  - new {created['key']}: {fields['summary']}")
    _team_closes_work(ctx, sandbox)
    sandbox.clock.advance(WEEK - MIDWEEK - dt.timedelta(days=2))
    ctx.out.print()
    # A week passed: Cloud's search (which lags writes by seconds) has long caught up.
    deadline = time.monotonic() + 60
    while sandbox.store.index.lagging() and time.monotonic() < deadline:
        time.sleep(0.1)


def _sync(
    ctx: CommandContext,
    roadmap: Roadmap,
    sandbox: SandboxServer,
    store: StateStore,
) -> int:
    tracker = ctx.tracker()
    plan_shown = build_plan(ctx, roadmap, tracker)
    render_plan(plan_shown, ctx.out, ctx.text_format(None), summary=True)
    if store.has_synced(roadmap.product):
        ctx.out.print("\n[bold]Applying[/bold] the week's changes.\n")
    else:
        ctx.out.print("\n[bold]Applying[/bold] the roadmap's first sync.\n")
    # --force only matters for a backlog so messy that even its first sync removes labels
    # from more issues than the guard allows; the demo must not stop there.
    clock = ctx.clock.now if isinstance(ctx, DemoContext) else ctx.now
    result = sync_and_record(roadmap, tracker, store, kind="run", force=True, clock=clock)
    if result.report is not None:
        render_apply(result.report, ctx.out)
    sandbox.store.clear_writes()
    again = build_plan(ctx, roadmap, tracker)
    labels = again.labels
    counts = change_counts(labels.issues, labels.labels_added, labels.labels_removed)
    ctx.out.print(
        f"A second plan over the unchanged backlog: {counts}, "
        f"{len(sandbox.store.writes())} writes sent to Jira. Recorded as run {result.run.run_id}."
    )
    failed = result.report is not None and bool(result.report.failed)
    return EXIT_FAILED if failed else EXIT_OK


def demo(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Serve a backlog, sync it with the example roadmap, and write the drift report."""
    if not args.config:
        args.config = [example_roadmap()]
    roadmaps = ctx.roadmaps(args)
    data_dir = Path(ctx.settings.data_dir)
    site_file = data_dir / "demo" / f"sandbox-{args.flavor}.json"
    resumed = site_file.is_file() and not args.fresh
    site = SiteData.from_files([site_file]) if resumed else load_site([], args.issues, args.seed)
    out = ctx.out
    status = EXIT_OK
    # The site's clock continues where the last demo left it (a generated site starts on the
    # Monday after its data), so dates, throughput and the changelog span real weeks.
    clock = SiteClock(site.now or GENERATED_NOW)
    with SandboxServer(site, flavor=args.flavor, clock=clock) as sandbox:
        out.rule("roadmap-sync demo")
        out.print(
            f"A sandbox Jira {args.flavor} site serves {len(sandbox.store.issues)} issues at "
            f"{sandbox.url} ({'resumed from ' + str(site_file) if resumed else 'generated'})."
        )
        if resumed:
            _a_week_passes(ctx, sandbox)
        demo_ctx = DemoContext(
            ctx.settings.model_copy(
                update={
                    "jira_url": sandbox.url,
                    "jira_email": sandbox.email,
                    "jira_token": SecretStr(sandbox.token),
                }
            ),
            ctx.redactor,
            ctx.out,
            ctx.err,
            clock,
        )
        with StateStore.open(demo_ctx.settings.resolved_state_url()) as store:
            for roadmap in roadmaps:
                status = max(status, _sync(demo_ctx, roadmap, sandbox, store))
                now = demo_ctx.now()
                report = build_report_for(store, roadmap, sandbox.url, now, last=True)
                publish(store, demo_ctx.settings, report, now, send=False)
                target = data_dir / "reports" / "demo-report.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                from roadmap_sync.reports.html import render_html  # noqa: PLC0415

                target.write_text(render_html(report), encoding="utf-8")
                out.rule("Drift report")
                for line in report.highlights:
                    out.print(f"- {line}", markup=False)
                for attention in report.attention:
                    if attention.kind == "date_at_risk":
                        out.print(f"- {attention.text}", markup=False)
                out.print(f"\n[bold]The HTML report is at {target.resolve()}[/bold]")
        site_file.parent.mkdir(parents=True, exist_ok=True)
        site_file.write_text(json.dumps(sandbox.store.export()), encoding="utf-8")
    if resumed:
        out.print(
            "Run 'roadmap-sync demo' again for another week, or 'roadmap-sync demo --fresh' to "
            "start over."
        )
    else:
        out.print(
            "Run 'roadmap-sync demo' again: the sandbox resumes a week later, people have "
            "changed the backlog, and the report shows the drift. ('roadmap-sync demo --fresh' "
            "starts over.)"
        )
    return status


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register demo."""
    parser = add_command(
        commands,
        "demo",
        summary="the whole product on a built-in sandbox Jira, no Jira needed",
        description="Generate a backlog in a sandbox Jira on loopback, plan and apply the "
        "example roadmap, show that a second plan changes nothing, and write the drift report "
        "to <data dir>/reports/demo-report.html. The sandbox is kept in <data dir>/demo: the "
        "next demo resumes it a week later, after people changed the backlog, and its report "
        "shows the drift.",
        examples=[
            ("roadmap-sync demo", "first run; run it again for the week after"),
            ("roadmap-sync demo --fresh --flavor datacenter", "start over on Data Center"),
        ],
    )
    add_config_argument(parser)
    parser.add_argument(
        "--issues",
        type=positive_int,
        default=2000,
        metavar="N",
        help="generated backlog size (2000)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="generator seed: the same seed, the same backlog"
    )
    parser.add_argument(
        "--flavor", choices=FLAVORS, default="cloud", help="Jira Cloud (default) or Data Center"
    )
    parser.add_argument("--fresh", action="store_true", help="forget the previous demo's backlog")
    parser.set_defaults(handler=demo)
