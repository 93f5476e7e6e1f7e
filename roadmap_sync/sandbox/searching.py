"""Running JQL over the site as search sees it, and remembering Cloud's result sets.

Cloud (``nextPageToken``): a query's result set is fixed when its first page is served, and
every page shows issues as the search index has them (``index.py``: seconds behind, unless
reconciled). Data Center (``startAt``) re-runs the query for every page request, as real Data
Center does, so creates and deletes between two pages shift the offsets; the matches are
cached per query until the next change to the site, which keeps paging 100,000 issues fast
without ever serving a result set older than the last change.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from roadmap_sync.jql.ast import (
    And,
    Clause,
    Expr,
    FunctionCall,
    Literal,
    Not,
    Operator,
    Or,
    Query,
    SortKey,
    ValueList,
)
from roadmap_sync.jql.parser import JqlError, parse
from roadmap_sync.sandbox.catalog import SPRINT_FIELD, STORY_POINTS_FIELD, Account
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.jql.context import JqlContext, UserDirectory
from roadmap_sync.sandbox.jql.eval import CompiledQuery, Narrowing, compile_query
from roadmap_sync.sandbox.jql.fields import FieldKind, resolve_field
from roadmap_sync.sandbox.store import Issue, SiteStore

SESSION_LIMIT = 32
QUERIES_KEPT = 4  # timeless queries whose matches are kept (for counts and first pages)
SESSION_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class SearchSession:
    """The ordered issue keys one query matched when it was first run."""

    session_id: str
    jql: str
    keys: tuple[str, ...]
    opened: float
    reconciled: frozenset[str] = frozenset()


class SearchEngine:
    """Runs JQL over the store and remembers result sets for paging."""

    def __init__(self, store: SiteStore) -> None:
        self.store = store
        self._sessions: OrderedDict[str, SearchSession] = OrderedDict()
        self._lock = threading.Lock()
        self._vocabulary_at = -1  # a journal position: -1 reads every issue
        self._vocabulary_cache: tuple[frozenset[str], ...] = (
            frozenset({"epic", "story", "task", "bug", "sub-task"}),
            frozenset(),
            frozenset({"highest", "high", "medium", "low", "lowest"}),
        )
        self._cached: tuple[tuple[str, str, int, object], tuple[str, ...]] | None = None
        # Keyset paging: the last query without its `key > X` bound, its matches, and the one
        # project they all belong to ("" when they span several).
        self._keyset_base: tuple[tuple[Query, str, int, object], tuple[str, ...], str] | None = None
        self.users = UserDirectory.of(store.accounts)
        self._kept_queries: list[_Kept] = []

    def context(self, account: Account | None = None) -> JqlContext:
        """What the JQL evaluator needs to know about this site right now."""
        store = self.store
        projects: dict[str, str] = {}
        versions: set[str] = set()
        for key, project in store.projects.items():
            projects[key] = project["id"]
            projects[project["id"]] = project["id"]
            projects[str(project.get("name", key)).upper()] = project["id"]
            versions.update(str(v["name"]).lower() for v in project.get("versions", []))
        custom = {"story points": STORY_POINTS_FIELD, "sprint": SPRINT_FIELD}
        if store.flavor == "datacenter":
            custom["epic link"] = store.epic_link_field
        issue_types, statuses, priorities = self._vocabulary()
        return JqlContext(
            now=store.clock(),
            flavor=store.flavor,
            epic_link_field=store.epic_link_field if store.flavor == "datacenter" else None,
            custom_fields=custom,
            projects=projects,
            issue_types=issue_types,
            statuses=statuses,
            versions=frozenset(versions),
            issue_exists=lambda key: store.find(key) is not None,
            users=self.users,
            current_user=account.account_id if account is not None else None,
            priorities=priorities,
            sprint_field=SPRINT_FIELD,
        )

    def _vocabulary(self) -> tuple[frozenset[str], ...]:
        """Known issue type, status and priority names: Jira's defaults and every name an issue
        has had. In Jira they are configuration, so a name stays valid once in use; only the
        issues changed since the last look are read (a rescan of 100,000 issues took 0.1 s
        and held up the first search after every change)."""
        journal = self.store.journal
        position = journal.position
        changed = journal.since(self._vocabulary_at)
        if changed is not None and not changed:
            return self._vocabulary_cache
        issues = self.store.issues
        if changed is None:
            read: Iterable[Issue | None] = list(issues.values())
        else:
            read = [issues.get(key) for key in changed]
        types, statuses, priorities = (set(names) for names in self._vocabulary_cache)
        for issue in read:
            if issue is None:
                continue  # deleted
            fields = issue["fields"]
            types.add(str((fields.get("issuetype") or {}).get("name", "")).lower())
            statuses.add(str((fields.get("status") or {}).get("name", "")).lower())
            priority = fields.get("priority")
            if isinstance(priority, dict):
                priorities.add(str(priority.get("name", "")).lower())
        self._vocabulary_cache = (frozenset(types), frozenset(statuses), frozenset(priorities))
        self._vocabulary_at = position
        return self._vocabulary_cache

    def run(
        self, jql: str, account: Account | None = None, reconciled: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """Evaluate a query now, over the index: the matching keys in the query's order."""
        return self._evaluate(_parsed(jql), account, reconciled)

    def _compiled(self, query: Query, ctx: JqlContext) -> CompiledQuery:
        try:
            return compile_query(query, ctx)
        except JqlError as error:
            raise ApiError(400, error.messages) from error

    def _evaluate(
        self, query: Query, account: Account | None, reconciled: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        ctx = self.context(account)
        compiled = self._compiled(query, ctx)
        store = self.store
        kept = None
        with store.lock:
            # Kept matches serve a query without dates that names no issues, while search
            # shows every issue as it is: their order is found from versions read after the
            # matching, which a lagging index may have moved on from in between.
            if (
                reconciled
                or compiled.narrowing is not None  # cheap anyway; would crowd out the scope
                or store.index.lagging()
                or not _timeless(query, ctx)
            ):
                candidates = self._candidates(compiled.narrowing, reconciled)
            else:
                kept = self._kept(query, compiled, account)
                ordered = kept.ordered.get(query.order_by)
                if ordered is not None:
                    return ordered
                # Every one of them matches: only their order is left to find.
                candidates = store.index.issues(kept.matched, store.issues)
        matched = candidates if kept is not None else [i for i in candidates if compiled.matches(i)]
        ordered = tuple(issue["key"] for issue in compiled.sort(matched))
        if kept is not None:
            # Valid for as long as this entry is current: _kept gives a later look a new
            # dict as soon as anything search shows has changed.
            kept.ordered[query.order_by] = ordered
        return ordered

    def _candidates(self, narrowing: Narrowing | None, reconciled: frozenset[str]) -> list[Issue]:
        """The issues, as search shows them, among which a query's matches are: all of them
        unless the query names its issues or bounds ``updated`` from below (as Jira's index
        answers those without reading every issue)."""
        store = self.store
        if narrowing is None:
            return list(store.index.view(store.issues, reconciled))
        if narrowing.keys is not None:
            named = narrowing.keys
            keys = set(named.keys)
            keys.update(key for i in named.ids if (key := store.key_for_id(i)) is not None)
        else:
            bound = narrowing.updated_since
            assert bound is not None
            inclusive = bound.op is Operator.GREATER_EQUALS
            keys = set(store.recency.since(bound.target, inclusive=inclusive))
        return store.index.view_of(keys, store.issues, reconciled)

    def count(self, jql: str, account: Account | None = None) -> int:
        """How many issues a query matches now, as search sees them."""
        query = _parsed(jql)
        ctx = self.context(account)
        compiled = self._compiled(query, ctx)
        store = self.store
        with store.lock:
            if _timeless(query, ctx):
                return len(self._kept(query, compiled, account).matched)
            candidates = self._candidates(compiled.narrowing, frozenset())
        return sum(1 for issue in candidates if compiled.matches(issue))

    def _kept(self, query: Query, compiled: CompiledQuery, account: Account | None) -> _Kept:
        """The matches of a query that does not depend on the time (no dates, no functions),
        brought up to date: only the issues changed since the last look are evaluated again
        (as Jira's index answers without reading every issue). Called under the store's lock.
        """
        store = self.store
        tag = (query.where, account.account_id if account is not None else "")
        # Stale now (a superset of what is still stale after the loop below): rechecked now
        # and by the next look.
        lagging = store.index.lagging_keys()
        kept = next((entry for entry in self._kept_queries if entry.tag == tag), None)
        changed = None
        if kept is not None and kept.epoch == store.journal.epoch:
            changed = store.journal.since(kept.position)
        ordered: dict[tuple[SortKey, ...], tuple[str, ...]] = {}
        if kept is None or changed is None:
            candidates = self._candidates(compiled.narrowing, frozenset())
            matched = {issue["key"] for issue in candidates if compiled.matches(issue)}
        else:
            matched = kept.matched
            index, issues = store.index, store.issues
            recheck = kept.lagging.union(changed, lagging)
            for key in recheck:
                shown = index.issue(key, issues.get(key))
                if shown is not None and compiled.matches(shown):
                    matched.add(key)
                else:
                    matched.discard(key)
            if not recheck:  # nothing search shows has changed: neither has any order
                ordered = kept.ordered
        entry = _Kept(tag, matched, store.journal.position, store.journal.epoch, lagging, ordered)
        self._kept_queries = [entry, *(e for e in self._kept_queries if e.tag != tag)]
        del self._kept_queries[QUERIES_KEPT:]
        return entry

    def shown(self, keys: Sequence[str], reconciled: frozenset[str] = frozenset()) -> list[Issue]:
        """A page of issues as search renders them (stale on Cloud unless reconciled); the
        ones search no longer knows are left out."""
        return self.store.index.issues(keys, self.store.issues, reconciled)

    def open(
        self, jql: str, account: Account | None = None, reconciled: frozenset[str] = frozenset()
    ) -> SearchSession:
        """Run a query and keep its result set for the following pages."""
        keys = self.run(jql, account, reconciled)
        session = SearchSession(secrets.token_hex(8), jql, keys, time.monotonic(), reconciled)
        with self._lock:
            self._sessions[session.session_id] = session
            while len(self._sessions) > SESSION_LIMIT:
                self._sessions.popitem(last=False)
        return session

    def resume(self, session_id: str) -> SearchSession | None:
        """A live session by id."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or time.monotonic() - session.opened > SESSION_TTL_SECONDS:
                return None
            self._sessions.move_to_end(session_id)
            return session

    def rerun(self, jql: str, account: Account | None = None) -> tuple[str, ...]:
        """Data Center paging: the query's matches as of this request (cached until a change)."""
        query = _parsed(jql)
        # A query with a relative date matches differently a minute later: keep its matches
        # only for the same moment (the sandbox's clock may stand still between syncs).
        moment = None if _timeless(query, self.context(account)) else self.store.clock()
        who = account.account_id if account is not None else ""
        tag = (jql, who, self.store.generation, moment)
        with self._lock:
            cached = self._cached
        # With a lagging index, what search sees changes without a change to the site.
        if cached is not None and cached[0] == tag and self.store.index.lag <= 0:
            return cached[1]
        keys = self._past_key(query, account, moment)
        if keys is None:
            keys = self._evaluate(query, account)
        with self._lock:
            self._cached = (tag, keys)
        return keys

    def _past_key(
        self, query: Query, account: Account | None, moment: object
    ) -> tuple[str, ...] | None:
        """``<query> AND key > X ORDER BY key`` within one project, answered as Jira's index
        does: by seeking past X in the query's ordered matches, which are kept until the site
        changes, instead of evaluating every issue again for each page of a keyset read.
        None when the query has another shape (a full evaluation answers it, errors included)."""
        if self.store.index.lag > 0:
            return None
        where = query.where
        order = [(k.field.name.lower(), k.direction or "asc") for k in query.order_by]
        if not isinstance(where, And) or order != [("key", "asc")]:
            return None
        bounds = [
            c
            for c in where.children
            if isinstance(c, Clause)
            and c.field.name.lower() == "key"
            and c.operator is Operator.GREATER
            and isinstance(c.operand, Literal)
        ]
        if len(bounds) != 1:
            return None
        (bound,) = bounds
        rest = tuple(c for c in where.children if c is not bound)
        base = Query(rest[0] if len(rest) == 1 else And(rest), query.order_by)
        tag = (
            base,
            account.account_id if account is not None else "",
            self.store.generation,
            moment,
        )
        with self._lock:
            kept = self._keyset_base
        if kept is not None and kept[0] == tag:
            _, matches, only = kept
        else:
            matches = self._evaluate(base, account)
            projects = {key.rpartition("-")[0].upper() for key in matches}
            only = projects.pop() if len(projects) == 1 else ""
            with self._lock:
                self._keyset_base = (tag, matches, only)
        # `key > X` is monotone along the key order only within X's project.
        project = str(bound.operand.value).rpartition("-")[0].upper()  # type: ignore[union-attr]
        if matches and project != only:
            return None
        try:
            past = compile_query(Query(bound), self.context(account))
        except JqlError:
            return None
        issues = self.store.issues
        low, high = 0, len(matches)
        while low < high:  # the first match past X
            middle = (low + high) // 2
            if past.matches(issues[matches[middle]]):
                high = middle
            else:
                low = middle + 1
        return matches[low:]


@dataclass
class _Kept:
    """A timeless query's matches as of a journal position (see ``SearchEngine._kept``)."""

    tag: tuple[Expr | None, str]
    matched: set[str]
    position: int
    epoch: int
    lagging: frozenset[str]  # issues search showed stale then: they may show current now
    ordered: dict[tuple[SortKey, ...], tuple[str, ...]]  # the matches in each ORDER BY's order


def _timeless(query: Query, ctx: JqlContext) -> bool:
    """Whether a query's matches change only when issues change: no date field compared (a
    relative date moves with the clock) and no function (``now()``, ``openSprints()``...)."""
    pending: list[object] = [query.where]
    while pending:
        node = pending.pop()
        if isinstance(node, Clause):
            spec = resolve_field(node.field, ctx)
            if spec is None or spec.kind is FieldKind.DATE:
                return False
            pending.append(node.operand)
        elif isinstance(node, And | Or):
            pending.extend(node.children)
        elif isinstance(node, Not):
            pending.append(node.child)
        elif isinstance(node, ValueList):
            pending.extend(node.items)
        elif isinstance(node, FunctionCall):
            return False
    return True


def _parsed(jql: str) -> Query:
    """A query's syntax tree; a query Jira would reject is its 400."""
    try:
        return parse(jql)
    except JqlError as error:
        raise ApiError(400, error.messages) from error


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
