"""The sandbox's HTTP server: framing, keep-alive, faults, and the in-process handle for tests.

Each response goes out in one buffer with TCP_NODELAY: a Python server that writes status line,
headers and body separately stalls ~40 ms per response on keep-alive connections (Nagle meets
delayed ACKs), which would make the sandbox, not the bot, what every benchmark measures.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from roadmap_sync.runtime.http import QuietHandler, QuietServer
from roadmap_sync.sandbox.app import Route, SandboxApp
from roadmap_sync.sandbox.catalog import Flavor, default_accounts
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.faults import Fault
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.ratelimits import PROFILES, RateLimiter, RateLimitProfile, Refusal
from roadmap_sync.sandbox.store import SiteData, SiteStore, WriteRecord
from roadmap_sync.sandbox.views import FieldSelection

DEFAULT_EMAIL = "bot@example.com"
DEFAULT_TOKEN = "sandbox-token"
# Cloud's search lags behind writes ("Search and reconcile"); Data Center's is immediate.
DEFAULT_SEARCH_LAG = {"cloud": 2.0, "datacenter": 0.0}


def authorization(flavor: Flavor, email: str, token: str) -> str:
    """The Authorization header a client sends each flavor: Basic e-mail:token, or Bearer PAT."""
    if flavor == "cloud":
        return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
    return f"Bearer {token}"


def _retry_after_text(seconds: float) -> str:
    # Jira sends whole seconds; fractions are a sandbox extension so tests stay fast.
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _fault_response(fault: Fault) -> Response:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = _retry_after_text(fault.retry_after)
    if fault.kind == "rate_limit":
        reset = datetime.now(UTC) + timedelta(seconds=fault.retry_after or 1)
        headers.update(
            {
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
                "X-RateLimit-NearLimit": "true",
                "RateLimit-Reason": "jira-burst-based",
            }
        )
        return Response(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, headers)
    reason = (
        HTTPStatus(fault.status).phrase if fault.status in HTTPStatus._value2member_map_ else ""
    )
    return Response(
        fault.status, {"errorMessages": [reason or "Server error"], "errors": {}}, headers
    )


def _refused(refusal: Refusal, limiter: RateLimiter) -> Response:
    headers = {
        **limiter.headers(),
        "Retry-After": _retry_after_text(refusal.retry_after),
        "RateLimit-Reason": refusal.reason,
    }
    return Response(429, {"errorMessages": [refusal.message], "errors": {}}, headers)


def _objects(body: object) -> int:
    """How many objects a response returned (the points quota charges one point for each)."""
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict) and isinstance(body.get("issues"), list):
        return len(body["issues"])
    return 0


class _Handler(QuietHandler):
    server_version = "roadmap-sync-sandbox"
    app: ClassVar[SandboxApp]

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise ApiError(400, ["The Content-Length header is not a number."])
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = split.path.rstrip("/") or "/"
        return Request(self.command, path, split.query, parse_qs(split.query), headers, body)

    def do_PATCH(self) -> None:  # noqa: N802 - the name BaseHTTPRequestHandler dispatches to
        """Dispatch PATCH (no route takes it: 405 with Allow, or 404)."""
        self.dispatch()

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, QUERY, ...) is dispatched too: Jira answers 405 or 404,
        where the standard library would send an HTML 501."""
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def do_HEAD(self) -> None:  # noqa: N802 - the name BaseHTTPRequestHandler dispatches to
        """Dispatch HEAD (the answer's headers, without its body)."""
        self.dispatch()

    def do_OPTIONS(self) -> None:  # noqa: N802 - the name BaseHTTPRequestHandler dispatches to
        """Dispatch OPTIONS (answered like any unsupported method)."""
        self.dispatch()

    def dispatch(self) -> None:
        """Answer one request; never drop the connection, whatever the request holds."""
        try:
            response = self._answer()
        except ApiError as error:
            response = Response(error.status, error.body(), error.headers)
        except Exception:  # a sandbox bug must surface as a 500, not as a dropped connection
            traceback.print_exc(file=sys.stderr)
            response = Response(500, {"errorMessages": ["Internal server error"], "errors": {}})
        if response.status >= 0:
            self._send(response)

    def _answer(self) -> Response:
        """Route one request to the sandbox app, acting out a rate limit or armed fault."""
        request = self._read_request()
        app = self.app
        record: WriteRecord | None = None
        try:
            route, groups = app.match(request.method, request.path)
            request.route = groups
            app.count_request(route)
            record = app.log_write(request, route)  # type: ignore[assignment]
            limiter = None if route.endpoint == "hooks" else app.limiter
            if limiter is not None:
                issue = groups.get("key") if route.method == "PUT" else None
                refusal = limiter.admit(route.endpoint, route.method, issue)
                if refusal is not None:
                    if record is not None:
                        record.status = 429
                    return _refused(refusal, limiter)
            fault = None if route.endpoint == "hooks" else app.faults.take(route.endpoint)
            if fault is not None:
                faulted = self._faulted(fault, request, route, record)
                if faulted is not None:
                    return faulted
            response = app.handle(request, route)
            if limiter is not None:
                counted = response.objects
                limiter.charge(1 + (_objects(response.body) if counted is None else counted))
                response.headers.update(limiter.headers())
        except ApiError as error:
            response = Response(error.status, error.body(), error.headers)
            if app.limiter is not None and request.route.get("v"):
                response.headers.update(app.limiter.headers())
        if record is not None:
            record.status = response.status
        return response

    def _faulted(
        self, fault: Fault, request: Request, route: Route, record: WriteRecord | None
    ) -> Response | None:
        """Act out an armed fault: the answer that replaces the real one (status -1 when the
        fault already wrote to or dropped the connection), or None to answer normally."""
        app = self.app
        if fault.kind == "reset_after":
            response = app.handle(request, route)  # the request takes effect ...
            if record is not None:
                record.status = response.status
            self._reset()  # ... and the client never hears of it
            return Response(-1)
        if fault.kind == "foreign":
            return self._with_foreign(app.handle(request, route), fault, request)
        if fault.kind == "latency":
            self._act_out(fault, route)
            return None
        # Record before answering: the client may read the log right after the answer.
        if record is not None:
            record.status = fault.status if fault.kind in ("rate_limit", "error") else 0
        self._act_out(fault, route)
        return Response(-1)

    def _with_foreign(self, response: Response, fault: Fault, request: Request) -> Response:
        """A search answer with an issue it should not contain slipped in."""
        issue = self.app.store.find(fault.issue or "")
        if isinstance(response.body, bytes):  # a page encoded ahead (views.EncodedIssues)
            response.body = json.loads(response.body)
        if issue is not None and isinstance(response.body, dict) and "issues" in response.body:
            rendered = self.app.renderer(request.api_version).render(
                issue, FieldSelection.parse(None, "*all")
            )
            response.body["issues"] = [rendered, *response.body["issues"]]
        return response

    def _act_out(self, fault: Fault, route: Route) -> bool:
        """Perform a fault; True when it replaced the response."""
        if fault.kind == "latency":
            time.sleep(fault.latency_ms / 1000)
            return False
        if fault.kind in ("rate_limit", "error"):
            self._send(_fault_response(fault))
            return True
        if fault.kind == "reset":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            self.wfile.flush()
            self._reset()
            return True
        body = b'{"issues":[{"id":"10000","key":"TRUNC'
        self.wfile.write(self._head(200, {"Content-Type": "application/json"}, 4096) + body)
        self.wfile.flush()
        self.close_connection = True
        return True

    def _reset(self) -> None:
        """Drop the connection with a TCP reset."""
        # SO_LINGER with a zero timeout makes close() send RST: a reset mid-response.
        # Close here, before socketserver's graceful shutdown(SHUT_WR) could send a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _head(self, status: int, headers: dict[str, str], length: int) -> bytes:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {status} {phrase}", f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append("Date: " + self.date_time_string())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, response: Response) -> None:
        body = response.encoded()
        headers = dict(response.headers)
        if self.command == "HEAD":
            self.wfile.write(self._head(response.status, headers, len(body)))
            return
        if response.body is not None:
            headers.setdefault("Content-Type", "application/json;charset=UTF-8")
        self.wfile.write(self._head(response.status, headers, len(body)) + body)


class SandboxServer:
    """A sandbox Jira site listening on loopback; use as a context manager in tests."""

    def __init__(
        self,
        data: SiteData | None = None,
        *,
        flavor: Flavor = "cloud",
        host: str = "127.0.0.1",
        port: int = 0,
        email: str = DEFAULT_EMAIL,
        token: str = DEFAULT_TOKEN,
        clock: SiteClock | Callable[[], datetime] | None = None,
        bulk_delay: float = 0.05,
        search_lag: float | None = None,
        result_window: int | None = None,
        rate_limit: str | RateLimitProfile | None = None,
        epic_link_field: str | None = None,
    ) -> None:
        """A site of ``flavor``; ``search_lag`` defaults to a real site's (2 s on Cloud, 0 on
        Data Center), ``result_window`` models Data Center with OpenSearch (10000), and
        ``rate_limit`` names a profile of ``ratelimits.PROFILES`` ("cloud")."""
        self.flavor = flavor
        self.email = email
        self.token = token
        lag = DEFAULT_SEARCH_LAG[flavor] if search_lag is None else search_lag
        # The site's own time: the wall clock unless told otherwise (SiteClock moves).
        if clock is None or isinstance(clock, SiteClock):
            self.clock = clock or SiteClock()
        else:
            self.clock = SiteClock(wall=clock)
        store = SiteStore(
            data or SiteData(),
            flavor,
            default_accounts(email, token),
            self.clock.now,
            search_lag=lag,
            epic_link_field=epic_link_field,
        )
        if isinstance(rate_limit, str) and rate_limit not in PROFILES:
            known = sorted(PROFILES)
            raise ValueError(f"unknown rate-limit profile {rate_limit!r}; known: {known}")
        profile = PROFILES[rate_limit] if isinstance(rate_limit, str) else rate_limit
        limiter = RateLimiter(profile) if profile is not None else None
        # A subclass per server, so two sandboxes in one process keep separate apps.
        handler: type[_Handler] = type("SandboxHandler", (_Handler,), {})
        self._httpd = QuietServer((host, port), handler)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self.app = SandboxApp(
            store,
            self.url,
            bulk_delay,
            self.clock,
            result_window=result_window,
            limiter=limiter,
        )
        handler.app = self.app
        self._thread: threading.Thread | None = None

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate as the bot on this site."""
        return {"Authorization": authorization(self.flavor, self.email, self.token)}

    @property
    def store(self) -> SiteStore:
        """The site's issue store."""
        return self.app.store

    def serve_forever(self) -> None:
        """Serve on the calling thread until ``shutdown`` is called."""
        self._httpd.serve_forever(poll_interval=0.2)

    def start(self) -> SandboxServer:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self.app.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start() if self._thread is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
