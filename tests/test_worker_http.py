"""The worker's HTTP server under abuse: bodies, slow clients, malformed credentials, memory.

One real ``serve`` process takes every attack in turn; its peak resident memory (VmHWM) must
stay under 200 MB, and it must answer its health check afterwards.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import site_data
from tests.worker_harness import WorkerProcess, permissive_roadmap, start_worker, wait_for

pytestmark = pytest.mark.slow
HTTP_TOKEN = "metrics-tøken-42"
MEMORY_CEILING_MB = 200


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A small Cloud sandbox."""
    with SandboxServer(site_data(100, seed=3), flavor="cloud", bulk_delay=0.01) as server:
        yield server


@pytest.fixture(scope="module")
def worker(
    sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One worker for every attack, with short read and idle timeouts and a bearer token."""
    directory = tmp_path_factory.mktemp("abuse")
    process = start_worker(
        sandbox,
        directory,
        permissive_roadmap(directory),
        ROADMAP_SYNC_SYNC_INTERVAL="600",
        ROADMAP_SYNC_HTTP_TOKEN=HTTP_TOKEN,
        ROADMAP_SYNC_HTTP_READ_TIMEOUT="2",
        ROADMAP_SYNC_HTTP_IDLE_TIMEOUT="3",
        ROADMAP_SYNC_HTTP_MAX_CONNECTIONS="32",
    )
    yield process
    peak = peak_rss_mb(process)
    print(f"\nworker peak RSS over the abuse tests: {peak:.0f} MB")
    process.stop()


def status_field(worker: WorkerProcess, name: str) -> int:
    """A number from /proc/PID/status (kB for memory fields)."""
    for line in Path(f"/proc/{worker.process.pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in /proc status")


def peak_rss_mb(worker: WorkerProcess) -> float:
    """The worker's peak resident memory so far."""
    return status_field(worker, "VmHWM") / 1024


def answers(worker: WorkerProcess) -> bool:
    """Whether /healthz answers 200 (a probe that times out is a no, not an error)."""
    try:
        return worker.get("/healthz").status_code == 200
    except requests.RequestException:
        return False


def raw_exchange(worker: WorkerProcess, request: bytes, body_chunks: int = 0) -> bytes:
    """Send raw bytes (then ``body_chunks`` MB of filler), return what the server answers."""
    host, port = worker.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        chunk = b"x" * (1024 * 1024)
        try:
            for _ in range(body_chunks):
                sock.sendall(chunk)
        except OSError:
            pass  # the server answered and closed mid-stream: what we hope for
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except OSError:
            pass
    return answer


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer."""
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def webhook_head(length: str | None, extra: str = "") -> bytes:
    """A webhook POST's request line and headers."""
    lines = ["POST /webhooks/jira HTTP/1.1", "Host: localhost", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + extra + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("length", "expected"),
    [("-1", 400), ("+5", 400), ("1e9", 400), ("99999999999999999999", 413), ("6000000", 413)],
)
def test_bad_or_huge_content_length_is_refused_unread(
    worker: WorkerProcess, length: str, expected: int
) -> None:
    """Negative, non-numeric or oversized lengths answer 400/413 without reading the body."""
    assert status_of(raw_exchange(worker, webhook_head(length))) == expected
    assert worker.healthy()


def test_streamed_300_mb_body_is_cut_off(worker: WorkerProcess) -> None:
    """A 300 MB unsigned upload is refused as soon as its length is known; memory stays low."""
    answer = raw_exchange(worker, webhook_head(str(300 * 1024 * 1024)), body_chunks=300)
    assert status_of(answer) == 413
    assert peak_rss_mb(worker) < MEMORY_CEILING_MB


def test_chunked_body_counts_against_the_limit(worker: WorkerProcess) -> None:
    """A chunked body with no length at all is cut off at the same limit."""
    head = webhook_head(None, "\r\nTransfer-Encoding: chunked")
    chunk = b"100000\r\n" + b"y" * 0x100000 + b"\r\n"  # 1 MiB chunks
    host, port = worker.url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head)
        try:
            for _ in range(64):
                sock.sendall(chunk)
        except OSError:
            pass
        try:
            while data := sock.recv(65536):
                answer += data
        except OSError:
            pass
    assert status_of(answer) == 413
    assert peak_rss_mb(worker) < MEMORY_CEILING_MB


def test_missing_length_means_an_empty_body(worker: WorkerProcess) -> None:
    """No Content-Length and no chunking: an empty body, rejected for its missing signature."""
    assert status_of(raw_exchange(worker, webhook_head(None))) == 401


@pytest.mark.parametrize(
    "query", ["?token=%C3%A9", "?token=%FF%FE", "?token=%00", "?token=" + "a" * 5000, "?token"]
)
def test_malformed_webhook_tokens_are_401(worker: WorkerProcess, query: str) -> None:
    """Non-ASCII, undecodable, NUL or absurd URL tokens answer 401, never 500."""
    response = requests.post(f"{worker.url}/webhooks/jira{query}", data=b"{}", timeout=10)
    assert response.status_code == 401


def test_non_ascii_signature_is_401(worker: WorkerProcess) -> None:
    """A signature header with bytes beyond ASCII answers 401."""
    head = webhook_head("2").replace(b"\r\n\r\n", b"\r\nX-Hub-Signature: sha256=\xc3\xa9\xff")
    answer = raw_exchange(worker, head + b"\r\n\r\n{}")
    assert status_of(answer) == 401


def test_metrics_and_report_need_the_bearer_token(worker: WorkerProcess) -> None:
    """With ROADMAP_SYNC_HTTP_TOKEN set, /metrics and the reports need it; probes do not."""
    for path in ("/metrics", "/reports/latest", "/reports/roadmap"):
        assert worker.get(path).status_code == 401
        wrong = requests.get(worker.url + path, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 401
        basic = requests.get(worker.url + path, headers={"Authorization": "Basic Zm9v"}, timeout=5)
        assert basic.status_code == 401
    raw = b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n"
    assert status_of(raw_exchange(worker, raw)) == 401
    good = {"Authorization": f"Bearer {HTTP_TOKEN}".encode().decode("latin-1")}
    assert requests.get(worker.url + "/metrics", headers=good, timeout=5).status_code == 200
    assert worker.get("/healthz").status_code == 200
    assert worker.get("/readyz").status_code in (200, 503)


def test_half_open_connections_neither_pile_up_threads_nor_starve_probes(
    worker: WorkerProcess,
) -> None:
    """300 clients that never finish their headers: bounded threads, closed, probes answer."""
    threads_before = status_field(worker, "Threads")
    host, port = worker.url.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(300):
            sock = socket.socket()
            sock.settimeout(30)
            sock.connect((host, int(port)))
            sock.sendall(b"POST /webhooks/jira HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
        assert status_field(worker, "Threads") <= threads_before + 2
        wait_for(lambda: answers(worker), 90, "/healthz while 300 clients hang")
    finally:
        closed = 0
        for sock in sockets:
            try:
                sock.settimeout(0.01)
                if sock.recv(1024) == b"":
                    closed += 1
            except OSError:
                pass
            sock.close()
    assert status_field(worker, "Threads") <= threads_before + 2
    assert closed > 0, "the read deadline closed none of the hanging connections"


def test_trickling_client_is_cut_off_at_the_read_deadline(worker: WorkerProcess) -> None:
    """A client sending one byte every half second is never idle, yet is cut off."""
    host, port = worker.url.removeprefix("http://").split(":")
    request = b"POST /webhooks/jira HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200
    cut_off = False
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        deadline = time.monotonic() + 60
        for byte in request:
            if time.monotonic() > deadline:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                cut_off = True
                break
            time.sleep(0.5)
            sock.setblocking(False)
            try:
                if sock.recv(1) == b"":
                    cut_off = True
                    break
            except BlockingIOError:
                pass
            except OSError:
                cut_off = True
                break
            finally:
                sock.setblocking(True)
    assert cut_off
    assert worker.healthy()


def test_memory_stays_under_the_ceiling(worker: WorkerProcess) -> None:
    """After every attack above, the worker's peak RSS is under 200 MB and it still answers."""
    assert peak_rss_mb(worker) < MEMORY_CEILING_MB
    assert worker.healthy()
