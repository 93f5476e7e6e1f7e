"""``plan``, ``apply`` and ``run --once``: read, classify, plan, and write labels."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
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
from roadmap_sync.commands.plan_output import plan_document, render_apply, render_table
from roadmap_sync.core.records import RunKind
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.consistency import prime_recent_writes
from roadmap_sync.engine.runner import SyncResult, sync_and_record, utc_now
from roadmap_sync.engine.sync import SyncPlan, make_plan
from roadmap_sync.state.store import StateStore, StoreError
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
    _prime_recent_writes(ctx, roadmaps, tracker)
    plans = [build_plan(ctx, roadmap, tracker) for roadmap in roadmaps]
    if args.format == "json":
        documents = [plan_document(p) for p in plans]
        json.dump(documents[0] if len(documents) == 1 else documents, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for one in plans:
            render_table(one, ctx.out)
    return EXIT_OK


def _prime_recent_writes(ctx: CommandContext, roadmaps: list[Roadmap], tracker: Tracker) -> None:
    """Labels written minutes ago may not be in Jira Cloud's search yet: the recorded audit
    tells the tracker which issues to read back as they are now (best effort: a plan needs
    no state store)."""
    try:
        with StateStore.open(ctx.settings.resolved_state_url()) as store:
            for roadmap in roadmaps:
                prime_recent_writes(tracker, store, roadmap, utc_now())
    except StoreError:
        return


def _confirm(ctx: CommandContext, one: SyncPlan) -> bool:
    try:
        answer = ctx.out.input(
            f"Apply {one.labels.issues} label changes to {one.site.base_url}? [y/N] "
        )
    except EOFError:  # Ctrl-D: the same as no
        return False
    return answer.strip().lower() in ("y", "yes")


def _status(results: list[SyncResult]) -> int:
    reports = [r.report for r in results if r.report is not None]
    if any(not report.applied for report in reports):
        return EXIT_GUARD
    if any(report.failed or report.stopped for report in reports):
        return EXIT_FAILED
    return EXIT_OK


def _recorded_syncs(
    ctx: CommandContext,
    args: argparse.Namespace,
    kind: RunKind,
    confirm: Callable[[SyncPlan], bool] | None,
) -> list[SyncResult]:
    roadmaps = ctx.roadmaps(args)
    tracker = ctx.tracker()
    results = []
    with StateStore.open(ctx.settings.resolved_state_url()) as store:
        for roadmap in roadmaps:
            try:
                result = sync_and_record(
                    roadmap,
                    tracker,
                    store,
                    kind=kind,
                    force=args.force,
                    confirm=confirm,
                    timezone=ctx.settings.timezone,
                )
            except TrackerError as error:
                raise CommandError(ctx.redactor.text(str(error)), EXIT_FAILED) from None
            if result.report is not None:
                render_apply(result.report, ctx.out)
            ctx.out.print(f"Recorded as run {result.run.run_id} ({result.run.outcome}).")
            results.append(result)
    return results


def apply(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync apply``: plan, show, confirm, write, record."""
    if not args.yes and not sys.stdin.isatty():
        # Decided before anything is read, so that exit 2 keeps meaning "Jira was not touched".
        raise CommandError(
            "apply asks before writing: pass --yes when not on a terminal", EXIT_USAGE
        )

    def show_and_confirm(one: SyncPlan) -> bool:
        render_table(one, ctx.out)
        return args.yes or _confirm(ctx, one)

    return _status(_recorded_syncs(ctx, args, "apply", show_and_confirm))


def run_once(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync run --once``: plan and apply every roadmap, no questions (for cron)."""
    if not args.once:
        raise CommandError("run needs --once (use 'serve' for the scheduled worker)", EXIT_USAGE)
    return _status(_recorded_syncs(ctx, args, "run", None))


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
