"""``roadmap-sync demo`` twice: the second run resumes the sandbox a week later and shows drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_sync.cli import main

pytestmark = pytest.mark.slow


def test_demo_twice_shows_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first demo syncs and reports; the second finds people's edits in its report."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROADMAP_SYNC_DATA_DIR", str(tmp_path / "data"))
    # No --config, in an empty directory: the example roadmap ships inside the package.
    assert main(["demo", "--issues", "400"]) == 0
    first = capsys.readouterr().out
    assert (
        "A second plan over the unchanged backlog: 0 issues, +0 \N{MINUS SIGN}0 labels, 0 writes"
        in first
    )
    report = tmp_path / "data" / "reports" / "demo-report.html"
    assert report.is_file()
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert "A week later" in second
    assert "3 new items" in second
    assert "moved between releases" in second
    assert "newly flagged" in second
    assert "<svg" in report.read_text()
