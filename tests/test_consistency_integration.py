"""The bot against a site as it really is: Cloud's search lag (the sandbox's default), Data
Center's result window, a lying search result, and an injected ``tracker.jql``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from roadmap_sync.cli import main
from roadmap_sync.core.model import LabelChange, LabelPlan
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.scope_guard import ScopeError
from roadmap_sync.engine.sync import apply_plan, make_plan
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import point_cli_at, site_data
from tests.test_sync_integration import EXAMPLE, NOW, TODAY, sandbox_writes, tracker_for


@pytest.fixture
def real_site(flavor: str) -> Iterator[SandboxServer]:
    """A site with a real site's defaults: Cloud's search lags 2 s (bulk edits longer)."""
    with SandboxServer(site_data(400, seed=31), flavor=flavor) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def cli(real_site: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SandboxServer:
    """The CLI's environment pointed at the site; each command is a fresh tracker."""
    point_cli_at(real_site, monkeypatch, tmp_path)
    return real_site


def planned_changes(capsys: pytest.CaptureFixture[str]) -> int:
    """Run ``plan --format json`` and return how many issues it would change."""
    capsys.readouterr()
    assert main(["plan", "--format", "json", "--config", str(EXAMPLE)]) == 0
    document = json.loads(capsys.readouterr().out)
    changes: int = document["summary"]["changes"]["issues"]
    return changes


def labelled_story(site: SandboxServer, epic: str) -> str:
    """A story of ``epic`` the bot labels (not opted out)."""
    return next(
        key
        for key, issue in site.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
        and "roadmap-ignore" not in issue["fields"]["labels"]
    )


def test_apply_then_immediate_plan_shows_no_changes(
    cli: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """``apply``, then at once ``plan`` in a new process: 0 changes, although search lags."""
    assert main(["apply", "--yes", "--force", "--config", str(EXAMPLE)]) == 0
    assert planned_changes(capsys) == 0


def test_a_persons_edit_one_second_after_apply_is_neither_lost_nor_undone(
    cli: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A person moves a story to another epic and adds a label 1 s after an apply: the next
    run relabels it for the new epic and keeps the person's label; then nothing is left."""
    site = cli
    assert main(["apply", "--yes", "--force", "--config", str(EXAMPLE)]) == 0
    story = labelled_story(site, "ACME-3")
    assert "roadmap-r2" in site.store.get(story)["fields"]["labels"]
    time.sleep(1)
    field = "parent" if site.flavor == "cloud" else site.store.epic_link_field
    epic: object = {"key": "ACME-7"} if site.flavor == "cloud" else "ACME-7"
    requests.post(
        f"{site.url}/_sandbox/issues/{story}/edit",
        json={"fields": {field: epic}, "update": {"labels": [{"add": "pat-was-here"}]}},
        timeout=5,
    ).raise_for_status()
    assert main(["run", "--once", "--force", "--config", str(EXAMPLE)]) == 0
    labels = site.store.get(story)["fields"]["labels"]
    assert "pat-was-here" in labels, "the person's label was lost"
    assert "roadmap-r3" in labels and "roadmap-r2" not in labels, labels
    assert planned_changes(capsys) == 0


def test_plan_drops_a_lying_search_result_and_never_writes_outside_scope(
    real_site: SandboxServer,
) -> None:
    """A search that slips in an OPS issue: it is not planned, and OPS is never written."""
    roadmap = load_roadmap(EXAMPLE)
    foreign = next(k for k in real_site.store.issues if k.startswith("OPS-"))
    before = list(real_site.store.get(foreign)["fields"].get("labels") or [])
    requests.post(
        f"{real_site.url}/_sandbox/faults",
        json={"endpoint": "search", "kind": "foreign", "issue": foreign, "times": -1},
        timeout=5,
    ).raise_for_status()
    tracker = tracker_for(real_site)
    plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    assert foreign not in {item.key for item in plan.items}
    assert plan.labels.changes
    apply_plan(plan, tracker, force=True)
    written = json.dumps(sandbox_writes(real_site))
    assert "OPS-" not in written
    assert (real_site.store.get(foreign)["fields"].get("labels") or []) == before


def test_apply_refuses_a_plan_reaching_outside_the_projects(real_site: SandboxServer) -> None:
    """Independently of reading, a change to an issue outside tracker.projects is refused."""
    roadmap = load_roadmap(EXAMPLE)
    tracker = tracker_for(real_site)
    plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    foreign = next(k for k in real_site.store.issues if k.startswith("OPS-"))
    lying = LabelChange(foreign, ("roadmap-orphan",), (), ())
    tampered = plan.__class__(
        **{**plan.__dict__, "labels": LabelPlan((*plan.labels.changes[:3], lying))}
    )
    requests.delete(f"{real_site.url}/_sandbox/writes", timeout=5)
    with pytest.raises(ScopeError, match=foreign):
        apply_plan(tampered, tracker, force=True)
    assert sandbox_writes(real_site) == []


INJECTED = 'tracker:\n  projects: [ACME]\n  jql: "status = Done) OR (project = OPS"\n'


def test_injected_tracker_jql_exits_2_with_a_located_error_and_no_request(
    cli: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tracker.jql that tries to escape the scope: exit 2, file:line:col, nothing sent."""
    text = EXAMPLE.read_text()
    start = text.index("tracker:")
    end = text.index("\n", text.index("jql:", start))
    bad = tmp_path / "injected.yaml"
    bad.write_text(text[:start] + INJECTED.rstrip("\n") + text[end:])
    requests.delete(f"{cli.url}/_sandbox/requests", timeout=5)
    for command in (["plan"], ["run", "--once", "--force"], ["check"]):
        assert main([*command, "--config", str(bad)]) == 2
        err = capsys.readouterr().err
        line = bad.read_text().splitlines().index('  jql: "status = Done) OR (project = OPS"') + 1
        assert f"{bad}:{line}:" in err and "tracker.jql" in err, err
    assert requests.get(f"{cli.url}/_sandbox/requests", timeout=5).json()["requests"] == {}


@pytest.mark.slow
def test_datacenter_past_the_result_window_plans_and_applies_everything() -> None:
    """25,000 issues (20,000 in scope) on Data Center with OpenSearch's 10,000 window."""
    roadmap = load_roadmap(EXAMPLE)
    with SandboxServer(
        site_data(25_000, seed=3), flavor="datacenter", result_window=10_000
    ) as site:
        tracker = tracker_for(site, concurrency=8)
        plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
        in_scope = sum(1 for key in site.store.issues if key.startswith("ACME-"))
        assert len(plan.items) == in_scope > 10_000
        report = apply_plan(plan, tracker, force=True)
        assert not report.failed and len(report.outcomes) == plan.labels.issues
        assert make_plan(roadmap, tracker, today=TODAY, now=NOW).labels.issues == 0
        searches = requests.get(f"{site.url}/_sandbox/requests", timeout=5).json()["requests"]
        # Keyset pages of 1000: as many requests as startAt paging would have needed.
        assert searches["search"] <= 2 * (in_scope // 1000 + 1)


def test_check_asks_jira_about_tracker_jql(
    cli: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A well-formed tracker.jql naming a value Jira lacks: ``check`` reports Jira's message."""
    text = EXAMPLE.read_text().replace(
        'jql: "component IS EMPTY OR component != Legacy"', 'jql: "status = Nonexistent"'
    )
    odd = tmp_path / "odd.yaml"
    odd.write_text(text)
    capsys.readouterr()
    assert main(["check", "--config", str(odd)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "tracker.jql:" in out
    assert "The value 'Nonexistent' does not exist for the field 'status'." in out
