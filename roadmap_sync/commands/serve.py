"""``roadmap-sync serve``: the long-running worker."""

from __future__ import annotations

import argparse
from typing import Any

from roadmap_sync.commands.context import CommandContext, add_config_argument
from roadmap_sync.commands.help import add_command, environment
from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.settings import Settings
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
    parser = add_command(
        commands,
        "serve",
        summary="the worker: scheduled syncs, webhooks, weekly report, health and metrics",
        description="Run until SIGTERM or SIGINT: a full sync of each roadmap on a schedule, "
        "targeted re-syncs from signed Jira webhooks, the weekly report, and an HTTP server "
        "with /healthz, /readyz, /metrics, /reports/latest, /reports/roadmap and POST "
        "/webhooks/jira. With a "
        "PostgreSQL state store several replicas share the work: one leads each roadmap. "
        "Configured by the environment (also read from .env and from files in /run/secrets "
        "named like the variable in lower case):",
        extra="environment:\n" + environment([Settings, DeliveryConfig]),
        examples=[
            ("ROADMAP_SYNC_CONFIG=roadmap.yaml roadmap-sync serve", "the worker on :8080"),
        ],
        statuses=(0, 2),
    )
    add_config_argument(parser)
    parser.set_defaults(handler=serve)
