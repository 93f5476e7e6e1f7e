"""Search sessions: a query's result set is fixed when its first page is served.

Paging through 100,000 issues must not re-run the query for every page, and a page must not
shift when an issue changes between two page requests (the bot edits labels while it reads).
Later pages render the issues' current fields, as Jira does.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from roadmap_sync.jql.parser import JqlError, parse
from roadmap_sync.sandbox.catalog import EPIC_LINK_FIELD, STORY_POINTS_FIELD
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.jql.context import JqlContext
from roadmap_sync.sandbox.jql.eval import compile_query
from roadmap_sync.sandbox.store import SiteStore

SESSION_LIMIT = 32
SESSION_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class SearchSession:
    """The ordered issue keys one query matched when it was first run."""

    session_id: str
    jql: str
    keys: tuple[str, ...]
    opened: float


class SearchEngine:
    """Runs JQL over the store and remembers result sets for paging."""

    def __init__(self, store: SiteStore) -> None:
        self.store = store
        self._sessions: OrderedDict[str, SearchSession] = OrderedDict()
        self._latest_by_jql: dict[str, str] = {}
        self._lock = threading.Lock()
        self._vocabulary_at = -1
        self._vocabulary_cache: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    def context(self) -> JqlContext:
        """What the JQL evaluator needs to know about this site right now."""
        store = self.store
        projects: dict[str, str] = {}
        versions: set[str] = set()
        for key, project in store.projects.items():
            projects[key] = project["id"]
            projects[project["id"]] = project["id"]
            projects[str(project.get("name", key)).upper()] = project["id"]
            versions.update(str(v["name"]).lower() for v in project.get("versions", []))
        custom = {"story points": STORY_POINTS_FIELD}
        if store.flavor == "datacenter":
            custom["epic link"] = EPIC_LINK_FIELD
        issue_types, statuses = self._vocabulary()
        return JqlContext(
            now=store.clock(),
            flavor=store.flavor,
            epic_link_field=EPIC_LINK_FIELD if store.flavor == "datacenter" else None,
            custom_fields=custom,
            projects=projects,
            issue_types=issue_types,
            statuses=statuses,
            versions=frozenset(versions),
            issue_exists=lambda key: store.find(key) is not None,
        )

    def _vocabulary(self) -> tuple[frozenset[str], frozenset[str]]:
        """Known issue type and status names, rescanned only after issues were created."""
        count = len(self.store.issues)
        if self._vocabulary_at != count:
            types: set[str] = {"epic", "story", "task", "bug", "sub-task"}
            statuses: set[str] = set()
            for issue in self.store.issues.values():
                fields = issue["fields"]
                types.add(str((fields.get("issuetype") or {}).get("name", "")).lower())
                statuses.add(str((fields.get("status") or {}).get("name", "")).lower())
            self._vocabulary_cache = (frozenset(types), frozenset(statuses))
            self._vocabulary_at = count
        return self._vocabulary_cache

    def run(self, jql: str) -> tuple[str, ...]:
        """Evaluate a query now: the matching keys in the query's order."""
        try:
            compiled = compile_query(parse(jql), self.context())
        except JqlError as error:
            raise ApiError(400, error.messages) from error
        with self.store.lock:
            candidates = list(self.store.issues.values())
        matched: list[Mapping[str, Any]] = [i for i in candidates if compiled.matches(i)]
        return tuple(issue["key"] for issue in compiled.sort(matched))

    def open(self, jql: str) -> SearchSession:
        """Run a query and keep its result set for the following pages."""
        keys = self.run(jql)
        session = SearchSession(secrets.token_hex(8), jql, keys, time.monotonic())
        with self._lock:
            self._sessions[session.session_id] = session
            self._latest_by_jql[jql] = session.session_id
            while len(self._sessions) > SESSION_LIMIT:
                _, dropped = self._sessions.popitem(last=False)
                if self._latest_by_jql.get(dropped.jql) == dropped.session_id:
                    del self._latest_by_jql[dropped.jql]
        return session

    def resume(self, session_id: str) -> SearchSession | None:
        """A live session by id."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or time.monotonic() - session.opened > SESSION_TTL_SECONDS:
                return None
            self._sessions.move_to_end(session_id)
            return session

    def for_offset(self, jql: str, start_at: int) -> SearchSession:
        """Data Center paging: page 0 runs the query, later pages reuse its result set."""
        if start_at > 0:
            with self._lock:
                session_id = self._latest_by_jql.get(jql)
            if session_id is not None:
                session = self.resume(session_id)
                if session is not None:
                    return session
        return self.open(jql)


def encode_token(session_id: str, offset: int) -> str:
    """An opaque ``nextPageToken``."""
    return base64.urlsafe_b64encode(f"{session_id}:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, int]:
    """Split a ``nextPageToken``; a malformed one is Jira's 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        session_id, offset = base64.urlsafe_b64decode(padded).decode().split(":")
        return session_id, int(offset)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, ["The provided next page token is invalid or expired."]) from error


def page(keys: Sequence[str], offset: int, limit: int) -> tuple[Sequence[str], bool]:
    """One page of keys and whether it is the last."""
    chunk = keys[offset : offset + limit]
    return chunk, offset + limit >= len(keys)
