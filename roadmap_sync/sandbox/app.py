"""The sandbox application: routing, authentication and the write log, independent of HTTP.

``SandboxApp.handle`` takes a parsed request and returns a response or raises ``ApiError``;
server.py owns sockets, faults and byte-level framing.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from roadmap_sync.sandbox import (
    api_changelog,
    api_issues,
    api_jql,
    api_meta,
    api_search,
    hooks,
    hooks_versions,
)
from roadmap_sync.sandbox.bulk import BulkEditor
from roadmap_sync.sandbox.catalog import Account, Flavor
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.faults import FaultBook
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.ratelimits import RateLimiter
from roadmap_sync.sandbox.searching import SearchEngine
from roadmap_sync.sandbox.store import SiteStore
from roadmap_sync.sandbox.views import EncodedIssues, IssueRenderer
from roadmap_sync.sandbox.webhooks import WebhookDispatcher

Handler = Callable[["SandboxApp", Request], Response]
NOT_AUTHENTICATED = "Client must be authenticated to access this resource."


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path pattern, the fault-injection name, flavors, handler."""

    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler
    flavors: tuple[Flavor, ...] = ("cloud", "datacenter")
    anonymous: bool = False
    writes: bool = False


def _route(
    method: str,
    path: str,
    endpoint: str,
    handler: Handler,
    flavors: Iterable[Flavor] = ("cloud", "datacenter"),
    *,
    anonymous: bool = False,
    writes: bool = False,
) -> Route:
    api = path.replace("{api}", "/rest/api/(?P<v>[23])")
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", api)
    return Route(
        method, re.compile(regex + "/?$"), endpoint, handler, tuple(flavors),
        anonymous=anonymous, writes=writes,
    )  # fmt: skip


CLOUD: tuple[Flavor, ...] = ("cloud",)
ROUTES: tuple[Route, ...] = (
    _route("GET", "{api}/serverInfo", "meta", api_meta.server_info, anonymous=True),
    _route("GET", "{api}/myself", "meta", api_meta.myself),
    _route("GET", "{api}/field", "meta", api_meta.fields),
    _route("GET", "{api}/mypermissions", "meta", api_meta.my_permissions),
    _route("GET", "{api}/project/{key}/versions", "meta", api_meta.versions),
    _route("GET", "{api}/project/{key}", "meta", api_meta.project),
    _route("GET", "{api}/search/jql", "search", api_search.search_jql, CLOUD),
    _route("POST", "{api}/search/jql", "search", api_search.search_jql, CLOUD),
    _route("GET", "{api}/search", "search", api_search.search_legacy),
    _route("POST", "{api}/search", "search", api_search.search_legacy),
    _route("POST", "{api}/search/approximate-count", "search", api_search.approximate_count, CLOUD),
    _route("POST", "{api}/changelog/bulkfetch", "changelog", api_changelog.bulkfetch, CLOUD),
    _route("GET", "{api}/issue/{key}", "issue_get", api_issues.get_issue),
    _route("PUT", "{api}/issue/{key}", "issue_put", api_issues.put_issue, writes=True),
    _route("DELETE", "{api}/issue/{key}", "issue_put", api_issues.delete_issue, writes=True),
    _route("POST", "{api}/jql/parse", "meta", api_jql.parse_queries, CLOUD, anonymous=True),
    _route(
        "POST",
        "/rest/api/3/bulk/issues/fields",
        "bulk_submit",
        api_issues.bulk_submit,
        CLOUD,
        writes=True,
    ),
    _route("GET", "/rest/api/3/bulk/queue/{task}", "bulk_queue", api_issues.bulk_progress, CLOUD),
    _route("POST", "/rest/webhooks/1.0/webhook", "meta", api_meta.register_webhook, writes=True),
    _route("GET", "/_sandbox", "hooks", hooks.index, anonymous=True),
    _route("GET", "/_sandbox/writes", "hooks", hooks.list_writes, anonymous=True),
    _route("DELETE", "/_sandbox/writes", "hooks", hooks.clear_writes, anonymous=True),
    _route("GET", "/_sandbox/requests", "hooks", hooks.list_requests, anonymous=True),
    _route("DELETE", "/_sandbox/requests", "hooks", hooks.clear_requests, anonymous=True),
    _route("POST", "/_sandbox/issues/{key}/edit", "hooks", hooks.person_edit, anonymous=True),
    _route("POST", "/_sandbox/issues", "hooks", hooks.person_create, anonymous=True),
    _route(
        "POST",
        "/_sandbox/issues/{key}/transition",
        "hooks",
        hooks.person_transition,
        anonymous=True,
    ),
    _route("DELETE", "/_sandbox/issues/{key}", "hooks", hooks.person_delete, anonymous=True),
    _route("GET", "/_sandbox/index", "hooks", hooks.index_status, anonymous=True),
    _route("POST", "/_sandbox/versions", "hooks", hooks_versions.create, anonymous=True),
    _route("PUT", "/_sandbox/versions/{vid}", "hooks", hooks_versions.update, anonymous=True),
    _route("DELETE", "/_sandbox/versions/{vid}", "hooks", hooks_versions.delete, anonymous=True),
    _route("POST", "/_sandbox/versions/{vid}/move", "hooks", hooks_versions.move, anonymous=True),
    *(
        _route(m, "/_sandbox/faults", "hooks", hooks.faults, anonymous=True)
        for m in ("GET", "POST", "DELETE")
    ),
    *(
        _route(m, "/_sandbox/webhooks", "hooks", hooks.webhooks, anonymous=True)
        for m in ("GET", "POST", "DELETE")
    ),
    *(_route(m, "/_sandbox/clock", "hooks", hooks.clock, anonymous=True) for m in ("GET", "POST")),
)


class SandboxApp:
    """Everything one sandbox site holds, and the request dispatcher."""

    def __init__(
        self,
        store: SiteStore,
        base_url: str,
        bulk_delay: float = 0.05,
        clock: SiteClock | None = None,
        *,
        result_window: int | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SiteClock()
        store.changelog.base_url = base_url
        self.flavor: Flavor = store.flavor
        self.base_url = base_url
        self.result_window = result_window
        self.limiter = limiter
        self.search = SearchEngine(store)
        self.encoded = EncodedIssues()  # search pages are joins of issues encoded once
        self.bulk = BulkEditor(store, bulk_delay, limiter)
        self.faults = FaultBook()
        self.webhooks = WebhookDispatcher(store.flavor, base_url, store.epic_link_field)
        store.add_listener(self.webhooks.on_change)
        store.add_version_listener(self.webhooks.on_version)
        self.request_counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def count_request(self, route: Route) -> None:
        """Tally REST requests per endpoint name, for tests and benchmarks."""
        if route.endpoint != "hooks":
            with self._count_lock:
                self.request_counts[route.endpoint] += 1

    def renderer(self, api_version: str) -> IssueRenderer:
        """Renders issues for this site and REST version."""
        return IssueRenderer(self.flavor, api_version, self.base_url, self.store.epic_link_field)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for a request, or Jira's 404/405 (with ``Allow`` naming the methods)."""
        allowed: list[str] = []
        for route in ROUTES:
            found = route.pattern.match(path)
            if not found:
                continue
            if self.flavor not in route.flavors or (
                self.flavor == "datacenter" and found.groupdict().get("v") == "3"
            ):
                # Data Center has no REST v3 and no Cloud-only endpoints: they do not exist.
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            return route, found.groupdict()
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            raise ApiError(
                405, [f"Method {method} is not allowed for {path}."], headers={"Allow": methods}
            )
        raise ApiError(404, [f"null for uri: {self.base_url}{path}"])

    def authenticate(self, header: str | None) -> Account | None:
        """The account for an Authorization header: Basic on Cloud, Bearer PAT on Data Center."""
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if self.flavor == "cloud" and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            email, _, token = decoded.partition(":")
            return self.store.account_for(email, token) if email else None
        if self.flavor == "datacenter" and scheme.lower() == "bearer":
            return self.store.account_for("", credentials.strip())
        return None

    def handle(self, request: Request, route: Route) -> Response:
        """Authenticate, log writes, and run the endpoint."""
        request.account = self.authenticate(request.headers.get("authorization"))
        if request.account is None and not route.anonymous:
            raise ApiError(401, [NOT_AUTHENTICATED], headers={"WWW-Authenticate": "Basic"})
        return route.handler(self, request)

    def log_write(self, request: Request, route: Route) -> object | None:
        """Record a write request before it is answered (faults included)."""
        if not route.writes:
            return None
        try:
            body = request.json()
        except ApiError:
            body = request.body.decode("utf-8", "replace")
        account = self.authenticate(request.headers.get("authorization"))
        if route.endpoint == "bulk_submit":
            notify = (
                bool(body.get("sendBulkNotification", True)) if isinstance(body, dict) else True
            )
        else:
            notify = request.arg("notifyUsers", "true") != "false"
        # Jira ignores notifyUsers=false from a user who is not an administrator.
        notify = notify or not (account and account.admin)
        return self.store.log_write(
            request.method, request.path, request.raw_query, body, notify, account
        )

    def close(self) -> None:
        """Stop background threads."""
        self.webhooks.close()
