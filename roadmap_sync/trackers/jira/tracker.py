"""``JiraTracker``: the ``Tracker`` for Jira Cloud and Data Center, through the real ``jira``
client.

Composes the adapter's parts: ``connect`` (site detection, auth, custom fields), ``paging``
(search pages), ``convert`` (issue JSON to ``BacklogItem``, once, here), ``writes`` (label
updates) and ``jql`` (the queries it sends).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

import structlog
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
from roadmap_sync.trackers.jira.consistency import RecentWrites, shows_change
from roadmap_sync.trackers.jira.convert import item_from_json
from roadmap_sync.trackers.jira.jql import (
    children_jql,
    epics_jql,
    keys_jql,
    scope_jql,
    version_jql,
)
from roadmap_sync.trackers.jira.pacing import IssueWriteSpacer
from roadmap_sync.trackers.jira.paging import RECONCILE_LIMIT, SearchPager
from roadmap_sync.trackers.jira.session import JiraHttp
from roadmap_sync.trackers.jira.site import JiraSite
from roadmap_sync.trackers.jira.writes import LabelWriter

__all__ = ["JiraTracker"]

log = structlog.get_logger(__name__)

SEARCH_FIELDS = (
    "summary",
    "issuetype",
    "status",
    "labels",
    "fixVersions",
    "components",
    "parent",
    "project",
    "created",  # the baseline tells added from moved-in items by it
    "resolutiondate",  # the forecast's weekly throughput
)
KEYS_PER_QUERY = 200  # keeps `key in (...)` queries well under URL length limits
NEEDED_PERMISSIONS = ("BROWSE_PROJECTS", "EDIT_ISSUES")
Raw = dict[str, Any]


class JiraTracker:
    """The ``Tracker`` for Jira Cloud and Data Center."""

    def __init__(
        self,
        client: JIRA,
        jira_site: JiraSite,
        policy: RetryPolicy,
        *,
        concurrency: int = 4,
        bulk_threshold: int = 100,
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
        # Changelogs read, by key (None: Jira has no such issue). An issue's history changes
        # only when the issue is updated, and a sync reads whatever was updated: every read of
        # an issue drops its entry. The outlook asks for the same moved items' changelogs every
        # 15 minutes; on Data Center each 100 cost a search.
        self._changelogs: dict[str, list[FieldChange] | None] = {}
        self._recent = RecentWrites()
        self._writer = LabelWriter(
            self.http,
            bulk=jira_site.cloud,
            concurrency=concurrency,
            bulk_threshold=bulk_threshold,
            issue_ids=self._issue_ids,
            # Cloud limits writes per issue (jira-per-issue-on-write); Data Center does not.
            spacer=IssueWriteSpacer() if jira_site.cloud else None,
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
    def search_pages(
        self, jql: str, fields: Sequence[str], reconcile: Sequence[str] = ()
    ) -> Iterator[list[dict[str, Any]]]:
        """Raw issue JSON of a search, page by page."""
        return self._pager.pages(jql, fields, reconcile)

    def _fields(self) -> list[str]:
        return [*SEARCH_FIELDS, *self.jira_site.custom_fields()]

    def _convert(self, issue: Raw, shared: dict[Any, Any] | None = None) -> BacklogItem:
        self._issue_ids[issue["key"]] = str(issue["id"])
        self._changelogs.pop(issue["key"], None)
        return item_from_json(
            issue,
            epic_link_field=self.jira_site.epic_link_field,
            story_points_field=self.jira_site.story_points_field,
            shared=shared,
        )

    def _in_scope(self, issue: Raw, scope: Scope | None) -> bool:
        """Whether a search result belongs to the scope's projects; others are dropped.

        Jira should never return them, but the bot must not trust that: an issue outside the
        roadmap's projects is never planned, so never written.
        """
        if scope is None:
            return True
        project = ((issue.get("fields") or {}).get("project") or {}).get("key")
        if project is None:
            project = str(issue.get("key", "")).rpartition("-")[0]
        if project in scope.projects:
            return True
        _log_dropped(issue.get("key"), project)
        return False

    def fetch_items(
        self, scope: Scope, progress: ProgressCallback | None = None
    ) -> Iterator[BacklogItem]:
        """Every issue in the scope as ``BacklogItem``s (journalled writes read back current)."""
        return self._read_through(self._pager.scope_pages(scope, self._fields()), scope, progress)

    def fetch_changed(self, scope: Scope, minutes: int) -> list[BacklogItem]:
        """Items in the scope updated within the last ``minutes`` minutes.

        A relative date is measured on Jira's clock in its own time zone, so neither clock
        skew nor the account's zone can shift the window; Jira compares at minute precision.
        Issues the bot (or a revert, a webhook re-sync) wrote lately are read back current, as
        by ``fetch_items``, whether search shows them stale or not at all.
        """
        jql = f"({scope_jql(scope)}) AND updated >= -{int(minutes)}m ORDER BY key ASC"
        return list(self._read_through(self.search_pages(jql, self._fields()), scope, None))

    def _read_through(
        self, pages: Iterable[list[Raw]], scope: Scope, progress: ProgressCallback | None
    ) -> Iterator[BacklogItem]:
        """Search results as items; issues written lately that search shows stale (or not at
        all) are read back as they are now (Cloud's search lags writes)."""
        journal = self._recent.recent() if self.jira_site.cloud else {}
        suspects: set[str] = set()
        shared: dict[Any, Any] = {}  # equal values of this read as one object (convert.py)
        # The loop below runs once per issue of the scope (80,000 in bench/steady_state.py):
        # lookups are hoisted, and the scope is checked on the converted item's project (the
        # issue's project key, else its key's prefix) instead of walking the JSON twice.
        epic_link_field = self.jira_site.epic_link_field
        story_points_field = self.jira_site.story_points_field
        issue_ids = self._issue_ids
        changelogs = self._changelogs
        projects = scope.projects
        for page in pages:
            items = []
            for issue in page:
                key = issue["key"]
                if journal and (change := journal.get(key)) is not None:
                    if not self._in_scope(issue, scope):
                        continue
                    issue_ids[key] = str(issue["id"])
                    if not shows_change(issue, change):
                        suspects.add(key)  # stale in search: read it back below
                        continue
                    del journal[key]
                item = item_from_json(
                    issue,
                    epic_link_field=epic_link_field,
                    story_points_field=story_points_field,
                    shared=shared,
                )
                if item.project not in projects:
                    _log_dropped(key, item.project)
                    continue
                issue_ids[key] = str(issue["id"])
                if changelogs:
                    changelogs.pop(key, None)
                items.append(item)
            yield from items
            if progress is not None:
                progress(len(items))
        # Journalled issues search did not show as written, or did not return at all.
        unseen = suspects | {k for k in journal if k.rpartition("-")[0] in scope.projects}
        if unseen:
            items = [self._convert(i, shared) for i in self._reconciled(sorted(unseen), scope)]
            log.info("search_reconciled", issues=len(unseen), found=len(items))
            yield from items
            if progress is not None:
                progress(len(items))

    def _matching(self, jql: str, scope: Scope | None, reconcile: Sequence[str] = ()) -> list[Raw]:
        return [
            issue
            for page in self.search_pages(jql, self._fields(), reconcile)
            for issue in page
            if self._in_scope(issue, scope)
        ]

    def fetch_matching(self, jql: str) -> list[BacklogItem]:
        """Items matching a JQL query."""
        return [self._convert(issue) for issue in self._matching(jql, None)]

    def count_items(self, scope: Scope) -> int | None:
        """Issues in the scope: Cloud's approximate count, Data Center's search total."""
        jql = scope_jql(scope)
        if not self.jira_site.cloud:
            page = self.http.get_json("search", {"jql": jql, "maxResults": 0}, "search")
            return int(page["total"])
        found = self.http.post_json("search/approximate-count", {"jql": jql}, "search", v3=True)
        return int(found["count"])

    def _ids_of(self, keys: Sequence[str]) -> dict[str, str]:
        """Issue ids for keys (asked of Jira when not seen yet); keys Jira lacks are left out."""
        ids = {key: self._issue_ids[key] for key in keys if key in self._issue_ids}
        for key in keys:
            if key in ids:
                continue
            try:
                issue = self.http.get_json(f"issue/{key}", {"fields": "issuetype"}, "issue_get")
            except TrackerError as error:
                if "HTTP 404" not in str(error):
                    raise
                continue
            ids[key] = self._issue_ids[key] = str(issue["id"])
        return ids

    def _reconciled(self, keys: Sequence[str], scope: Scope | None) -> list[Raw]:
        """These issues as they are now (Cloud: ``reconcileIssues``, 50 a request)."""
        found: list[Raw] = []
        size = RECONCILE_LIMIT if self.jira_site.cloud else KEYS_PER_QUERY
        for start in range(0, len(keys), size):
            chunk = list(keys[start : start + size])
            ids = self._ids_of(chunk) if self.jira_site.cloud else {}
            if self.jira_site.cloud:
                chunk = [key for key in chunk if key in ids]
            if not chunk:
                continue
            reconcile = [ids[key] for key in chunk] if self.jira_site.cloud else []
            try:
                found += self._matching(keys_jql(chunk, scope), scope, reconcile)
            except TrackerError as error:
                # Jira refuses a whole `key in (...)` query when one key no longer exists.
                if "does not exist" not in str(error):
                    raise
                existing = sorted(self.existing_keys(chunk))
                if existing:
                    kept = [ids[k] for k in existing if k in ids]
                    found += self._matching(keys_jql(existing, scope), scope, kept)
        return found

    def fetch_keys(self, keys: Collection[str], scope: Scope | None = None) -> list[BacklogItem]:
        """The items with these keys (within ``scope``), as they are now; missing keys skipped.

        On Cloud the keys are reconciled, so a webhook's issue is read with the change that
        triggered it, not as search saw it seconds before.
        """
        return [self._convert(issue) for issue in self._reconciled(sorted(keys), scope)]

    def fetch_children(self, parents: Sequence[BacklogItem], scope: Scope) -> list[BacklogItem]:
        """The direct children of these items inside the scope, as each flavor links them."""
        jql = children_jql(parents, scope, cloud=self.jira_site.cloud)
        if jql is None:
            return []
        return [self._convert(issue) for issue in self._matching(jql, scope)]

    def note_recent_writes(self, changes: Sequence[LabelChange], age: float = 0.0) -> None:
        """Label changes written recently (by an earlier process): read them back current."""
        self._recent.note(changes, age)

    def version_names(self, project: str) -> list[str]:
        """Names of a project's versions."""
        return list(self.version_ids(project).values())

    def version_ids(self, project: str) -> dict[str, str]:
        """A project's versions: id -> name (webhooks name versions by id)."""
        versions = self.http.get_json(f"project/{project}/versions", {}, "meta")
        return {str(v["id"]): str(v["name"]) for v in versions}

    def keys_in_version(self, version_id: str, scope: Scope) -> list[str]:
        """Keys of the scope's items whose fixVersions include this version."""
        return [
            str(issue["key"])
            for page in self.search_pages(version_jql(version_id, scope), ["key", "project"])
            for issue in page
            if self._in_scope(issue, scope)
        ]

    def query_problems(self, scope: Scope) -> list[str]:
        """What Jira itself says about the scope's query (Cloud: ``jql/parse``), [] if fine."""
        jql = scope_jql(scope)
        if self.jira_site.cloud:
            body = self.http.post_json(
                "jql/parse?validation=strict", {"queries": [jql]}, "meta", v3=True
            )
            answers = body.get("queries") or [{}]
            return [str(message) for message in answers[0].get("errors") or []]
        try:
            self.http.get_json("search", {"jql": jql, "maxResults": 0}, "search")
        except TrackerError as error:
            if "HTTP 400" in str(error):
                return [str(error)]
            raise
        return []

    def versions(self, project: str) -> list[VersionInfo]:
        """A project's versions with release dates and descriptions."""
        found = self.http.get_json(f"project/{project}/versions", {}, "meta")
        return [_version(v) for v in found]

    def fetch_epics(self, scope: Scope, types: Sequence[str] = ("Epic",)) -> list[BacklogItem]:
        """The epic-level issues of these types in the scope."""
        found = self.fetch_matching(epics_jql(scope, types))
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
                issue = self.http.get_json(f"issue/{key}", {"fields": "issuetype"}, "issue_get")
                self._issue_ids[key] = str(issue["id"])
                found.add(key)
            except TrackerError as error:
                if "HTTP 404" not in str(error):
                    raise
        return found

    def changelogs(self, keys: Sequence[str]) -> dict[str, list[FieldChange]]:
        """Fix version and parent changes of these issues (Cloud bulk fetch, DC expand);
        those not updated since they were last asked for come from memory."""
        known = self._changelogs
        now = known.copy()  # a read of an issue in another thread may drop its entry meanwhile
        answer = {key: now[key] for key in keys if key in now}
        wanted = [key for key in dict.fromkeys(keys) if key not in answer]
        if wanted:
            found = read_changelogs(
                self.http, wanted, cloud=self.jira_site.cloud, issue_ids=self._issue_ids
            )
            for key in wanted:
                answer[key] = known[key] = found.get(key)
        return {key: changes for key, changes in answer.items() if changes is not None}

    # -- writing -------------------------------------------------------------------------------
    def apply(
        self, changes: Sequence[LabelChange], breaker: WriteBreaker | None = None
    ) -> list[ApplyOutcome]:
        """Write label changes; per-issue outcomes, failures included, never raises for one.

        What took effect is journalled, so the next read shows it even where search lags.
        """
        outcomes = self._writer.apply(changes, breaker)
        self._recent.note(outcome.applied for outcome in outcomes)
        return outcomes


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


def _log_dropped(key: object, project: object) -> None:
    """A search result outside the scope's projects, dropped (Jira should never send one)."""
    log.warning("out_of_scope_issue_dropped", issue=key, project=project)
