"""The one entry point: parse arguments, build settings once, wire the parts, return a status.

Exit statuses: 0 ok, 1 run failed, 2 bad config or usage, 3 guard refused, 4 changes pending
(plan --detailed-exitcode).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from rich.markup import escape

from roadmap_sync import __version__
from roadmap_sync.commands.context import EXIT_FAILED, EXIT_USAGE, CommandContext, CommandError
from roadmap_sync.commands.help import EXIT_MEANINGS, HelpFormatter, add_command, epilog
from roadmap_sync.reports.delivery.settings import DeliveryConfig, load_delivery
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.settings import (
    Settings,
    load_settings,
    settings_problems,
    unknown_variables,
)
from roadmap_sync.state.errors import StoreConfigError, StoreError

# The module that registers each command, in --help order. Only the module of the command
# being run is imported: the others pull in what `plan` never needs (SQLAlchemy, alembic,
# Jinja2, APScheduler, the sandbox), a third of a second of start-up (bench/steady_state.py).
COMMAND_MODULES = {
    "init": "init",
    "check": "check",
    "plan": "sync_commands",
    "apply": "sync_commands",
    "run": "sync_commands",
    "suggest": "suggest",
    "demo": "demo",
    "serve": "serve",
    "report": "report",
    "history": "history_commands",
    "revert": "history_commands",
}
# Registered after the sandbox, as in --help.
LATE_MODULES = {"schema": "schema"}


def _modules_for(argv: Sequence[str] | None) -> list[str] | None:
    """The command modules to register for the command ``argv`` names; None: all of them
    (help, completion, usage errors, the sandbox)."""
    args = sys.argv[1:] if argv is None else argv
    given = [arg for arg in args if not arg.startswith("-")]
    command = given[0] if given else None
    if command is None and "--version" in args:
        return []  # argparse answers before it looks for a command: load none
    if command in COMMAND_MODULES:
        return [COMMAND_MODULES[command]]
    if command in LATE_MODULES:
        return [LATE_MODULES[command]]
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors exit with status 2, like every config error."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


DESCRIPTION = """\
Keep a Jira backlog honest to a goal-oriented product roadmap: trace every backlog item to a \
release goal, write the answer back to Jira as labels, and report what drifted each week.

Start from your Jira:
  roadmap-sync init --from-jira --projects ACME --output roadmap.yaml
  roadmap-sync check --config roadmap.yaml
  roadmap-sync plan --config roadmap.yaml
  roadmap-sync apply --config roadmap.yaml

Without Jira: roadmap-sync demo."""


def _register(commands: argparse._SubParsersAction[Any], name: str) -> None:
    importlib.import_module(f"roadmap_sync.commands.{name}").add_arguments(commands)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command-line grammar (only ``argv``'s command when it names one)."""
    parser = _Parser(
        prog="roadmap-sync",
        description=DESCRIPTION,
        epilog="Run 'roadmap-sync COMMAND --help' for a command's options, examples and exit "
        "statuses.\n\n" + epilog((), EXIT_MEANINGS),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"roadmap-sync {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND", title="commands"
    )
    modules = _modules_for(argv)
    if modules is not None:
        for name in modules:
            _register(commands, name)
        return parser
    for name in dict.fromkeys(COMMAND_MODULES.values()):
        _register(commands, name)
    from roadmap_sync.commands import completion  # noqa: PLC0415
    from roadmap_sync.sandbox import command as sandbox_command  # noqa: PLC0415

    sandbox = add_command(
        commands,
        "sandbox",
        summary="a Jira stand-in to try roadmap-sync without Jira",
        description="A faithful Jira Cloud or Data Center stand-in on a local port, with a "
        "generated backlog: what the tests and the demo run against.",
        examples=[
            (
                "roadmap-sync sandbox serve --generate 5000 --port 8080",
                "then ROADMAP_SYNC_JIRA_URL=http://127.0.0.1:8080",
            )
        ],
        statuses=(0, 2),
    )
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", required=True, metavar="COMMAND"
    )
    sandbox_serve = add_command(
        sandbox_commands,
        "serve",
        summary="serve a sandbox Jira site over HTTP",
        description="Serve a sandbox Jira site until SIGINT or SIGTERM. Prints one line, "
        "'sandbox listening on http://HOST:PORT', once it accepts connections. Accounts: "
        "the bot (--email/--token), pat@example.com / person-token, viewer@example.com / "
        "viewer-token.",
        statuses=(0, 2),
    )
    sandbox_command.add_arguments(sandbox_serve)
    sandbox_serve.set_defaults(handler=lambda ctx, args: sandbox_command.serve(args))
    for name in LATE_MODULES.values():
        _register(commands, name)
    completion.add_arguments(commands, parser)
    return parser


# Commands that read no setting: a shell's completion script or the roadmap's JSON Schema must
# come out even while the environment holds a setting the other commands refuse (an admin
# fixing that setting is who needs completion most).
SETTINGS_FREE = frozenset({"completion", "schema"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser(argv).parse_args(argv)
    for warning in unknown_variables(Settings, DeliveryConfig):
        print(f"roadmap-sync: warning: {warning}", file=sys.stderr)
    try:
        settings = load_settings()
        if args.command == "serve":
            load_delivery()  # the worker delivers weekly: a bad mail setting must fail now
    except ValidationError as error:
        problems = "\n".join(f"  {line}" for line in settings_problems(error))
        if args.command not in SETTINGS_FREE:
            print(f"roadmap-sync: invalid settings:\n{problems}", file=sys.stderr)
            return EXIT_USAGE
        print(f"roadmap-sync: warning: invalid settings:\n{problems}", file=sys.stderr)
        settings = Settings.model_construct()  # the defaults; this command reads none
    ctx = CommandContext.create(settings)
    # Workers log their progress; interactive commands only say what went wrong.
    default_level = "info" if args.command in ("run", "serve") else "warning"
    configure_logging(settings.log_level or default_level, redactor=ctx.redactor)
    try:
        status: int = args.handler(ctx, args)
    except CommandError as error:
        ctx.err.print(f"[red]roadmap-sync:[/red] {escape(ctx.redactor.text(str(error)))}")
        return error.status
    except StoreError as error:  # its message already masks the database password
        ctx.err.print(f"[red]roadmap-sync:[/red] {escape(ctx.redactor.text(str(error)))}")
        return EXIT_USAGE if isinstance(error, StoreConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return status


def entry_point() -> None:
    """Console script ``roadmap-sync``."""
    status = main()
    # At exit the interpreter collects garbage over every object still alive; frozen, they are
    # skipped, and exit runs as usual otherwise (atexit, flushes, connections closed): 0.2 s
    # off a 100,000-issue `plan --format json` on Data Center (bench/steady_state.py).
    gc.freeze()
    sys.exit(status)
