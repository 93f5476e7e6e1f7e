"""The one entry point: parse arguments, build settings once, wire the parts, return a status.

Exit statuses: 0 ok, 1 run failed, 2 bad config or usage, 3 guard refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from roadmap_sync import __version__
from roadmap_sync.commands import check, demo, history_commands, report, serve, sync_commands
from roadmap_sync.commands.context import EXIT_FAILED, EXIT_USAGE, CommandContext, CommandError
from roadmap_sync.reports.delivery.settings import DeliveryConfig, load_delivery
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.settings import (
    Settings,
    load_settings,
    settings_problems,
    unknown_variables,
)
from roadmap_sync.sandbox import command as sandbox_command
from roadmap_sync.state.store import StoreConfigError, StoreError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors exit with status 2, like every config error."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = _Parser(
        prog="roadmap-sync",
        description="Keep a Jira backlog honest to a goal-oriented product roadmap.",
    )
    parser.add_argument("--version", action="version", version=f"roadmap-sync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check.add_arguments(commands)
    sync_commands.add_arguments(commands)
    demo.add_arguments(commands)
    serve.add_arguments(commands)
    report.add_arguments(commands)
    history_commands.add_arguments(commands)

    sandbox = commands.add_parser(
        "sandbox", help="a Jira stand-in to try roadmap-sync without Jira"
    )
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    sandbox_serve = sandbox_commands.add_parser("serve", help="serve a sandbox Jira site over HTTP")
    sandbox_command.add_arguments(sandbox_serve)
    sandbox_serve.set_defaults(handler=lambda ctx, args: sandbox_command.serve(args))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    for warning in unknown_variables(Settings, DeliveryConfig):
        print(f"roadmap-sync: warning: {warning}", file=sys.stderr)
    try:
        settings = load_settings()
        if args.command == "serve":
            load_delivery()  # the worker delivers weekly: a bad mail setting must fail now
    except ValidationError as error:
        problems = "\n".join(f"  {line}" for line in settings_problems(error))
        print(f"roadmap-sync: invalid settings:\n{problems}", file=sys.stderr)
        return EXIT_USAGE
    ctx = CommandContext.create(settings)
    # Workers log their progress; interactive commands only say what went wrong.
    default_level = "info" if args.command in ("run", "serve") else "warning"
    configure_logging(settings.log_level or default_level, redactor=ctx.redactor)
    try:
        status: int = args.handler(ctx, args)
    except CommandError as error:
        ctx.err.print(f"[red]roadmap-sync:[/red] {ctx.redactor.text(str(error))}")
        return error.status
    except StoreError as error:  # its message already masks the database password
        ctx.err.print(f"[red]roadmap-sync:[/red] {ctx.redactor.text(str(error))}")
        return EXIT_USAGE if isinstance(error, StoreConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return status


def entry_point() -> None:
    """Console script ``roadmap-sync``."""
    sys.exit(main())
