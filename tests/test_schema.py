"""``roadmap-sync schema``: the committed JSON Schema matches the model and the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from roadmap_sync.cli import main
from roadmap_sync.commands.schema import roadmap_schema, schema_text
from tests.conftest import REPO

COMMITTED = [REPO / "config" / "roadmap.schema.json",
             REPO / "roadmap_sync" / "examples" / "roadmap.schema.json"]  # fmt: skip
EXAMPLES = [REPO / "config" / "roadmap.example.yaml", REPO / "config" / "roadmap.minimal.yaml"]


class _EditorLoader(yaml.SafeLoader):
    """YAML as editors read it (YAML 1.2 core schema): dates stay text."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def as_editor_reads(path: Path) -> Any:
    """A roadmap file's data as a YAML language server sees it."""
    return yaml.load(path.read_text(), Loader=_EditorLoader)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(REPO)))
def test_committed_schema_matches_the_model(path: Path) -> None:
    """The schema in the repository is what the model generates (run 'roadmap-sync schema
    --output ...' after changing the model)."""
    assert path.read_text() == schema_text()


def test_schema_command_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    """``roadmap-sync schema`` prints the same schema."""
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == roadmap_schema()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_name_and_satisfy_the_schema(path: Path) -> None:
    """The example roadmaps point editors at the schema and are valid under it."""
    assert path.read_text().startswith("# yaml-language-server: $schema=roadmap.schema.json\n")
    jsonschema.validate(as_editor_reads(path), roadmap_schema())


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.update(prodcut="x"), ""),
        (lambda d: d["releases"][0].update(timeframe="2026-Q5"), "releases/0/timeframe"),
        (lambda d: d["releases"][0].update(id="R 1"), "releases/0/id"),
        (lambda d: d["guard"].update(first_sync="maybe"), "guard/first_sync"),
        (lambda d: d["releases"][0].pop("goal"), "releases/0"),
    ],
)
def test_schema_flags_what_the_model_refuses(edit: Any, path: str) -> None:
    """Editors flag typos, bad timeframes and ids, unknown choices and missing keys."""
    data = as_editor_reads(EXAMPLES[0])
    edit(data)
    with pytest.raises(jsonschema.ValidationError) as raised:
        jsonschema.validate(data, roadmap_schema())
    assert "/".join(str(p) for p in raised.value.absolute_path).startswith(path)
