"""Webhook parsing, verification and debouncing, without a worker process."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import pytest

from roadmap_sync.core.records import AuditRow
from roadmap_sync.core.revert import inverse_changes
from roadmap_sync.worker.webhooks import (
    Debouncer,
    IssueEvent,
    VersionEvent,
    parse_event,
    verify,
)
from tests.conftest import REPO

BOT = "5b10ac8d82e05b22cc7d4ef5"
PERSON = "5b10ac8d82e05b22cc7d4ef7"


def payload(items: list[dict[str, object]], event: str = "jira:issue_updated") -> bytes:
    """A Jira webhook body for ACME-7."""
    return json.dumps(
        {
            "webhookEvent": event,
            "issue": {"key": "ACME-7", "fields": {"project": {"key": "ACME"}}},
            "changelog": {"items": items},
        }
    ).encode()


def labels_item(before: str, after: str) -> dict[str, object]:
    """A changelog item for labels, as Jira writes it (space-separated strings)."""
    return {"field": "labels", "fromString": before, "toString": after}


def owned(label: str) -> bool:
    """The default bot prefix."""
    return label.startswith("roadmap-") and label != "roadmap-ignore"


@pytest.mark.parametrize(
    ("items", "only_bot"),
    [
        ([labels_item("ux", "roadmap-r1 ux")], True),
        ([labels_item("roadmap-r1 ux", "roadmap-r2 ux")], True),
        ([labels_item("ux", "ux vip")], False),
        ([labels_item("ux", "roadmap-ignore ux")], False),
        ([labels_item("", "roadmap-r1"), {"field": "Fix Version", "toString": "2026.12"}], False),
        ([{"field": "parent", "toString": "ACME-3"}], False),
        ([], False),
    ],
)
def test_bot_label_echoes_are_recognised(items: list[dict[str, object]], only_bot: bool) -> None:
    """An update that only changed bot labels is the bot's own echo; anything else is not."""
    event = parse_event(payload(items))
    assert event is not None and event.key == "ACME-7" and event.project == "ACME"
    assert event.only_touches(owned) is only_bot


@pytest.mark.parametrize(
    ("name", "fields", "labels"),
    [
        ("cloud-labels.json", ("labels",), {"roadmap-orphan"}),
        ("cloud-fix-version.json", ("fixVersions", "fixVersions"), set()),
        ("cloud-epic-link.json", ("customfield_10014", "IssueParentAssociation"), set()),
    ],
)
def test_documented_cloud_payloads_parse(
    name: str, fields: tuple[str, ...], labels: set[str]
) -> None:
    """The payloads of tests/webhooks/ name the issue, the fields by id, labels and the actor."""
    event = parse_event((REPO / "tests" / "webhooks" / name).read_bytes())
    assert isinstance(event, IssueEvent)
    assert event.project == "ACME" and event.issue_id
    assert event.changed_fields == fields
    assert event.labels_changed == labels
    assert event.actor == {PERSON}
    assert not event.is_echo(owned, BOT), "a person's edit is never the bot's echo"


def test_owned_label_edits_are_echoes_only_when_the_bot_made_them() -> None:
    """The same owned-label change is an echo from the bot, and a re-sync from a person."""
    body = json.loads(payload([labels_item("ux", "roadmap-r1 ux")]))
    for actor, echo in ((BOT, True), (PERSON, False)):
        body["user"] = {"accountId": actor}
        event = parse_event(json.dumps(body).encode())
        assert isinstance(event, IssueEvent)
        assert event.is_echo(owned, BOT) is echo


def test_deleted_and_version_events_parse() -> None:
    """issue_deleted is recognised; version events carry the version's id, name and project."""
    deleted = parse_event(payload([], event="jira:issue_deleted"))
    assert isinstance(deleted, IssueEvent) and deleted.deleted
    version = parse_event(
        json.dumps(
            {
                "webhookEvent": "jira:version_updated",
                "version": {"id": "10202", "name": "2026.12.1", "projectId": 10000},
            }
        ).encode()
    )
    assert version == VersionEvent("jira:version_updated", "10202", "2026.12.1", "10000")
    assert version.kind == "updated"
    assert parse_event(b'{"webhookEvent": "jira:version_deleted", "version": {}}') is None


def test_unhandled_events_and_garbage_are_ignored() -> None:
    """Other events and malformed bodies parse to nothing rather than raising."""
    assert parse_event(payload([], event="comment_created")) is None
    assert parse_event(b"not json") is None
    assert parse_event(b'{"webhookEvent": "jira:issue_updated"}') is None


def test_verify_signature_and_token() -> None:
    """The HMAC-SHA256 signature or the URL token must match the secret exactly."""
    body = b'{"x": 1}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert verify("s3cret", body, good, None)
    assert not verify("s3cret", body + b" ", good, None)
    assert not verify("s3cret", body, "sha256=" + "0" * 64, None)
    assert verify("s3cret", body, None, "s3cret")
    assert not verify("s3cret", body, None, "s3cre")
    assert not verify("s3cret", body, None, None)


def test_debouncer_batches_a_burst_and_caps_the_wait() -> None:
    """Keys arriving in a burst flush once; a steady stream still flushes within the cap."""
    flushed: list[frozenset[str]] = []
    done = threading.Event()

    def flush(keys: frozenset[str]) -> None:
        flushed.append(keys)
        done.set()

    debouncer = Debouncer(0.05, flush)
    started = time.monotonic()
    while time.monotonic() - started < 1.0 and not done.is_set():
        debouncer.add(f"ACME-{len(flushed) + int((time.monotonic() - started) * 100)}")
        time.sleep(0.01)  # faster than the quiet period: only the cap can end the wait
    assert done.wait(2)
    assert time.monotonic() - started < 1.0, "the cap (10 x delay) flushed a steady stream"
    assert len(flushed[0]) > 1
    debouncer.cancel()


def test_revert_leaves_opted_out_and_vanished_issues_alone() -> None:
    """Reverting skips opted-out, vanished and untouched issues; undoes what took effect."""
    rows = [
        AuditRow(1, "ACME-1", ("roadmap-r1",), (), (), ("roadmap-r1",), True),
        AuditRow(1, "ACME-2", ("roadmap-r1",), (), (), ("roadmap-r1",), True),
        AuditRow(1, "ACME-3", ("roadmap-r1",), (), (), ("roadmap-r1",), True),
        # A failed write records what took effect: here nothing, so nothing to undo.
        AuditRow(1, "ACME-4", (), (), ("ux",), ("ux",), False, "500"),
    ]
    current = {
        "ACME-1": ("roadmap-r1", "ux"),
        "ACME-2": ("roadmap-ignore", "roadmap-r1"),
        "ACME-4": ("roadmap-r2",),
    }
    plan = inverse_changes(rows, current, "roadmap-ignore")
    assert [(c.key, c.add, c.remove) for c in plan.changes] == [("ACME-1", (), ("roadmap-r1",))]
