"""``history`` (runs with counts) and ``revert RUN_ID`` (undo a run's label changes)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.markup import escape
from rich.table import Table

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
from roadmap_sync.commands.plan_output import render_apply
from roadmap_sync.commands.text import aligned, change_counts
from roadmap_sync.core.model import GuardDecision
from roadmap_sync.core.records import RunRecord
from roadmap_sync.core.revert import inverse_changes
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.recorder import RunRecorder
from roadmap_sync.engine.runner import utc_now
from roadmap_sync.engine.sync import ApplyReport
from roadmap_sync.state.store import StateStore, StoreError
from roadmap_sync.trackers.base import TrackerError

HISTORY_SCHEMA = "roadmap-sync/history@1"
HISTORY_HEADER = (
    "run",
    "started (UTC)",
    "roadmap",
    "kind",
    "outcome",
    "items",
    "orphan",
    "out of scope",
    "changed",
    "failed",
    "aligned",
    "seconds",
)


def _count(run: RunRecord, key: str) -> str:
    value = run.counts.get(key)
    return "" if value is None else str(value)


def history_row(run: RunRecord) -> tuple[str, ...]:
    """One run as the cells of ``HISTORY_HEADER``."""
    seconds = run.duration_seconds
    return (
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


def history_document(runs: list[RunRecord]) -> dict[str, Any]:
    """``history --format json`` (schema ``roadmap-sync/history@1``), newest run first."""
    return {
        "schema": HISTORY_SCHEMA,
        "runs": [
            {
                "run_id": run.run_id,
                "roadmap": run.roadmap,
                "kind": run.kind,
                "outcome": run.outcome,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "duration_seconds": run.duration_seconds,
                "reverts_run": run.reverts_run,
                "alignment": run.alignment,
                "config_hash": run.config_hash,
                "counts": dict(run.counts),
            }
            for run in runs
        ],
    }


# On a terminal the columns that matter most; plain and json output carry all of them.
TABLE_COLUMNS: tuple[str, ...] = ("run", "started (UTC)", "roadmap", "kind", "outcome")
TABLE_COLUMNS += ("orphan", "out of scope", "changed", "aligned")


def _history_table(runs: list[RunRecord]) -> Table:
    shown = [HISTORY_HEADER.index(column) for column in TABLE_COLUMNS]
    rows = [[history_row(run)[i] for i in shown] for run in runs]
    # Only the roadmap name may break over lines (fold, never "…"); every other cell and every
    # header word keeps its width, which fits 80 columns.
    table = Table(title="Runs", box=None, header_style="bold", padding=(0, 1, 0, 0))
    for n, column in enumerate(TABLE_COLUMNS):
        number = column not in ("run", "started (UTC)", "roadmap", "kind", "outcome")
        widest = max([len(word) for word in column.split()] + [len(row[n]) for row in rows])
        table.add_column(
            column,
            justify="right" if number else "left",
            overflow="fold",
            no_wrap=column == "started (UTC)",
            ratio=1 if column == "roadmap" else None,
            min_width=7 if column == "roadmap" else widest,
        )
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def history(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync history``: the newest runs first."""
    products: list[str | None] = [None]
    if args.config or ctx.settings.config:
        products = [roadmap.product for roadmap in ctx.roadmaps(args)]
    with StateStore.open(ctx.settings.resolved_state_url()) as store:
        runs = [run for product in products for run in store.runs(product, limit=args.limit)]
    runs.sort(key=lambda run: run.started_at, reverse=True)
    runs = runs[: args.limit]
    fmt = ctx.text_format(args.format)
    if fmt == "json":
        json.dump(history_document(runs), sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif not runs:
        ctx.out.print("No runs recorded yet.")
    elif fmt == "plain":
        for line in aligned([HISTORY_HEADER, *(history_row(run) for run in runs)]):
            ctx.out.print(line, markup=False, highlight=False)
    else:
        ctx.out.print(_history_table(runs))
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
        if target.detail_pruned:
            raise CommandError(
                f"run {target.run_id} is older than what ROADMAP_SYNC_RETENTION keeps in detail "
                f"({ctx.settings.retention}): its label changes were pruned and cannot be "
                "reverted",
                EXIT_USAGE,
            )
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
        counts = change_counts(plan.issues, plan.labels_added, plan.labels_removed)
        ctx.out.print(
            f"Reverting run {target.run_id}: {counts} "
            f"({len(rows) - plan.issues} already as they were)."
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


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register history and revert."""
    history_parser = add_command(
        commands,
        "history",
        summary="the recorded runs, newest first",
        description="The recorded runs of every roadmap (or of the --config ones), newest "
        "first: kind, outcome, flagged items, changes applied and alignment.",
        examples=[
            ("roadmap-sync history --limit 5", "the last five runs"),
            ("roadmap-sync history --format json", "schema roadmap-sync/history@1"),
        ],
    )
    add_config_argument(history_parser)
    history_parser.add_argument(
        "--limit",
        type=positive_int,
        default=20,
        metavar="N",
        help="show the newest N runs (default 20)",
    )
    history_parser.add_argument(
        "--format",
        choices=("table", "plain", "json"),
        help="table (default on a terminal), plain (one run per line, the default off a "
        "terminal) or json (schema roadmap-sync/history@1)",
    )
    history_parser.set_defaults(handler=history)

    revert_parser = add_command(
        commands,
        "revert",
        summary="undo a run's label changes",
        description="Undo the label changes of run RUN_ID (see history) against Jira's current "
        "labels: a label the run added is removed only if the issue still carries it, a label "
        "it removed is added back only if still missing, so whatever people changed since "
        "stays. Recorded as a run of its own.",
        examples=[("roadmap-sync revert 12 --config roadmap.yaml", "asks, then undoes run 12")],
    )
    revert_parser.add_argument("run_id", type=int, metavar="RUN_ID", help="the run to undo")
    add_config_argument(revert_parser)
    revert_parser.add_argument("--yes", action="store_true", help="do not ask")
    revert_parser.set_defaults(handler=revert)
