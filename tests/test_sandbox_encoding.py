"""Search pages built from issues encoded once: same documents, never stale after an edit."""

from __future__ import annotations

from typing import Any

import requests

from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.views import FieldSelection, IssueRenderer
from tests.conftest import site_data

FIELDS = "summary,labels,fixVersions,parent,updated"


def search(site: SandboxServer, jql: str) -> dict[str, Any]:
    """One search page as the flavor serves it."""
    if site.flavor == "cloud":
        path, params = "/rest/api/3/search/jql", {"jql": jql, "fields": FIELDS, "maxResults": 5}
    else:
        path, params = "/rest/api/2/search", {"jql": jql, "fields": FIELDS, "maxResults": 5}
    response = requests.get(site.url + path, params=params, headers=site.auth_headers(), timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def test_pages_hold_what_rendering_each_issue_gives(site: SandboxServer) -> None:
    """Every issue on a page is exactly its rendering for the requested fields."""
    page = search(site, "project = ACME ORDER BY key ASC")
    version = "3" if site.flavor == "cloud" else "2"
    renderer = IssueRenderer(site.flavor, version, site.url)
    selection = FieldSelection.parse([FIELDS], "*navigable")
    expected = [renderer.render(site.store.get(i["key"]), selection) for i in page["issues"]]
    assert page["issues"] == expected and len(expected) == 5
    assert ("isLast" in page) if site.flavor == "cloud" else (page["total"] > 5)


def test_an_edit_shows_in_the_next_page(flavor: Flavor) -> None:
    """A person's edit between two searches is in the second one, not a cached copy."""
    with SandboxServer(site_data(), flavor=flavor, search_lag=0) as site:
        _edit_then_search(site)


def _edit_then_search(site: SandboxServer) -> None:
    first = search(site, "key = ACME-3")["issues"][0]
    requests.post(
        f"{site.url}/_sandbox/issues/ACME-3/edit",
        json={"update": {"labels": [{"add": "fresh-label"}]}},
        timeout=10,
    ).raise_for_status()
    second = search(site, "key = ACME-3")["issues"][0]
    assert "fresh-label" not in first["fields"]["labels"]
    assert "fresh-label" in second["fields"]["labels"]
    assert second["fields"]["updated"] >= first["fields"]["updated"]
