"""``roadmap-sync report``: the drift report from the recorded runs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
    add_config_argument,
)
from roadmap_sync.commands.help import add_command
from roadmap_sync.engine.publish import (
    RENDERERS,
    ROADMAP_RENDERERS,
    ReportError,
    build_report_for,
    publish,
)
from roadmap_sync.state.store import StateStore


def _since(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (expected 2026-11-18)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def report(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Build the report of each roadmap, print or write it, store it, and deliver if asked."""
    roadmaps = ctx.roadmaps(args)
    now = ctx.now()
    status = EXIT_OK
    with StateStore.open(ctx.settings.resolved_state_url()) as store:
        for index, roadmap in enumerate(roadmaps):
            try:
                built = build_report_for(
                    store,
                    roadmap,
                    ctx.settings.jira_url or "",
                    now,
                    since=args.since,
                    last=args.last,
                )
            except ReportError as error:
                raise CommandError(str(error), EXIT_USAGE) from None
            renderers = ROADMAP_RENDERERS if args.view == "roadmap" else RENDERERS
            text = renderers[args.format](built)
            try:
                published = publish(store, ctx.settings, built, now, send=args.deliver)
            except ReportError as error:
                raise CommandError(ctx.redactor.text(str(error)), EXIT_USAGE) from None
            if args.output:
                target = Path(args.output)
                if len(roadmaps) > 1:
                    target = target.with_stem(f"{target.stem}-{index + 1}")
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
                except OSError as error:
                    raise CommandError(f"cannot write {target}: {error}", EXIT_FAILED) from None
                ctx.err.print(f"Report written to {target}")
            else:
                sys.stdout.write(text)
            for result in published.deliveries:
                mark = "[green]delivered[/green]" if result.ok else "[red]failed[/red]"
                detail = f": {ctx.redactor.text(result.detail)}" if result.detail else ""
                ctx.err.print(f"{mark} {result.channel}{detail}")
                if not result.ok:
                    status = EXIT_FAILED
    return status


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register report."""
    parser = add_command(
        commands,
        "report",
        summary="the weekly drift report from the recorded runs",
        description="Compare the newest recorded sync of each roadmap with an older one (by "
        "default the newest one at least a week older) and render what drifted: items that "
        "entered, left or moved between releases, scope change, new and cleared flags, "
        "progress, uncovered features and the alignment trend. The report is saved in the "
        "state store; --deliver also sends it to the configured channels.",
        examples=[
            ("roadmap-sync report --config roadmap.yaml", "Markdown on stdout"),
            ("roadmap-sync report --format html --output drift.html", "one self-contained file"),
            ("roadmap-sync report --last --deliver", "since the previous run, and send it"),
        ],
    )
    add_config_argument(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--since", type=_since, metavar="DATE", help="compare with the last sync before DATE"
    )
    when.add_argument("--last", action="store_true", help="compare with the previous run")
    parser.add_argument(
        "--format",
        choices=sorted(RENDERERS),
        default="markdown",
        help="markdown (default), html or json (schema roadmap-sync/report@2)",
    )
    parser.add_argument(
        "--view",
        choices=("full", "roadmap"),
        default="full",
        help="roadmap: only the GO roadmap with live status, for stakeholders",
    )
    parser.add_argument("--output", metavar="PATH", help="write here instead of stdout")
    parser.add_argument(
        "--deliver", action="store_true", help="also send it (files, chat webhook, e-mail)"
    )
    parser.set_defaults(handler=report)
