"""Shared fixtures: sandbox Jira sites on loopback, real clients, and CI-aware skipping."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jira import JIRA

from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.generate import generate_backlog
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteData

# The PostgreSQL fixtures (pg_server_url, pg_database_url) for every test module.
pytest_plugins = ("tests.pg",)

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when a machine lacks something, except under CI, where it is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


def site_data(n_issues: int = 200, seed: int = 7) -> SiteData:
    """A generated backlog as sandbox data."""
    return SiteData.from_json(generate_backlog(n_issues, seed))


def jira_client(site: SandboxServer, *, token: str | None = None) -> JIRA:
    """The real ``jira`` client, authenticated the way each flavor expects."""
    options: dict[str, Any] = {"server": site.url}
    if site.flavor == "cloud":
        return JIRA(options=options, basic_auth=(site.email, token or site.token), max_retries=0)
    return JIRA(options=options, token_auth=token or site.token, max_retries=0)


def point_cli_at(site: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the command line at a sandbox site and at a state store in ``tmp_path``."""
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_URL", site.url)
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", site.token)
    if site.flavor == "cloud":
        monkeypatch.setenv("ROADMAP_SYNC_JIRA_EMAIL", site.email)
    monkeypatch.setenv("ROADMAP_SYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=["cloud", "datacenter"])
def flavor(request: pytest.FixtureRequest) -> Flavor:
    """Run the test once per flavor."""
    value: Flavor = request.param
    return value


@pytest.fixture
def site(flavor: Flavor) -> Iterator[SandboxServer]:
    """A fresh sandbox site with a small generated backlog, per test."""
    with SandboxServer(site_data(), flavor=flavor, bulk_delay=0.01) as server:
        yield server


@pytest.fixture
def jira(site: SandboxServer) -> JIRA:
    """The real ``jira`` client pointed at the sandbox."""
    return jira_client(site)
