"""The worker's one small HTTP server: health, readiness, metrics, webhooks, latest report.

It runs on waitress rather than ``http.server``: waitress parses HTTP/1.1 strictly (a
``Content-Length`` that is not plain digits is a 400, chunked bodies are counted against the
same limit, headers are capped), buffers large bodies to temporary files instead of memory,
answers from a fixed pool of threads whatever the number of open connections, stops accepting
above a connection limit and closes idle keep-alive connections. On top of it this module adds
a read deadline per request (a client that trickles its headers or body is cut off) and the
bearer token that may guard ``/metrics`` and ``/reports/*``.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Protocol, cast
from urllib.parse import parse_qs

import structlog
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

log = structlog.get_logger(__name__)
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024  # Jira payloads are well under this
MAX_HEADER_BYTES = 64 * 1024
# Bodies above this go to a temporary file, so a flood of large requests costs disk, not RSS.
IN_MEMORY_BODY_BYTES = 64 * 1024
WORKER_THREADS = 4  # requests answered at once; each is a few milliseconds of work


@dataclass(frozen=True)
class HttpResponse:
    """Status, content type and body."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HttpLimits:
    """How much the server accepts from clients (settings ``ROADMAP_SYNC_HTTP_*``)."""

    max_connections: int = 32
    read_timeout: float = 10.0
    idle_timeout: float = 15.0
    token: str | None = None  # bearer token for /metrics and /reports/*


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

    def roadmap_view(self) -> HttpResponse:
        """The GO roadmap of the newest report, alone (HTML)."""
        ...


def secret_equal(expected: str, given: str) -> bool:
    """Constant-time comparison of two secrets as UTF-8 bytes (any text, never an error)."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


def bearer_ok(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries ``Bearer <token>``; malformed is simply no."""
    if not header:
        return False
    # WSGI hands headers over as latin-1 text; the client sent bytes, most likely UTF-8.
    try:
        raw = header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    scheme, _, credentials = raw.strip().partition(" ")
    return scheme.lower() == "bearer" and secret_equal(token, credentials.strip())


@dataclass(frozen=True)
class Request:
    """What an endpoint needs from a WSGI request."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    environ: dict[str, Any]

    def body(self) -> bytes | None:
        """The request body, or None when it exceeds the webhook limit."""
        length = self.environ.get("CONTENT_LENGTH") or "0"
        # waitress has checked that it is digits and within its own cap; ours is stricter.
        size = int(length) if length.isdigit() else 0
        if size > MAX_WEBHOOK_BYTES:
            return None
        return bytes(self.environ["wsgi.input"].read(size)) if size else b""

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter (percent-decoding never fails)."""
        values = parse_qs(self.query, errors="replace").get(name)
        return values[0] if values else None


def _webhook(request: Request, endpoints: WorkerEndpoints) -> HttpResponse:
    body = request.body()
    if body is None:
        return HttpResponse(413, b"payload too large\n")
    signature = request.headers.get("x-hub-signature")
    return endpoints.webhook(body, signature, request.query_value("token"))


Route = Callable[[Request, WorkerEndpoints], HttpResponse]


@dataclass(frozen=True)
class Endpoint:
    """A route and whether ``ROADMAP_SYNC_HTTP_TOKEN`` guards it."""

    handler: Route
    guarded: bool = False


ROUTES: dict[tuple[str, str], Endpoint] = {
    ("GET", "/healthz"): Endpoint(lambda r, e: e.healthz()),
    ("GET", "/readyz"): Endpoint(lambda r, e: e.readyz()),
    ("GET", "/metrics"): Endpoint(lambda r, e: e.metrics_response(), guarded=True),
    # Webhooks authenticate with their own secret (signature or ?token=).
    ("POST", "/webhooks/jira"): Endpoint(_webhook),
    ("GET", "/reports/latest"): Endpoint(lambda r, e: e.latest_report(), guarded=True),
    ("GET", "/reports/roadmap"): Endpoint(lambda r, e: e.roadmap_view(), guarded=True),
}
UNAUTHORIZED = HttpResponse(
    401, b"unauthorized: send Authorization: Bearer <ROADMAP_SYNC_HTTP_TOKEN>\n",
    headers=(("WWW-Authenticate", 'Bearer realm="roadmap-sync"'),),
)  # fmt: skip


class WorkerApp:
    """The WSGI application: routing, the bearer guard, and a 500 for an endpoint's bug."""

    def __init__(self, endpoints: WorkerEndpoints, token: str | None) -> None:
        self.endpoints = endpoints
        self.token = token

    def respond(self, request: Request) -> HttpResponse:
        """Route one request."""
        path = request.path.rstrip("/") or "/"
        endpoint = ROUTES.get((request.method, path))
        if endpoint is None:
            known = {p for (_, p) in ROUTES}
            if path in known:
                return HttpResponse(405, b"method not allowed\n")
            return HttpResponse(404, b"not found\n")
        if (
            endpoint.guarded
            and self.token
            and not bearer_ok(request.headers.get("authorization"), self.token)
        ):
            return UNAUTHORIZED
        try:
            return endpoint.handler(request, self.endpoints)
        except Exception as error:  # an endpoint bug must answer 500, not drop the socket
            log.error("http_endpoint_failed", path=path, error=type(error).__name__)
            return HttpResponse(500, b"internal error\n")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """WSGI entry point."""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = Request(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO") or "/",
            environ.get("QUERY_STRING", ""),
            headers,
            environ,
        )
        response = self.respond(request)
        phrase = HTTPStatus(response.status).phrase
        start_response(
            f"{response.status} {phrase}",
            [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(response.body))),
                ("Cache-Control", "no-store"),
                *response.headers,
            ],
        )
        return [response.body]


class _Channel(HTTPChannel):
    """A connection that remembers when its current request began to arrive."""

    request_started: float = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.monotonic()
        result: bool = super().received(data)
        return result


class _Server(TcpWSGIServer):
    """waitress's TCP server plus a deadline for receiving a whole request."""

    channel_class = _Channel
    read_timeout: ClassVar[float] = 10.0

    def maintenance(self, now: int) -> None:
        # waitress closes connections idle for channel_timeout, but a client that sends one
        # byte every few seconds is never idle: a request must arrive whole within the deadline.
        super().maintenance(now)
        cutoff = time.monotonic() - self.read_timeout
        # typeshed declares active_channels as one channel; it is a dict of fileno -> channel.
        channels = cast("dict[int, HTTPChannel]", self.active_channels)
        for channel in list(channels.values()):
            started = getattr(channel, "request_started", 0.0)
            if channel.request is not None and started < cutoff:
                channel.will_close = True


class WorkerHttpServer:
    """The worker's HTTP server: bound at construction, served on a thread, stopped cleanly."""

    def __init__(
        self, host: str, port: int, endpoints: WorkerEndpoints, limits: HttpLimits
    ) -> None:
        server_class = type("WorkerServer", (_Server,), {"read_timeout": limits.read_timeout})
        self._server = server_class(
            WorkerApp(endpoints, limits.token),
            host=host,
            port=port,
            threads=WORKER_THREADS,
            connection_limit=limits.max_connections,
            channel_timeout=max(1, round(limits.idle_timeout)),
            cleanup_interval=1,
            max_request_body_size=MAX_WEBHOOK_BYTES + 1,
            max_request_header_size=MAX_HEADER_BYTES,
            inbuf_overflow=IN_MEMORY_BODY_BYTES,
            ident="roadmap-sync",
            expose_tracebacks=False,
            asyncore_use_poll=True,  # select() fails above 1024 open sockets
            asyncore_loop_timeout=0.5,
        )
        self.server_address: tuple[str, int] = (
            str(self._server.effective_host),
            int(self._server.effective_port),
        )
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        """Serve on the calling thread until ``shutdown``."""
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close the listening socket and every connection, and stop the request threads."""
        server = self._server

        def close_everything() -> None:
            # Runs on the serving thread (through waitress's trigger), where closing is safe;
            # the loop ends once its socket map is empty.
            for channel in list(server._map.values()):
                if isinstance(channel, HTTPChannel):
                    channel.handle_close()
            server.close()

        if not self._stopped.is_set():
            server.trigger.pull_trigger(close_everything)
            self._stopped.wait(timeout)
        server.task_dispatcher.shutdown(timeout=timeout)

    def server_close(self) -> None:
        """Kept for the ``socketserver`` API: ``shutdown`` already released the socket."""


def make_server(
    host: str, port: int, endpoints: WorkerEndpoints, limits: HttpLimits | None = None
) -> WorkerHttpServer:
    """Bind the server (not yet serving)."""
    return WorkerHttpServer(host, port, endpoints, limits or HttpLimits())
