"""``roadmap-sync demo``: the whole product on a built-in sandbox, no Jira needed.

The first demo generates a backlog, syncs it and writes the drift report. The sandbox's
backlog is kept in the data directory, so the next demo resumes it "a week later": people
have moved and added work in the meantime, and the second report shows that drift.
"""

from __future__ import annotations

import argparse
import json
import time
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
)
from roadmap_sync.commands.plan_output import render_apply, render_table
from roadmap_sync.commands.sync_commands import build_plan
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.publish import build_report_for, publish
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.sandbox.catalog import FLAVORS
from roadmap_sync.sandbox.command import load_site
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData
from roadmap_sync.state.store import StateStore

EXAMPLE_ROADMAP = Path("config") / "roadmap.example.yaml"
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
    """The example roadmap: from the working directory, else beside the package source."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / EXAMPLE_ROADMAP
        if candidate.is_file():
            return candidate
    raise CommandError(
        f"cannot find {EXAMPLE_ROADMAP}: run the demo from the repository or pass --config",
        EXIT_USAGE,
    )


def _first_story_of(sandbox: SandboxServer, epic: str) -> str | None:
    for key, issue in sandbox.store.issues.items():
        fields = issue["fields"]
        if (fields.get("parent") or {}).get("key") == epic and (
            fields["issuetype"].get("hierarchyLevel") == 0
        ):
            return key
    return None


def _a_week_passes(ctx: CommandContext, sandbox: SandboxServer) -> None:
    """People edit the backlog through the sandbox, as they would in Jira."""
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
    render_table(plan_shown, ctx.out)
    ctx.out.print(
        "\n[bold]Applying[/bold] with --force: a first sync labels most of the backlog, which "
        "the blast-radius guard would otherwise refuse.\n"
    )
    result = sync_and_record(roadmap, tracker, store, kind="run", force=True)
    if result.report is not None:
        render_apply(result.report, ctx.out)
    sandbox.store.clear_writes()
    again = build_plan(ctx, roadmap, tracker)
    ctx.out.print(
        f"A second plan over the unchanged backlog: {again.labels.issues} changes, "
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
    with SandboxServer(site, flavor=args.flavor) as sandbox:
        out.rule("roadmap-sync demo")
        out.print(
            f"A sandbox Jira {args.flavor} site serves {len(sandbox.store.issues)} issues at "
            f"{sandbox.url} ({'resumed from ' + str(site_file) if resumed else 'generated'})."
        )
        if resumed:
            _a_week_passes(ctx, sandbox)
        demo_ctx = CommandContext(
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
        )
        with StateStore.open(demo_ctx.settings.resolved_state_url()) as store:
            for roadmap in roadmaps:
                status = max(status, _sync(demo_ctx, roadmap, sandbox, store))
                report = build_report_for(store, roadmap, sandbox.url, ctx.now(), last=True)
                publish(store, demo_ctx.settings, report, ctx.now(), send=False)
                target = data_dir / "reports" / "demo-report.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                from roadmap_sync.reports.html import render_html  # noqa: PLC0415

                target.write_text(render_html(report), encoding="utf-8")
                out.rule("Drift report")
                for line in report.highlights:
                    out.print(f"- {line}", markup=False)
                out.print(f"\n[bold]The HTML report is at {target.resolve()}[/bold]")
        site_file.parent.mkdir(parents=True, exist_ok=True)
        site_file.write_text(json.dumps(sandbox.store.export()), encoding="utf-8")
    out.print(
        "Run 'make demo' again: the sandbox resumes a week later, people have changed the "
        "backlog, and the report shows the drift. ('roadmap-sync demo --fresh' starts over.)"
    )
    return status


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register demo."""
    parser = commands.add_parser("demo", help="run the whole product on a built-in sandbox")
    add_config_argument(parser)
    parser.add_argument("--issues", type=int, default=2000, help="generated backlog size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flavor", choices=FLAVORS, default="cloud")
    parser.add_argument("--fresh", action="store_true", help="forget the previous demo's backlog")
    parser.set_defaults(handler=demo)
