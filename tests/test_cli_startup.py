"""Start-up: a command loads only what it runs."""

from __future__ import annotations

import subprocess
import sys

from roadmap_sync import __version__

PROBE = """
import sys
from roadmap_sync.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = [m for m in ("roadmap_sync.sandbox.command", "sqlalchemy", "jinja2", "alembic")
         if m in sys.modules]
print(f"exit={code} heavy={','.join(heavy)}")
"""


def _probe(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_version_answers_without_loading_any_command() -> None:
    """``--version`` (what an admin and the bench's start-up figure run) loads no command's
    modules: no sandbox, no state store, no templates, no migrations."""
    assert _probe("--version") == [f"roadmap-sync {__version__}", "exit=0 heavy="]


def test_help_still_lists_every_command() -> None:
    """Without a command, the overview must name every command, so it loads them all."""
    lines = _probe("--help")
    assert lines[-1].startswith("exit=0 heavy=") and "roadmap_sync.sandbox.command" in lines[-1]
    text = "\n".join(lines)
    for command in ("plan", "apply", "run", "serve", "report", "history", "revert", "sandbox"):
        assert f"    {command}" in text, command
