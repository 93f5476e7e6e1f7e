"""Jira Cloud and Data Center through the real ``jira`` client.

Reads page with raw JSON through the client's own authenticated session (``Resource`` objects
cost more than the network; see docs/performance notes in the README) and convert to
``BacklogItem`` once, here. Writes use ``update`` add/remove verbs with ``notifyUsers=false``:
on Cloud, larger plans go through the bulk edit API; on Data Center, per-issue PUTs run with
bounded concurrency. Every request goes through ``call_with_retry``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import requests
import structlog
from jira import JIRA, JIRAError

from roadmap_sync.model import BacklogItem, LabelChange
from roadmap_sync.trackers.base import (
    ApplyOutcome,
    Deployment,
    Permission,
    ProgressCallback,
    SiteInfo,
    TrackerError,
)
from roadmap_sync.trackers.retry import RetryDecider, RetryPolicy, call_with_retry

log = structlog.get_logger(__name__)

EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
STORY_POINT_NAMES = ("story points", "story point estimate")
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
)
CLOUD_PAGE_REQUEST = 5000  # Cloud caps pages itself (smaller when fields are asked for)
DC_PAGE_REQUEST = 1000  # Data Center's default jira.search.views.default.max
BULK_LIMIT = 1000
KEYS_PER_QUERY = 200  # keeps `key in (...)` queries well under URL length limits
BULK_TASK_TIMEOUT = 600.0  # a bulk edit of 1000 issues takes seconds; ten minutes is stuck
BULK_DONE = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})


def describe(error: BaseException) -> str:
    """A safe one-line description: never ``str(JIRAError)``, which prints request headers."""
    if isinstance(error, JIRAError):
        text = (error.text or "").strip().replace("\n", " ")
        where = f" for {error.url}" if error.url else ""
        return f"Jira answered HTTP {error.status_code}{where}: {text[:300]}"
    if isinstance(error, requests.RequestException):
        return f"{type(error).__name__} talking to Jira"
    return f"{type(error).__name__}: {error}"


class JiraTracker:
    """The ``Tracker`` for Jira Cloud and Data Center."""

    def __init__(
        self,
        client: JIRA,
        site: SiteInfo,
        policy: RetryPolicy,
        *,
        concurrency: int = 4,
        bulk_threshold: int = 20,
        on_request: Callable[[str], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
        on_response: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.site = site
        self.policy = policy
        self.concurrency = concurrency
        self.bulk_threshold = bulk_threshold
        self._session = client._session
        self._on_request = on_request
        self._decider = RetryDecider(policy, on_wait)
        self._issue_ids: dict[str, str] = {}
        # Cloud's bulk tasks group a batch's changes per label, so small batches fragment them
        # into many part-filled tasks; per-issue writes need no such room.
        self.apply_batch_size = 10_000 if site.deployment == "cloud" else 1_000
        self._pin_environment(site.base_url)
        if on_response is not None:

            def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
                on_response(response.status_code)

            self._session.hooks["response"].append(hook)

    def _pin_environment(self, url: str) -> None:
        """Resolve proxy and CA settings from the environment once, not on every request.

        requests re-reads proxy variables for each request (a fifth of a label PUT's CPU in
        bench/sync_throughput.py); resolving them here keeps them honoured at none of the cost.
        """
        session = self._session
        resolved = session.merge_environment_settings(url, {}, None, session.verify, None)
        session.proxies.update(resolved.get("proxies") or {})
        session.verify = resolved.get("verify", session.verify)
        session.trust_env = False

    # -- connecting ----------------------------------------------------------------------------
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
        try:
            info = call_with_retry(lambda: _server_info(url, timeout), policy)
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            raise TrackerError(
                f"{url}/rest/api/2/serverInfo answered HTTP {status}: is this the base URL of "
                "a Jira site (for example https://acme.atlassian.net)?"
            ) from None
        except (requests.RequestException, ValueError) as error:
            raise TrackerError(f"cannot reach Jira at {url}: {describe(error)}") from None
        deployment: Deployment = "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"
        if deployment == "cloud" and not email:
            raise TrackerError(
                "This is Jira Cloud: set ROADMAP_SYNC_JIRA_EMAIL to the account's e-mail "
                "(Cloud authenticates with e-mail + API token)."
            )
        auth: dict[str, Any] = (
            {"basic_auth": (email, token)} if deployment == "cloud" else {"token_auth": token}
        )
        # max_retries=0: the library's own retry can wake before Retry-After; retry.py decides.
        client = JIRA(server=url, max_retries=0, timeout=timeout, get_server_info=False, **auth)
        client.deploymentType = info.get("deploymentType")
        try:
            call_with_retry(client.myself, policy)
            fields = call_with_retry(client.fields, policy)
        except requests.RequestException as error:
            raise TrackerError(f"cannot reach Jira at {url}: {describe(error)}") from None
        except JIRAError as error:
            if error.status_code in (401, 403):
                raise TrackerError(
                    f"Jira refused the credentials (HTTP {error.status_code}): check "
                    "ROADMAP_SYNC_JIRA_TOKEN"
                    + (" and ROADMAP_SYNC_JIRA_EMAIL" if deployment == "cloud" else "")
                ) from None
            raise TrackerError(describe(error)) from None
        site = SiteInfo(
            deployment=deployment,
            base_url=url,
            version=str(info.get("version", "")),
            epic_link_field=_epic_link_field(fields) if deployment == "datacenter" else None,
            story_points_field=_story_points_field(fields),
        )
        log.info("jira_connected", deployment=deployment, version=site.version)
        return cls(client, site, policy, **options)

    # -- reading -------------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any], endpoint: str) -> Any:
        url = self.client._get_url(path)

        def attempt() -> Any:
            if self._on_request:
                self._on_request(endpoint)
            return self._session.get(url, params=params).json()

        try:
            return call_with_retry(attempt, self.policy, self._decider)
        except (JIRAError, requests.RequestException) as error:
            raise TrackerError(describe(error)) from None

    def _fetch_page(
        self, jql: str, wanted: str, cursor: str | int | None
    ) -> tuple[list[dict[str, Any]], str | int | None]:
        """One page of a search and the cursor of the next (None after the last)."""
        if self.site.deployment == "cloud":
            params: dict[str, Any] = {
                "jql": jql,
                "maxResults": CLOUD_PAGE_REQUEST,
                "fields": wanted,
            }
            if cursor:
                params["nextPageToken"] = cursor
            page = self._get("search/jql", params, "search")
            token = page.get("nextPageToken")
            last = page.get("isLast", True) or not token
            return page.get("issues", []), None if last else str(token)
        start = int(cursor or 0)
        params = {"jql": jql, "startAt": start, "maxResults": DC_PAGE_REQUEST, "fields": wanted}
        page = self._get("search", params, "search")
        issues = page.get("issues", [])
        following = start + len(issues)
        more = bool(issues) and following < int(page.get("total", 0))
        return issues, following if more else None

    def search_pages(self, jql: str, fields: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
        """Raw issue JSON, page by page, with the flavor's own paging.

        The next page is requested while the caller converts the current one, so Jira's time
        to render a page overlaps with ours instead of adding to it.
        """
        wanted = ",".join(fields)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-page") as pool:
            pending: Future[tuple[list[dict[str, Any]], str | int | None]] | None = pool.submit(
                self._fetch_page, jql, wanted, None
            )
            while pending is not None:
                issues, cursor = pending.result()
                pending = None
                if cursor is not None:
                    pending = pool.submit(self._fetch_page, jql, wanted, cursor)
                yield issues

    def fetch_items(
        self,
        projects: Sequence[str],
        extra_jql: str | None,
        progress: ProgressCallback | None = None,
    ) -> Iterator[BacklogItem]:
        """Every issue of the projects (narrowed by ``extra_jql``) as ``BacklogItem``s."""
        jql = scope_jql(projects, extra_jql)
        fields = list(SEARCH_FIELDS)
        fields += [f for f in (self.site.epic_link_field, self.site.story_points_field) if f]
        for page in self.search_pages(f"{jql} ORDER BY key ASC", fields):
            for issue in page:
                self._issue_ids[issue["key"]] = str(issue["id"])
                yield BacklogItem.from_jira_json(
                    issue,
                    epic_link_field=self.site.epic_link_field,
                    story_points_field=self.site.story_points_field,
                )
            if progress is not None:
                progress(len(page))

    def fetch_matching(self, jql: str) -> list[BacklogItem]:
        """Items matching a JQL query (targeted syncs: keys, children of epics ...)."""
        fields = list(SEARCH_FIELDS)
        fields += [f for f in (self.site.epic_link_field, self.site.story_points_field) if f]
        items: list[BacklogItem] = []
        for page in self.search_pages(f"{jql} ORDER BY key ASC", fields):
            for issue in page:
                self._issue_ids[issue["key"]] = str(issue["id"])
                items.append(
                    BacklogItem.from_jira_json(
                        issue,
                        epic_link_field=self.site.epic_link_field,
                        story_points_field=self.site.story_points_field,
                    )
                )
        return items

    def fetch_keys(self, keys: Collection[str], scope: str | None = None) -> list[BacklogItem]:
        """The items with these keys (within ``scope``, a JQL clause); missing keys are skipped.

        Jira refuses a whole ``key in (...)`` query when one key no longer exists, so a refused
        chunk is narrowed to the keys that still exist and asked again.
        """
        found: list[BacklogItem] = []
        ordered = sorted(keys)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            try:
                found += self.fetch_matching(_keys_jql(chunk, scope))
            except TrackerError as error:
                if "does not exist" not in str(error):
                    raise
                existing = sorted(self.existing_keys(chunk))
                if existing:
                    found += self.fetch_matching(_keys_jql(existing, scope))
        return found

    def children_jql(self, parents: Sequence[BacklogItem]) -> str | None:
        """JQL for the direct children of these items, as each flavor links them."""
        if not parents:
            return None
        keys = ", ".join(p.key for p in parents)
        epics = ", ".join(p.key for p in parents if p.hierarchy_level == 1)
        if self.site.deployment == "cloud" or not epics:
            return f"parent in ({keys})"
        # Data Center: stories hang off epics through Epic Link; sub-tasks through parent.
        return f'parent in ({keys}) OR "Epic Link" in ({epics})'

    def version_names(self, project: str) -> list[str]:
        """Names of a project's versions."""
        return [str(v["name"]) for v in self._get(f"project/{project}/versions", {}, "meta")]

    def project_exists(self, project: str) -> bool:
        """Whether the account can see the project."""
        try:
            self._get(f"project/{project}", {}, "meta")
        except TrackerError as error:
            if "HTTP 404" in str(error):
                return False
            raise
        return True

    def permissions(self, project: str, keys: Sequence[str]) -> list[Permission]:
        """The account's permissions in a project."""
        body = self._get(
            "mypermissions", {"projectKey": project, "permissions": ",".join(keys)}, "meta"
        )
        granted = body.get("permissions", {})
        return [
            Permission(project, key, bool(granted.get(key, {}).get("havePermission")))
            for key in keys
        ]

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these issue keys exist (and are visible)."""
        found: set[str] = set()
        for key in keys:
            try:
                self._get(f"issue/{key}", {"fields": "issuetype"}, "issue_get")
                found.add(key)
            except TrackerError as error:
                if "HTTP 404" not in str(error):
                    raise
        return found

    # -- writing -------------------------------------------------------------------------------
    def apply(self, changes: Sequence[LabelChange]) -> list[ApplyOutcome]:
        """Write label changes; per-issue outcomes, failures included, never raises for one."""
        if not changes:
            return []
        if self.site.deployment == "cloud" and len(changes) >= self.bulk_threshold:
            return self._apply_bulk(changes)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._apply_one, changes))

    def _apply_one(self, change: LabelChange) -> ApplyOutcome:
        operations = [{"add": label} for label in change.add]
        operations += [{"remove": label} for label in change.remove]
        body = json.dumps({"update": {"labels": operations}})
        url = self.client._get_url(f"issue/{change.key}")

        def attempt() -> None:
            if self._on_request:
                self._on_request("issue_put")
            self._session.put(url, params={"notifyUsers": "false"}, data=body)

        try:
            call_with_retry(attempt, self.policy, self._decider)
        except (JIRAError, requests.RequestException) as error:
            log.warning("label_write_failed", issue=change.key, error=describe(error))
            return ApplyOutcome(change, ok=False, error=describe(error))
        return ApplyOutcome(change, ok=True)

    def _apply_bulk(self, changes: Sequence[LabelChange]) -> list[ApplyOutcome]:
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for change in changes:
            for label in change.add:
                groups[("ADD", label)].append(change.key)
            for label in change.remove:
                groups[("REMOVE", label)].append(change.key)
        errors: dict[str, list[str]] = defaultdict(list)
        failed: set[tuple[str, str, str]] = set()  # (key, option, label)
        for (option, label), keys in sorted(groups.items()):
            for start in range(0, len(keys), BULK_LIMIT):
                batch = keys[start : start + BULK_LIMIT]
                for key, problem in self._bulk_task(option, label, batch).items():
                    errors[key].append(problem)
                    failed.add((key, option, label))
        return [_bulk_outcome(c, errors.get(c.key), failed) for c in changes]

    def _bulk_task(self, option: str, label: str, keys: list[str]) -> dict[str, str]:
        """Run one bulk edit to completion; the keys that failed, with why."""
        body = json.dumps(
            {
                "selectedActions": ["labels"],
                "selectedIssueIdsOrKeys": keys,
                "editedFieldsInput": {
                    "labelsFields": [
                        {
                            "fieldId": "labels",
                            "bulkEditMultiSelectFieldOption": option,
                            "labels": [{"name": label}],
                        }
                    ]
                },
                "sendBulkNotification": False,
            }
        )
        submit_url = self.client._get_url("bulk/issues/fields", base="{server}/rest/api/3/{path}")

        def submit() -> str:
            if self._on_request:
                self._on_request("bulk_submit")
            return str(self._session.post(submit_url, data=body).json()["taskId"])

        try:
            task_id = call_with_retry(submit, self.policy, self._decider)
            progress = self._poll(task_id)
        except (JIRAError, requests.RequestException, TrackerError) as error:
            log.warning("bulk_edit_failed", option=option, label=label, error=describe(error))
            return dict.fromkeys(keys, describe(error))
        processed = {str(i) for i in progress.get("processedAccessibleIssues", [])}
        failed = progress.get("failedAccessibleIssues", {}) or {}
        problems: dict[str, str] = {}
        for key in keys:
            issue_id = self._issue_ids.get(key, key)
            if issue_id in failed:
                problems[key] = "; ".join(failed[issue_id])
            elif issue_id not in processed:
                problems[key] = f"bulk task {task_id} ended {progress.get('status')} without it"
        log.info(
            "bulk_edit_done", option=option, label=label, issues=len(keys), failed=len(problems)
        )
        return problems

    def _poll(self, task_id: str) -> dict[str, Any]:
        delay = 0.05
        path = f"bulk/queue/{task_id}"
        deadline = time.monotonic() + BULK_TASK_TIMEOUT
        while True:
            progress: dict[str, Any] = self._get_v3(path)
            if progress.get("status") in BULK_DONE:
                return progress
            if time.monotonic() > deadline:
                # Its changes are recorded as failed; the next run re-reads and converges.
                raise TrackerError(
                    f"bulk task {task_id} still {progress.get('status')} after "
                    f"{BULK_TASK_TIMEOUT:.0f}s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _get_v3(self, path: str) -> Any:
        url = self.client._get_url(path, base="{server}/rest/api/3/{path}")

        def attempt() -> Any:
            if self._on_request:
                self._on_request("bulk_queue")
            return self._session.get(url).json()

        return call_with_retry(attempt, self.policy, self._decider)


def _bulk_outcome(
    change: LabelChange, errors: list[str] | None, failed: set[tuple[str, str, str]]
) -> ApplyOutcome:
    """One change's outcome from its label groups: each ADD/REMOVE succeeded or failed alone."""
    if not errors:
        return ApplyOutcome(change, ok=True)
    added = tuple(label for label in change.add if (change.key, "ADD", label) not in failed)
    removed = tuple(label for label in change.remove if (change.key, "REMOVE", label) not in failed)
    partial = LabelChange(change.key, added, removed, change.before)
    return ApplyOutcome(change, ok=False, error="; ".join(errors), partial=partial)


def scope_jql(projects: Sequence[str], extra_jql: str | None) -> str:
    """The JQL of a roadmap's scope: its projects, narrowed by its extra JQL."""
    scope = "project in (" + ", ".join(f'"{p}"' for p in projects) + ")"
    return f"{scope} AND ({extra_jql})" if extra_jql else scope


def _keys_jql(keys: Sequence[str], scope: str | None) -> str:
    clause = f"key in ({', '.join(keys)})"
    return f"({scope}) AND {clause}" if scope else clause


def _server_info(url: str, timeout: float) -> dict[str, Any]:
    response = requests.get(f"{url}/rest/api/2/serverInfo", timeout=timeout)
    response.raise_for_status()
    info: dict[str, Any] = response.json()
    return info


def _epic_link_field(fields: Sequence[dict[str, Any]]) -> str | None:
    for field in fields:
        if (field.get("schema") or {}).get("custom") == EPIC_LINK_TYPE:
            return str(field["id"])
    return None


def _story_points_field(fields: Sequence[dict[str, Any]]) -> str | None:
    for field in fields:
        if str(field.get("name", "")).lower() in STORY_POINT_NAMES and field.get("custom"):
            return str(field["id"])
    return None
