"""``jql/parse``, the JQL functions and fields people use, and 400s instead of dropped
connections."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data
from tests.test_sandbox_jira_client import person_edit


@pytest.fixture(scope="module")
def cloud() -> Iterator[SandboxServer]:
    """A Cloud site without search lag (these tests are about JQL, not consistency)."""
    with SandboxServer(site_data(), flavor="cloud", search_lag=0) as server:
        yield server


def _parse(site: SandboxServer, queries: list[str], mode: str = "strict") -> list[Any]:
    answer = requests.post(
        f"{site.url}/rest/api/3/jql/parse",
        params={"validation": mode},
        json={"queries": queries},
        headers=site.auth_headers(),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    parsed: list[Any] = answer.json()["queries"]
    return parsed


def test_jql_parse_answers_the_structure(cloud: SandboxServer) -> None:
    """A valid query's structure: compound clauses, field clauses, operands, ORDER BY."""
    (answer,) = _parse(cloud, ['project = ACME AND labels in (a, "b c") ORDER BY key DESC'])
    assert "errors" not in answer
    where = answer["structure"]["where"]
    assert where["operator"] == "and"
    first, second = where["clauses"]
    assert first == {
        "field": {"name": "project", "encodedName": "project"},
        "operator": "=",
        "operand": {"value": "ACME", "encodedValue": "ACME"},
    }
    assert second["operator"] == "in"
    assert [v["value"] for v in second["operand"]["values"]] == ["a", "b c"]
    assert answer["structure"]["orderBy"] == {
        "fields": [{"field": {"name": "key"}, "direction": "desc"}]
    }


@pytest.mark.parametrize(
    ("mode", "has_structure"), [("strict", False), ("warn", True), ("none", True)]
)
def test_jql_parse_validation_modes(cloud: SandboxServer, mode: str, has_structure: bool) -> None:
    """An unknown field is an error in strict and warn (warn keeps the structure), none in none."""
    (answer,) = _parse(cloud, ["nosuchfield = 1"], mode)
    assert ("structure" in answer) == has_structure
    assert bool(answer.get("errors")) == (mode != "none")
    (broken,) = _parse(cloud, ["status = Done) OR (project = OPS"], mode)
    assert broken["errors"] and "structure" not in broken


def test_jql_parse_refuses_a_malformed_body(cloud: SandboxServer) -> None:
    """A body without a list of strings, or an unknown mode, is a 400."""
    url = f"{cloud.url}/rest/api/3/jql/parse"
    for params, body in (({}, {"queries": "x"}), ({"validation": "lax"}, {"queries": ["x"]})):
        answer = requests.post(url, params=params, json=body, headers=cloud.auth_headers())
        assert answer.status_code == 400


def _keys(site: SandboxServer, jql: str, as_person: bool = False) -> set[str]:
    headers = site.auth_headers()
    if as_person:
        headers = {"Authorization": "Basic cGF0QGV4YW1wbGUuY29tOnBlcnNvbi10b2tlbg=="}
    answer = requests.post(
        f"{site.url}/rest/api/3/search/jql",
        json={"jql": jql, "fields": ["key"], "maxResults": 5000},
        headers=headers,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return {issue["key"] for issue in answer.json()["issues"]}


def test_people_priority_sprint_and_due_dates(cloud: SandboxServer) -> None:
    """currentUser(), membersOf(), priority ranks, sprint by name or state, duedate ranges."""
    admin, person = cloud.store.accounts[0], cloud.store.accounts[2]
    user = {"accountId": admin.account_id, "displayName": admin.display_name}
    person_edit(cloud, "ACME-40", {"fields": {"summary": "assigned"}})
    store = cloud.store
    store.issues["ACME-40"]["fields"] = {
        **store.issues["ACME-40"]["fields"],
        "assignee": user,
        "reporter": {"accountId": person.account_id, "displayName": person.display_name},
        "duedate": "2026-11-30",
        "customfield_10020": [{"id": 7, "name": "Sprint 7", "state": "active"}],
    }
    assert _keys(cloud, "assignee = currentUser()") == {"ACME-40"}
    assert _keys(cloud, "assignee = currentUser()", as_person=True) == set()
    assert _keys(cloud, "reporter = currentUser()", as_person=True) == {"ACME-40"}
    assert _keys(cloud, 'assignee in membersOf("jira-administrators")') == {"ACME-40"}
    assert _keys(cloud, "sprint in openSprints()") == {"ACME-40"}
    assert _keys(cloud, 'sprint = "Sprint 7"') == {"ACME-40"} == _keys(cloud, "sprint = 7")
    assert _keys(cloud, "duedate <= 2026-11-30 AND duedate >= 2026-11-30") == {"ACME-40"}
    assert "ACME-40" not in _keys(cloud, "assignee IS EMPTY AND project = ACME")
    high = _keys(cloud, "project = ACME AND priority >= High")
    assert high and high == _keys(cloud, "project = ACME AND priority in (Highest, High)")
    assert _keys(cloud, "project = ACME AND created <= endOfMonth() AND updated > -3650d")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/rest/api/3/search/jql", {"jql": "project = ACME", "fields": False}),
        ("POST", "/rest/api/3/search/jql", {"jql": 5}),
        ("POST", "/rest/api/3/search/jql", {"jql": "project = ACME", "maxResults": "x"}),
        ("POST", "/rest/api/3/search/jql", [1, 2]),
        ("PUT", "/rest/api/3/issue/ACME-5", {"fields": {"fixVersions": 5}}),
        ("PUT", "/rest/api/3/issue/ACME-5", {"fields": {"components": "x"}}),
        ("PUT", "/rest/api/3/issue/ACME-5", {"fields": {"priority": 3}}),
        ("PUT", "/rest/api/3/issue/ACME-5", {"update": {"labels": 7}}),
        ("POST", "/rest/api/3/bulk/issues/fields", {"selectedIssueIdsOrKeys": [1]}),
        ("POST", "/rest/api/3/search/approximate-count", {"jql": ["x"]}),
    ],
)
def test_malformed_requests_get_400_json(
    cloud: SandboxServer, method: str, path: str, body: Any
) -> None:
    """Every malformed body answers Jira's 400 JSON; none closes the connection."""
    answer = requests.request(
        method, cloud.url + path, json=body, headers=cloud.auth_headers(), timeout=5
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")


def test_wrong_method_is_405_with_allow(cloud: SandboxServer) -> None:
    """A method the resource lacks answers 405 naming the allowed ones."""
    answer = requests.patch(
        f"{cloud.url}/rest/api/3/issue/ACME-5", json={}, headers=cloud.auth_headers(), timeout=5
    )
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "DELETE, GET, PUT"


def test_garbage_content_length_is_a_400(cloud: SandboxServer) -> None:
    """A request whose Content-Length is not a number is answered, not dropped."""
    host, port = cloud.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            b"POST /rest/api/3/search/jql HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
        )
        reply = conn.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")


def test_a_status_stays_known_when_no_issue_has_it_any_more() -> None:
    """Statuses are Jira configuration: a query naming one no issue has now still runs (no
    matches), and a name never in use is still refused. The sandbox learns names from the
    issues it changed since the last search, not from a rescan of every issue."""
    with SandboxServer(site_data(), flavor="cloud", search_lag=0) as site:
        used = Counter(str(i["fields"]["status"]["name"]) for i in site.store.issues.values())
        rare, common = min(used, key=used.__getitem__), max(used, key=used.__getitem__)

        def search(jql: str) -> requests.Response:
            return requests.get(
                f"{site.url}/rest/api/3/search/jql",
                params={"jql": jql, "fields": "status"},
                headers=site.auth_headers(),
                timeout=5,
            )

        first = search(f'status = "{rare}"')
        assert first.status_code == 200, first.text
        assert len(first.json()["issues"]) == used[rare]
        for key, issue in list(site.store.issues.items()):
            if issue["fields"]["status"]["name"] == rare:
                moved = requests.post(
                    f"{site.url}/_sandbox/issues/{key}/transition",
                    json={"status": common},
                    timeout=5,
                )
                moved.raise_for_status()
        after = search(f'status = "{rare}"')
        assert after.status_code == 200, after.text
        assert after.json()["issues"] == []
        unknown = search('status = "Never Used Anywhere"')
        assert unknown.status_code == 400
        assert "does not exist for the field 'status'" in unknown.text
