"""Small HTTP and process plumbing shared by the sandbox and the worker."""

from __future__ import annotations

import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, TCP_NODELAY, no per-request stderr lines; every verb -> dispatch().

    TCP_NODELAY because a Python server that writes headers and body in separate small writes
    on a keep-alive connection stalls ~40 ms per response (Nagle meets delayed ACKs); handlers
    also write each response in one buffer.
    """

    protocol_version = "HTTP/1.1"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged line by line (health probes would flood the log)."""

    def dispatch(self) -> None:
        """Answer the request; subclasses implement it."""
        raise NotImplementedError

    def do_GET(self) -> None:
        """Dispatch GET."""
        self.dispatch()

    def do_POST(self) -> None:
        """Dispatch POST."""
        self.dispatch()

    def do_PUT(self) -> None:
        """Dispatch PUT."""
        self.dispatch()

    def do_DELETE(self) -> None:
        """Dispatch DELETE."""
        self.dispatch()


class QuietServer(ThreadingHTTPServer):
    """A threading server whose connection threads never block interpreter exit."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def wait_for_signal() -> int:
    """Block until SIGTERM or SIGINT arrives; the signal's number."""
    received: list[int] = []
    arrived = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        arrived.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    arrived.wait()
    return received[0]
