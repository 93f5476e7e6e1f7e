"""``roadmap-sync schema``: the roadmap file's JSON Schema, generated from the model itself.

Editors (VS Code, JetBrains, Neovim through yaml-language-server) complete and check roadmap
files with it. The copy committed beside the examples is tested to match the model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from roadmap_sync.commands.context import EXIT_FAILED, EXIT_OK, CommandContext, CommandError
from roadmap_sync.commands.help import add_command
from roadmap_sync.core.roadmap import Roadmap

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# Hover texts for editors, beside what the model says (types, required keys, defaults).
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Roadmap", "product"): "The product's name, shown in reports",
    ("Roadmap", "tracker"): "Which Jira issues the roadmap covers",
    ("Roadmap", "labels"): "The labels the bot writes (it owns every label with the prefix)",
    ("Roadmap", "horizon"): "How many upcoming releases may hold story-level detail",
    ("Roadmap", "guard"): "The blast-radius guard",
    ("Roadmap", "releases"): "The releases of the GO roadmap, in any order",
    ("TrackerConfig", "projects"): "Jira project keys to read and label",
    ("TrackerConfig", "jql"): "Extra JQL ANDed with the project filter",
    ("TrackerConfig", "epic_types"): "Issue types at epic level (default: hierarchyLevel >= 1)",
    ("TrackerConfig", "story_types"): "Issue types of story-level detail",
    ("TrackerConfig", "done_statuses"): "Statuses that mean done besides the done category",
    ("Release", "id"): "A slug (lowercase letters, digits, '-'); the label is prefix + id",
    ("Release", "name"): "The release's headline",
    ("Release", "date"): "YYYY-MM-DD; give date or timeframe",
    ("Release", "timeframe"): "2026-Q4, 2026-H2 or 2026-11; give date or timeframe",
    ("Release", "goal"): "The benefit the release delivers",
    ("Release", "metrics"): "How the team will know the goal was met",
    ("Release", "fix_versions"): "Jira versions scheduling items into this release (quote them)",
    ("Release", "label"): "The release label (default prefix + id; must start with the prefix)",
    ("Release", "features"): "The key features that reach the goal",
    ("Feature", "name"): "The feature's name",
    ("Feature", "epics"): "Jira keys claimed with everything beneath them",
    ("Feature", "match"): "Claim items carrying any of these labels or components",
}
PATTERNS: dict[tuple[str, str], str] = {
    ("Release", "id"): "^[a-z0-9][a-z0-9-]*$",
    ("Release", "timeframe"): "^[0-9]{4}-(Q[1-4]|H[12]|0[1-9]|1[0-2])$",
}


def _annotate(schema: dict[str, Any]) -> None:
    definitions = {"Roadmap": schema, **schema.get("$defs", {})}
    for (model, key), text in DESCRIPTIONS.items():
        found = definitions.get(model, {}).get("properties", {}).get(key)
        if found is not None:
            found.setdefault("description", text)
    for (model, key), pattern in PATTERNS.items():
        found = definitions.get(model, {}).get("properties", {}).get(key)
        if found is None:
            continue
        for option in found.get("anyOf", [found]):
            if option.get("type") == "string":
                option["pattern"] = pattern


def roadmap_schema() -> dict[str, Any]:
    """The JSON Schema of a roadmap file (validation mode: what a file may contain)."""
    schema = Roadmap.model_json_schema(mode="validation")
    _annotate(schema)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "roadmap-sync roadmap",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(roadmap_schema(), indent=2, sort_keys=True) + "\n"


def schema_command(ctx: CommandContext, args: argparse.Namespace) -> int:
    """Print or write the schema."""
    text = schema_text()
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror}", EXIT_FAILED) from None
    ctx.err.print(
        f"Wrote {args.output}. Point your roadmap at it with the first line\n"
        f"  # yaml-language-server: $schema={args.output}",
        markup=False,
    )
    return EXIT_OK


def add_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """Register schema."""
    parser = add_command(
        commands,
        "schema",
        summary="the roadmap file's JSON Schema, for editor completion",
        description="Print the JSON Schema of roadmap files, generated from the same model "
        "that validates them. With yaml-language-server (VS Code's YAML extension, Neovim, "
        "JetBrains) a first line '# yaml-language-server: $schema=roadmap.schema.json' gives "
        "completion and checks while you type.",
        examples=[
            ("roadmap-sync schema --output roadmap.schema.json", "beside your roadmap"),
        ],
        statuses=(0, 1),
    )
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(handler=schema_command)
