"""The sandbox's HTTP server: framing, keep-alive, faults, and the in-process handle for tests.

Each response goes out in one buffer with TCP_NODELAY: a Python server that writes status line,
headers and body separately stalls ~40 ms per response on keep-alive connections (Nagle meets
delayed ACKs), which would make the sandbox, not the bot, what every benchmark measures.
"""

from __future__ import annotations

import base64
import socket
import struct
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from roadmap_sync.runtime.http import QuietHandler, QuietServer
from roadmap_sync.sandbox.app import Route, SandboxApp
from roadmap_sync.sandbox.catalog import Flavor, default_accounts
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.faults import Fault
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.store import SiteData, SiteStore, WriteRecord

DEFAULT_EMAIL = "bot@example.com"
DEFAULT_TOKEN = "sandbox-token"


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


class _Handler(QuietHandler):
    server_version = "roadmap-sync-sandbox"
    app: ClassVar[SandboxApp]

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = split.path.rstrip("/") or "/"
        return Request(self.command, path, split.query, parse_qs(split.query), headers, body)

    def dispatch(self) -> None:
        """Route one request to the sandbox app, acting out an armed fault if any."""
        request = self._read_request()
        app = self.app
        record: WriteRecord | None = None
        try:
            route, groups = app.match(request.method, request.path)
            request.route = groups
            app.count_request(route)
            record = app.log_write(request, route)  # type: ignore[assignment]
            fault = None if route.endpoint == "hooks" else app.faults.take(route.endpoint)
            if fault is not None and fault.kind == "reset_after":
                response = app.handle(request, route)  # the request takes effect ...
                if record is not None:
                    record.status = response.status
                self._reset()  # ... and the client never hears of it
                return
            if fault is not None and fault.kind != "latency":
                # Record before answering: the client may read the log right after the answer.
                if record is not None:
                    record.status = fault.status if fault.kind in ("rate_limit", "error") else 0
                self._act_out(fault, route)
                return
            if fault is not None:
                self._act_out(fault, route)
            response = app.handle(request, route)
        except ApiError as error:
            response = Response(error.status, error.body(), error.headers)
        if record is not None:
            record.status = response.status
        self._send(response)

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
    ) -> None:
        self.flavor = flavor
        self.email = email
        self.token = token
        # A subclass per server, so two sandboxes in one process keep separate apps.
        handler: type[_Handler] = type("SandboxHandler", (_Handler,), {})
        self._httpd = QuietServer((host, port), handler)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        # The site's own time: the wall clock unless told otherwise (SiteClock moves).
        if clock is None or isinstance(clock, SiteClock):
            self.clock = clock or SiteClock()
        else:
            self.clock = SiteClock(wall=clock)
        accounts = default_accounts(email, token)
        store = SiteStore(data or SiteData(), flavor, accounts, self.clock.now)
        self.app = SandboxApp(store, self.url, bulk_delay, self.clock)
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
