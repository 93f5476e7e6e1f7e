"""``roadmap-sync serve``: the long-running worker."""

from __future__ import annotations

import argparse
from typing import Any

from roadmap_sync.commands.context import CommandContext, add_config_argument
from roadmap_sync.state.store import StateStore
from roadmap_sync.worker.app import Worker


def serve(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Run the worker until SIGTERM/SIGINT; exit 0 after a clean stop."""
    roadmaps = ctx.roadmaps(args)
    store = StateStore.open(ctx.settings.resolved_state_url())
    try:
        return Worker(ctx.settings, ctx.redactor, ctx.tracker, roadmaps, store).run_until_signal()
    finally:
        store.close()


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register serve."""
    parser = commands.add_parser(
        "serve", help="run the worker: scheduled syncs, webhooks, weekly report, health"
    )
    add_config_argument(parser)
    parser.set_defaults(handler=serve)
