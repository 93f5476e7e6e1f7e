"""``JiraTracker``: the ``Tracker`` for Jira Cloud and Data Center, through the real ``jira``
client.

Composes the adapter's parts: ``connect`` (site detection, auth, custom fields), ``paging``
(search pages), ``convert`` (issue JSON to ``BacklogItem``, once, here), ``writes`` (label
updates) and ``jql`` (the queries it sends).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from jira import JIRA

from roadmap_sync.core.baseline import FieldChange
from roadmap_sync.core.model import EPIC_LEVEL, BacklogItem, LabelChange
from roadmap_sync.runtime.breaker import WriteBreaker
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.trackers.base import (
    ApplyOutcome,
    ProgressCallback,
    Scope,
    SiteInfo,
    TrackerError,
    VersionInfo,
)
from roadmap_sync.trackers.jira.changelog import read_changelogs
from roadmap_sync.trackers.jira.connect import open_client
from roadmap_sync.trackers.jira.convert import item_from_json
from roadmap_sync.trackers.jira.jql import children_jql, keys_jql, scope_jql
from roadmap_sync.trackers.jira.paging import SearchPager
from roadmap_sync.trackers.jira.session import JiraHttp
from roadmap_sync.trackers.jira.site import JiraSite
from roadmap_sync.trackers.jira.writes import LabelWriter

__all__ = ["JiraTracker"]

SEARCH_FIELDS = (
    "summary",
    "issuetype",
    "status",
    "labels",
    "fixVersions",
    "components",
    "parent",
    "project",
    "updated",
    "created",  # the baseline tells added from moved-in items by it
    "resolutiondate",  # the forecast's weekly throughput
)
KEYS_PER_QUERY = 200  # keeps `key in (...)` queries well under URL length limits
NEEDED_PERMISSIONS = ("BROWSE_PROJECTS", "EDIT_ISSUES")


class JiraTracker:
    """The ``Tracker`` for Jira Cloud and Data Center."""

    def __init__(
        self,
        client: JIRA,
        jira_site: JiraSite,
        policy: RetryPolicy,
        *,
        concurrency: int = 4,
        bulk_threshold: int = 20,
        on_request: Callable[[str], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.jira_site = jira_site
        self.site: SiteInfo = jira_site.info
        self.http = JiraHttp(
            client,
            jira_site.base_url,
            policy,
            on_request=on_request,
            on_wait=on_wait,
            on_response=on_response,
        )
        self._pager = SearchPager(self.http, cloud=jira_site.cloud)
        self._issue_ids: dict[str, str] = {}
        self._writer = LabelWriter(
            self.http,
            bulk=jira_site.cloud,
            concurrency=concurrency,
            bulk_threshold=bulk_threshold,
            issue_ids=self._issue_ids,
        )
        # Cloud's bulk tasks group a batch's changes per label, so small batches fragment them
        # into many part-filled tasks; per-issue writes need no such room.
        self.apply_batch_size = 10_000 if jira_site.cloud else 1_000

    @classmethod
    def connect(
        cls,
        url: str,
        email: str | None,
        token: str,
        policy: RetryPolicy,
        *,
        timeout: float = 30.0,
        **options: Any,
    ) -> JiraTracker:
        """Detect Cloud or Data Center from serverInfo, authenticate, discover custom fields."""
        client, jira_site = open_client(url, email, token, policy, timeout=timeout)
        return cls(client, jira_site, policy, **options)

    # -- reading -------------------------------------------------------------------------------
    def search_pages(self, jql: str, fields: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
        """Raw issue JSON of a search, page by page."""
        return self._pager.pages(jql, fields)

    def _items(self, jql: str) -> Iterator[list[BacklogItem]]:
        fields = [*SEARCH_FIELDS, *self.jira_site.custom_fields()]
        epic_link = self.jira_site.epic_link_field
        points = self.jira_site.story_points_field
        ids = self._issue_ids
        for page in self.search_pages(f"{jql} ORDER BY key ASC", fields):
            items = []
            for issue in page:
                ids[issue["key"]] = str(issue["id"])
                items.append(
                    item_from_json(issue, epic_link_field=epic_link, story_points_field=points)
                )
            yield items

    def fetch_items(
        self, scope: Scope, progress: ProgressCallback | None = None
    ) -> Iterator[BacklogItem]:
        """Every issue in the scope as ``BacklogItem``s."""
        for items in self._items(scope_jql(scope)):
            yield from items
            if progress is not None:
                progress(len(items))

    def fetch_matching(self, jql: str) -> list[BacklogItem]:
        """Items matching a JQL query (targeted syncs: keys, children of epics ...)."""
        return [item for items in self._items(jql) for item in items]

    def fetch_keys(self, keys: Collection[str], scope: Scope | None = None) -> list[BacklogItem]:
        """The items with these keys (within ``scope``); missing keys are skipped.

        Jira refuses a whole ``key in (...)`` query when one key no longer exists, so a refused
        chunk is narrowed to the keys that still exist and asked again.
        """
        found: list[BacklogItem] = []
        ordered = sorted(keys)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            try:
                found += self.fetch_matching(keys_jql(chunk, scope))
            except TrackerError as error:
                if "does not exist" not in str(error):
                    raise
                existing = sorted(self.existing_keys(chunk))
                if existing:
                    found += self.fetch_matching(keys_jql(existing, scope))
        return found

    def fetch_children(self, parents: Sequence[BacklogItem], scope: Scope) -> list[BacklogItem]:
        """The direct children of these items inside the scope, as each flavor links them."""
        children = children_jql(parents, cloud=self.jira_site.cloud)
        if children is None:
            return []
        return self.fetch_matching(f"({scope_jql(scope)}) AND ({children})")

    def version_names(self, project: str) -> list[str]:
        """Names of a project's versions."""
        versions = self.http.get_json(f"project/{project}/versions", {}, "meta")
        return [str(v["name"]) for v in versions]

    def versions(self, project: str) -> list[VersionInfo]:
        """A project's versions with release dates and descriptions."""
        found = self.http.get_json(f"project/{project}/versions", {}, "meta")
        return [_version(v) for v in found]

    def fetch_epics(self, scope: Scope, types: Sequence[str] = ("Epic",)) -> list[BacklogItem]:
        """The epic-level issues of these types in the scope."""
        names = ", ".join(f'"{name}"' for name in types)
        found = self.fetch_matching(f"({scope_jql(scope)}) AND issuetype in ({names})")
        return [item for item in found if item.hierarchy_level >= EPIC_LEVEL]

    def project_exists(self, project: str) -> bool:
        """Whether the account can see the project."""
        try:
            self.http.get_json(f"project/{project}", {}, "meta")
        except TrackerError as error:
            if "HTTP 404" in str(error):
                return False
            raise
        return True

    def missing_permissions(self, project: str) -> list[str]:
        """Which of Browse Projects and Edit Issues the account lacks in a project."""
        body = self.http.get_json(
            "mypermissions",
            {"projectKey": project, "permissions": ",".join(NEEDED_PERMISSIONS)},
            "meta",
        )
        granted = body.get("permissions", {})
        return [key for key in NEEDED_PERMISSIONS if not granted.get(key, {}).get("havePermission")]

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these issue keys exist (and are visible)."""
        found: set[str] = set()
        for key in keys:
            try:
                self.http.get_json(f"issue/{key}", {"fields": "issuetype"}, "issue_get")
                found.add(key)
            except TrackerError as error:
                if "HTTP 404" not in str(error):
                    raise
        return found

    def changelogs(self, keys: Sequence[str]) -> dict[str, list[FieldChange]]:
        """Fix version and parent changes of these issues (Cloud bulk fetch, DC expand)."""
        return read_changelogs(
            self.http, keys, cloud=self.jira_site.cloud, issue_ids=self._issue_ids
        )

    # -- writing -------------------------------------------------------------------------------
    def apply(
        self, changes: Sequence[LabelChange], breaker: WriteBreaker | None = None
    ) -> list[ApplyOutcome]:
        """Write label changes; per-issue outcomes, failures included, never raises for one."""
        return self._writer.apply(changes, breaker)


def _version(raw: dict[str, Any]) -> VersionInfo:
    """A version from Jira's JSON (``releaseDate`` is ``YYYY-MM-DD`` when set)."""
    when = raw.get("releaseDate")
    try:
        release_date = dt.date.fromisoformat(when) if when else None
    except ValueError:
        release_date = None
    return VersionInfo(
        name=str(raw.get("name", "")),
        release_date=release_date,
        description=str(raw.get("description") or ""),
        released=bool(raw.get("released")),
        archived=bool(raw.get("archived")),
    )
