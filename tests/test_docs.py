"""The contributor documents agree with the code they describe."""

from __future__ import annotations

import re
import tomllib

from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.settings import ENV_PREFIX, OTHER_VARIABLES, Settings, env_name
from roadmap_sync.trackers.base import Tracker
from tests.conftest import REPO


def _layer_table() -> list[set[str]]:
    """The packages of each row of docs/architecture.md's layer table, top to bottom."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    layers = []
    for row in rows:
        cells = row.split("|")
        if len(cells) < 5:
            continue
        names = re.findall(r"`([a-z_]+)(?:/|\.py)`", cells[2])
        if names:
            layers.append(set(names))
    return layers


def test_architecture_layer_table_matches_the_import_contract() -> None:
    """The layer table lists the packages of pyproject.toml's layers contract, in its order."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layered,) = [c for c in contracts if c["type"] == "layers"]
    expected = [
        {name.strip().removeprefix("roadmap_sync.") for name in layer.split("|")}
        for layer in layered["layers"]
    ]
    assert _layer_table() == expected


def test_contributing_lists_every_tracker_method() -> None:
    """CONTRIBUTING's "Adding a tracker" names every member of the Tracker protocol."""
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Adding a tracker", 1)[1].split("\n## ", 1)[0]
    members = {name for name in vars(Tracker) if not name.startswith("_")}
    members |= set(Tracker.__annotations__)
    missing = sorted(name for name in members if f"`{name}" not in section)
    assert missing == []


def _readme_variables() -> list[tuple[str, str]]:
    """(variable, default cell) of every README table row that starts with a variable."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        found = re.match(r"\| `(ROADMAP_SYNC_[A-Z_]+)`([^|]*)\| ([^|]*) \|", line)
        if found:
            assert not found.group(2).strip(), f"one variable per row: {line}"
            rows.append((found.group(1), found.group(3).strip()))
    return rows


def _shown(default: object) -> str:
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_readme_lists_every_setting_once_with_its_default() -> None:
    """The README's variable tables name each ROADMAP_SYNC_* setting once, with its default."""
    rows = _readme_variables()
    names = [name for name, _ in rows]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    fields = {**Settings.model_fields, **DeliveryConfig.model_fields}
    expected = {env_name(field) for field in fields} | {ENV_PREFIX + v for v in OTHER_VARIABLES}
    assert set(names) == expected
    defaults = dict(rows)
    for field, info in fields.items():
        cell = defaults[env_name(field)]
        default = info.get_default(call_default_factory=True)
        if default is None or default == []:
            assert cell.startswith(("unset", "none")), (field, cell)
        else:
            assert cell.startswith(f"`{_shown(default)}`"), (field, cell, default)
