"""``plan``, ``apply`` and ``run --once``: read, classify, plan, and write labels."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_GUARD,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
)
from roadmap_sync.plan_output import plan_document, render_apply, render_table
from roadmap_sync.roadmap import Roadmap
from roadmap_sync.sync import ApplyReport, SyncPlan, apply_plan, make_plan
from roadmap_sync.trackers.base import Tracker, TrackerError


def build_plan(ctx: CommandContext, roadmap: Roadmap, tracker: Tracker) -> SyncPlan:
    """Read and plan one roadmap, with a progress bar on a terminal."""
    try:
        if not ctx.err.is_terminal:
            return make_plan(roadmap, tracker, today=ctx.today(), now=ctx.now())
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=ctx.err, transient=True) as bar:
            task = bar.add_task(f"Reading {roadmap.product} backlog: 0 items", total=None)
            seen = 0

            def advance(count: int) -> None:
                nonlocal seen
                seen += count
                bar.update(task, description=f"Reading {roadmap.product} backlog: {seen} items")

            return make_plan(roadmap, tracker, today=ctx.today(), now=ctx.now(), progress=advance)
    except TrackerError as error:
        raise CommandError(ctx.redactor.text(str(error)), EXIT_FAILED) from None


def plan(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync plan``: read only."""
    roadmaps = ctx.roadmaps(args)
    tracker = ctx.tracker()
    plans = [build_plan(ctx, roadmap, tracker) for roadmap in roadmaps]
    if args.format == "json":
        documents = [plan_document(p) for p in plans]
        json.dump(documents[0] if len(documents) == 1 else documents, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for one in plans:
            render_table(one, ctx.out)
    return EXIT_OK


def _confirm(ctx: CommandContext, one: SyncPlan) -> bool:
    if not sys.stdin.isatty():
        raise CommandError(
            "apply asks before writing: pass --yes when not on a terminal", EXIT_USAGE
        )
    answer = ctx.out.input(
        f"Apply {one.labels.issues} label changes to {one.site.base_url}? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _status(reports: list[ApplyReport]) -> int:
    if any(not report.applied for report in reports):
        return EXIT_GUARD
    if any(report.failed for report in reports):
        return EXIT_FAILED
    return EXIT_OK


def apply(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync apply``: plan, show, confirm, write."""
    roadmaps = ctx.roadmaps(args)
    tracker = ctx.tracker()
    reports: list[ApplyReport] = []
    for roadmap in roadmaps:
        one = build_plan(ctx, roadmap, tracker)
        render_table(one, ctx.out)
        if not one.labels.changes:
            ctx.out.print("Nothing to change.")
            continue
        if not args.yes and not _confirm(ctx, one):
            ctx.out.print("Not applied.")
            continue
        report = apply_plan(one, tracker, force=args.force)
        render_apply(report, ctx.out)
        reports.append(report)
    return _status(reports)


def run_once(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync run --once``: plan and apply every roadmap, no questions (for cron)."""
    if not args.once:
        raise CommandError("run needs --once (use 'serve' for the scheduled worker)", EXIT_USAGE)
    roadmaps = ctx.roadmaps(args)
    tracker = ctx.tracker()
    reports = []
    for roadmap in roadmaps:
        one = build_plan(ctx, roadmap, tracker)
        report = apply_plan(one, tracker, force=args.force)
        render_apply(report, ctx.out)
        reports.append(report)
    return _status(reports)


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register plan, apply and run."""
    from roadmap_sync.commands.context import add_config_argument  # noqa: PLC0415

    plan_parser = commands.add_parser("plan", help="read only: what would change")
    add_config_argument(plan_parser)
    plan_parser.add_argument("--format", choices=("table", "json"), default="table")
    plan_parser.set_defaults(handler=plan)

    apply_parser = commands.add_parser("apply", help="write labels (asks on a terminal)")
    add_config_argument(apply_parser)
    apply_parser.add_argument("--yes", action="store_true", help="do not ask")
    apply_parser.add_argument("--force", action="store_true", help="override the guard")
    apply_parser.set_defaults(handler=apply)

    run_parser = commands.add_parser("run", help="plan + apply, for cron jobs")
    add_config_argument(run_parser)
    run_parser.add_argument("--once", action="store_true", help="one sync, then exit")
    run_parser.add_argument("--force", action="store_true", help="override the guard")
    run_parser.set_defaults(handler=run_once)
