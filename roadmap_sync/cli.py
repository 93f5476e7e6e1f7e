"""The one entry point: parse arguments, build settings once, wire the parts, return a status.

Exit statuses: 0 ok, 1 run failed, 2 bad config or usage, 3 guard refused.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from roadmap_sync import __version__
from roadmap_sync.commands.context import EXIT_FAILED, EXIT_USAGE, CommandContext, CommandError
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.settings import load_settings
from roadmap_sync.state.errors import StoreError

# The module that registers each command, in --help order. Only the module of the command
# being run is imported: the others pull in what `plan` never needs (SQLAlchemy, alembic,
# Jinja2, APScheduler, the sandbox), a second of start-up (bench/steady_state.py).
COMMAND_MODULES = {
    "check": "check",
    "plan": "sync_commands",
    "apply": "sync_commands",
    "run": "sync_commands",
    "demo": "demo",
    "serve": "serve",
    "report": "report",
    "history": "history_commands",
    "revert": "history_commands",
}


def _modules_for(argv: Sequence[str] | None) -> list[str]:
    """The command modules to register: the named command's, or all (help, usage errors)."""
    given = [arg for arg in (sys.argv[1:] if argv is None else argv) if not arg.startswith("-")]
    command = given[0] if given else None
    if command in COMMAND_MODULES:
        return [COMMAND_MODULES[command]]
    if command == "sandbox":
        return []
    return list(dict.fromkeys(COMMAND_MODULES.values()))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors exit with status 2, like every config error."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command-line grammar (for ``argv``'s command only, when it names one)."""
    parser = _Parser(
        prog="roadmap-sync",
        description="Keep a Jira backlog honest to a goal-oriented product roadmap.",
    )
    parser.add_argument("--version", action="version", version=f"roadmap-sync {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    modules = _modules_for(argv)
    for name in modules:
        importlib.import_module(f"roadmap_sync.commands.{name}").add_arguments(commands)
    if len(modules) == 1:
        return parser
    from roadmap_sync.sandbox import command as sandbox_command  # noqa: PLC0415

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
    args = build_parser(argv).parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(f"roadmap-sync: invalid settings:\n{error}", file=sys.stderr)
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
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return status


def entry_point() -> None:
    """Console script ``roadmap-sync``."""
    sys.exit(main())
