"""Start ``roadmap-sync serve`` as a real process against a sandbox, and talk to it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import REPO

EXAMPLE = REPO / "config" / "roadmap.example.yaml"


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def permissive_roadmap(directory: Path) -> Path:
    """The example roadmap with a guard that lets the first sync through."""
    text = EXAMPLE.read_text()
    text = re.sub(r"max_issues: \d+", "max_issues: 100000", text)
    text = re.sub(r"max_share: [0-9.]+", "max_share: 1.0", text)
    path = directory / "roadmap.yaml"
    path.write_text(text)
    return path


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until ``condition`` holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class WorkerProcess:
    """A running ``serve`` process."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def get(self, path: str) -> requests.Response:
        """GET from the worker's HTTP server."""
        return requests.get(self.url + path, timeout=5)

    def healthy(self) -> bool:
        """Whether /healthz answers 200."""
        try:
            return self.get("/healthz").status_code == 200
        except requests.ConnectionError:
            return False

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample on /metrics (0 when absent)."""
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in self.get("/metrics").text.splitlines():
            if line.startswith("#"):
                continue
            sample, _, value = line.rpartition(" ")
            metric, _, rest = sample.partition("{")
            given = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
            if metric == name and given == wanted:
                return float(value)
        return 0.0

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        """What the worker logged."""
        return self.log_path.read_text(errors="replace")


def start_worker(site: SandboxServer, directory: Path, roadmap: Path, **env: str) -> WorkerProcess:
    """Start ``serve`` with its settings in the environment; wait until it is healthy."""
    port = free_port()
    environment = {
        **os.environ,
        "ROADMAP_SYNC_JIRA_URL": site.url,
        "ROADMAP_SYNC_JIRA_TOKEN": site.token,
        "ROADMAP_SYNC_DATA_DIR": str(directory / "data"),
        "ROADMAP_SYNC_HTTP_PORT": str(port),
        "ROADMAP_SYNC_SYNC_INTERVAL": "2",
        "ROADMAP_SYNC_WEBHOOK_SECRET": "s3cret-webhook",
        "ROADMAP_SYNC_WEBHOOK_DEBOUNCE": "0.3",
        "ROADMAP_SYNC_RETRY_ATTEMPTS": "2",
        "ROADMAP_SYNC_LOG_LEVEL": "info",
        **env,
    }
    if site.flavor == "cloud":
        environment["ROADMAP_SYNC_JIRA_EMAIL"] = site.email
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / f"worker-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "roadmap_sync", "serve", "--config", str(roadmap)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=directory,
        )
    worker = WorkerProcess(process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_for(worker.healthy, 20, "the worker's /healthz")
    except AssertionError:
        worker.stop()
        raise AssertionError(f"worker did not become healthy:\n{worker.log()}") from None
    return worker
