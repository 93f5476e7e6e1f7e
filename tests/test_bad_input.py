"""Every bad input is a located error and exit 2, before a single request reaches Jira.

Settings name their environment variable (and what is allowed); roadmap files their file, line
and column; nothing crashes with a traceback, whatever the bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from roadmap_sync.cli import main
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import REPO, point_cli_at, site_data

MINIMAL = (REPO / "config" / "roadmap.minimal.yaml").read_text()
EXAMPLE = str(REPO / "config" / "roadmap.example.yaml")


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox the bot is pointed at, whose request tally proves it was never asked."""
    monkeypatch.setenv("COLUMNS", "200")
    with SandboxServer(site_data(60), flavor="datacenter") as server:
        point_cli_at(server, monkeypatch, tmp_path)
        yield server


def untouched(site: SandboxServer) -> bool:
    """Whether no REST request reached the sandbox."""
    return requests.get(f"{site.url}/_sandbox/requests", timeout=5).json()["requests"] == {}


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ROADMAP_SYNC_REQUEST_TIMEOUT", "inf", "finite number"),
        ("ROADMAP_SYNC_REQUEST_TIMEOUT", "nan", "finite number"),
        ("ROADMAP_SYNC_REQUEST_TIMEOUT", "1e300", "less than or equal to 3600"),
        ("ROADMAP_SYNC_MAX_RETRY_WAIT", "-1", "greater than 0"),
        ("ROADMAP_SYNC_RETRY_ATTEMPTS", "0", "greater than or equal to 1"),
        ("ROADMAP_SYNC_JIRA_CONCURRENCY", "1000", "less than or equal to 32"),
        ("ROADMAP_SYNC_REPORT_CRON", "61 * * * *", "maximum value (59)"),
        ("ROADMAP_SYNC_SYNC_CRON", "0 8 * * funday", "weekday"),
        ("ROADMAP_SYNC_SYNC_CRON", "0 0 31 2 *", "never fires"),
        ("ROADMAP_SYNC_STATE_URL", "not a database", "not a database URL"),
        ("ROADMAP_SYNC_STATE_URL", "mysql://u:pw-x@h/db", "unsupported database 'mysql'"),
        ("ROADMAP_SYNC_LOG_LEVEL", "chatty", "'debug', 'info', 'warning' or 'error'"),
        ("ROADMAP_SYNC_HTTP_PORT", "70000", "less than or equal to 65535"),
        ("ROADMAP_SYNC_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("ROADMAP_SYNC_JIRA_URL", "https://" + "a" * 5000, "at most 4096 characters"),
        ("ROADMAP_SYNC_WRITE_FAILURE_LIMIT", "-5", "greater than or equal to 1"),
        ("ROADMAP_SYNC_WEBHOOK_SECRET", "line\nbreak", "control character"),
    ],
)
def test_bad_setting_is_named_with_exit_2(
    site: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    expected: str,
) -> None:
    """The variable, the problem and what is allowed; no traceback, no secret, no request."""
    monkeypatch.setenv(variable, value)
    assert main(["run", "--once", "--force", "--config", EXAMPLE]) == 2
    err = capsys.readouterr().err
    assert f"{variable}: " in err and expected in err, err
    assert "Traceback" not in err and "pw-x" not in err and "line\nbreak" not in err
    assert untouched(site)


def test_serve_refuses_bad_delivery_settings_at_start(
    site: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``serve`` with ROADMAP_SYNC_SMTP_MODE=tls exits 2 at once, naming the allowed modes."""
    monkeypatch.setenv("ROADMAP_SYNC_SMTP_MODE", "tls")
    assert main(["serve", "--config", EXAMPLE]) == 2
    err = capsys.readouterr().err
    assert "ROADMAP_SYNC_SMTP_MODE" in err and "'plain', 'starttls' or 'smtps'" in err
    assert untouched(site)


def test_unwritable_data_directory_is_exit_2_before_jira(
    site: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A data directory that cannot be created is a configuration error found before Jira."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ROADMAP_SYNC_DATA_DIR", str(blocker / "data"))
    assert main(["run", "--once", "--force", "--config", EXAMPLE]) == 2
    assert "cannot open state store" in capsys.readouterr().err
    assert untouched(site)


@pytest.mark.parametrize("value", ["-5", "0", "lots"])
@pytest.mark.parametrize(
    ("command", "option"),
    [("history", "--limit"), ("suggest", "--top"), ("demo", "--issues")],
)
def test_counts_must_be_positive(
    site: SandboxServer,
    capsys: pytest.CaptureFixture[str],
    command: str,
    option: str,
    value: str,
) -> None:
    """``history --limit -5``, ``suggest --top 0``: a usage error (exit 2), never a quiet cut."""
    with pytest.raises(SystemExit) as raised:
        main([command, option, value])
    assert raised.value.code == 2
    assert option in capsys.readouterr().err
    assert untouched(site)


def test_misspelt_variable_is_warned_with_a_suggestion(
    site: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ROADMAP_SYNC_SYNC_CRONN is ignored with a warning that names ROADMAP_SYNC_SYNC_CRON."""
    monkeypatch.setenv("ROADMAP_SYNC_SYNC_CRONN", "0 * * * *")
    monkeypatch.setenv("ROADMAP_SYNC_SMTP_HOTS", "mail")
    assert main(["history"]) == 0
    err = capsys.readouterr().err
    assert "ROADMAP_SYNC_SYNC_CRONN" in err and "did you mean ROADMAP_SYNC_SYNC_CRON?" in err
    assert "did you mean ROADMAP_SYNC_SMTP_HOST?" in err


def roadmap_with(product: str = "Acme", goal: str = "Sell more", extra: str = "") -> str:
    """The minimal roadmap with a product, the first release's goal, and extra keys."""
    text = MINIMAL
    text = _replace_value(text, "product:", product)
    text = _replace_value(text, "goal:", goal)
    return text + extra


def _replace_value(text: str, key: str, value: str) -> str:
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.strip().startswith(key) or line.strip().startswith("- " + key):
            head = line[: line.index(key) + len(key)]
            lines[n] = f"{head} {value}"
            return "\n".join(lines) + "\n"
    raise AssertionError(f"{key} not in the minimal roadmap")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"product: " + b"[" * 5000, "roadmap.yaml:1:"),
        (b"product: " + b"[" * 5000, "nested more than 32 levels"),
        (roadmap_with().encode().replace(b"Acme", b"Ac\x00me"), "U+0000"),
        (roadmap_with().encode().replace(b"Acme", b"Ac\x1bme"), "U+001B"),
        (roadmap_with(product='"Ac\\x01me"').encode(), "product: contains the control"),
        (roadmap_with(product="P" * 300).encode(), "product: is 300 characters long"),
        (roadmap_with(goal="G" * 3000).encode(), "goal: is 3,000 characters long"),
        (b"product: " + b"x" * 2_000_000, "a roadmap may have at most 1,000,000"),
        (roadmap_with(extra="labels: {prefix: road}\n").encode(), "must end in a separator"),
        ("product: Acme\n".encode("utf-16"), "not UTF-8 text"),
    ],
)
def test_bad_roadmap_is_located_with_exit_2(
    site: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    expected: str,
) -> None:
    """Deep nesting, NUL and control characters, over-long text: file:line:col, exit 2."""
    path = tmp_path / "roadmap.yaml"
    path.write_bytes(content)
    assert main(["run", "--once", "--force", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err and len(err) < 5_000
    assert untouched(site)
