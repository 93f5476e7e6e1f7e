"""Bad input and unreachable services end in one clear line and the documented exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from structlog.testing import capture_logs

from roadmap_sync.cli import main
from roadmap_sync.runtime.logs import configure_logging
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.trackers.base import TrackerUnreachableError
from roadmap_sync.trackers.registry import connect
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data

EXAMPLE = str(REPO / "config" / "roadmap.example.yaml")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A working directory and data directory of the test's own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROADMAP_SYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROADMAP_SYNC_RETRY_ATTEMPTS", "1")


def test_unreachable_jira_is_exit_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No Jira at the URL: exit 1, one line naming the URL, no traceback, no token."""
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", "tok-unreachable-123")
    monkeypatch.setenv("ROADMAP_SYNC_RETRY_ATTEMPTS", "6")
    assert main(["plan", "--config", EXAMPLE]) == 1
    err = capsys.readouterr().err
    assert err == (
        "roadmap-sync: cannot reach http://127.0.0.1:9: connection refused; "
        "check ROADMAP_SYNC_JIRA_URL\n"
    )
    assert "Traceback" not in err and "tok-unreachable-123" not in err


def test_unreachable_site_is_not_retried() -> None:
    """A refused connection cannot heal in seconds: no retry ladder, one error at once."""
    configure_logging("debug")
    options = ConnectOptions("http://127.0.0.1:9", None, "t", RetryPolicy(attempts=6))
    with capture_logs() as events, pytest.raises(TrackerUnreachableError) as raised:
        connect(options)
    assert str(raised.value) == "cannot reach http://127.0.0.1:9: connection refused"
    assert [e for e in events if "retry" in e["event"]] == []


def test_retries_are_logged_as_our_own_events() -> None:
    """A retried 503 is logged once as ``retry_scheduled`` (not stamina's raw line)."""
    configure_logging("debug")
    with SandboxServer(site_data(), flavor="datacenter") as site:
        fault = {"endpoint": "meta", "kind": "error", "status": 503, "times": 1}
        requests.post(f"{site.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
        policy = RetryPolicy(attempts=3, backoff_initial=0.01, backoff_max=0.01)
        with capture_logs() as events:
            connect(ConnectOptions(site.url, None, site.token, policy))
    retries = [e for e in events if "retry" in e["event"]]
    assert [e["event"] for e in retries] == ["retry_scheduled"]
    assert retries[0]["attempt"] == 1 and retries[0]["error"] == "HTTPError"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("acme.atlassian.net", "has no scheme: did you mean https://acme.atlassian.net?"),
        ("htps://acme.atlassian.net", "the scheme must be https:// (or http://), not htps://"),
    ],
)
def test_jira_url_mistakes_are_exit_2_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    """A URL no request could work with is a configuration error that suggests the fix."""
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_URL", url)
    monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", "t")
    assert main(["check", "--config", EXAMPLE]) == 2
    err = capsys.readouterr().err
    assert f"ROADMAP_SYNC_JIRA_URL {url!r}" in err and message in err


def test_unreachable_state_store_is_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state store that cannot be opened: exit 1 and the URL with its password masked."""
    monkeypatch.setenv(
        "ROADMAP_SYNC_STATE_URL",
        "postgresql://bot:pw-secret-99@127.0.0.1:1/state?connect_timeout=2",
    )
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert "cannot open state store" in err
    assert "pw-secret-99" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ROADMAP_SYNC_TIMEZONE", "Mars/Olympus"),
        ("ROADMAP_SYNC_REPORT_CRON", "every monday"),
        ("ROADMAP_SYNC_LOG_LEVEL", "chatty"),
        ("ROADMAP_SYNC_HTTP_PORT", "http"),
    ],
)
def test_bad_settings_are_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    """An invalid setting is named by its environment variable at start-up with exit 2."""
    monkeypatch.setenv(variable, value)
    assert main(["history"]) == 2
    assert variable in capsys.readouterr().err


def test_apply_off_terminal_without_yes_touches_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``apply`` with no terminal and no --yes is exit 2 before any request reaches Jira."""
    with SandboxServer(site_data(), flavor="datacenter") as site:
        monkeypatch.setenv("ROADMAP_SYNC_JIRA_URL", site.url)
        monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", site.token)
        assert main(["apply", "--config", EXAMPLE]) == 2
        tally = requests.get(f"{site.url}/_sandbox/requests", timeout=5).json()["requests"]
        assert tally == {}


def test_delivery_settings_errors_hide_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid mail settings are exit 2, and the message never echoes the SMTP password."""
    with SandboxServer(site_data(), flavor="datacenter") as site:
        monkeypatch.setenv("ROADMAP_SYNC_JIRA_URL", site.url)
        monkeypatch.setenv("ROADMAP_SYNC_JIRA_TOKEN", site.token)
        assert main(["run", "--once", "--force", "--config", EXAMPLE]) == 0
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_TO": "po@example.com",
        "SMTP_FROM": "bot@example.com",
        "SMTP_USERNAME": "bot",
        "SMTP_PASSWORD": "smtp-pw-very-secret",
        "SMTP_MODE": "plain",
    }.items():
        monkeypatch.setenv(f"ROADMAP_SYNC_{name}", value)
    capsys.readouterr()
    assert main(["report", "--deliver", "--config", EXAMPLE]) == 2
    captured = capsys.readouterr()
    assert "invalid delivery settings" in captured.err
    assert "smtp-pw-very-secret" not in captured.out + captured.err


def test_errors_print_brackets_verbatim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text from the user's file is printed as written, never read as console markup."""
    roadmap = tmp_path / "brackets.yaml"
    roadmap.write_text(
        'product: "[/red] shop"\ntracker: {projects: [ACME]}\nreleases:\n'
        '  - {id: "[/red]", name: "[bold]", date: 2026-11-15, goal: "[/]", features: "x"}\n'
    )
    assert main(["check", "--config", str(roadmap)]) == 2
    err = capsys.readouterr().err
    assert "releases[0].id: '[/red]' is not a release id" in err
    assert "releases[0].features: expected a list, e.g. [A, B]" in err
