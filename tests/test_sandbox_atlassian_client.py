"""A second, independent client (``atlassian-python-api``) pages and edits against the sandbox.

Nobody on this project wrote that client, so it checks the sandbox against someone else's idea of
Jira: Cloud pages ``/rest/api/3/search/jql`` with ``nextPageToken``, Data Center pages
``/rest/api/2/search`` with ``startAt``/``total``. Expected results come from the sandbox's store
directly (plain field comparisons), never from its JQL engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from atlassian import Jira

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data

N_ISSUES = 1200
FIELDS = ["summary", "labels", "issuetype", "status", "project"]
FIELD_LIST = ",".join(FIELDS)
ALL = "project in (ACME, OPS) ORDER BY key ASC"
ACME_BACKEND = "project = ACME AND labels = backend ORDER BY key ASC"
TIMEOUT = 10

Issue = dict[str, Any]


def cloud_client(site: SandboxServer) -> Jira:
    """Cloud: Basic auth with email and API token, ``cloud=True``."""
    return Jira(url=site.url, username=site.email, password=site.token, cloud=True, timeout=10)


def datacenter_client(site: SandboxServer) -> Jira:
    """Data Center: a personal access token sent as ``Authorization: Bearer``."""
    return Jira(url=site.url, token=site.token, timeout=10)


def client_for(site: SandboxServer) -> Jira:
    """The client configured the way its flavor expects."""
    return cloud_client(site) if site.flavor == "cloud" else datacenter_client(site)


@pytest.fixture(scope="module")
def cloud_site() -> Iterator[SandboxServer]:
    """A Cloud sandbox with 1,200 generated issues (read-only tests share it)."""
    with SandboxServer(site_data(N_ISSUES), flavor="cloud", bulk_delay=0.01) as site:
        yield site


@pytest.fixture(scope="module")
def datacenter_site() -> Iterator[SandboxServer]:
    """A Data Center sandbox with 1,200 generated issues (read-only tests share it)."""
    with SandboxServer(site_data(N_ISSUES), flavor="datacenter", bulk_delay=0.01) as site:
        yield site


def key_order(key: str) -> tuple[str, int]:
    """Jira's ``ORDER BY key``: project key, then the issue number as a number."""
    project, number = key.rsplit("-", 1)
    return project, int(number)


def stored_keys(site: SandboxServer, matches: Callable[[Issue], bool]) -> list[str]:
    """The store's keys for which ``matches`` holds, in key order."""
    return sorted((k for k, i in site.store.issues.items() if matches(i)), key=key_order)


def in_projects(*projects: str) -> Callable[[Issue], bool]:
    """A store predicate: the issue belongs to one of ``projects``."""
    return lambda issue: issue["fields"]["project"]["key"] in projects


def acme_backend(issue: Issue) -> bool:
    """A store predicate mirroring ``ACME_BACKEND``."""
    return issue["fields"]["project"]["key"] == "ACME" and "backend" in issue["fields"]["labels"]


def keys_of(issues: list[Issue]) -> list[str]:
    """Issue keys, in the order the client returned them."""
    return [str(issue["key"]) for issue in issues]


def assert_complete(keys: list[str], expected: list[str]) -> None:
    """Every expected key exactly once, in ``ORDER BY key ASC`` order."""
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"paged twice: {duplicates[:10]}"
    assert set(keys) == set(expected), (
        f"missing {sorted(set(expected) - set(keys))[:10]}, "
        f"unexpected {sorted(set(keys) - set(expected))[:10]}"
    )
    assert keys == expected


# -- Cloud: /rest/api/3/search/jql with nextPageToken ------------------------------------------


def test_cloud_enhanced_jql_list_returns_every_issue_once(cloud_site: SandboxServer) -> None:
    """``enhanced_jql_get_list_of_tickets`` follows nextPageToken through all 1,200 issues once."""
    jira = cloud_client(cloud_site)
    issues = jira.enhanced_jql_get_list_of_tickets(ALL, fields=FIELD_LIST)
    expected = stored_keys(cloud_site, in_projects("ACME", "OPS"))
    assert len(expected) == N_ISSUES
    assert_complete(keys_of(issues), expected)
    assert set(issues[0]["fields"]) == set(FIELDS)


def test_cloud_enhanced_jql_pages_by_token(cloud_site: SandboxServer) -> None:
    """``enhanced_jql`` pages of 37 carry a token until ``isLast``, which carries none."""
    jira = cloud_client(cloud_site)
    keys: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = jira.enhanced_jql(ACME_BACKEND, fields=FIELDS, nextPageToken=token, limit=37)
        assert len(page["issues"]) <= 37
        keys += keys_of(page["issues"])
        pages += 1
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            break
        assert token
    expected = stored_keys(cloud_site, acme_backend)
    assert pages == -(-len(expected) // 37)
    assert_complete(keys, expected)


def test_cloud_jql_and_count_use_the_enhanced_endpoints(cloud_site: SandboxServer) -> None:
    """On Cloud, ``jql(start=0)`` answers one token page and ``approximate_issue_count`` counts."""
    jira = cloud_client(cloud_site)
    expected = stored_keys(cloud_site, in_projects("OPS"))
    first = jira.jql("project = OPS ORDER BY key ASC", fields=FIELDS, limit=100)
    assert isinstance(first, dict)
    assert keys_of(first["issues"]) == expected[:100]
    assert first["isLast"] is False
    assert "total" not in first
    count = jira.approximate_issue_count("project = OPS")
    assert count == {"count": len(expected)}


# -- Data Center: /rest/api/2/search with startAt ----------------------------------------------


def test_datacenter_jql_list_returns_every_issue_once(datacenter_site: SandboxServer) -> None:
    """``jql_get_list_of_tickets`` follows startAt/total through all 1,200 issues exactly once."""
    jira = datacenter_client(datacenter_site)
    issues = jira.jql_get_list_of_tickets(ALL, fields=FIELD_LIST)
    expected = stored_keys(datacenter_site, in_projects("ACME", "OPS"))
    assert len(expected) == N_ISSUES
    assert_complete(keys_of(issues), expected)


def test_datacenter_jql_pages_by_start_at(datacenter_site: SandboxServer) -> None:
    """``jql(start, limit=37)`` answers the requested window with a steady ``total``."""
    jira = datacenter_client(datacenter_site)
    expected = stored_keys(datacenter_site, acme_backend)
    keys: list[str] = []
    start = 0
    while True:
        page = jira.jql(ACME_BACKEND, fields=FIELDS, start=start, limit=37)
        assert isinstance(page, dict)
        assert (page["startAt"], page["maxResults"], page["total"]) == (start, 37, len(expected))
        keys += keys_of(page["issues"])
        start += len(page["issues"])
        if start >= page["total"]:
            break
        assert len(page["issues"]) == 37
    assert_complete(keys, expected)


# -- label edits and the write log -------------------------------------------------------------


def writes(site: SandboxServer) -> list[dict[str, Any]]:
    """The sandbox's write log."""
    response = requests.get(f"{site.url}/_sandbox/writes", timeout=TIMEOUT)
    response.raise_for_status()
    logged: list[dict[str, Any]] = response.json()["writes"]
    return logged


def person_adds_label(site: SandboxServer, key: str, label: str) -> None:
    """A person adds a label by hand through the sandbox's test hook."""
    body = {"update": {"labels": [{"add": label}]}}
    response = requests.post(f"{site.url}/_sandbox/issues/{key}/edit", json=body, timeout=TIMEOUT)
    response.raise_for_status()


def test_edit_issue_sends_update_verbs(site: SandboxServer) -> None:
    """``edit_issue`` add/remove verbs change only the named labels; the log shows the request."""
    jira = client_for(site)
    key = next(k for k, i in site.store.issues.items() if len(i["fields"]["labels"]) >= 2)
    before = set(site.store.get(key)["fields"]["labels"])
    person_adds_label(site, key, "customer-vip")
    removed = sorted(before)[:1]  # one of the bot's labels goes; the others stay
    verbs: list[dict[str, str]] = [{"add": "roadmap-r1"}, *({"remove": r} for r in removed)]
    jira.edit_issue(key, {"labels": verbs}, notify_users=False)

    labels = jira.issue(key, fields="labels")["fields"]["labels"]
    assert set(labels) == (before | {"customer-vip", "roadmap-r1"}) - set(removed)
    last = writes(site)[-1]
    assert {k: last[k] for k in ("method", "path", "query", "body", "notifyUsers", "status")} == {
        "method": "PUT",
        "path": f"/rest/api/2/issue/{key}",
        "query": "notifyUsers=false",
        "body": {"update": {"labels": verbs}},
        "notifyUsers": False,
        "status": 204,
    }
    assert last["account"] == site.email


def test_update_issue_field_replaces_labels(site: SandboxServer) -> None:
    """``update_issue_field`` sets ``fields.labels`` wholesale, dropping a person's label."""
    jira = client_for(site)
    key = "ACME-22"
    person_adds_label(site, key, "customer-vip")
    jira.update_issue_field(key, {"labels": ["roadmap-r2", "backend"]}, notify_users=False)

    assert site.store.get(key)["fields"]["labels"] == ["backend", "roadmap-r2"]
    last = writes(site)[-1]
    assert (last["method"], last["path"], last["query"]) == (
        "PUT",
        f"/rest/api/2/issue/{key}",
        "notifyUsers=false",
    )
    assert last["body"] == {"fields": {"labels": ["roadmap-r2", "backend"]}}
    assert (last["notifyUsers"], last["status"]) == (False, 204)


def test_issue_update_cannot_silence_notifications(site: SandboxServer) -> None:
    """``issue_update(notify_users=False)`` sends the flag in the JSON body: Jira still notifies."""
    jira = client_for(site)
    jira.issue_update(
        "ACME-23", fields={}, update={"labels": [{"add": "quiet"}]}, notify_users=False
    )

    assert "quiet" in site.store.get("ACME-23")["fields"]["labels"]
    last = writes(site)[-1]
    assert last["query"] == ""
    assert last["body"] == {"update": {"labels": [{"add": "quiet"}]}, "notifyUsers": "false"}
    assert last["notifyUsers"] is True
