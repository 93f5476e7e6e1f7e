"""Webhooks in Jira's real shapes (Cloud and Server), issue deletion, and version events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData
from tests.conftest import site_data
from tests.test_sandbox_hooks import receiver  # noqa: F401 - the fixture
from tests.test_sandbox_jira_client import person_edit

Received = list[tuple[dict[str, str], bytes]]


@pytest.fixture
def hooked(
    site: SandboxServer,
    receiver: tuple[str, Received],  # noqa: F811 - pytest fixture
) -> Iterator[tuple[SandboxServer, Received]]:
    """A site with a registered receiver for every event."""
    url, received = receiver
    requests.post(f"{site.url}/_sandbox/webhooks", json={"url": url}, timeout=5).raise_for_status()
    yield site, received


def payloads(site: SandboxServer, received: Received) -> list[dict[str, Any]]:
    """Every payload delivered so far."""
    requests.get(f"{site.url}/_sandbox/webhooks", timeout=5)  # drains the queue
    return [json.loads(body) for _, body in received]


def _story_of(site: SandboxServer, epic: str) -> str:
    return next(
        key
        for key, issue in site.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
    )


def test_fix_version_and_labels_items(hooked: tuple[SandboxServer, Received]) -> None:
    """A fix version change names the field "Fix Version" with version ids; labels as strings."""
    site, received = hooked
    key = _story_of(site, "ACME-3")
    version = site.store.versions_by_name("ACME")["2027.02"]
    person_edit(
        site,
        key,
        {
            "fields": {"fixVersions": [{"name": "2027.02"}]},
            "update": {"labels": [{"add": "ux-review"}]},
        },
    )
    (payload,) = payloads(site, received)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue_event_type_name"] == "issue_updated"
    items = {item["field"]: item for item in payload["changelog"]["items"]}
    fix = items["Fix Version"]
    assert (fix["fieldtype"], fix["to"], fix["toString"]) == ("jira", version["id"], "2027.02")
    assert ("fieldId" in fix) == (site.flavor == "cloud")
    labels = items["labels"]
    assert labels["from"] is None and labels["to"] is None
    assert "ux-review" in labels["toString"].split()


def test_epic_change_item(hooked: tuple[SandboxServer, Received]) -> None:
    """Cloud sends IssueParentAssociation; Server the "Epic Link" custom field, epic issue ids."""
    site, received = hooked
    key = _story_of(site, "ACME-3")
    epic_id = site.store.get("ACME-7")["id"]
    field = "parent" if site.flavor == "cloud" else site.store.epic_link_field
    value: object = {"key": "ACME-7"} if site.flavor == "cloud" else "ACME-7"
    person_edit(site, key, {"fields": {field: value}})
    (payload,) = payloads(site, received)
    (item,) = payload["changelog"]["items"]
    if site.flavor == "cloud":
        assert item["field"] == "IssueParentAssociation"
    else:
        assert (item["field"], item["fieldtype"]) == ("Epic Link", "custom")
        assert "fieldId" not in item
        assert payload["issue"]["fields"][site.store.epic_link_field] == "ACME-7"
    assert (item["fromString"], item["to"], item["toString"]) == ("ACME-3", epic_id, "ACME-7")


def test_webhook_items_equal_the_recorded_history(hooked: tuple[SandboxServer, Received]) -> None:
    """A webhook's changelog items are exactly the history entry Jira keeps for that change."""
    site, received = hooked
    key = next(
        key
        for key, issue in site.store.issues.items()
        if issue["fields"]["issuetype"]["hierarchyLevel"] == 0
        and (issue["fields"].get("parent") or {}).get("key") == "ACME-3"
        and issue["fields"]["status"]["statusCategory"]["key"] != "done"
    )
    epic = "parent" if site.flavor == "cloud" else site.store.epic_link_field
    epic_value: object = {"key": "ACME-7"} if site.flavor == "cloud" else "ACME-7"
    person_edit(
        site,
        key,
        {
            "fields": {"fixVersions": [{"name": "2027.02"}], epic: epic_value},
            "update": {"labels": [{"add": "ux-review"}]},
        },
    )
    moved = requests.post(
        f"{site.url}/_sandbox/issues/{key}/transition?as=person", json={"status": "Done"}, timeout=5
    )
    moved.raise_for_status()
    sent = [p["changelog"]["items"] for p in payloads(site, received)]
    issue = requests.get(
        f"{site.url}/rest/api/2/issue/{key}",
        params={"expand": "changelog"},
        headers=site.auth_headers(),
        timeout=10,
    ).json()
    recorded = [history["items"] for history in issue["changelog"]["histories"]]
    assert sent == recorded
    edit_fields = {item["field"] for item in sent[0]}
    epic_field = "IssueParentAssociation" if site.flavor == "cloud" else "Epic Link"
    assert {"Fix Version", "labels", epic_field} <= edit_fields
    assert {item["field"] for item in sent[1]} == {"status", "resolution"}


def test_issue_deleted_event(hooked: tuple[SandboxServer, Received]) -> None:
    """Deleting an issue (REST DELETE) fires jira:issue_deleted; GET then answers 404."""
    site, received = hooked
    key = _story_of(site, "ACME-4")
    url = f"{site.url}/rest/api/2/issue/{key}"
    answer = requests.delete(url, params={"deleteSubtasks": "true"}, headers=site.auth_headers())
    assert answer.status_code == 204
    events = [p for p in payloads(site, received) if p["issue"]["key"] == key]
    assert [(p["webhookEvent"], p["issue_event_type_name"]) for p in events] == [
        ("jira:issue_deleted", "issue_deleted")
    ]
    assert requests.get(url, headers=site.auth_headers(), timeout=5).status_code == 404


def test_version_events(hooked: tuple[SandboxServer, Received]) -> None:
    """Create, rename, release, unrelease, move and delete a version: one event each."""
    site, received = hooked
    base = f"{site.url}/_sandbox/versions"
    created = requests.post(base, json={"project": "ACME", "name": "2027.1"}, timeout=5).json()
    vid = created["id"]
    requests.put(f"{base}/{vid}", json={"name": "2027.01"}, timeout=5).raise_for_status()
    requests.put(f"{base}/{vid}", json={"released": True}, timeout=5).raise_for_status()
    requests.put(f"{base}/{vid}", json={"released": False}, timeout=5).raise_for_status()
    requests.post(f"{base}/{vid}/move", json={"position": "First"}, timeout=5).raise_for_status()
    assert requests.delete(f"{base}/{vid}", timeout=5).status_code == 204
    events = [(p["webhookEvent"], p["version"]["name"]) for p in payloads(site, received)]
    assert events == [
        ("jira:version_created", "2027.1"),
        ("jira:version_updated", "2027.01"),
        ("jira:version_released", "2027.01"),
        ("jira:version_unreleased", "2027.01"),
        ("jira:version_moved", "2027.01"),
        ("jira:version_deleted", "2027.01"),
    ]
    assert "2027.01" not in site.store.versions_by_name("ACME")


def test_renaming_a_version_renames_it_on_issues(site: SandboxServer) -> None:
    """Issues scheduled into a renamed version show the new name."""
    version = site.store.versions_by_name("ACME")["2026.12"]
    scheduled = [
        k
        for k, i in site.store.issues.items()
        if any(v["id"] == version["id"] for v in i["fields"].get("fixVersions") or [])
    ]
    assert scheduled
    requests.put(
        f"{site.url}/_sandbox/versions/{version['id']}", json={"name": "2026.12-b"}, timeout=5
    ).raise_for_status()
    names = {v["name"] for v in site.store.get(scheduled[0])["fields"]["fixVersions"]}
    assert "2026.12-b" in names and "2026.12" not in names


def test_deleting_a_version_changes_what_search_counts(site: SandboxServer) -> None:
    """A deleted version leaves its issues without it at once, and a count that search kept
    from before (it re-evaluates only changed issues) sees that: the deletion changed the
    issues without an issue change, so the kept matches are dropped."""
    version = site.store.versions_by_name("ACME")["2026.12"]
    only_there = [
        k
        for k, i in site.store.issues.items()
        if [v["id"] for v in i["fields"].get("fixVersions") or []] == [version["id"]]
    ]
    assert only_there
    unscheduled = "project = ACME AND fixVersion is EMPTY"
    before = site.app.search.count(unscheduled)
    requests.delete(f"{site.url}/_sandbox/versions/{version['id']}", timeout=5).raise_for_status()
    assert site.app.search.count(unscheduled) == before + len(only_there)
    assert site.app.search.count(unscheduled) == len(site.app.search.run(unscheduled))


def test_epic_link_on_a_subtask_is_refused_and_parent_kept() -> None:
    """Data Center: setting Epic Link on a sub-task is refused; its parent stays."""
    with SandboxServer(site_data(), flavor="datacenter") as site:
        key, subtask = next(
            (k, i) for k, i in site.store.issues.items()
            if i["fields"]["issuetype"]["hierarchyLevel"] == -1
        )  # fmt: skip
        parent = subtask["fields"]["parent"]["key"]
        answer = requests.put(
            f"{site.url}/rest/api/2/issue/{key}",
            json={"fields": {site.store.epic_link_field: "ACME-7"}},
            headers=site.auth_headers(),
            timeout=5,
        )
        assert answer.status_code == 400
        assert site.store.get(key)["fields"]["parent"]["key"] == parent


@pytest.mark.parametrize(("level", "parent_level"), [(-1, 1), (0, 0), (0, -1), (1, 1), (1, 0)])
def test_a_parent_outside_the_hierarchy_is_refused(level: int, parent_level: int) -> None:
    """Cloud: a new parent must sit one level above the issue (a sub-task under a standard
    issue, a standard issue under an epic); anything else is a 400 and changes nothing."""
    with SandboxServer(site_data(), flavor="cloud") as site:
        by_level: dict[int, list[str]] = {}
        for key, issue in site.store.issues.items():
            by_level.setdefault(issue["fields"]["issuetype"]["hierarchyLevel"], []).append(key)
        key = by_level[level][0]
        target = next(k for k in by_level[parent_level] if k != key)
        before = site.store.get(key)["fields"].get("parent")

        def set_parent(parent: str) -> requests.Response:
            return requests.put(
                f"{site.url}/rest/api/3/issue/{key}",
                json={"fields": {"parent": {"key": parent}}},
                headers=site.auth_headers(),
                timeout=5,
            )

        answer = set_parent(target)
        assert answer.status_code == 400
        assert "hierarchy" in answer.json()["errors"]["parent"]
        assert site.store.get(key)["fields"].get("parent") == before
        if level < 1:  # one level up is accepted
            above = next(k for k in by_level[level + 1] if k != key)
            assert set_parent(above).status_code == 204
            assert site.store.get(key)["fields"]["parent"]["key"] == above


def _captured_datacenter_issue() -> dict[str, Any]:
    """Two issues as a Data Center site whose Epic Link is customfield_10014 returns them."""
    epic_type = {"id": "10000", "name": "Epic", "subtask": False}
    story_type = {"id": "10001", "name": "Story", "subtask": False}
    status = {"name": "To Do", "statusCategory": {"key": "new"}}
    project = {"id": "10000", "key": "LEG", "name": "Legacy"}
    return {
        "projects": [{"key": "LEG", "name": "Legacy"}],
        "issues": [
            {
                "id": "20001",
                "key": "LEG-1",
                "fields": {"summary": "E", "issuetype": epic_type, "status": status,
                           "project": project, "labels": []},
            },
            {
                "id": "20002",
                "key": "LEG-2",
                "fields": {"summary": "S", "issuetype": story_type, "status": status,
                           "project": project, "labels": [], "customfield_10014": "LEG-1"},
            },
        ],
    }  # fmt: skip


def test_epic_link_field_is_recognised_from_loaded_data() -> None:
    """A captured issue's Epic Link in customfield_10014 survives loading and is served back."""
    data = SiteData.from_json(_captured_datacenter_issue())
    with SandboxServer(data, flavor="datacenter") as site:
        assert site.store.epic_link_field == "customfield_10014"
        fields = requests.get(
            f"{site.url}/rest/api/2/field", headers=site.auth_headers(), timeout=5
        ).json()
        assert any(f["id"] == "customfield_10014" and f["name"] == "Epic Link" for f in fields)
        issue = requests.get(
            f"{site.url}/rest/api/2/issue/LEG-2", headers=site.auth_headers(), timeout=5
        ).json()
        assert issue["fields"]["customfield_10014"] == "LEG-1"
    with pytest.raises(ValueError, match="customfield_10014"):
        SandboxServer(data, flavor="datacenter", epic_link_field="customfield_10101")
