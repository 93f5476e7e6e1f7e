"""``roadmap-sync init``: a first roadmap drafted from Jira that passes ``check`` as written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from roadmap_sync.cli import main
from roadmap_sync.commands.draft import TODO_GOAL, TODO_METRIC, draft_roadmap
from roadmap_sync.core.model import BacklogItem
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers.base import VersionInfo
from tests.conftest import REPO, point_cli_at, site_data

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def jira_env(
    flavor: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SandboxServer]:
    """The demo's generated backlog on a sandbox, and the environment pointing at it."""
    with SandboxServer(site_data(400, seed=1), flavor=flavor) as server:  # type: ignore[arg-type]
        point_cli_at(server, monkeypatch, tmp_path)
        yield server


def test_drafted_roadmap_passes_check_and_plans(
    jira_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """init --from-jira, then check and plan with the file exactly as drafted."""
    assert main(["init", "--from-jira", "--projects", "ACME,OPS"]) == 0
    assert main(["check", "--config", "roadmap.yaml"]) == 0
    assert main(["plan", "--summary", "--config", "roadmap.yaml"]) == 0
    roadmap = load_roadmap("roadmap.yaml")
    assert [r.fix_versions for r in roadmap.releases] == [
        ("2026.11",), ("2026.12",), ("2027.02",), ("2027.04",),
    ]  # fmt: skip
    epics = [key for r in roadmap.releases for f in r.features for key in f.epics]
    assert epics == [f"ACME-{n}" for n in range(1, 11)]
    assert roadmap.releases[1].features[0].name == "Order tracking page"
    text = Path("roadmap.yaml").read_text()
    assert text.count(f'metrics: ["{TODO_METRIC}"]') == 4
    assert text.count("# TODO: rewrite as the benefit") == 4
    assert "# - Someday (ACME): no release date in Jira" in text
    assert "# - ops-q4 (OPS): no epic has this fix version" in text
    assert "left out: ops-q1" in capsys.readouterr().err


@pytest.mark.parametrize("flavor", ["cloud"])
def test_init_refuses_unknown_projects_and_missing_keys(
    jira_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown projects are exit 1, --from-jira without --projects exit 2; nothing is written."""
    assert main(["init", "--from-jira", "--projects", "NOPE"]) == 1
    assert "project NOPE does not exist" in capsys.readouterr().err
    assert main(["init", "--from-jira"]) == 2
    assert not Path("roadmap.yaml").exists()


def test_init_writes_the_commented_minimal_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --from-jira: the minimal roadmap, with comments; never overwrites silently."""
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    written = Path("roadmap.yaml").read_text()
    assert written.startswith("# Editor completion: roadmap-sync schema --output")
    assert "\n# The smallest valid roadmap" in written
    assert load_roadmap("roadmap.yaml").product == "Acme Web Shop"
    assert main(["init", "--example"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init", "--example", "--force"]) == 0
    assert "guard:" in Path("roadmap.yaml").read_text()


def epic(key: str, *versions: str) -> BacklogItem:
    """An epic scheduled into these versions."""
    return BacklogItem(
        key, f"Epic {key}", key.split("-", maxsplit=1)[0], "Epic", 1, fix_versions=versions
    )


def test_draft_merges_versions_and_gives_each_epic_one_release() -> None:
    """A version name shared by two projects is one release; an epic in two versions goes to
    the earlier; releases without a date or epics are left out, with the reason."""
    versions = {
        "ACME": [
            VersionInfo("1.1", dt.date(2027, 3, 1), ""),
            VersionInfo("1.0", dt.date(2027, 1, 1), "First cut"),
            VersionInfo("0.9", dt.date(2026, 6, 1), "", released=True),
            VersionInfo("later", None, ""),
        ],
        "OPS": [VersionInfo("1.0", dt.date(2026, 12, 1), ""), VersionInfo("2.0", TODAY, "")],
    }
    epics = [epic("ACME-1", "1.1", "1.0"), epic("OPS-2", "1.0"), epic("ACME-3", "1.1")]
    draft = draft_roadmap(["ACME", "OPS"], versions, epics, site="s", today=TODAY, output="r")
    assert draft is not None
    assert (draft.releases, draft.features, draft.todos) == (2, 3, 4)
    assert draft.left_out == ("later (ACME): no release date in Jira",
                              "2.0 (OPS): no epic has this fix version")  # fmt: skip
    first, second = draft.text.split("  - id: ")[1:]
    assert first.startswith('"1-0"') and "date: 2026-12-01" in first
    assert "epics: [ACME-1]" in first and "epics: [OPS-2]" in first
    assert 'goal: "First cut"' in first
    assert "epics: [ACME-3]" in second and f'goal: "{TODO_GOAL}"' in second


def test_draft_lists_epics_in_key_order_whatever_their_keys() -> None:
    """Epics come out by project, then number (ACME-9 before ACME-10); a key without a
    number (an import's) sorts by its text instead of failing the draft."""
    versions = {"ACME": [VersionInfo("1.0", dt.date(2027, 1, 1), "")]}
    epics = [epic("ACME-10", "1.0"), epic("ACME-x", "1.0"), epic("ACME-9", "1.0")]
    draft = draft_roadmap(["ACME"], versions, epics, site="s", today=TODAY, output="r")
    assert draft is not None
    assert draft.text.index("ACME-9") < draft.text.index("ACME-10") < draft.text.index("ACME-x")


def test_draft_of_nothing_is_none() -> None:
    """No version with a date and epics: nothing to draft."""
    versions = {"ACME": [VersionInfo("1.0", None, "")]}
    assert draft_roadmap(["ACME"], versions, [], site="s", today=TODAY, output="r") is None


@pytest.mark.parametrize("name", ["roadmap.example.yaml", "roadmap.minimal.yaml"])
def test_packaged_examples_match_the_documented_ones(name: str) -> None:
    """The examples shipped in the package (for demo and init) are the files config/ documents."""
    packaged = files("roadmap_sync").joinpath(f"examples/{name}").read_bytes()
    assert packaged == (REPO / "config" / name).read_bytes()
