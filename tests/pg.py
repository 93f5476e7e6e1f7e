"""A real, throwaway PostgreSQL server for the tests, and a fresh database per test.

Set ``ROADMAP_SYNC_TEST_PG_URL`` (an SQLAlchemy URL whose user may CREATE DATABASE) to use a
server you run; otherwise the session starts its own from the Debian/Ubuntu ``postgresql-15``
binaries on a free loopback port and stops it at the end. ``initdb`` refuses to run as root, so
as root the server runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import require

PG_URL_ENV = "ROADMAP_SYNC_TEST_PG_URL"
PREFERRED_MAJOR = 15
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
# Durability is pointless for a server that lives for one test session, and costs seconds.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
# A zone other than UTC, so tests prove timestamps come back as UTC whatever the server's zone.
SERVER_TIMEZONE = "America/New_York"


def find_pg_bindir() -> Path | None:
    """The directory holding initdb and postgres: PATH first, else Debian's versioned dirs."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).parent
    found: dict[int, Path] = {}
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = initdb.parent.parent.name
        if re.fullmatch(r"\d+", version) and (initdb.parent / "postgres").exists():
            found[int(version)] = initdb.parent
    if not found:
        return None
    return found.get(PREFERRED_MAJOR) or found[max(found)]


def _server_account() -> pwd.struct_passwd | None:
    """The OS account to run the server as: None for ourselves, `postgres` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        require(False, "running as root and there is no 'postgres' OS user to run initdb as")
        raise  # unreachable: require skips or fails


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as(account: pwd.struct_passwd | None) -> tuple[int | None, int | None, list[int] | None]:
    """Popen's user, group and extra_groups: the child drops root itself, no su/runuser needed."""
    if account is None:
        return None, None, None
    return account.pw_uid, account.pw_gid, []


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if process.poll() is not None:
            require(False, f"postgres exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2
            ).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                require(False, f"postgres not ready after {READY_TIMEOUT}s:\n{_log_tail(log)}")
            time.sleep(0.1)


@contextmanager
def running_postgres(bindir: Path) -> Iterator[int]:
    """Run initdb and postgres in a temporary directory; yield the loopback port."""
    account = _server_account()
    # mkdtemp, not pytest's tmp_path: the latter sits in a root-only directory the postgres
    # account could not enter.
    home = Path(tempfile.mkdtemp(prefix="roadmap-sync-pg-"))
    if account is not None:
        os.chown(home, account.pw_uid, account.pw_gid)
    data, log = home / "data", home / "postgres.log"
    user, group, extra_groups = _run_as(account)
    process: subprocess.Popen[bytes] | None = None
    try:
        initdb = subprocess.run(
            [
                str(bindir / "initdb"),
                *("-D", str(data), "-U", "postgres", "--auth=trust"),
                *("--no-locale", "--encoding=UTF8", "--no-sync"),
            ],
            capture_output=True,
            check=False,
            user=user,
            group=group,
            extra_groups=extra_groups,
        )
        require(initdb.returncode == 0, f"initdb failed: {initdb.stderr.decode(errors='replace')}")
        port = _free_port()
        command = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(home)]
        command += ["-c", "listen_addresses=127.0.0.1", "-c", f"TimeZone={SERVER_TIMEZONE}"]
        for setting in FAST_SETTINGS:
            command += ["-c", setting]
        with log.open("wb") as out:
            # Own session: a Ctrl-C in the terminal reaches pytest, which then stops us cleanly.
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=group,
                extra_groups=extra_groups,
            )
        _wait_ready(process, port, log)
        yield port
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back, close, exit
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)


def _admin_engine(url: str) -> sa.Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url``; return its URL."""
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name``, disconnecting anyone still in it."""
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a database on a real PostgreSQL server (ROADMAP_SYNC_TEST_PG_URL's or our own)."""
    external = os.environ.get(PG_URL_ENV)
    if external:
        yield external
        return
    bindir = find_pg_bindir()
    require(
        bindir is not None,
        "PostgreSQL server binaries (initdb, postgres) not found: install postgresql-15 "
        f"or set {PG_URL_ENV}",
    )
    assert bindir is not None
    with running_postgres(bindir) as port:
        server = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        yield create_database(server, "roadmap_sync_test")


@pytest.fixture
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    """URL of a new, empty database on the test server, dropped after the test."""
    name = f"roadmap_sync_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server_url, name)
    try:
        yield url
    finally:
        drop_database(pg_server_url, name)
