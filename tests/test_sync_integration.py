"""The sync engine end to end: the real ``jira`` client against both sandbox flavors."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from roadmap_sync.cli import main
from roadmap_sync.core.model import FindingKind, Verdict, WarningKind
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.sync import apply_plan, make_plan
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers.jira.tracker import JiraTracker
from tests.conftest import REPO, point_cli_at, site_data

EXAMPLE = REPO / "config" / "roadmap.example.yaml"
TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
FAST_RETRIES = RetryPolicy(attempts=4, max_wait=10, backoff_initial=0.01, backoff_max=0.05)


@pytest.fixture
def big_site(flavor: str) -> Iterator[SandboxServer]:
    """A sandbox whose backlog is large enough for every verdict and warning to occur."""
    with SandboxServer(site_data(600, seed=11), flavor=flavor, bulk_delay=0.01) as server:  # type: ignore[arg-type]
        yield server


def tracker_for(site: SandboxServer, **options: object) -> JiraTracker:
    """The production adapter connected to a sandbox."""
    email = site.email if site.flavor == "cloud" else None
    return JiraTracker.connect(site.url, email, site.token, FAST_RETRIES, **options)  # type: ignore[arg-type]


def sandbox_writes(site: SandboxServer) -> list[dict[str, object]]:
    """The write requests the sandbox received."""
    body = requests.get(f"{site.url}/_sandbox/writes", timeout=5).json()
    writes: list[dict[str, object]] = body["writes"]
    return writes


def test_every_verdict_warning_and_finding_occurs(big_site: SandboxServer) -> None:
    """The example roadmap over a generated backlog yields all verdicts, warnings and findings."""
    roadmap = load_roadmap(EXAMPLE)
    plan = make_plan(roadmap, tracker_for(big_site), today=TODAY, now=NOW)
    verdicts = plan.classification.verdict_counts()
    assert all(verdicts[v] > 0 for v in Verdict), verdicts
    warnings = {w for t in plan.classification.traces for w in t.warning_kinds}
    assert {WarningKind.BEYOND_HORIZON, WarningKind.UNMAPPED_FIX_VERSION} <= warnings
    kinds = {f.kind for f in plan.classification.findings}
    assert {FindingKind.UNCOVERED_FEATURE, FindingKind.OVERDUE_RELEASE} <= kinds
    assert len(plan.items) == sum(
        1
        for issue in big_site.store.issues.values()
        if issue["key"].startswith("ACME-")
        and "Legacy" not in [c["name"] for c in issue["fields"].get("components") or []]
    )


def test_unknown_epic_and_version_are_findings(big_site: SandboxServer, tmp_path: Path) -> None:
    """Keys and versions the roadmap names but Jira lacks are reported, not crashed on."""
    roadmap_file = tmp_path / "roadmap.yaml"
    roadmap_file.write_text(
        "product: P\ntracker: {projects: [ACME]}\nreleases:\n"
        "  - {id: r1, name: R, date: 2026-12-15, goal: G, fix_versions: ['9.9'],\n"
        "     features: [{name: F, epics: [ACME-9999]}]}\n"
    )
    plan = make_plan(load_roadmap(roadmap_file), tracker_for(big_site), today=TODAY, now=NOW)
    kinds = {(f.kind, f.subject) for f in plan.classification.findings}
    assert (FindingKind.UNKNOWN_EPIC, "ACME-9999") in kinds
    assert (FindingKind.UNKNOWN_VERSION, "9.9") in kinds


def test_apply_then_second_apply_writes_nothing(big_site: SandboxServer) -> None:
    """Apply converges: a second plan is empty and sends zero writes (the write log proves it)."""
    roadmap = load_roadmap(EXAMPLE)
    tracker = tracker_for(big_site)
    first = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    assert first.labels.issues > 0
    report = apply_plan(first, tracker, force=True)
    assert not report.failed
    writes = sandbox_writes(big_site)
    assert writes and all(w["notifyUsers"] is False for w in writes)
    if big_site.flavor == "cloud":
        assert {w["path"] for w in writes} == {"/rest/api/3/bulk/issues/fields"}
    else:
        assert all(str(w["path"]).startswith("/rest/api/2/issue/") for w in writes)
    requests.delete(f"{big_site.url}/_sandbox/writes", timeout=5)
    # At once, while Cloud's search still lags: the tracker reads its own writes back.
    second = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    assert second.labels.issues == 0
    assert apply_plan(second, tracker, force=True).outcomes == ()
    assert sandbox_writes(big_site) == []


def test_foreign_labels_survive_including_a_concurrent_edit(big_site: SandboxServer) -> None:
    """Labels the bot does not own survive, even one a person adds between plan and apply."""
    roadmap = load_roadmap(EXAMPLE)
    tracker = tracker_for(big_site, bulk_threshold=10**6)  # per-issue PUTs on both flavors
    plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    change = plan.labels.changes[0]
    foreign_before = {
        key: {lab for lab in issue["fields"].get("labels", []) if not roadmap.owns_label(lab)}
        for key, issue in big_site.store.issues.items()
    }
    requests.post(
        f"{big_site.url}/_sandbox/issues/{change.key}/edit",
        json={"update": {"labels": [{"add": "added-by-pat"}]}},
        timeout=5,
    ).raise_for_status()
    apply_plan(plan, tracker, force=True)
    labels = big_site.store.get(change.key)["fields"]["labels"]
    assert "added-by-pat" in labels
    assert set(change.add) <= set(labels)
    for key, issue in big_site.store.issues.items():
        kept = set(issue["fields"].get("labels", []))
        assert foreign_before[key] <= kept, key
    look_alike = [k for k, f in foreign_before.items() if "roadmap" in f]
    assert look_alike, "the generator puts the look-alike 'roadmap' label on some issues"


def test_retry_after_is_honoured_in_full(big_site: SandboxServer) -> None:
    """A 429 with Retry-After pauses the write for that long, then the change lands."""
    roadmap = load_roadmap(EXAMPLE)
    tracker = tracker_for(big_site, bulk_threshold=10**6)
    plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    one = plan.labels.changes[:1]
    requests.post(
        f"{big_site.url}/_sandbox/faults",
        json={"endpoint": "issue_put", "kind": "rate_limit", "retry_after": 1.5},
        timeout=5,
    ).raise_for_status()
    started = time.monotonic()
    outcomes = tracker.apply(one)
    elapsed = time.monotonic() - started
    assert [o.ok for o in outcomes] == [True]
    assert elapsed >= 1.5
    statuses = [w["status"] for w in sandbox_writes(big_site)]
    assert statuses == [429, 204]


def test_failure_mid_run_then_next_run_converges(big_site: SandboxServer) -> None:
    """Jira failing mid-apply reports the failures; the next run writes only what is left."""
    roadmap = load_roadmap(EXAMPLE)
    tracker = tracker_for(big_site, bulk_threshold=10**6, concurrency=1)
    plan = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    requests.post(
        f"{big_site.url}/_sandbox/faults",
        json={"endpoint": "issue_put", "kind": "error", "status": 500, "after": 5, "times": -1},
        timeout=5,
    ).raise_for_status()
    report = apply_plan(plan, tracker, force=True)
    assert len(report.outcomes) - len(report.failed) == 5
    requests.delete(f"{big_site.url}/_sandbox/faults", timeout=5)
    again = make_plan(roadmap, tracker, today=TODAY, now=NOW)
    assert again.labels.issues == plan.labels.issues - 5
    assert not apply_plan(again, tracker, force=True).failed
    assert make_plan(roadmap, tracker, today=TODAY, now=NOW).labels.issues == 0


@pytest.fixture
def cli_env(
    big_site: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> SandboxServer:
    """Environment for running the CLI against the sandbox."""
    point_cli_at(big_site, monkeypatch, tmp_path)
    monkeypatch.setenv("ROADMAP_SYNC_RETRY_ATTEMPTS", "2")
    return big_site


def test_guard_refuses_with_exit_3_and_writes_nothing(
    cli_env: SandboxServer, tmp_path: Path
) -> None:
    """With guard.first_sync: refuse the first sync exceeds the guard: exit 3, zero writes;
    --force applies it."""
    roadmap = tmp_path / "refuse.yaml"
    roadmap.write_text(EXAMPLE.read_text().replace("first_sync: allow", "first_sync: refuse"))
    assert main(["run", "--once", "--config", str(roadmap)]) == 3
    assert sandbox_writes(cli_env) == []
    assert main(["run", "--once", "--force", "--config", str(roadmap)]) == 0
    assert sandbox_writes(cli_env)


def test_first_sync_without_ceremony(
    cli_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A roadmap's first sync labels the backlog without --force, says so in its output and
    its report, and one revert undoes it; the next large change is guarded again."""
    before = {key: list(i["fields"]["labels"]) for key, i in cli_env.store.issues.items()}
    assert main(["run", "--once", "--config", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "First sync of this roadmap:" in out and "revert RUN_ID" in out
    assert main(["report", "--config", str(EXAMPLE)]) == 0
    assert "Run 1 was this roadmap's first sync" in capsys.readouterr().out
    assert main(["revert", "1", "--yes", "--config", str(EXAMPLE)]) == 0
    after = {key: list(i["fields"]["labels"]) for key, i in cli_env.store.issues.items()}
    assert {k: sorted(v) for k, v in after.items()} == {k: sorted(v) for k, v in before.items()}
    writes = len(sandbox_writes(cli_env))
    assert main(["run", "--once", "--config", str(EXAMPLE)]) == 3
    assert len(sandbox_writes(cli_env)) == writes


def test_plan_json_document(cli_env: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --format json`` prints one versioned document with items, findings and summary."""
    assert main(["plan", "--format", "json", "--config", str(EXAMPLE)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "roadmap-sync/plan@1"
    assert document["product"] == "Acme Web Shop"
    item = document["items"][0]
    assert set(item) == {
        "key", "type", "status", "done", "parent", "planned_release", "scheduled_release",
        "verdict", "warnings", "reasons", "labels_add", "labels_remove",
    }  # fmt: skip
    summary = document["summary"]
    assert summary["items"] == len(document["items"])
    assert sum(summary["by_verdict"].values()) == summary["items"]
    assert summary["changes"]["issues"] == sum(
        1 for i in document["items"] if i["labels_add"] or i["labels_remove"]
    )
    assert sandbox_writes(cli_env) == []


def test_bad_config_exits_2_and_touches_nothing(
    cli_env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken roadmap names file and line, exits 2, and no request reaches Jira."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("epics: [ACME-3]", "epics: [acme-3]"))
    requests.delete(f"{cli_env.url}/_sandbox/requests", timeout=5)
    assert main(["apply", "--yes", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    line = bad.read_text().splitlines().index("        epics: [acme-3]") + 1
    assert f":{line}:" in err
    assert requests.get(f"{cli_env.url}/_sandbox/requests", timeout=5).json()["requests"] == {}


def test_check_reports_ok_and_problems(
    cli_env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check`` passes on the example and names each problem, with its fix, on a bad one."""
    assert main(["check", "--config", str(EXAMPLE)]) == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "product: P\ntracker: {projects: [ACME, NOPE]}\nreleases:\n"
        "  - {id: r1, name: R, date: 2026-12-15, goal: G, fix_versions: ['9.9'],\n"
        "     features: [{name: F, epics: [ACME-9999]}]}\n"
    )
    capsys.readouterr()
    assert main(["check", "--config", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "project NOPE does not exist" in out
    assert "fix version '9.9' does not exist" in out
    assert "ACME-9999" in out
    assert out.count("fix:") == 3


def test_token_never_printed(
    cli_env: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused token is reported without ever printing it."""
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", "wrong-token-value-123")
    assert main(["plan", "--config", str(EXAMPLE)]) == 1
    captured = capsys.readouterr()
    assert "refused the credentials" in captured.err
    assert "wrong-token-value-123" not in captured.out + captured.err
