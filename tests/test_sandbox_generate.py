"""Tests for the sandbox's deterministic backlog generator."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest

from roadmap_sync.sandbox.generate import (
    MIN_ISSUES,
    PLANNED_EPIC_VERSIONS,
    RELEASE_VERSIONS,
    SKELETON_EPICS,
    STATUS_NAMES,
    generate_backlog,
)

Json = dict[str, Any]

HUMAN_LABELS = {"frontend", "backend", "tech-debt", "customer-request", "security", "ux", "a11y"}
MESS_LABELS = {"roadmap", "roadmap-r0", "roadmap-orphan", "roadmap-ignore"}
STANDARD = {"Story", "Task", "Bug"}
STAMP = re.compile(r"^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
SMALL_AND_MEDIUM = [MIN_ISSUES, 500]


def kind(issue: Json) -> str:
    return str(issue["fields"]["issuetype"]["name"])


def project_of(issue: Json) -> str:
    return str(issue["fields"]["project"]["key"])


def version_names(issue: Json) -> list[str]:
    return [version["name"] for version in issue["fields"]["fixVersions"]]


def parent_key(issue: Json) -> str | None:
    parent = issue["fields"].get("parent")
    return None if parent is None else str(parent["key"])


def mess_counts(backlog: Json) -> Counter[str]:
    """Count every kind of mess the example roadmap is meant to trip over."""
    found: Counter[str] = Counter()
    for issue in backlog["issues"]:
        fields, versions, parent = issue["fields"], version_names(issue), parent_key(issue)
        found.update(label for label in fields["labels"] if label in MESS_LABELS)
        found[f"status:{fields['status']['name']}"] += 1
        if kind(issue) == "Sub-task":
            found["subtask"] += 1
        if project_of(issue) != "ACME" or kind(issue) not in STANDARD:
            continue
        if kind(issue) == "Bug" and "a11y" in fields["labels"]:
            found["a11y bug"] += 1
        if parent is None:
            found["no epic, versioned" if versions else "no epic, no version"] += 1
        elif parent in PLANNED_EPIC_VERSIONS:
            home = PLANNED_EPIC_VERSIONS[parent]
            found[
                "aligned" if versions == [home] else "misplaced" if versions else "unversioned"
            ] += 1
        else:
            found["unplanned epic"] += 1
    return found


@pytest.fixture(scope="module")
def backlogs() -> dict[int, Json]:
    return {n: generate_backlog(n) for n in (*SMALL_AND_MEDIUM, 5000)}


def test_rejects_fewer_than_minimum() -> None:
    """n below 60 raises ValueError naming the minimum; 60 itself is accepted."""
    with pytest.raises(ValueError, match=r"n_issues >= 60"):
        generate_backlog(MIN_ISSUES - 1)
    assert len(generate_backlog(MIN_ISSUES)["issues"]) == MIN_ISSUES


@pytest.mark.parametrize("n", [60, 61, 97, 137, 500, 1999])
def test_exact_count(n: int) -> None:
    """Exactly n issues come back, for awkward n too."""
    assert len(generate_backlog(n, seed=n)["issues"]) == n


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_same_seed_same_json(n: int) -> None:
    """The same (n, seed) serialises to byte-identical JSON."""
    assert json.dumps(generate_backlog(n, 7)) == json.dumps(generate_backlog(n, 7))


def test_different_seed_differs() -> None:
    """A different seed gives a different backlog."""
    assert json.dumps(generate_backlog(500, 1)) != json.dumps(generate_backlog(500, 2))


def test_default_seed_is_one() -> None:
    """Omitting the seed is the same as seed=1."""
    assert json.dumps(generate_backlog(200)) == json.dumps(generate_backlog(200, 1))


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_ids_and_keys(backlogs: dict[int, Json], n: int) -> None:
    """Ids run 10000.. in list order; keys are unique and numbered per project from 1."""
    issues = backlogs[n]["issues"]
    assert [issue["id"] for issue in issues] == [str(10000 + i) for i in range(n)]
    numbers: dict[str, list[int]] = {"ACME": [], "OPS": []}
    for issue in issues:
        prefix, number = issue["key"].split("-")
        assert prefix == project_of(issue)
        numbers[prefix].append(int(number))
    for sequence in numbers.values():
        assert sequence == list(range(1, len(sequence) + 1))


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_parents_exist_at_the_right_level(backlogs: dict[int, Json], n: int) -> None:
    """Standard issues' parents are earlier epics, sub-tasks' are earlier stories; stubs match."""
    by_key = {issue["key"]: issue for issue in backlogs[n]["issues"]}
    for issue in by_key.values():
        parent = issue["fields"].get("parent")
        if kind(issue) == "Sub-task":
            assert parent is not None
        if parent is None:
            continue
        target = by_key[parent["key"]]
        assert kind(target) == ("Story" if kind(issue) == "Sub-task" else "Epic")
        assert kind(issue) != "Epic"
        assert project_of(target) == project_of(issue)
        assert parent["id"] == target["id"] and int(target["id"]) < int(issue["id"])
        assert target["fields"]["created"] <= issue["fields"]["created"]
        for name in ("summary", "status", "priority", "issuetype"):
            assert parent["fields"][name] == target["fields"][name]


@pytest.mark.parametrize(("n", "seed"), [(60, 1), (60, 99), (500, 3), (4321, 1)])
def test_skeleton_is_identical_for_every_n_and_seed(n: int, seed: int) -> None:
    """Projects, versions, components and the 12 skeleton epics never vary with n or seed."""
    reference, backlog = generate_backlog(60, 1), generate_backlog(n, seed)
    assert backlog["projects"] == reference["projects"]
    assert backlog["issues"][:12] == reference["issues"][:12]
    epics = backlog["issues"][:12]
    assert [(e["key"], e["fields"]["summary"]) for e in epics] == list(SKELETON_EPICS)
    assert [e["id"] for e in epics] == [str(10000 + i) for i in range(12)]
    assert {kind(e) for e in epics} == {"Epic"}


def test_projects_versions_and_components() -> None:
    """ACME and OPS carry the agreed versions (2026.11 overdue, Someday undated) and components."""
    acme, ops = generate_backlog(60)["projects"]
    assert (acme["key"], acme["name"], acme["id"]) == ("ACME", "Acme Web Shop", "10000")
    assert (ops["key"], ops["name"]) == ("OPS", "Platform Ops")
    assert acme["projectTypeKey"] == "software" and acme["simplified"] is False
    versions = {v["name"]: v for v in acme["versions"]}
    assert list(versions) == ["2026.10", "2026.11", "2026.12", "2027.02", "2027.04", "Someday"]
    assert [v["name"] for v in acme["versions"] if v["released"]] == ["2026.10"]
    assert versions["2026.11"]["releaseDate"] == "2026-11-15"
    assert versions["2026.12"]["releaseDate"] == "2026-12-15"
    assert "releaseDate" not in versions["Someday"]
    assert all(v["projectId"] == 10000 and v["archived"] is False for v in acme["versions"])
    assert [v["name"] for v in ops["versions"]] == ["ops-q4", "ops-q1"]
    assert [c["name"] for c in acme["components"]] == ["Web", "Mobile", "API", "Payments"]
    assert set(PLANNED_EPIC_VERSIONS.values()) == set(RELEASE_VERSIONS) <= set(versions)


def test_planned_epics_table() -> None:
    """ACME-1..10 are claimed in release order r1..r4; ACME-11 and ACME-12 are not."""
    assert list(PLANNED_EPIC_VERSIONS) == [f"ACME-{i}" for i in range(1, 11)]
    assert [PLANNED_EPIC_VERSIONS[f"ACME-{i}"] for i in (1, 3, 6, 9)] == list(RELEASE_VERSIONS)


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_every_skeleton_epic_has_children(backlogs: dict[int, Json], n: int) -> None:
    """Each of ACME-1..ACME-12 has at least two child stories/tasks/bugs."""
    children = Counter(parent_key(i) for i in backlogs[n]["issues"] if kind(i) in STANDARD)
    assert all(children[key] >= 2 for key, _ in SKELETON_EPICS)


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_every_kind_of_mess_occurs(backlogs: dict[int, Json], n: int) -> None:
    """Orphans, out-of-scope work, sub-tasks, stale/opt-out/look-alike labels, a11y, each status."""
    found = mess_counts(backlogs[n])
    expected = {
        "aligned",
        "misplaced",
        "unversioned",
        "unplanned epic",
        "no epic, versioned",
        "no epic, no version",
        "subtask",
        "a11y bug",
        *MESS_LABELS,
        *(f"status:{name}" for name in STATUS_NAMES),
    }
    assert {name for name in expected if found[name] == 0} == set()
    assert found["aligned"] > found["misplaced"] + found["unversioned"]


def test_proportions_are_realistic(backlogs: dict[int, Json]) -> None:
    """At n=5000: ~80% ACME, ~20% sub-tasks, ~10% epic-less ACME work, ~45% done, ~1/40 epics."""
    issues = backlogs[5000]["issues"]
    n = len(issues)
    acme = [i for i in issues if project_of(i) == "ACME"]
    done = sum(i["fields"]["status"]["statusCategory"]["key"] == "done" for i in issues)
    epicless = sum(kind(i) in STANDARD and parent_key(i) is None for i in acme)
    assert len(acme) == 4000
    assert 0.18 <= sum(kind(i) == "Sub-task" for i in issues) / n <= 0.22
    assert 0.08 <= epicless / len(acme) <= 0.12
    assert 0.38 <= done / n <= 0.52
    assert 100 <= sum(kind(i) == "Epic" for i in acme) <= 110
    found = mess_counts(backlogs[5000])
    planned = found["aligned"] + found["misplaced"] + found["unversioned"]
    assert 0.7 <= found["aligned"] / planned <= 0.9


def test_generated_epics_are_unplanned(backlogs: dict[int, Json]) -> None:
    """Epics beyond ACME-12 exist at larger n and none of them is claimed by the roadmap."""
    epics = [i["key"] for i in backlogs[5000]["issues"] if kind(i) == "Epic"]
    extra = [key for key in epics if key.startswith("ACME") and int(key.split("-")[1]) > 12]
    assert extra and not set(extra) & set(PLANNED_EPIC_VERSIONS)
    assert [i["key"] for i in backlogs[60]["issues"] if kind(i) == "Epic"][:12] == [
        key for key, _ in SKELETON_EPICS
    ]


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_labels_come_from_the_known_vocabulary(backlogs: dict[int, Json], n: int) -> None:
    """Labels are human ones or the deliberate mess labels, never duplicated on one issue."""
    for issue in backlogs[n]["issues"]:
        labels = issue["fields"]["labels"]
        assert set(labels) <= HUMAN_LABELS | MESS_LABELS
        assert len(labels) == len(set(labels))


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_resolution_matches_status(backlogs: dict[int, Json], n: int) -> None:
    """Done-category issues are resolved (Done / Won't Do), everything else is unresolved."""
    for issue in backlogs[n]["issues"]:
        fields = issue["fields"]
        status = fields["status"]
        if status["statusCategory"]["key"] == "done":
            assert fields["resolution"]["name"] == status["name"]
            assert fields["resolutiondate"] == fields["updated"]
        else:
            assert fields["resolution"] is None and fields["resolutiondate"] is None


def test_status_and_type_catalogue() -> None:
    """Status ids/categories and issue-type levels follow the agreed Jira catalogue."""
    issues = generate_backlog(500)["issues"]
    statuses = {i["fields"]["status"]["name"]: i["fields"]["status"] for i in issues}
    assert statuses["To Do"]["id"] == "1"
    assert statuses["To Do"]["statusCategory"] == {
        "id": 2,
        "key": "new",
        "name": "To Do",
        "colorName": "blue-gray",
    }
    assert statuses["In Progress"]["id"] == "3"
    assert statuses["In Progress"]["statusCategory"]["colorName"] == "yellow"
    assert statuses["In Review"]["statusCategory"]["key"] == "indeterminate"
    assert statuses["Done"]["id"] == "10001"
    assert statuses["Done"]["statusCategory"]["id"] == 3
    assert statuses["Won't Do"]["statusCategory"]["key"] == "done"
    levels = {kind(i): i["fields"]["issuetype"]["hierarchyLevel"] for i in issues}
    assert levels == {"Epic": 1, "Story": 0, "Task": 0, "Bug": 0, "Sub-task": -1}
    assert all(i["fields"]["issuetype"]["subtask"] == (kind(i) == "Sub-task") for i in issues)


def test_story_points() -> None:
    """Points only on stories and bugs (some still unestimated); never on epics/sub-tasks/tasks."""
    points: dict[str, list[float | None]] = {}
    for issue in generate_backlog(500)["issues"]:
        points.setdefault(kind(issue), []).append(issue["fields"]["customfield_10016"])
    for name in ("Epic", "Sub-task", "Task"):
        assert set(points[name]) == {None}
    for name in ("Story", "Bug"):
        assert None in points[name]
        assert {p for p in points[name] if p is not None} <= {1.0, 2.0, 3.0, 5.0, 8.0, 13.0}


@pytest.mark.parametrize("n", SMALL_AND_MEDIUM)
def test_timestamps(backlogs: dict[int, Json], n: int) -> None:
    """Timestamps are Jira-formatted weekdays of the past 26 weeks with updated >= created."""
    issues = backlogs[n]["issues"]
    for issue in issues:
        created, updated = issue["fields"]["created"], issue["fields"]["updated"]
        assert STAMP.match(created) and STAMP.match(updated)
        assert "2026-05-25" <= created[:10] <= updated[:10] <= "2026-11-20"
        assert created <= updated
        assert date.fromisoformat(created[:10]).weekday() < 5
    # Ids follow creation order, as Jira's own counter does.
    created_in_id_order = [issue["fields"]["created"] for issue in issues]
    assert created_in_id_order == sorted(created_in_id_order)


def test_sub_objects_are_shared() -> None:
    """Status, type, priority, project, component, version, list and parent objects are shared."""
    backlog = generate_backlog(500)
    issues, (acme, _) = backlog["issues"], backlog["projects"]
    by_name: dict[tuple[str, str], Any] = {}
    for issue in issues:
        fields = issue["fields"]
        for field in ("status", "issuetype", "priority", "project"):
            seen = by_name.setdefault((field, fields[field]["name"]), fields[field])
            assert fields[field] is seen
        for field in ("components", "fixVersions"):
            # One list per combination and project (an empty list is shared project-wide too).
            names = project_of(issue) + ":" + ",".join(item["name"] for item in fields[field])
            assert fields[field] is by_name.setdefault((field, names), fields[field])
        parent = fields.get("parent")
        if parent is not None:
            assert parent is by_name.setdefault(("parent", parent["key"]), parent)
    acme_versions = {id(v) for v in acme["versions"]}
    acme_components = {id(c) for c in acme["components"]}
    for issue in issues:
        if project_of(issue) == "ACME":
            assert {id(v) for v in issue["fields"]["fixVersions"]} <= acme_versions
            assert {id(c) for c in issue["fields"]["components"]} <= acme_components


def test_per_issue_objects_are_not_shared() -> None:
    """Each issue owns its top-level dict, fields dict and labels list, so edits stay local."""
    issues = generate_backlog(500)["issues"]
    assert len({id(issue) for issue in issues}) == len(issues)
    assert len({id(issue["fields"]) for issue in issues}) == len(issues)
    assert len({id(issue["fields"]["labels"]) for issue in issues}) == len(issues)


def test_separate_calls_share_nothing() -> None:
    """Two generated backlogs never alias each other's mutable objects."""
    first, second = generate_backlog(60), generate_backlog(60)
    assert first["issues"][0]["fields"]["status"] is not second["issues"][0]["fields"]["status"]
    assert first["projects"][0]["versions"][0] is not second["projects"][0]["versions"][0]


def test_json_round_trip() -> None:
    """The backlog is plain JSON: serialising and parsing it changes nothing."""
    backlog = generate_backlog(300, 5)
    assert json.loads(json.dumps(backlog)) == backlog


@pytest.mark.slow
def test_hundred_thousand_issues() -> None:
    """100k issues: exact count, unique keys, sound parents, every kind of mess (no timing)."""
    n = 100_000
    backlog = generate_backlog(n)
    issues = backlog["issues"]
    assert len(issues) == n
    assert len({issue["key"] for issue in issues}) == n
    assert issues[-1]["id"] == str(10000 + n - 1)
    by_key = {issue["key"]: issue for issue in issues}
    for issue in issues:
        parent = parent_key(issue)
        if parent is not None:
            expected = "Story" if kind(issue) == "Sub-task" else "Epic"
            assert kind(by_key[parent]) == expected
        assert issue["fields"]["created"] <= issue["fields"]["updated"]
    assert sum(project_of(issue) == "ACME" for issue in issues) == 80_000
    found = mess_counts(backlog)
    assert all(found[name] > 0 for name in ("misplaced", "unversioned", "no epic, versioned"))
    assert all(found[label] > 0 for label in MESS_LABELS)
    assert issues[:12] == generate_backlog(60)["issues"][:12]


def test_weekly_rhythm_of_resolutions() -> None:
    """Every one of the last 12 weeks closes work, more of it on Thursdays and Fridays."""
    issues = generate_backlog(2000)["issues"]
    resolved = [
        date.fromisoformat(issue["fields"]["resolutiondate"][:10])
        for issue in issues
        if issue["fields"]["resolutiondate"]
    ]
    weeks = Counter((day - date(2026, 5, 25)).days // 7 for day in resolved)
    assert all(weeks[week] > 0 for week in range(14, 26)), weeks
    weekdays = Counter(day.weekday() for day in resolved)
    assert weekdays[3] + weekdays[4] > 2 * (weekdays[0] + weekdays[1])
    created = Counter(date.fromisoformat(i["fields"]["created"][:10]).weekday() for i in issues)
    assert created[0] > created[4]  # filed early in the week
