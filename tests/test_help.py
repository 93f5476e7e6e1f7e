"""``--help``: every command described, with examples and exit statuses, readable at 80 columns."""

from __future__ import annotations

import pytest

from roadmap_sync.cli import build_parser, main
from roadmap_sync.commands.completion import command_tree
from roadmap_sync.reports.delivery.settings import DeliveryConfig
from roadmap_sync.runtime.settings import Settings

COMMANDS = [[name] for name in command_tree(build_parser()).commands if name != "sandbox"] + [
    ["sandbox"],
    ["sandbox", "serve"],
]


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``roadmap-sync ARGV --help`` prints."""
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], *COMMANDS], ids=lambda argv: " ".join(argv) or "top")
def test_help_fits_80_columns_and_says_how_it_ends(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each help has a description and exit statuses, and no line is cut or longer than 80."""
    monkeypatch.setenv("COLUMNS", "80")
    text = help_text(argv, capsys)
    assert "\N{HORIZONTAL ELLIPSIS}" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "exit status:\n  0  ok" in text
    description = text.split("\n\n")[1]
    assert len(description) > 40  # a sentence, not just the usage line


@pytest.mark.parametrize("argv", [["plan"], ["apply"], ["run"], ["history"], ["completion"]])
def test_help_has_examples_and_option_texts(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Commands show examples, and every option says what it does."""
    text = help_text(argv, capsys)
    assert f"examples:\n  roadmap-sync {argv[0]}" in text or "examples:\n  source" in text
    tree = command_tree(build_parser()).commands[argv[0]][1]
    assert all(option.help for option in tree.options)


def test_serve_help_lists_every_environment_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``serve --help`` names every ROADMAP_SYNC_* variable that configures the worker."""
    text = help_text(["serve"], capsys)
    for model in (Settings, DeliveryConfig):
        for name in model.model_fields:
            assert f"ROADMAP_SYNC_{name.upper()}\n" in text


def test_plan_help_documents_exit_status_4(capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --help`` explains ``--detailed-exitcode`` and its exit status 4."""
    text = help_text(["plan"], capsys)
    assert "--detailed-exitcode" in text and "\n  4  changes are pending" in text


def test_run_without_once_explains(capsys: pytest.CaptureFixture[str]) -> None:
    """``run`` alone exits 2 and says what --once and serve are for."""
    assert main(["run", "--config", "unused.yaml"]) == 2
    err = capsys.readouterr().err
    assert "run --once" in err and "serve" in err
