"""``roadmap-sync init``: a first roadmap file, drafted from Jira or from the minimal example."""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
)
from roadmap_sync.commands.draft import draft_roadmap
from roadmap_sync.commands.help import add_command
from roadmap_sync.core.model import Scope
from roadmap_sync.core.roadmap import RoadmapError, RoadmapSource, parse_roadmap
from roadmap_sync.trackers.base import Tracker, TrackerError
from roadmap_sync.trackers.registry import adapter

MODELINE = "# yaml-language-server: $schema=roadmap.schema.json\n"
SCHEMA_HINT = (
    "# Editor completion: roadmap-sync schema --output roadmap.schema.json, then put this\n"
    "# line first: # yaml-language-server: $schema=roadmap.schema.json\n"
)


def example_text(name: str) -> str:
    """An example roadmap shipped inside the package (``minimal`` or ``example``), with how to
    get the schema its first line names (beside the examples, it is there already)."""
    text = files("roadmap_sync").joinpath(f"examples/roadmap.{name}.yaml").read_text("utf-8")
    return SCHEMA_HINT + text.removeprefix(MODELINE)


def _projects(value: str) -> list[str]:
    keys = [key.strip() for key in value.split(",") if key.strip()]
    syntax = adapter().key_syntax
    for key in keys:
        problem = syntax.project_key_problem(key)
        if problem:
            raise argparse.ArgumentTypeError(problem)
    if not keys:
        raise argparse.ArgumentTypeError("expected project keys like ACME or ACME,OPS")
    return keys


def _from_jira(ctx: CommandContext, tracker: Tracker, projects: list[str], output: str) -> str:
    try:
        missing = [p for p in projects if not tracker.project_exists(p)]
        if missing:
            raise CommandError(
                f"project {', '.join(missing)} does not exist or the account cannot see it",
                EXIT_FAILED,
            )
        versions = {project: tracker.versions(project) for project in projects}
        epics = tracker.fetch_epics(Scope(tuple(projects)))
    except TrackerError as error:
        raise CommandError(ctx.redactor.text(str(error)), EXIT_FAILED) from None
    draft = draft_roadmap(
        projects, versions, epics, site=tracker.site.base_url, today=ctx.today(), output=output
    )
    if draft is None:
        raise CommandError(
            f"nothing to draft: no unreleased version of {', '.join(projects)} has both a "
            "release date and epics with it as fix version; 'roadmap-sync init' writes a "
            "minimal file to start from instead",
            EXIT_FAILED,
        )
    ctx.err.print(
        f"Drafted {draft.releases} releases with {draft.features} features from "
        f"{len(epics)} epics; {draft.todos} TODOs (goals and metrics) need a person."
    )
    for reason in draft.left_out:
        ctx.err.print(f"  left out: {reason}", markup=False)
    return draft.text


def init(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Write a roadmap file: drafted from Jira, the full example, or the minimal one."""
    output: str = args.output
    target = Path(output)
    if output != "-" and target.exists() and not args.force:
        raise CommandError(
            f"{output} already exists: pass --force to overwrite it, or --output another file",
            EXIT_USAGE,
        )
    if args.from_jira:
        if not args.projects:
            raise CommandError("init --from-jira needs --projects KEY[,KEY]", EXIT_USAGE)
        text = _from_jira(ctx, ctx.tracker(), args.projects, output)
    else:
        text = example_text("example" if args.example else "minimal")
    try:  # our own draft must pass what `check` checks first; if not, that is a bug here
        parse_roadmap(RoadmapSource(target, text.encode()), adapter().key_syntax)
    except RoadmapError as error:
        raise CommandError(f"the drafted roadmap is invalid (please report): {error}", 1) from None
    if output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {output}: {error.strerror}", EXIT_FAILED) from None
    ctx.err.print(f"Wrote {output}. Next: roadmap-sync check --config {output}", markup=False)
    return EXIT_OK


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register init."""
    parser = add_command(
        commands,
        "init",
        summary="write a first roadmap file, drafted from your Jira",
        description="Write a roadmap file to start from. With --from-jira, draft it from the "
        "site: the unreleased versions of the projects that have a release date become "
        "releases in date order (name, date, fix version, the version's description as a "
        "goal draft), and the epics scheduled into each version become its features. Every "
        "key carries a comment, TODO marks the goals and metrics a person must write, and the "
        "file passes 'check' as written. Without --from-jira: the commented minimal roadmap "
        "(--example: the full reference with every key).",
        examples=[
            (
                "roadmap-sync init --from-jira --projects ACME,OPS",
                "draft roadmap.yaml from Jira (ROADMAP_SYNC_JIRA_URL and token)",
            ),
            ("roadmap-sync init --output roadmap.yaml", "the minimal file, no Jira needed"),
            ("roadmap-sync init --example --output -", "print the reference roadmap"),
        ],
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--from-jira", action="store_true", help="draft the roadmap from the Jira site"
    )
    source.add_argument(
        "--example", action="store_true", help="the reference roadmap with every key explained"
    )
    parser.add_argument(
        "--projects",
        type=_projects,
        metavar="KEY[,KEY]",
        help="with --from-jira: the Jira projects to draft from",
    )
    parser.add_argument(
        "--output",
        default="roadmap.yaml",
        metavar="FILE",
        help="where to write it (default roadmap.yaml; - for stdout)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(handler=init)
