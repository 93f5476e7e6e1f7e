"""The real ``jira`` client reads, pages and updates labels against both sandbox flavors."""

from __future__ import annotations

import pytest
import requests
from jira import JIRA, JIRAError

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, EPIC_LINK_TYPE
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import jira_client

FIELDS = ["summary", "labels", "issuetype", "status", "fixVersions", "parent", EPIC_LINK_FIELD]


def all_keys(jira: JIRA, site: SandboxServer, jql: str, page_size: int = 37) -> list[str]:
    """Page through a search with the client's own paging for the flavor."""
    if site.flavor == "cloud":
        keys: list[str] = []
        token = None
        while True:
            page = jira.enhanced_search_issues(
                jql, nextPageToken=token, maxResults=page_size, fields=FIELDS, json_result=True
            )
            assert isinstance(page, dict)
            keys += [issue["key"] for issue in page["issues"]]
            token = page.get("nextPageToken")
            if page["isLast"]:
                assert token is None
                return keys
    issues = jira.search_issues(jql, maxResults=False, fields=FIELDS)
    return [issue.key for issue in issues]


def test_server_info_tells_the_flavor(jira: JIRA, site: SandboxServer) -> None:
    """``serverInfo.deploymentType`` is Cloud or Server, so clients pick the right API."""
    expected = "Cloud" if site.flavor == "cloud" else "Server"
    assert jira.server_info()["deploymentType"] == expected
    assert jira._is_cloud == (site.flavor == "cloud")


def test_paging_returns_every_match_once(jira: JIRA, site: SandboxServer) -> None:
    """Paging through a project yields each issue exactly once, in a stable order."""
    keys = all_keys(jira, site, "project = ACME ORDER BY key ASC")
    expected = sorted(
        (k for k in site.store.issues if k.startswith("ACME-")), key=lambda k: int(k[5:])
    )
    assert keys == expected
    assert len(keys) > 100


def _is_last(site: SandboxServer, body: dict[str, object], cursor: object) -> bool:
    if site.flavor == "cloud":
        return bool(body["isLast"])
    return int(str(cursor)) >= int(str(body["total"]))


def _search_page(
    session: requests.Session, site: SandboxServer, jql: str, cursor: object
) -> tuple[dict[str, object], object]:
    if site.flavor == "cloud":
        params: dict[str, object] = {"jql": jql, "maxResults": 10, "fields": "labels"}
        if cursor:
            params["nextPageToken"] = cursor
        body = session.get(
            f"{site.url}/rest/api/3/search/jql", params=params, headers=site.auth_headers()
        ).json()
        return body, body.get("nextPageToken")
    start = int(str(cursor or 0))
    body = session.get(
        f"{site.url}/rest/api/2/search",
        params={"jql": jql, "startAt": start, "maxResults": 10, "fields": "labels"},
        headers=site.auth_headers(),
    ).json()
    return body, start + 10


def _every_key(site: SandboxServer, jql: str) -> list[str]:
    return list(site.app.search.run(jql))


def person_edit(site: SandboxServer, key: str, body: dict[str, object]) -> requests.Response:
    """Edit an issue "as a person" through the sandbox's test hook."""
    response = requests.post(f"{site.url}/_sandbox/issues/{key}/edit", json=body, timeout=5)
    response.raise_for_status()
    return response


def writes(site: SandboxServer) -> list[dict[str, object]]:
    """The sandbox's write log."""
    body = requests.get(f"{site.url}/_sandbox/writes", timeout=5).json()
    result: list[dict[str, object]] = body["writes"]
    return result


def test_label_update_verbs_touch_only_named_labels(jira: JIRA, site: SandboxServer) -> None:
    """``update`` add/remove changes only the named labels and keeps a person's concurrent edit."""
    issue = jira.issue("ACME-13")
    before = list(issue.fields.labels)
    person_edit(site, "ACME-13", {"update": {"labels": [{"add": "customer-vip"}]}})
    issue.update(update={"labels": [{"add": "roadmap-r1"}]}, notify=False)
    after = jira.issue("ACME-13").fields.labels
    assert set(after) == set(before) | {"customer-vip", "roadmap-r1"}
    assert after == sorted(after)
    last = writes(site)[-1]
    assert last["method"] == "PUT"
    assert last["notifyUsers"] is False
    assert last["body"] == {"fields": {}, "update": {"labels": [{"add": "roadmap-r1"}]}}


def test_updated_bumps_only_on_real_change(jira: JIRA, site: SandboxServer) -> None:
    """``updated`` moves when labels change and stays put when an edit changes nothing."""
    before = jira.issue("ACME-14").fields.updated
    jira.issue("ACME-14").update(update={"labels": [{"add": "fresh"}]})
    changed = jira.issue("ACME-14").fields.updated
    jira.issue("ACME-14").update(update={"labels": [{"add": "fresh"}]})
    assert changed > before
    assert jira.issue("ACME-14").fields.updated == changed


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"update": {"labels": [{"add": "two words"}]}},
            "labels",
            "The label 'two words' contains spaces which is invalid.",
        ),
        (
            {"update": {"labels": [{"add": "x" * 256}]}},
            "labels",
            "exceeds the maximum length for a single label of 255 characters.",
        ),
        (
            {"fields": {"labels": ["a"]}, "update": {"labels": [{"add": "b"}]}},
            "labels",
            "Field 'labels' cannot be set in both 'fields' and 'update'.",
        ),
        (
            {"fields": {"status": {"name": "Done"}}},
            "status",
            "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
    ],
)
def test_invalid_edits_get_jiras_400(
    site: SandboxServer, body: dict[str, object], field: str, message: str
) -> None:
    """Jira's own validation: 400 with ``errors`` naming the field, and nothing changes."""
    before = dict(site.store.get("ACME-15")["fields"])
    response = requests.put(
        f"{site.url}/rest/api/2/issue/ACME-15", json=body, headers=site.auth_headers(), timeout=5
    )
    assert response.status_code == 400
    assert message in response.json()["errors"][field]
    assert response.json()["errorMessages"] == []
    assert site.store.get("ACME-15")["fields"] == before


def test_unknown_issue_is_404(jira: JIRA) -> None:
    """An unknown key answers Jira's 404 message."""
    with pytest.raises(JIRAError) as caught:
        jira.issue("ACME-99999")
    assert caught.value.status_code == 404
    assert "Issue does not exist or you do not have permission to see it." in caught.value.text


def test_bad_credentials_are_401(site: SandboxServer) -> None:
    """A wrong token is refused with 401 and no data."""
    with pytest.raises(JIRAError) as caught:
        jira_client(site, token="wrong").myself()
    assert caught.value.status_code == 401


def test_viewer_cannot_edit(site: SandboxServer) -> None:
    """An account without Edit Issues permission gets Jira's 400 and changes nothing."""
    viewer = jira_client(site, token="viewer-token")
    if site.flavor == "cloud":
        viewer = JIRA(
            options={"server": site.url},
            basic_auth=("viewer@example.com", "viewer-token"),
            max_retries=0,
        )
    perms = viewer.my_permissions(projectKey="ACME", permissions="BROWSE_PROJECTS,EDIT_ISSUES")
    assert perms["permissions"]["EDIT_ISSUES"]["havePermission"] is False
    with pytest.raises(JIRAError) as caught:
        viewer.issue("ACME-16").update(update={"labels": [{"add": "x"}]})
    assert caught.value.status_code == 400
    assert "x" not in site.store.get("ACME-16")["fields"]["labels"]


def test_epic_link_is_discovered_through_fields(jira: JIRA, site: SandboxServer) -> None:
    """Data Center shows the epic in the Epic Link field found via /field; Cloud uses parent."""
    story = next(
        key
        for key, issue in site.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == "ACME-1"
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
    )
    raw = jira.issue(story).raw["fields"]
    if site.flavor == "cloud":
        assert raw["parent"]["key"] == "ACME-1"
        assert not any(f["schema"].get("custom") == EPIC_LINK_TYPE for f in jira.fields())
    else:
        epic_field = next(
            f["id"] for f in jira.fields() if f.get("schema", {}).get("custom") == EPIC_LINK_TYPE
        )
        assert raw[epic_field] == "ACME-1"
        assert "parent" not in raw
        keys = all_keys(jira, site, '"Epic Link" = ACME-1')
        assert story in keys


def test_cloud_removed_search_and_dc_lacks_search_jql(site: SandboxServer) -> None:
    """Cloud answers 410 on /search; Data Center has no /search/jql."""
    search = requests.get(
        f"{site.url}/rest/api/2/search",
        params={"jql": "project = ACME"},
        headers=site.auth_headers(),
    )
    jql = requests.get(
        f"{site.url}/rest/api/2/search/jql",
        params={"jql": "project = ACME"},
        headers=site.auth_headers(),
    )
    if site.flavor == "cloud":
        assert search.status_code == 410
        assert (
            "Please migrate to the /rest/api/3/search/jql API" in search.json()["errorMessages"][0]
        )
        assert jql.status_code == 200
    else:
        assert search.status_code == 200
        acme = sum(1 for key in site.store.issues if key.startswith("ACME-"))
        assert search.json()["total"] == acme > 0
        assert jql.status_code == 404


def test_jql_errors_are_jira_shaped(site: SandboxServer) -> None:
    """A malformed query answers 400 with Jira's errorMessages, never a crash."""
    path = "/rest/api/3/search/jql" if site.flavor == "cloud" else "/rest/api/2/search"
    response = requests.get(
        f"{site.url}{path}", params={"jql": "project = = ACME"}, headers=site.auth_headers()
    )
    assert response.status_code == 400
    assert response.json()["errorMessages"][0].startswith("Error in the JQL Query")


def test_field_selection(jira: JIRA) -> None:
    """``fields=`` picks fields: a list, ``*all``, and ``-name`` exclusions."""
    picked = jira.issue("ACME-1", fields="summary,labels").raw["fields"]
    assert set(picked) == {"summary", "labels"}
    everything = jira.issue("ACME-1", fields="*all,-description").raw["fields"]
    assert "description" not in everything
    assert {"summary", "status", "issuetype", "created", "updated"} <= set(everything)


def test_v3_renders_rich_text_as_adf(site: SandboxServer) -> None:
    """REST v3 carries the description as an ADF document, v2 as a string."""
    if site.flavor == "datacenter":
        response = requests.get(f"{site.url}/rest/api/3/issue/ACME-1", headers=site.auth_headers())
        assert response.status_code == 404
        return
    key = next(k for k, i in site.store.issues.items() if i["fields"].get("description"))
    v2 = requests.get(f"{site.url}/rest/api/2/issue/{key}", headers=site.auth_headers()).json()
    v3 = requests.get(f"{site.url}/rest/api/3/issue/{key}", headers=site.auth_headers()).json()
    assert isinstance(v2["fields"]["description"], str)
    assert v3["fields"]["description"]["type"] == "doc"
    assert (
        v3["fields"]["description"]["content"][0]["content"][0]["text"]
        in v2["fields"]["description"]
    )
