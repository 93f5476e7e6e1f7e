"""``history`` (runs with counts) and ``revert RUN_ID`` (undo a run's label changes)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.table import Table

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
    add_config_argument,
)
from roadmap_sync.commands.plan_output import render_apply
from roadmap_sync.core.model import GuardDecision
from roadmap_sync.core.records import RunRecord
from roadmap_sync.core.revert import inverse_changes
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.recorder import RunRecorder
from roadmap_sync.engine.runner import utc_now
from roadmap_sync.engine.sync import ApplyReport
from roadmap_sync.state.store import StateStore, StoreError
from roadmap_sync.trackers.base import TrackerError


def _count(run: RunRecord, key: str) -> str:
    value = run.counts.get(key)
    return "" if value is None else str(value)


def history(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync history``: the newest runs first."""
    products: list[str | None] = [None]
    if args.config or ctx.settings.config:
        products = [roadmap.product for roadmap in ctx.roadmaps(args)]
    with StateStore.open(ctx.settings.resolved_state_url()) as store:
        runs = [run for product in products for run in store.runs(product, limit=args.limit)]
    runs.sort(key=lambda run: run.started_at, reverse=True)
    if not runs:
        ctx.out.print("No runs recorded yet.")
        return EXIT_OK
    table = Table(title="Runs")
    for column in ("run", "started (UTC)", "roadmap", "kind", "outcome", "items"):
        table.add_column(column)
    for column in ("orphan", "out of scope", "changed", "failed", "alignment", "seconds"):
        table.add_column(column, justify="right")
    for run in runs[: args.limit]:
        seconds = run.duration_seconds
        table.add_row(
            str(run.run_id) + (f" (reverts {run.reverts_run})" if run.reverts_run else ""),
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.roadmap,
            run.kind,
            run.outcome,
            _count(run, "items"),
            _count(run, "verdict_orphan"),
            _count(run, "verdict_out_of_scope"),
            _count(run, "changes_applied"),
            _count(run, "changes_failed"),
            f"{run.alignment:.0%}" if run.alignment is not None else "",
            f"{seconds:.1f}" if seconds is not None else "",
        )
    ctx.out.print(table)
    return EXIT_OK


def _roadmap_for(ctx: CommandContext, args: argparse.Namespace, product: str) -> Roadmap:
    for roadmap in ctx.roadmaps(args):
        if roadmap.product == product:
            return roadmap
    raise CommandError(f"no roadmap file for product {product!r}: pass its --config", EXIT_USAGE)


def revert(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync revert RUN_ID``: undo a run's label changes, recorded as a new run."""
    with StateStore.open(ctx.settings.resolved_state_url()) as store:
        try:
            target = store.run(args.run_id)
        except StoreError:
            raise CommandError(f"there is no run {args.run_id}", EXIT_USAGE) from None
        rows = [row for row in store.audit(target.run_id) if row.added or row.removed]
        if not rows:
            ctx.out.print(f"Run {target.run_id} changed no labels: nothing to revert.")
            return EXIT_OK
        roadmap = _roadmap_for(ctx, args, target.roadmap)
        tracker = ctx.tracker()
        try:
            current = {item.key: item.labels for item in tracker.fetch_keys({r.key for r in rows})}
        except TrackerError as error:
            raise CommandError(ctx.redactor.text(str(error)), EXIT_FAILED) from None
        plan = inverse_changes(rows, current, roadmap.labels.opt_out)
        ctx.out.print(
            f"Reverting run {target.run_id}: {plan.issues} issues, +{plan.labels_added} "
            f"-{plan.labels_removed} labels ({len(rows) - plan.issues} already as they were)."
        )
        if plan.changes and not args.yes:
            if not sys.stdin.isatty():
                raise CommandError("revert asks first: pass --yes when not on a terminal", 2)
            if ctx.out.input("Revert? [y/N] ").strip().lower() not in ("y", "yes"):
                ctx.out.print("Not reverted.")
                return EXIT_OK
        recorder = RunRecorder(store, roadmap, "revert", utc_now, reverts_run=target.run_id)
        run, outcomes = recorder.apply_and_finish(tracker, plan)
    render_apply(
        ApplyReport(GuardDecision(True, "", plan.issues, plan.issues, 0), outcomes), ctx.out
    )
    ctx.out.print(f"Recorded as run {run.run_id}.")
    return EXIT_OK if run.outcome == "ok" else EXIT_FAILED


def _positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {number})")
    return number


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register history and revert."""
    history_parser = commands.add_parser("history", help="runs, with counts")
    add_config_argument(history_parser)
    history_parser.add_argument("--limit", type=_positive, default=20, help="runs shown (>= 1)")
    history_parser.set_defaults(handler=history)

    revert_parser = commands.add_parser("revert", help="undo a run's label changes")
    revert_parser.add_argument("run_id", type=int, metavar="RUN_ID")
    add_config_argument(revert_parser)
    revert_parser.add_argument("--yes", action="store_true", help="do not ask")
    revert_parser.set_defaults(handler=revert)
