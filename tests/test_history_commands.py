"""``history``, ``revert`` and ``report`` through the CLI, against a sandbox and a real store."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rich.console import Console

from roadmap_sync.cli import main
from roadmap_sync.commands.history_commands import _history_table
from roadmap_sync.core.records import RunRecord
from roadmap_sync.core.retention import DEFAULT_RETENTION, RetentionPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from tests.conftest import REPO, point_cli_at, site_data

EXAMPLE = REPO / "config" / "roadmap.example.yaml"


@pytest.fixture
def site(flavor: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox plus the environment that points the CLI at it and at a fresh state store."""
    with SandboxServer(site_data(300, seed=3), flavor=flavor, bulk_delay=0.01) as server:  # type: ignore[arg-type]
        point_cli_at(server, monkeypatch, tmp_path)
        monkeypatch.setenv("ROADMAP_SYNC_REPORT_DIR", str(tmp_path / "reports"))
        yield server


def owned(site: SandboxServer, key: str) -> set[str]:
    """The bot-owned labels an issue carries."""
    return {
        label for label in site.store.get(key)["fields"]["labels"] if label.startswith("roadmap-")
    }


def labels_of(site: SandboxServer) -> dict[str, list[str]]:
    """Every issue's labels."""
    return {key: list(issue["fields"]["labels"]) for key, issue in site.store.issues.items()}


def test_run_is_recorded_and_listed(
    site: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run records its counts, audit rows and snapshot; ``history`` lists it."""
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    with StateStore.open(f"sqlite:///{Path('data/state.db').resolve()}") as store:
        (run,) = store.runs()
        audit = store.audit(run.run_id)
        snapshot = store.snapshot(run.run_id)
    assert run.kind == "run" and run.outcome == "ok"
    assert run.counts["changes_applied"] == len(audit) > 0
    assert all(row.ok and row.after != row.before for row in audit)
    assert snapshot is not None and len(snapshot.items) == run.counts["items"]
    row = audit[0]
    assert owned(site, row.key) == {lab for lab in row.after if lab.startswith("roadmap-")}
    capsys.readouterr()
    assert main(["history"]) == 0
    assert f"{run.run_id}" in capsys.readouterr().out


@pytest.mark.parametrize("flavor", ["cloud"])
def test_history_piped_and_as_json(site: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    """``history | cat`` prints one run per line with every column whole; json has the counts."""
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    assert main(["revert", "1", "--yes", "--config", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "run", "started", "(UTC)", "roadmap", "kind", "outcome", "items", "orphan", "out",
        "of", "scope", "changed", "failed", "aligned", "seconds",
    ]  # fmt: skip
    assert len(lines) == 3 and "\N{HORIZONTAL ELLIPSIS}" not in "".join(lines)
    assert "2 (reverts 1)" in lines[1] and "Acme Web Shop" in lines[1] and "revert" in lines[1]
    assert main(["history", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "roadmap-sync/history@1"
    first, second = document["runs"][1], document["runs"][0]
    assert first["kind"] == "run" and first["counts"]["changes_applied"] > 0
    assert second["reverts_run"] == first["run_id"] == 1


def test_revert_after_a_human_edit(site: SandboxServer) -> None:
    """Revert undoes the run, except where a person changed the same labels since."""
    before = labels_of(site)
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    with StateStore.open(f"sqlite:///{Path('data/state.db').resolve()}") as store:
        audit = store.audit(store.runs()[0].run_id)
    added = next(row for row in audit if row.added)
    # A person removes a label the run added and adds their own label meanwhile.
    requests.post(
        f"{site.url}/_sandbox/issues/{added.key}/edit",
        json={"update": {"labels": [{"remove": added.added[0]}, {"add": "keep-me"}]}},
        timeout=5,
    ).raise_for_status()
    assert main(["revert", "1", "--yes", "--config", str(EXAMPLE)]) == 0
    after = labels_of(site)
    for key, labels in before.items():
        expected = set(labels) | ({"keep-me"} if key == added.key else set())
        assert set(after[key]) == expected, key
    with StateStore.open(f"sqlite:///{Path('data/state.db').resolve()}") as store:
        revert_run = store.runs()[0]
    assert revert_run.kind == "revert" and revert_run.reverts_run == 1
    # The person already undid the run's only change on that issue: nothing left to revert there.
    untouched = 1 if len(added.added) == 1 and not added.removed else 0
    assert revert_run.counts["changes_applied"] == len(audit) - untouched


def test_revert_unknown_run_is_a_usage_error(site: SandboxServer) -> None:
    """Reverting a run that does not exist exits 2."""
    assert main(["revert", "99", "--yes", "--config", str(EXAMPLE)]) == 2


def test_revert_of_a_pruned_run_says_why(
    site: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run whose detail the retention policy removed cannot be reverted, and says so."""
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    with StateStore.open(f"sqlite:///{Path('data/state.db').resolve()}") as store:
        later = store.runs()[0].started_at + dt.timedelta(days=100)
        store.prune(RetentionPolicy.parse(DEFAULT_RETENTION), later)
    capsys.readouterr()
    assert main(["revert", "1", "--yes", "--config", str(EXAMPLE)]) == 2
    assert "detail=90d" in capsys.readouterr().err


def test_report_formats_and_delivery(
    site: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report`` renders Markdown, HTML and JSON from the store and delivers to files."""
    assert main(["report", "--config", str(EXAMPLE)]) == 2  # nothing recorded yet
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["report", "--config", str(EXAMPLE)]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# ") and f"{site.url}/browse/ACME-" in markdown
    assert main(["report", "--format", "json", "--config", str(EXAMPLE)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "roadmap-sync/report@2"
    assert document["first"] is True
    html_path = tmp_path / "out" / "report.html"
    assert main(["report", "--format", "html", "--output", str(html_path), "--deliver",
                 "--config", str(EXAMPLE)]) == 0  # fmt: skip
    assert "<svg" in html_path.read_text()
    delivered = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert "latest.html" in delivered and "latest.md" in delivered


def test_history_table_fits_80_columns() -> None:
    """On an 80-column terminal every history column shows, folded rather than cut."""
    started = dt.datetime(2026, 11, 30, 14, 47, tzinfo=dt.UTC)
    runs = [
        RunRecord(
            run_id=n,
            roadmap="Acme Web Shop and a rather long product name",
            kind="webhook",
            config_hash="h",
            started_at=started,
            finished_at=started + dt.timedelta(seconds=3),
            outcome="refused",
            counts={"items": 100_000, "verdict_orphan": 12_345, "changes_applied": 99_999},
            alignment=0.61,
            reverts_run=None,
        )
        for n in (1, 1234)
    ]
    buffer = io.StringIO()
    Console(file=buffer, width=80, force_terminal=True, color_system=None).print(
        _history_table(runs)
    )
    out = buffer.getvalue()
    assert "\N{HORIZONTAL ELLIPSIS}" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    for word in ("started", "outcome", "orphan", "scope", "changed", "aligned", "61%"):
        assert word in out
    assert "99999" in out and "refused" in out and "webhook" in out
