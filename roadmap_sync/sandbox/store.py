"""The sandbox's in-memory Jira site: projects, issues, and the change and write logs.

Issues are kept in Jira's own REST v2 shape (as ``GET /rest/api/2/issue/{key}`` returns them),
canonically with ``fields.parent`` for every level; views.py renders them per flavor. Nested
objects (status, issuetype, project, versions, parent stubs) may be shared between issues, so a
change never mutates a nested object: it assigns a new value to the issue's ``fields`` key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, Account, Flavor
from roadmap_sync.sandbox.changelog import ChangelogBook
from roadmap_sync.sandbox.changes import change_items
from roadmap_sync.sandbox.clock import parse_moment
from roadmap_sync.sandbox.epic_link import is_subtask, move_epic_links, recognise_epic_link
from roadmap_sync.sandbox.errors import not_found_issue
from roadmap_sync.sandbox.index import SearchIndex, snapshot
from roadmap_sync.sandbox.recency import ChangeJournal, UpdatedOrder
from roadmap_sync.sandbox.store_types import ChangeItem, IssueChange

__all__ = ["ChangeItem", "IssueChange", "SiteData", "SiteStore", "WriteRecord", "parent_stub"]

Issue = dict[str, Any]
Clock = Callable[[], datetime]


def jira_timestamp(moment: datetime) -> str:
    """Format a time the way Jira's REST API does: ``2026-11-20T08:00:00.000+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class WriteRecord:
    """One write request the sandbox received, for tests to inspect."""

    seq: int
    method: str
    path: str
    query: str
    body: Any
    notify_users: bool
    account: str | None
    status: int = 0

    def as_json(self) -> dict[str, Any]:
        """The record as ``GET /_sandbox/writes`` lists it."""
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "notifyUsers": self.notify_users,
            "account": self.account,
            "status": self.status,
        }


ChangeListener = Callable[[IssueChange, Issue], None]
# (event, version, actor, extra payload keys such as mergedTo)
VersionListener = Callable[[str, dict[str, Any], Account, dict[str, Any]], None]


def parent_stub(parent: Mapping[str, Any]) -> dict[str, Any]:
    """The ``parent`` object Jira shows on a child: id, key and a few of the parent's fields."""
    pf = parent["fields"]
    return {
        "id": parent["id"],
        "key": parent["key"],
        "fields": {k: pf.get(k) for k in ("summary", "status", "priority", "issuetype")},
    }


@dataclass
class SiteData:
    """Projects and issues as loaded from ``--data`` files or the generator."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # The site's time when the data was taken (an export's "now"); None when not recorded.
    now: datetime | None = None

    @classmethod
    def from_json(cls, document: Mapping[str, Any], source: str = "<data>") -> SiteData:
        """Accept ``{"projects": [...], "issues": [...], "now"?}``; reject anything else clearly."""
        if not isinstance(document, Mapping):
            raise ValueError(f"{source}: expected a JSON object with 'projects' and 'issues'")
        unknown = set(document) - {"projects", "issues", "now"}
        if unknown:
            raise ValueError(f"{source}: unknown top-level keys {sorted(unknown)}")
        projects = list(document.get("projects", []))
        issues = list(document.get("issues", []))
        for index, issue in enumerate(issues):
            if not isinstance(issue, dict) or "key" not in issue or "fields" not in issue:
                raise ValueError(f"{source}: issues[{index}] lacks 'key' or 'fields'")
        now = None
        if document.get("now") is not None:
            try:
                now = parse_moment(str(document["now"]))
            except ValueError:
                raise ValueError(f"{source}: 'now' is not an ISO 8601 time") from None
        return cls(projects, issues, now)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> SiteData:
        """Merge several data files, in order."""
        merged = cls()
        for path in paths:
            part = cls.from_json(json.loads(path.read_text(encoding="utf-8")), str(path))
            merged.projects.extend(part.projects)
            merged.issues.extend(part.issues)
            merged.now = max(filter(None, (merged.now, part.now)), default=None)
        return merged


class SiteStore:
    """Thread-safe issue storage with Jira's update semantics (timestamps, changelog)."""

    def __init__(
        self,
        data: SiteData,
        flavor: Flavor,
        accounts: Iterable[Account],
        clock: Clock = utc_now,
        *,
        search_lag: float = 0.0,
        epic_link_field: str | None = None,
    ) -> None:
        self.flavor = flavor
        self.clock = clock
        self.accounts = tuple(accounts)
        self.lock = threading.RLock()
        self.projects: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, Issue] = {}
        self.index = SearchIndex(search_lag)
        # Bumped by every change: searches re-run only when something changed.
        self.generation = 0
        self.journal = ChangeJournal()
        self._id_to_key: dict[str, str] = {}
        self._listeners: list[ChangeListener] = []
        self._version_listeners: list[VersionListener] = []
        self._writes: list[WriteRecord] = []
        self.changelog = ChangelogBook(flavor)
        self._next_id = 10000
        for project in data.projects:
            self._add_project(project)
        for issue in data.issues:
            self._add_issue(issue)
        found = recognise_epic_link(self.issues.values())
        if epic_link_field and found and found != epic_link_field:
            raise ValueError(
                f"the data keeps epic links in {found}, not in {epic_link_field} "
                "(--epic-link-field)"
            )
        self.epic_link_field = epic_link_field or found or EPIC_LINK_FIELD
        if found:
            move_epic_links(self.issues, found, parent_stub)
        # Keep insertion order equal to id order: search relies on it as the natural order.
        self.issues = dict(sorted(self.issues.items(), key=lambda kv: int(kv[1]["id"])))
        self.recency = UpdatedOrder(self.issues.values())

    # -- loading ---------------------------------------------------------------------------
    def _add_project(self, project: Mapping[str, Any]) -> None:
        key = str(project["key"]).upper()
        stored = dict(project)
        stored.setdefault("id", str(10000 + len(self.projects)))
        stored.setdefault("name", key)
        stored.setdefault("projectTypeKey", "software")
        stored.setdefault("simplified", False)
        stored["versions"] = [dict(v) for v in project.get("versions", [])]
        for version in stored["versions"]:
            version.setdefault("projectId", int(stored["id"]))
            version.setdefault("archived", False)
            version.setdefault("released", False)
        self.projects[key] = stored

    def _add_issue(self, issue: Issue) -> None:
        key = str(issue["key"])
        if key in self.issues:
            raise ValueError(f"duplicate issue key {key}")
        stored: Issue = {"id": str(issue.get("id") or self._allocate_id()), "key": key}
        stored["fields"] = dict(issue["fields"])
        histories = (issue.get("changelog") or {}).get("histories")
        if histories:
            self.changelog.load(stored["id"], histories)
        self._next_id = max(self._next_id, int(stored["id"]) + 1)
        self.issues[key] = stored
        self._id_to_key[stored["id"]] = key
        project = stored["fields"].get("project") or {}
        project_key = str(project.get("key") or key.rsplit("-", 1)[0]).upper()
        if project_key not in self.projects:
            self._add_project({"key": project_key, "name": project.get("name", project_key)})

    def _allocate_id(self) -> int:
        allocated = self._next_id
        self._next_id += 1
        return allocated

    # -- lookups ---------------------------------------------------------------------------
    def get(self, key_or_id: str) -> Issue:
        """The stored issue by key (any case) or numeric id, or Jira's 404."""
        issue = self.find(key_or_id)
        if issue is None:
            raise not_found_issue()
        return issue

    def find(self, key_or_id: str) -> Issue | None:
        """The stored issue by key (any case) or numeric id, or None."""
        if key_or_id.isdigit():
            key = self._id_to_key.get(key_or_id)
            return self.issues.get(key) if key else None
        return self.issues.get(key_or_id.upper())

    def key_for_id(self, issue_id: str) -> str | None:
        """The key an issue id had (deleted issues included, for reconciling search)."""
        return self._id_to_key.get(issue_id)

    def project(self, key_or_id: str) -> dict[str, Any] | None:
        """A project by key (any case) or id."""
        found = self.projects.get(key_or_id.upper())
        if found is not None:
            return found
        return next((p for p in self.projects.values() if p["id"] == key_or_id), None)

    def versions_by_name(self, project_key: str) -> dict[str, dict[str, Any]]:
        """The project's versions keyed by lower-cased name."""
        project = self.projects.get(project_key.upper())
        return {v["name"].lower(): v for v in (project or {}).get("versions", [])}

    def account_for(self, email_or_user: str, token: str) -> Account | None:
        """The account whose credentials these are."""
        for account in self.accounts:
            if token == account.token and email_or_user in ("", account.email, account.username):
                return account
        return None

    # -- changes ---------------------------------------------------------------------------
    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every accepted change (webhooks subscribe here)."""
        self._listeners.append(listener)

    def add_version_listener(self, listener: VersionListener) -> None:
        """Call ``listener`` after every version change (webhooks subscribe here)."""
        self._version_listeners.append(listener)

    def _items(self, issue: Issue, name: str, old: Any, new: Any) -> list[ChangeItem]:
        return change_items(
            name,
            old,
            new,
            flavor=self.flavor,
            subtask=is_subtask(issue["fields"]),
            epic_link_field=self.epic_link_field,
        )

    def commit(
        self,
        key: str,
        new_values: Mapping[str, Any],
        actor: Account,
        *,
        history: bool = True,
        bulk: bool = False,
    ) -> IssueChange:
        """Apply field values to an issue, bump ``updated``, record the changelog, notify.

        Values equal to the current ones are dropped, so an edit that changes nothing leaves
        ``updated`` and the changelog alone, as Jira does. ``history=False`` for the values an
        issue is created with: Jira's changelog starts after creation. ``bulk`` edits reach
        search later.
        """
        with self.lock:
            issue = self.get(key)
            fields = issue["fields"]
            items: list[ChangeItem] = []
            changed: dict[str, Any] = {}
            for name, value in new_values.items():
                if fields.get(name) == value:
                    continue
                changed[name] = value
                items.extend(self._items(issue, name, fields.get(name), value))
            now = self.clock()
            change = IssueChange(issue["key"], actor, tuple(items), now)
            if not changed:
                return change
            stamp = jira_timestamp(now)
            if history:
                # The history entry holds the very items the webhooks send for this change.
                self.changelog.record(issue["id"], actor, stamp, items)
            before = snapshot(issue)
            issue["fields"] = {**fields, **changed, "updated": stamp}
            self._indexed(issue["key"], before, snapshot(issue), bulk=bulk)
            self.generation += 1
            snap = issue
        for listener in self._listeners:
            listener(change, snap)
        return change

    def _indexed(self, key: str, before: Issue | None, after: Issue | None, *, bulk: bool) -> None:
        """Tell what search keeps about issues that ``key`` changed (under ``self.lock``)."""
        self.index.record(key, before, after, bulk=bulk)
        self.recency.record(key, after)
        self.journal.note(key)

    def rewrote_fields(self) -> None:
        """Issues' fields were changed in place without an issue change (a version renamed or
        deleted): searches must evaluate every issue again."""
        with self.lock:
            self.generation += 1
            self.journal.epoch += 1

    def create(self, fields: Mapping[str, Any], actor: Account) -> Issue:
        """Create an issue "as a person" (test hook); fires ``jira:issue_created``."""
        with self.lock:
            project = self.project(str((fields.get("project") or {}).get("key", "")))
            if project is None:
                raise ValueError("project not found")
            number = 1 + max(
                (
                    int(k.rsplit("-", 1)[1])
                    for k in self.issues
                    if k.startswith(project["key"] + "-")
                ),
                default=0,
            )
            now = jira_timestamp(self.clock())
            issue: Issue = {
                "id": str(self._allocate_id()),
                "key": f"{project['key']}-{number}",
                "fields": {
                    "labels": [],
                    **fields,
                    "project": {k: project[k] for k in ("id", "key", "name")},
                    "created": now,
                    "updated": now,
                },
            }
            self.issues[issue["key"]] = issue
            self._id_to_key[issue["id"]] = issue["key"]
            self._indexed(issue["key"], None, snapshot(issue), bulk=False)
            self.generation += 1
        change = IssueChange(
            issue["key"], actor, (), self.clock(), "jira:issue_created", "issue_created"
        )
        for listener in self._listeners:
            listener(change, issue)
        return issue

    def delete(self, key: str, actor: Account) -> Issue:
        """Delete an issue; fires ``jira:issue_deleted`` (its sub-tasks go with it, as in Jira)."""
        with self.lock:
            issue = self.get(key)
            doomed = [issue] + [
                other
                for other in self.issues.values()
                if (other["fields"].get("parent") or {}).get("key") == issue["key"]
                and is_subtask(other["fields"])
            ]
            for gone in doomed:
                del self.issues[gone["key"]]
                self._indexed(gone["key"], snapshot(gone), None, bulk=False)
            self.generation += 1
        for gone in reversed(doomed):
            change = IssueChange(
                gone["key"], actor, (), self.clock(), "jira:issue_deleted", "issue_deleted"
            )
            for listener in self._listeners:
                listener(change, gone)
        return issue

    def change_version(
        self, event: str, version: dict[str, Any], actor: Account, **extra: Any
    ) -> None:
        """Tell listeners about a version event (created, updated, released, ...)."""
        self.generation += 1
        for listener in self._version_listeners:
            listener(event, dict(version), actor, extra)

    def export(self) -> dict[str, Any]:
        """Projects, issues (with their changelogs) and the time, as a ``--data`` document."""
        with self.lock:
            issues = []
            for issue in self.issues.values():
                histories = self.changelog.histories(issue["id"])
                issues.append(
                    {**issue, "changelog": {"histories": histories}} if histories else issue
                )
            return {
                "projects": list(self.projects.values()),
                "issues": issues,
                "now": self.clock().isoformat(),
            }

    # -- write log ---------------------------------------------------------------------------
    def log_write(
        self,
        method: str,
        path: str,
        query: str,
        body: Any,
        notify_users: bool,
        account: Account | None,
    ) -> WriteRecord:
        """Remember a write request; the caller fills in the status once it is answered."""
        with self.lock:
            record = WriteRecord(
                len(self._writes) + 1,
                method,
                path,
                query,
                body,
                notify_users,
                account.email if account else None,
            )
            self._writes.append(record)
            return record

    def writes(self) -> list[WriteRecord]:
        """All write requests received so far."""
        with self.lock:
            return list(self._writes)

    def clear_writes(self) -> None:
        """Forget the write log (tests call this between phases)."""
        with self.lock:
            self._writes.clear()
