"""``roadmap-sync check``: is the config valid and can the bot do its job on this Jira?"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from rich.markup import escape

from roadmap_sync.commands.context import (
    EXIT_FAILED,
    EXIT_OK,
    CommandContext,
    add_config_argument,
    keys_preview,
)
from roadmap_sync.commands.help import add_command
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.trackers.base import Tracker, TrackerError


@dataclass(frozen=True)
class Problem:
    """Something that stops the bot, and how to fix it."""

    what: str
    fix: str


def roadmap_problems(roadmap: Roadmap, tracker: Tracker) -> list[Problem]:
    """Projects, permissions, versions and epics that the roadmap needs from the tracker."""
    problems: list[Problem] = []
    visible: list[str] = []
    for project in roadmap.tracker.projects:
        if not tracker.project_exists(project):
            problems.append(
                Problem(
                    f"project {project} does not exist or the account cannot see it",
                    f"check the key in tracker.projects, or grant Browse Projects on {project}",
                )
            )
            continue
        visible.append(project)
        for permission in tracker.missing_permissions(project):
            problems.append(
                Problem(
                    f"the account lacks {permission} in {project}",
                    f"grant {permission} to the bot's account in {project}'s permission scheme",
                )
            )
    versions = {name for project in visible for name in tracker.version_names(project)}
    for release in roadmap.releases:
        for name in release.fix_versions:
            if name not in versions:
                problems.append(
                    Problem(
                        f"release {release.id}: fix version '{name}' does not exist in "
                        f"{', '.join(visible) or 'the projects'}",
                        "create the version in Jira or correct fix_versions",
                    )
                )
    if visible and roadmap.tracker.jql:
        # Jira's own word on the scope's query (Cloud: jql/parse), e.g. unknown field values.
        for message in tracker.query_problems(roadmap.tracker.scope):
            problems.append(Problem(f"tracker.jql: {message}", "correct tracker.jql"))
    epics = sorted(
        {key for release in roadmap.releases for f in release.features for key in f.epics}
    )
    missing = sorted(set(epics) - tracker.existing_keys(epics))
    if missing:
        problems.append(
            Problem(
                f"epics listed in the roadmap do not exist: {keys_preview(missing)}",
                "correct the keys under features[].epics",
            )
        )
    return problems


def check(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Validate config, then connection, auth, projects, permissions, versions and epics."""
    roadmaps = ctx.roadmaps(args)
    ctx.out.print(f"[green]ok[/green] config: {len(roadmaps)} roadmap(s) valid")
    tracker = ctx.tracker()
    site = tracker.site
    ctx.out.print(
        f"[green]ok[/green] {site.tracker} {site.flavor} {site.version} at {site.base_url}: "
        "authenticated"
    )
    problems: list[Problem] = []
    for roadmap in roadmaps:
        try:
            found = roadmap_problems(roadmap, tracker)
        except TrackerError as error:
            found = [Problem(ctx.redactor.text(str(error)), "check the URL and the network")]
        for problem in found:
            ctx.out.print(
                f"[red]problem[/red] {escape(roadmap.product)}: {escape(problem.what)}\n"
                f"  fix: {escape(problem.fix)}"
            )
        if not found:
            ctx.out.print(
                f"[green]ok[/green] {escape(roadmap.product)}: projects, permissions, versions, "
                "epics"
            )
        problems += found
    return EXIT_FAILED if problems else EXIT_OK


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register check."""
    parser = add_command(
        commands,
        "check",
        summary="validate the roadmap and the access to Jira",
        description="Validate the roadmap files (every problem with its file, line and column), "
        "then check that Jira is reachable, the credentials work, the projects exist, the "
        "account may browse and edit issues there, and every fix version and epic the roadmap "
        "names exists. Each problem is printed with its fix. Reads only.",
        examples=[
            ("roadmap-sync check --config roadmap.yaml", "one roadmap file"),
            (
                "ROADMAP_SYNC_CONFIG=a.yaml,b.yaml roadmap-sync check",
                "several, from the environment",
            ),
        ],
    )
    add_config_argument(parser)
    parser.set_defaults(handler=check)
