"""``roadmap-sync suggest``: where orphans probably belong, and features the roadmap may lack."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from roadmap_sync.commands.context import (
    EXIT_OK,
    EXIT_USAGE,
    CommandContext,
    CommandError,
    add_config_argument,
    positive_int,
)
from roadmap_sync.commands.help import add_command
from roadmap_sync.commands.sync_commands import build_plan
from roadmap_sync.commands.text import aligned
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.core.suggest import Suggestion, Suggestions, suggest, suggestions_document

FORMATS = ("table", "plain", "json", "yaml-patch")


def _headline(roadmap: Roadmap, found: Suggestions) -> str:
    items = sum(s.items for s in found.suggestions)
    return (
        f"{roadmap.product}: {items} unclaimed open items in {len(found.suggestions)} places; "
        f"{len(found.confident())} confident suggestions, {len(found.clusters)} candidate "
        "new features."
    )


def _subject(s: Suggestion) -> str:
    beneath = f", {s.items} items" if s.items > 1 else ""
    return f"{s.key}  {s.issue_type.lower()}, {s.verdict.value}{beneath}: {s.summary}"


def render_suggestions(
    roadmap: Roadmap, found: Suggestions, console: Console, *, colour: bool
) -> None:
    """Every suggestion with its candidates and evidence, then the candidate new features."""

    def say(text: str, style: str = "") -> None:
        if colour and style:
            console.print(f"[{style}]{escape(text)}[/{style}]", soft_wrap=not colour)
        else:
            console.print(text, markup=False, highlight=False, soft_wrap=not colour)

    say(_headline(roadmap, found), "bold")
    for suggestion in found.suggestions:
        say("")
        say(_subject(suggestion), "bold")
        rows = [
            (
                f"  {c.score:.2f}",
                "confident" if n == 0 and suggestion.confident else "",
                f"{c.release} {c.feature}",
                "; ".join(c.evidence),
            )
            for n, c in enumerate(suggestion.candidates)
        ]
        for line in aligned(rows) or ["  no feature shares anything with it"]:
            say(line)
    if found.clusters:
        say("")
        say("Candidate new features (items no feature would take):", "bold")
        for cluster in found.clusters:
            shown = ", ".join(cluster.keys)
            say(f"  {cluster.name}: {cluster.items} items ({shown})")


def _file_indices(roadmap: Roadmap) -> dict[tuple[str, str], tuple[int, int, bool]]:
    """(release id, feature name) -> (release index, feature index, has epics) as written."""
    if roadmap.source_path is None:
        raise CommandError("yaml-patch needs the roadmap file", EXIT_USAGE)
    data = yaml.safe_load(roadmap.source_path.read_text(encoding="utf-8"))
    found: dict[tuple[str, str], tuple[int, int, bool]] = {}
    for i, release in enumerate(data.get("releases") or []):
        for j, feature in enumerate(release.get("features") or []):
            found[(str(release.get("id")), str(feature.get("name")))] = (i, j, "epics" in feature)
    return found


def _comment(text: str) -> str:
    return " ".join(text.split())


def yaml_patch(roadmap: Roadmap, found: Suggestions) -> str:
    """The roadmap edits that adopt the confident suggestions: a JSON Patch (RFC 6902) in YAML,
    with the candidate new features as comments to place by hand."""
    indices = _file_indices(roadmap)
    confident = found.confident()
    lines = [
        f"# Edits to {roadmap.source_path} that adopt {len(confident)} confident suggestions of",
        "# `roadmap-sync suggest`: each adds the item (and everything beneath it) to the epics",
        "# of the feature it probably belongs to. A JSON Patch (RFC 6902) written in YAML; paths",
        "# index the file as written. Review it, then apply it with a JSON Patch tool or by hand.",
    ]
    started: set[tuple[int, int]] = set()
    for suggestion in confident:
        best = suggestion.best
        assert best is not None  # confident implies a candidate
        i, j, has_epics = indices[(best.release, best.feature)]
        path = f"/releases/{i}/features/{j}/epics"
        why = _comment(
            f"{suggestion.summary!r} -> {best.feature!r} of {best.release}, score {best.score:.2f}"
            f": {'; '.join(best.evidence[:1])}"
        )
        lines.append(f"# {why}")
        if has_epics or (i, j) in started:
            lines += ["- op: add", f"  path: {path}/-", f"  value: {suggestion.key}"]
        else:
            lines += ["- op: add", f"  path: {path}", f"  value: [{suggestion.key}]"]
            started.add((i, j))
    if not confident:
        lines.append("[]")
    if found.clusters:
        lines.append("")
        lines.append("# Candidate new features: no feature would take these items. Choose a")
        lines.append("# release for each and add it by hand, for example:")
        for cluster in found.clusters:
            lines.append(f"#   - name: {json.dumps(cluster.name)}")
            claims = cluster.epics or cluster.keys
            lines.append(f"#     epics: [{', '.join(claims)}]  # {cluster.items} items")
    return "\n".join(lines) + "\n"


def suggest_command(ctx: CommandContext, args: argparse.Namespace) -> int:
    """``roadmap-sync suggest``: rank features for every unclaimed item, per roadmap."""
    roadmaps = ctx.roadmaps(args)
    tracker = ctx.tracker()
    fmt = ctx.text_format(args.format)
    documents: list[dict[str, Any]] = []
    for roadmap in roadmaps:
        plan = build_plan(ctx, roadmap, tracker)
        found = suggest(plan.items, plan.classification, roadmap, top=args.top)
        if fmt == "json":
            documents.append(
                suggestions_document(found, roadmap.product, plan.generated_at.isoformat())
            )
        elif fmt == "yaml-patch":
            sys.stdout.write(yaml_patch(roadmap, found))
        else:
            render_suggestions(roadmap, found, ctx.out, colour=fmt == "table")
    if documents:
        json.dump(documents[0] if len(documents) == 1 else documents, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return EXIT_OK


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register suggest."""
    parser = add_command(
        commands,
        "suggest",
        summary="where orphans probably belong, and features the roadmap may lack",
        description="The bottom-up path of a goal-oriented roadmap. For every open item that no "
        "feature claims (orphans, and items scheduled into a release that no feature of it "
        "claims), rank the roadmap's features by how much the item shares with them: words of "
        "its summary against the feature's name, description and the summaries of the items "
        "it already claims, and shared components and labels. Each candidate has a score "
        "(0 to 1) and its evidence. Items under an unclaimed epic move with their epic. Items "
        "that no feature would take are grouped into candidate new features. Reads only.",
        examples=[
            ("roadmap-sync suggest --config roadmap.yaml", "every suggestion with its evidence"),
            ("roadmap-sync suggest --format yaml-patch > adopt.yaml", "edits for the sure ones"),
            ("roadmap-sync suggest --format json", "schema roadmap-sync/suggest@1"),
        ],
    )
    add_config_argument(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default on a terminal), plain (default off one), json, or yaml-patch (the "
        "roadmap edits that adopt the confident suggestions)",
    )
    parser.add_argument(
        "--top", type=positive_int, default=3, metavar="N", help="candidates per item (default 3)"
    )
    parser.set_defaults(handler=suggest_command)
