"""Search as a real site serves it: Cloud's lag and reconcileIssues, Data Center's re-run pages
and OpenSearch result window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from roadmap_sync.jql.parser import parse
from roadmap_sync.sandbox.index import BULK_LAG_FACTOR, SearchIndex
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data
from tests.test_sandbox_jira_client import person_edit
from tests.worker_harness import wait_for

SEARCH = "/rest/api/3/search/jql"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _issue(key: str, labels: list[str]) -> dict[str, Any]:
    return {"id": key.rsplit("-", 1)[1], "key": key, "fields": {"labels": labels}}


def test_index_shows_each_change_after_its_lag_and_bulk_later() -> None:
    """A change is searchable after the lag; a bulk edit only after the documented multiple."""
    clock = FakeClock()
    index = SearchIndex(2.0, monotonic=clock)
    old, new = _issue("A-1", []), _issue("A-1", ["x"])
    index.record("A-1", old, new, bulk=False)
    assert index.issue("A-1", new) is old
    clock.now += 2.0
    assert index.issue("A-1", new) is new
    bulk = _issue("A-1", ["x", "y"])
    index.record("A-1", new, bulk, bulk=True)
    clock.now += 2.0 * BULK_LAG_FACTOR - 0.1
    assert index.issue("A-1", bulk) is new
    clock.now += 0.2
    assert index.issue("A-1", bulk) is bulk
    assert index.lagging() == 0


def test_index_hides_new_issues_and_keeps_deleted_ones_until_indexed() -> None:
    """A created issue is not searchable yet; a deleted one still is, until the lag passes."""
    clock = FakeClock()
    index = SearchIndex(1.0, monotonic=clock)
    created, gone = _issue("A-2", []), _issue("A-3", ["z"])
    index.record("A-2", None, created, bulk=False)
    index.record("A-3", gone, None, bulk=False)
    current = {"A-2": created}
    assert [i["key"] for i in index.view(current)] == ["A-3"]
    assert [i["key"] for i in index.view(current, {"A-2", "A-3"})] == ["A-2"]
    clock.now += 1.0
    assert [i["key"] for i in index.view(current)] == ["A-2"]


@pytest.fixture
def lagging() -> Iterator[SandboxServer]:
    """A Cloud site whose search lags a full minute: every search in a test is stale."""
    with SandboxServer(site_data(), flavor="cloud", search_lag=60.0) as server:
        yield server


def _search(site: SandboxServer, **params: Any) -> dict[str, Any]:
    response = requests.post(
        site.url + SEARCH, json=params, headers=site.auth_headers(), timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_search_is_stale_but_issue_and_reconciled_search_are_current(
    lagging: SandboxServer,
) -> None:
    """After an edit, search shows the old labels; GET /issue and reconcileIssues the new."""
    key = "ACME-20"
    issue_id = lagging.store.get(key)["id"]
    person_edit(lagging, key, {"update": {"labels": [{"add": "fresh-label"}]}})
    stale = _search(lagging, jql=f"key = {key}", fields=["labels"])
    assert "fresh-label" not in stale["issues"][0]["fields"]["labels"]
    assert _search(lagging, jql="labels = fresh-label", fields=["labels"])["issues"] == []
    current = requests.get(
        f"{lagging.url}/rest/api/3/issue/{key}", headers=lagging.auth_headers(), timeout=10
    ).json()
    assert "fresh-label" in current["fields"]["labels"]
    reconciled = _search(
        lagging, jql="labels = fresh-label", fields=["labels"], reconcileIssues=[int(issue_id)]
    )
    assert [i["key"] for i in reconciled["issues"]] == [key]
    approximate = requests.post(
        f"{lagging.url}/rest/api/3/search/approximate-count",
        json={"jql": "labels = fresh-label"},
        headers=lagging.auth_headers(),
        timeout=10,
    ).json()
    assert approximate == {"count": 0}


def test_edits_reach_search_after_the_lag() -> None:
    """With a short lag, the edit shows up in search without reconciling, soon after."""
    with SandboxServer(site_data(), flavor="cloud", search_lag=0.3) as site:
        person_edit(site, "ACME-21", {"update": {"labels": [{"add": "late-label"}]}})
        wait_for(
            lambda: bool(_search(site, jql="labels = late-label")["issues"]),
            10,
            "the edit to reach search",
        )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (list(range(1, 52)), "at most 50"),
        (["abc"], "not a number"),
        ([1.5], "not a number"),
        ("10001", "list of issue ids"),
    ],
)
def test_reconcile_issues_is_validated_like_jira(
    lagging: SandboxServer, value: object, problem: str
) -> None:
    """More than 50 ids, or ids that are not numbers, answer 400 instead of being ignored."""
    response = requests.post(
        lagging.url + SEARCH,
        json={"jql": "project = ACME", "reconcileIssues": value},
        headers=lagging.auth_headers(),
        timeout=10,
    )
    assert response.status_code == 400
    assert problem in response.json()["errorMessages"][0]
    get = requests.get(
        lagging.url + SEARCH,
        params={"jql": "project = ACME", "reconcileIssues": "abc"},
        headers=lagging.auth_headers(),
        timeout=10,
    )
    assert get.status_code == 400


@pytest.fixture
def datacenter() -> Iterator[SandboxServer]:
    """A Data Center site with OpenSearch's result window of 100 issues."""
    with SandboxServer(site_data(), flavor="datacenter", result_window=100) as server:
        yield server


def _dc_page(site: SandboxServer, jql: str, start: int, limit: int) -> requests.Response:
    return requests.get(
        f"{site.url}/rest/api/2/search",
        params={"jql": jql, "startAt": start, "maxResults": limit, "fields": "labels"},
        headers=site.auth_headers(),
        timeout=10,
    )


def test_datacenter_reruns_the_query_for_each_page(datacenter: SandboxServer) -> None:
    """An issue that stops matching after page one shifts the offsets: the next page skips one."""
    jql = "project = ACME AND summary !~ zzmoved ORDER BY key ASC"
    first = _dc_page(datacenter, jql, 0, 10).json()
    page_one = [i["key"] for i in first["issues"]]
    expected_next = [i["key"] for i in _dc_page(datacenter, jql, 10, 10).json()["issues"]]
    person_edit(datacenter, page_one[0], {"fields": {"summary": "zzmoved elsewhere"}})
    second = _dc_page(datacenter, jql, 10, 10).json()
    keys = [i["key"] for i in second["issues"]]
    assert second["total"] == first["total"] - 1
    assert keys[:9] == expected_next[1:]
    assert expected_next[0] not in keys, "skipped: it moved onto the page already read"


def test_datacenter_result_window_refuses_deep_pages(datacenter: SandboxServer) -> None:
    """startAt + maxResults past the window is Jira's 500 "Search limit exceeded"."""
    assert _dc_page(datacenter, "project = ACME", 50, 50).status_code == 200
    refused = _dc_page(datacenter, "project = ACME", 90, 20)
    assert refused.status_code == 500
    message = refused.json()["errorMessages"][0]
    assert message.startswith("Search limit exceeded.")
    assert "requests 110 results which exceeded the search platform limit of 100" in message


def test_datacenter_search_is_current_by_default() -> None:
    """Data Center's search has no lag: an edit is searchable at once."""
    with SandboxServer(site_data(), flavor="datacenter") as site:
        person_edit(site, "ACME-22", {"update": {"labels": [{"add": "now-label"}]}})
        body = _dc_page(site, "labels = now-label", 0, 10).json()
        assert [i["key"] for i in body["issues"]] == ["ACME-22"]


@pytest.mark.parametrize(("flavor", "lag"), [("cloud", 2.0), ("datacenter", 0.0)])
def test_default_search_lag_is_a_real_sites(flavor: str, lag: float) -> None:
    """Built without search_lag, Cloud lags 2 s and Data Center not at all; the hook says so."""
    with SandboxServer(site_data(60), flavor=flavor) as site:  # type: ignore[arg-type]
        status = requests.get(f"{site.url}/_sandbox/index", timeout=5).json()
        assert status == {"searchLag": lag, "lagging": 0}


def test_keyset_pages_answer_as_a_full_evaluation_does(datacenter: SandboxServer) -> None:
    """``key > X ORDER BY key`` (the keyset paging Atlassian recommends past the window) is
    answered by seeking in the kept matches; it returns exactly what evaluating every issue
    returns, follows edits at once, and a bound that is no issue key is still Jira's 400."""
    base = "project = ACME AND summary !~ zzmoved"
    search = datacenter.app.search
    everything = list(search.run(f"{base} ORDER BY key ASC"))
    assert len(everything) > 100  # past the window: what keyset paging is for
    for after in (everything[0], everything[7], everything[-2], everything[-1]):
        jql = f'{base} AND key > "{after}" ORDER BY key ASC'
        slow = search.run(jql)
        assert search._past_key(parse(jql), None, None) == slow
        assert list(slow) == everything[everything.index(after) + 1 :]
        page = _dc_page(datacenter, jql, 0, 5).json()
        assert [i["key"] for i in page["issues"]] == list(slow[:5])
        assert page["total"] == len(slow)
    moved = everything[10]
    person_edit(datacenter, moved, {"fields": {"summary": "zzmoved elsewhere"}})
    jql = f'{base} AND key > "{everything[5]}" ORDER BY key ASC'
    keys = [i["key"] for i in _dc_page(datacenter, jql, 0, 100).json()["issues"]]
    assert moved not in keys and keys == list(search.run(jql))[:100]
    refused = _dc_page(datacenter, f'{base} AND key > "ZZZ-1" ORDER BY key ASC', 0, 5)
    assert refused.status_code == 400
