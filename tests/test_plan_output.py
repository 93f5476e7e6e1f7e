"""``plan`` for people: every change listed and grouped, readable piped and at 80 columns."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from roadmap_sync.cli import main
from roadmap_sync.commands.plan_output import render_table
from roadmap_sync.commands.text import aligned, change_counts
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import make_plan
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers.registry import connect
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, point_cli_at, site_data

EXAMPLE = str(REPO / "config" / "roadmap.example.yaml")


@pytest.fixture
def cli_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SandboxServer]:
    """A Cloud sandbox the CLI points at, with a state store of the test's own."""
    with SandboxServer(site_data(300, seed=3), flavor="cloud") as server:
        point_cli_at(server, monkeypatch, tmp_path)
        yield server


def test_change_counts_wording() -> None:
    """One wording for change counts everywhere: "N issues, +A, minus R labels"."""
    assert change_counts(77, 89, 3) == "77 issues, +89 \N{MINUS SIGN}3 labels"
    assert change_counts(1, 1, 0) == "1 issue, +1 \N{MINUS SIGN}0 labels"


def test_aligned_pads_every_column_but_the_last() -> None:
    """Plain output aligns columns and never cuts a cell."""
    rows = [("a", "long value", "x"), ("longer", "b", "the last column is never padded")]
    assert aligned(rows) == [
        "a       long value  x",
        "longer  b           the last column is never padded",
    ]


def test_piped_plan_lists_every_change(
    cli_site: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """``plan | cat``: every changed issue on a line of its own, nothing truncated or wrapped."""
    assert main(["plan", "--config", EXAMPLE, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    changed = {
        item["key"]: item
        for item in document["items"]
        if item["labels_add"] or item["labels_remove"]
    }
    assert main(["plan", "--config", EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert "\N{HORIZONTAL ELLIPSIS}" not in out and "..." not in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert set(lines) == set(changed)
    for key, item in changed.items():
        for label in item["labels_add"]:
            assert f"+{label}" in lines[key]
    summary = document["summary"]["changes"]
    expected = change_counts(summary["issues"], summary["labels_added"], summary["labels_removed"])
    assert f"Changes: {expected}." in out
    for group in ("flags raised", "release labels added"):
        assert f"\n{group} (" in out


def test_summary_counts_groups_without_listing(
    cli_site: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """``plan --summary`` counts each group and lists no issue."""
    assert main(["plan", "--config", EXAMPLE, "--summary"]) == 0
    out = capsys.readouterr().out
    assert "flags raised:" in out
    assert not [line for line in out.splitlines() if line.startswith("  ACME-")]


def test_detailed_exitcode_says_whether_changes_are_pending(
    cli_site: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--detailed-exitcode``: 4 while changes are pending, 0 once the backlog is in line."""
    assert main(["plan", "--config", EXAMPLE, "--detailed-exitcode", "--summary"]) == 4
    assert main(["plan", "--config", EXAMPLE, "--summary"]) == 0
    assert main(["run", "--once", "--force", "--config", EXAMPLE]) == 0
    assert main(["plan", "--config", EXAMPLE, "--detailed-exitcode"]) == 0
    assert "No changes" in capsys.readouterr().out


def test_terminal_table_is_readable_at_80_columns(cli_site: SandboxServer) -> None:
    """On an 80-column terminal the plan folds long cells instead of cutting them with "…"."""
    tracker = connect(
        ConnectOptions(cli_site.url, cli_site.email, cli_site.token, RetryPolicy(attempts=2))
    )
    roadmap = load_roadmap(EXAMPLE)
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    plan = make_plan(roadmap, tracker, today=now.date(), now=now)
    buffer = io.StringIO()
    render_table(plan, Console(file=buffer, width=80, force_terminal=True, color_system=None))
    out = buffer.getvalue()
    assert "\N{HORIZONTAL ELLIPSIS}" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    for release in roadmap.releases:
        assert release.when in out
    for change in plan.labels.changes:
        assert change.key in out
