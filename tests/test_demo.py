"""``roadmap-sync demo`` twice: the second run resumes the sandbox a week later and shows drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from roadmap_sync.cli import main

pytestmark = pytest.mark.slow


def test_demo_twice_shows_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first demo syncs and reports; a week later the report shows drift and the outlook."""
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

    document = latest_json_report(tmp_path / "data" / "state.db")
    releases = {r["id"]: r for r in document["releases"] if r["id"] is not None}
    assert set(releases) == {"r1", "r2", "r3", "r4"}
    for release in releases.values():
        # A week apart on the sandbox's clock: every release has a forecast (or is done),
        # a baseline with growth, and metric statuses.
        assert release["forecast"] is not None or release["forecast_reason"].startswith("done")
        assert release["baseline"] is not None, release["baseline_reason"]
        assert {"added", "removed", "moved_in", "moved_out", "growth"} <= set(release["baseline"])
        assert release["metrics"] and all(m["status"] for m in release["metrics"])
    assert releases["r2"]["forecast"]["previous_probability"] is not None
    movers = [c for c in releases["r3"]["scope_changes"]["changes"] if c["who"]]
    assert movers and movers[0]["who"] == "Pat Person"  # the story moved from ACME-3 to ACME-7
    at_risk = [line["text"] for line in document["attention"] if line["kind"] == "date_at_risk"]
    assert len(at_risk) == 1 and at_risk[0].startswith("Customers come back is at risk")
    assert document["numbers"]["at_risk_releases"]["value"] == 1
    assert "the team finished 24 stories" in second


def latest_json_report(state: Path) -> dict[str, Any]:
    """The newest JSON report saved in the demo's state store."""
    engine = sa.create_engine(f"sqlite:///{state}")
    try:
        with engine.connect() as conn:
            query = "SELECT content FROM reports WHERE format = 'json' ORDER BY id DESC LIMIT 1"
            document: dict[str, Any] = json.loads(conn.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()
    return document
