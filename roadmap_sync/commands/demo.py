"""``roadmap-sync demo``: the whole product on a built-in sandbox, no Jira needed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    CommandContext,
    CommandError,
    add_config_argument,
)
from roadmap_sync.commands.sync_commands import build_plan
from roadmap_sync.plan_output import render_apply, render_table
from roadmap_sync.sandbox.catalog import FLAVORS
from roadmap_sync.sandbox.command import load_site
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sync import apply_plan

EXAMPLE_ROADMAP = Path("config") / "roadmap.example.yaml"


def example_roadmap() -> Path:
    """The example roadmap: from the working directory, else beside the package source."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / EXAMPLE_ROADMAP
        if candidate.is_file():
            return candidate
    raise CommandError(
        f"cannot find {EXAMPLE_ROADMAP}: run the demo from the repository or pass --config",
        2,
    )


def demo(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Serve a generated backlog, plan, apply, and show that a second run writes nothing."""
    if not args.config:
        args.config = [example_roadmap()]
    roadmaps = ctx.roadmaps(args)
    site = load_site([], args.issues, args.seed)
    out = ctx.out
    with SandboxServer(site, flavor=args.flavor) as sandbox:
        out.rule("roadmap-sync demo")
        out.print(
            f"A sandbox Jira {args.flavor} site is serving {args.issues} generated issues at "
            f"{sandbox.url}; roadmap: {', '.join(str(p) for p in args.config)}\n"
        )
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
        tracker = demo_ctx.tracker()
        status = EXIT_OK
        for roadmap in roadmaps:
            first = build_plan(demo_ctx, roadmap, tracker)
            render_table(first, out)
            out.print(
                "\n[bold]Applying.[/bold] A first sync labels most of the backlog, which the "
                "blast-radius guard would refuse; the demo passes --force, as you would once.\n"
            )
            report = apply_plan(first, tracker, force=True)
            render_apply(report, out)
            if report.failed:
                status = EXIT_FAILED
            sandbox.store.clear_writes()
            second = build_plan(demo_ctx, roadmap, tracker)
            writes = len(sandbox.store.writes())
            out.print(
                f"\nA second plan over the unchanged backlog: {second.labels.issues} changes, "
                f"{writes} writes sent to Jira."
            )
        out.rule()
        out.print(
            "Next: run your own sandbox with 'roadmap-sync sandbox serve --generate 5000', point "
            "ROADMAP_SYNC_JIRA_URL at it, and try 'roadmap-sync plan --config "
            "config/roadmap.example.yaml'."
        )
    return status


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register demo."""
    parser = commands.add_parser("demo", help="run the whole product on a built-in sandbox")
    add_config_argument(parser)
    parser.add_argument("--issues", type=int, default=2000, help="generated backlog size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flavor", choices=FLAVORS, default="cloud")
    parser.set_defaults(handler=demo)
