"""``roadmap-sync completion``: scripts that bash, zsh and fish load and complete with."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from roadmap_sync.cli import build_parser, main
from roadmap_sync.commands.completion import command_tree
from tests.conftest import require


def script(shell: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """The generated script for `shell`, written to a file."""
    assert main(["completion", shell]) == 0
    path = tmp_path / f"completion.{shell}"
    path.write_text(capsys.readouterr().out)
    return path


def test_tree_has_every_command_and_option() -> None:
    """The completion tree comes from the parser, so nothing can go missing or stale."""
    tree = command_tree(build_parser())
    assert {"check", "plan", "apply", "run", "serve", "sandbox", "completion"} <= set(tree.commands)
    plan = tree.commands["plan"][1]
    formats = next(o for o in plan.options if "--format" in o.flags)
    assert formats.choices == ("table", "plain", "json")
    config = next(o for o in plan.options if "--config" in o.flags)
    assert config.is_path
    assert "serve" in tree.commands["sandbox"][1].commands


BASH_CASES = [
    (["roadmap-sync", "pl"], "plan"),
    (["roadmap-sync", "plan", "--f"], "--format"),
    (["roadmap-sync", "plan", "--format", ""], "table plain json"),
    (["roadmap-sync", "plan", "--config", "x.yaml", "--det"], "--detailed-exitcode"),
    (["roadmap-sync", "sandbox", "serve", "--flavor", "d"], "datacenter"),
    (["roadmap-sync", "completion", "z"], "zsh"),
]


@pytest.mark.parametrize(("words", "expected"), BASH_CASES)
def test_bash_completes(
    words: list[str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """bash completes commands, options and option values at the cursor."""
    path = script("bash", capsys, tmp_path)
    array = " ".join(f"'{word}'" for word in words)
    probe = (
        f"source {path}; COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}; "
        '_roadmap_sync; echo "${COMPREPLY[*]}"'
    )
    found = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    assert found.stdout.strip() == expected and not found.stderr


def test_fish_completes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """fish completes commands, nested commands' options and values."""
    require(shutil.which("fish") is not None, "fish is not installed")
    path = script("fish", capsys, tmp_path)
    probe = (
        f"source {path}; complete -C 'roadmap-sync pl'; complete -C 'roadmap-sync plan --format '; "
        "complete -C 'roadmap-sync sandbox serve --fla'"
    )
    found = subprocess.run(
        ["fish", "--no-config", "-c", probe],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert found.returncode == 0, found.stderr
    words = [line.split("\t")[0] for line in found.stdout.splitlines()]
    assert words == ["plan", "json", "plain", "table", "--flavor"]


def test_zsh_loads_the_completion(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """zsh parses the script and registers a completion function for every command."""
    require(shutil.which("zsh") is not None, "zsh is not installed")
    path = script("zsh", capsys, tmp_path)
    probe = (
        f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; source {path}; "
        "print $_comps[roadmap-sync]; whence -w _roadmap_sync__sandbox__serve _roadmap_sync__plan"
    )
    found = subprocess.run(
        ["zsh", "-f", "-c", probe], check=False, capture_output=True, text=True, timeout=30
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == [
        "_roadmap_sync",
        "_roadmap_sync__sandbox__serve:",
        "function",
        "_roadmap_sync__plan:",
        "function",
    ]


@pytest.mark.parametrize("command", [["completion", "bash"], ["schema"]])
def test_settings_free_commands_work_while_a_setting_is_invalid(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An admin fixing a bad environment can still get completion and the schema; the bad
    setting is named as a warning, and a command that needs settings still refuses (exit 2)."""
    monkeypatch.setenv("ROADMAP_SYNC_SYNC_CRON", "61 * * * *")
    assert main(command) == 0
    captured = capsys.readouterr()
    assert captured.out.strip()
    assert "warning: invalid settings" in captured.err
    assert "ROADMAP_SYNC_SYNC_CRON" in captured.err
    assert main(["history"]) == 2
    assert "invalid settings" in capsys.readouterr().err
