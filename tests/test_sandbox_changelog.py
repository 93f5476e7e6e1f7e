"""The sandbox's changelogs and clock: Cloud bulk fetch, Data Center expand, the bot's reader."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import requests

from roadmap_sync.core.model import Scope
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import site_data

START = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


def story_of(site: SandboxServer, epic: str) -> str:
    """The first story under an epic."""
    return next(
        key
        for key, issue in site.store.issues.items()
        if (issue["fields"].get("parent") or {}).get("key") == epic
        and issue["fields"]["issuetype"]["hierarchyLevel"] == 0
    )


def edit(site: SandboxServer, key: str, fields: dict[str, Any]) -> None:
    """A person's edit through the test hook."""
    url = f"{site.url}/_sandbox/issues/{key}/edit"
    requests.post(url, json={"fields": fields}, timeout=10).raise_for_status()


def bulkfetch(site: SandboxServer, body: dict[str, Any]) -> requests.Response:
    """POST /rest/api/3/changelog/bulkfetch as the bot."""
    url = f"{site.url}/rest/api/3/changelog/bulkfetch"
    return requests.post(url, json=body, headers=site.auth_headers(), timeout=10)


def test_cloud_bulkfetch_shape_filter_and_paging() -> None:
    """Edits are recorded in Jira's shape; bulk fetch filters by field id and pages by token."""
    with SandboxServer(site_data(), flavor="cloud", clock=SiteClock(START)) as site:
        key = story_of(site, "ACME-3")
        edit(site, key, {"fixVersions": [{"name": "2027.04"}]})
        site.clock.advance(dt.timedelta(days=2))
        edit(site, key, {"parent": {"key": "ACME-7"}, "summary": "Renamed"})
        answer = bulkfetch(site, {"issueIdsOrKeys": [key], "fieldIds": ["fixVersions", "parent"]})
        assert answer.status_code == 200
        (log,) = answer.json()["issueChangeLogs"]
        assert log["issueId"] == site.store.issues[key]["id"]
        first, second = log["changeHistories"]
        assert first["author"]["displayName"] == "Pat Person"
        assert first["created"].startswith("2026-11-23T08:")
        assert second["created"].startswith("2026-11-25T08:")
        items = {(i["field"], i["fieldId"], i["fromString"], i["toString"]) for i in first["items"]}
        assert items == {
            ("Fix Version", "fixVersions", "2026.12", None),
            ("Fix Version", "fixVersions", None, "2027.04"),
        }
        (parent,) = second["items"]  # the summary change is filtered out
        assert (parent["field"], parent["fieldId"], parent["fromString"], parent["toString"]) == (
            "IssueParentAssociation", "parent", "ACME-3", "ACME-7",
        )  # fmt: skip
        assert set(parent) == {
            "field",
            "fieldtype",
            "fieldId",
            "from",
            "fromString",
            "to",
            "toString",
        }
        paged = bulkfetch(site, {"issueIdsOrKeys": [key], "maxResults": 1}).json()
        assert len(paged["issueChangeLogs"][0]["changeHistories"]) == 1
        rest = bulkfetch(site, {"issueIdsOrKeys": [key], "nextPageToken": paged["nextPageToken"]})
        assert "nextPageToken" not in rest.json()


def test_cloud_bulkfetch_limits() -> None:
    """More than 1000 issues or 10 field ids is refused, as Jira documents."""
    with SandboxServer(site_data(), flavor="cloud") as site:
        too_many = bulkfetch(site, {"issueIdsOrKeys": [f"ACME-{n}" for n in range(1001)]})
        fields = bulkfetch(site, {"issueIdsOrKeys": ["ACME-1"], "fieldIds": ["x"] * 11})
        assert (too_many.status_code, fields.status_code) == (400, 400)


def test_datacenter_expand_changelog() -> None:
    """Data Center serves histories with expand=changelog (search and issue), Epic Link named."""
    with SandboxServer(site_data(), flavor="datacenter") as site:
        key = story_of(site, "ACME-3")
        edit(site, key, {"customfield_10101": "ACME-7"})
        search = requests.get(
            f"{site.url}/rest/api/2/search",
            params={"jql": f"key = {key}", "fields": "key", "expand": "changelog"},
            headers=site.auth_headers(), timeout=10,
        ).json()  # fmt: skip
        (history,) = search["issues"][0]["changelog"]["histories"]
        (item,) = history["items"]
        assert (item["field"], item["toString"]) == ("Epic Link", "ACME-7")
        assert "fieldId" not in item  # Data Center omits it
        issue = requests.get(
            f"{site.url}/rest/api/2/issue/{key}", params={"expand": "changelog"},
            headers=site.auth_headers(), timeout=10,
        ).json()  # fmt: skip
        assert issue["changelog"]["total"] == 1


def test_export_keeps_changelogs_and_time() -> None:
    """An exported site resumes with its histories and its clock's time."""
    with SandboxServer(site_data(), flavor="cloud", clock=SiteClock(START)) as site:
        key = story_of(site, "ACME-3")
        edit(site, key, {"fixVersions": []})
        exported = json.loads(json.dumps(site.store.export()))
    assert exported["now"].startswith("2026-11-23T08:")
    resumed = SiteData.from_json(exported)
    assert resumed.now is not None and resumed.now.date() == START.date()
    with SandboxServer(resumed, flavor="cloud") as site:
        answer = bulkfetch(site, {"issueIdsOrKeys": [key]}).json()
        assert len(answer["issueChangeLogs"][0]["changeHistories"]) == 1


def test_clock_hook_moves_forward_only() -> None:
    """POST /_sandbox/clock advances the site's time; it never goes back."""
    with SandboxServer(site_data(), flavor="cloud", clock=SiteClock(START)) as site:
        moved = requests.post(
            f"{site.url}/_sandbox/clock", json={"advance_seconds": 7 * 86400}, timeout=5
        ).json()
        assert moved["now"].startswith("2026-11-30T08:")
        back = requests.post(f"{site.url}/_sandbox/clock", json={"advance_seconds": -1}, timeout=5)
        assert back.status_code == 400
        key = story_of(site, "ACME-4")
        edit(site, key, {"summary": "Touched"})
        assert site.store.issues[key]["fields"]["updated"].startswith("2026-11-30T08:")


def test_tracker_reads_changelogs_on_both_flavors() -> None:
    """The bot's adapter returns who moved an issue and when, through each flavor's API."""
    for flavor in ("cloud", "datacenter"):
        with SandboxServer(site_data(), flavor=flavor, clock=SiteClock(START)) as site:  # type: ignore[arg-type]
            key = story_of(site, "ACME-3")
            edit(site, key, {"fixVersions": [{"name": "2027.04"}]})
            options = ConnectOptions(
                url=site.url, email=site.email, token=site.token, policy=RetryPolicy(attempts=2)
            )
            tracker = registry.connect(options)
            list(tracker.fetch_items(Scope(("ACME",))))  # learns issue ids, as a sync does
            changes = tracker.changelogs([key, "ACME-1"])
            fix = [c for c in changes[key] if c.field == "fixVersion"]
            assert [(c.author, c.before, c.after) for c in fix] == [
                ("Pat Person", "2026.12", None), ("Pat Person", None, "2027.04"),
            ], flavor  # fmt: skip
            assert fix[0].at.date() == START.date()
            assert changes.get("ACME-1", []) == []


def test_tracker_asks_again_only_for_issues_read_since() -> None:
    """A changelog is read once, until the issue itself is read again (an update, a full
    read): the outlook asks for the same moved items every sync."""
    for flavor in ("cloud", "datacenter"):
        # No search lag: what is tested is when the bot asks again, not when search shows.
        with SandboxServer(
            site_data(),
            flavor=flavor,
            clock=SiteClock(START),
            search_lag=0,  # type: ignore[arg-type]
        ) as site:
            moved, other = story_of(site, "ACME-3"), story_of(site, "ACME-2")
            edit(site, moved, {"fixVersions": [{"name": "2027.04"}]})
            asked: list[str] = []
            options = ConnectOptions(
                url=site.url, email=site.email, token=site.token,
                policy=RetryPolicy(attempts=2), on_request=asked.append,
            )  # fmt: skip
            tracker = registry.connect(options)
            scope = Scope(("ACME",))
            list(tracker.fetch_items(scope))
            first = tracker.changelogs([moved, other])
            assert asked.count("changelog") == 1, flavor
            assert tracker.changelogs([moved, other]) == first
            assert asked.count("changelog") == 1, flavor  # nothing was read since
            edit(site, moved, {"fixVersions": [{"name": "2026.12"}]})
            assert moved in {item.key for item in tracker.fetch_changed(scope, 30)}
            again = tracker.changelogs([moved, other])
            assert asked.count("changelog") == 2, flavor
            assert [c.after for c in again[moved] if c.field == "fixVersion"][-1] == "2026.12"
            assert again.get(other, []) == first.get(other, [])
            list(tracker.fetch_items(scope))  # a full read reads every issue: all asked again
            tracker.changelogs([other])
            assert asked.count("changelog") == 3, flavor
