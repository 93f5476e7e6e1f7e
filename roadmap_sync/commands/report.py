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
    parser = commands.add_parser("report", help="the drift report from the recorded runs")
    add_config_argument(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--since", type=_since, metavar="DATE", help="compare with this date")
    when.add_argument("--last", action="store_true", help="compare with the previous run")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="markdown")
    parser.add_argument(
        "--view",
        choices=("full", "roadmap"),
        default="full",
        help="roadmap: only the GO roadmap with live status, for stakeholders",
    )
    parser.add_argument("--output", metavar="PATH", help="write here instead of stdout")
    parser.add_argument("--deliver", action="store_true", help="also send it (file, chat, mail)")
    parser.set_defaults(handler=report)
