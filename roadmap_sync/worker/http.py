"""The worker's one small HTTP server: health, readiness, metrics, webhooks, latest report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import ClassVar, Protocol
from urllib.parse import parse_qs, urlsplit

import structlog

from roadmap_sync.runtime.http import QuietHandler, QuietServer

log = structlog.get_logger(__name__)
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024  # Jira payloads are well under this


@dataclass(frozen=True)
class HttpResponse:
    """Status, content type and body."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


class WorkerEndpoints(Protocol):
    """What the HTTP server asks the worker; implemented by worker.app.Worker."""

    def healthz(self) -> HttpResponse:
        """Liveness."""
        ...

    def readyz(self) -> HttpResponse:
        """Readiness."""
        ...

    def metrics_response(self) -> HttpResponse:
        """Prometheus exposition."""
        ...

    def webhook(self, body: bytes, signature: str | None, token: str | None) -> HttpResponse:
        """A Jira webhook."""
        ...

    def latest_report(self) -> HttpResponse:
        """The newest HTML report."""
        ...


class _Handler(QuietHandler):
    server_version = "roadmap-sync"
    endpoints: ClassVar[WorkerEndpoints]

    def dispatch(self) -> None:
        """Route one request to the worker."""
        path = urlsplit(self.path).path.rstrip("/") or "/"
        route = ROUTES.get((self.command, path))
        if route is None:
            known = {p for (_, p) in ROUTES}
            status = 405 if path in known else 404
            response = HttpResponse(status, b"method not allowed\n" if status == 405 else b"")
        else:
            try:
                response = route(self)
            except Exception as error:  # an endpoint bug must answer 500, not drop the socket
                log.error("http_endpoint_failed", path=path, error=repr(error))
                response = HttpResponse(500, b"internal error\n")
        self._send(response)

    def _send(self, response: HttpResponse) -> None:
        head = (
            f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}\r\n"
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\n"
            "Cache-Control: no-store\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + response.body)

    def read_body(self) -> bytes | None:
        """The request body, or None when it is too large."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_WEBHOOK_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""


def _webhook(handler: _Handler) -> HttpResponse:
    body = handler.read_body()
    if body is None:
        return HttpResponse(413, b"payload too large\n")
    tokens = parse_qs(urlsplit(handler.path).query).get("token")
    token = tokens[0] if tokens else None
    return handler.endpoints.webhook(body, handler.headers.get("X-Hub-Signature"), token)


ROUTES: dict[tuple[str, str], Callable[[_Handler], HttpResponse]] = {
    ("GET", "/healthz"): lambda h: h.endpoints.healthz(),
    ("GET", "/readyz"): lambda h: h.endpoints.readyz(),
    ("GET", "/metrics"): lambda h: h.endpoints.metrics_response(),
    ("POST", "/webhooks/jira"): _webhook,
    ("GET", "/reports/latest"): lambda h: h.endpoints.latest_report(),
}


def make_server(host: str, port: int, endpoints: WorkerEndpoints) -> ThreadingHTTPServer:
    """Bind the server (not yet serving)."""
    handler: type[_Handler] = type("WorkerHandler", (_Handler,), {"endpoints": endpoints})
    return QuietServer((host, port), handler)
