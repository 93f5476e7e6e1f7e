"""``plan``, ``apply`` and ``run --once``: read, classify, plan, and write labels."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from roadmap_sync.commands.context import (
    EXIT_CHANGES,
    EXIT_FAILED,
    EXIT_GUARD,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
    add_config_argument,
)
from roadmap_sync.commands.help import add_command
from roadmap_sync.commands.plan_output import (
    PLAN_FORMATS,
    render_apply,
    render_plan,
    write_plan_json,
)
from roadmap_sync.commands.text import change_counts
from roadmap_sync.core.records import RunKind
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.sync import SyncPlan, make_plan
from roadmap_sync.trackers.base import Tracker, TrackerError

if TYPE_CHECKING:
    from roadmap_sync.engine.runner import SyncResult
    from roadmap_sync.state.store import StateStore


def build_plan(
    ctx: CommandContext, roadmap: Roadmap, tracker: Tracker, written: frozenset[str] = frozenset()
) -> SyncPlan:
    """Read and plan one roadmap, with a progress bar on a terminal.

    ``written``: labels the bot wrote before (the store's record), which it owns too.
    """
    try:
        if not ctx.err.is_terminal:
            return make_plan(roadmap, tracker, today=ctx.today(), now=ctx.now(), written=written)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=ctx.err, transient=True) as bar:
            task = bar.add_task(f"Reading {roadmap.product} backlog: 0 items", total=None)
            seen = 0

            def advance(count: int) -> None:
                nonlocal seen
                seen += count
                bar.update(task, description=f"Reading {roadmap.product} backlog: {seen} items")

            return make_plan(
                roadmap,
                tracker,
                today=ctx.today(),
                now=ctx.now(),
                progress=advance,
                written=written,
            )
    except TrackerError as error:
        raise CommandError(ctx.redactor.text(str(error)), EXIT_FAILED) from None


def plan(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync plan``: read only."""
    roadmaps = ctx.roadmaps(args)
    written = _written_labels(ctx, roadmaps)
    tracker = ctx.tracker()
    _prime_recent_writes(ctx, roadmaps, tracker)
    plans = [build_plan(ctx, r, tracker, written.get(r.product, frozenset())) for r in roadmaps]
    fmt = ctx.text_format(args.format)
    if fmt == "json":
        write_plan_json(plans, sys.stdout)
    else:
        for one in plans:
            render_plan(one, ctx.out, fmt, summary=args.summary)
    if args.detailed_exitcode and any(p.labels.changes for p in plans):
        return EXIT_CHANGES
    return EXIT_OK


def _open_existing_store(ctx: CommandContext) -> StateStore | None:
    """The state store if there is one (never made); without an SQLite file, SQLAlchemy and
    alembic are not even imported (a third of a second of `plan`'s start-up)."""
    url = ctx.settings.resolved_state_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    from roadmap_sync.state.store import StateStore  # noqa: PLC0415

    return StateStore.open_existing(url)


def _written_labels(ctx: CommandContext, roadmaps: list[Roadmap]) -> dict[str, frozenset[str]]:
    """Labels the bot wrote before, per product, from the store if there is one (never made)."""
    store = _open_existing_store(ctx)
    if store is None:
        return {}
    with store:
        return {r.product: store.written_labels(r.product) for r in roadmaps}


def _prime_recent_writes(ctx: CommandContext, roadmaps: list[Roadmap], tracker: Tracker) -> None:
    """Labels written minutes ago may not be in Jira Cloud's search yet: the recorded audit
    tells the tracker which issues to read back as they are now (best effort: a plan needs
    no state store, and never creates one)."""
    from roadmap_sync.state.errors import StoreError  # noqa: PLC0415

    try:
        store = _open_existing_store(ctx)
        if store is None:
            return  # before importing the priming's modules: a third of a second of start-up
        from roadmap_sync.engine.consistency import prime_recent_writes  # noqa: PLC0415

        with store:
            for roadmap in roadmaps:
                prime_recent_writes(tracker, store, roadmap, dt.datetime.now(dt.UTC))
    except StoreError:
        return


def _confirm(ctx: CommandContext, one: SyncPlan) -> bool:
    labels = one.labels
    counts = change_counts(labels.issues, labels.labels_added, labels.labels_removed)
    try:
        answer = ctx.out.input(f"Apply {counts} to {one.site.base_url}? [y/N] ")
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
    # The state store and the engine's recording path: imported only by the commands that
    # record (SQLAlchemy and alembic cost `plan` a noticeable part of its start-up).
    from roadmap_sync.engine.incremental import SteadySync  # noqa: PLC0415
    from roadmap_sync.engine.runner import sync_and_record  # noqa: PLC0415
    from roadmap_sync.state.store import StateStore  # noqa: PLC0415

    roadmaps = ctx.roadmaps(args)
    results = []
    settings = ctx.settings
    # The store first: a bad state URL or data directory must stop us before Jira is asked.
    with StateStore.open(settings.resolved_state_url()) as store:
        tracker = ctx.tracker()
        steady = SteadySync(
            store,
            full_cron=settings.full_sync_cron,
            timezone=settings.timezone,
            overlap=dt.timedelta(seconds=settings.incremental_overlap),
            retention=settings.retention_policy(),
            keep_baseline=False,
        )
        for roadmap in roadmaps:
            try:
                if kind == "run":  # scheduled by cron: incremental unless --full or due
                    result = steady.sync(
                        roadmap,
                        tracker,
                        full=args.full,
                        force=args.force,
                        confirm=confirm,
                        write_limits=settings.write_limits(),
                    )
                else:
                    result = sync_and_record(
                        roadmap,
                        tracker,
                        store,
                        kind=kind,
                        force=args.force,
                        confirm=confirm,
                        timezone=settings.timezone,
                        write_limits=settings.write_limits(),
                        keep_rows=False,
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
        render_plan(one, ctx.out, ctx.text_format(None), summary=args.summary)
        return args.yes or _confirm(ctx, one)

    return _status(_recorded_syncs(ctx, args, "apply", show_and_confirm))


def run_once(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync run --once``: plan and apply every roadmap, no questions (for cron)."""
    if not args.once:
        raise CommandError(
            "run needs --once: 'roadmap-sync run --once' does one sync and exits (cron jobs, CI); "
            "'roadmap-sync serve' is the scheduled worker",
            EXIT_USAGE,
        )
    return _status(_recorded_syncs(ctx, args, "run", None))


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register plan, apply and run."""
    plan_parser = add_command(
        commands,
        "plan",
        summary="read only: every label change a sync would make",
        description="Read the backlog, trace every item to a release goal, and list every label "
        "change a sync would make, grouped: flags raised, flags cleared, release labels added or "
        "moved, stale labels removed, each with its reason. Never writes to Jira.",
        examples=[
            ("roadmap-sync plan --config roadmap.yaml", "the overview and every change"),
            ("roadmap-sync plan --summary", "the overview and a count per group"),
            ("roadmap-sync plan --format json > plan.json", "schema roadmap-sync/plan@1"),
            ("roadmap-sync plan --summary --detailed-exitcode", "in CI: exit 4 while labels lag"),
        ],
        statuses=(0, 1, 2, 4),
    )
    add_config_argument(plan_parser)
    plan_parser.add_argument(
        "--format",
        choices=PLAN_FORMATS,
        help="table (default on a terminal), plain (one record per line, the default off a "
        "terminal) or json (schema roadmap-sync/plan@1)",
    )
    plan_parser.add_argument(
        "--summary", action="store_true", help="count the changes per group instead of listing them"
    )
    plan_parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 4 when changes are pending (0 when none), for CI",
    )
    plan_parser.set_defaults(handler=plan)

    apply_parser = add_command(
        commands,
        "apply",
        summary="write the labels (shows the plan and asks first)",
        description="Plan, show the plan, ask on a terminal, then write the labels and record the "
        "run (undo it with 'revert RUN_ID'). Only the bot's own labels change, with Jira's "
        "add/remove verbs. A plan that changes more issues than the roadmap's guard allows is "
        "refused unless --force; a roadmap's first sync may add labels to any number of issues "
        "(guard.first_sync).",
        examples=[
            ("roadmap-sync apply --config roadmap.yaml", "review, answer y, write"),
            ("roadmap-sync apply --yes --summary", "no question (needed off a terminal)"),
        ],
        statuses=(0, 1, 2, 3),
    )
    add_config_argument(apply_parser)
    apply_parser.add_argument("--yes", action="store_true", help="do not ask")
    apply_parser.add_argument(
        "--force", action="store_true", help="apply even when the blast-radius guard refuses"
    )
    apply_parser.add_argument(
        "--summary", action="store_true", help="count the changes instead of listing them"
    )
    apply_parser.set_defaults(handler=apply)

    run_parser = add_command(
        commands,
        "run",
        summary="one sync without questions, for cron jobs (run --once)",
        description="'run --once' plans and applies every roadmap without asking, records the "
        "run and exits: for cron jobs, CI and Kubernetes CronJobs. The scheduled worker with "
        "webhooks, the weekly report and health checks is 'roadmap-sync serve'.",
        examples=[
            ("roadmap-sync run --once --config roadmap.yaml", "one sync"),
            ("roadmap-sync run --once --force", "past the blast-radius guard, once"),
        ],
        statuses=(0, 1, 2, 3),
    )
    add_config_argument(run_parser)
    run_parser.add_argument("--once", action="store_true", help="one sync, then exit")
    run_parser.add_argument(
        "--force", action="store_true", help="apply even when the blast-radius guard refuses"
    )
    run_parser.add_argument(
        "--full", action="store_true", help="read the whole backlog, not only what changed"
    )
    run_parser.set_defaults(handler=run_once)
