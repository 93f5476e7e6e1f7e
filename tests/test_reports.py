"""Tests for the report model and its Markdown, JSON and HTML renderings (HTML in real Chromium)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from itertools import cycle
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from roadmap_sync.core.drift import Drift, compute_drift
from roadmap_sync.core.model import Finding, FindingKind, Verdict
from roadmap_sync.core.records import ItemSnapshot, Snapshot
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.jql.parser import parse as parse_jql
from roadmap_sync.reports.html import render_html, render_roadmap_html
from roadmap_sync.reports.json_report import SCHEMA, render_json
from roadmap_sync.reports.markdown import render_markdown, render_roadmap_markdown
from roadmap_sync.reports.model import LIST_CAP, Link, Report, build_report, jql_value
from roadmap_sync.reports.outlook_view import OutlookInput
from tests.conftest import REPO, require

A, OOS, ORPHAN, IGNORED = Verdict.ALIGNED, Verdict.OUT_OF_SCOPE, Verdict.ORPHAN, Verdict.IGNORED
SITE = "https://acme.example.net"
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
TRICKY = 'Fix | pipes, <script>alert("x")</script> & *stars* in [brackets]'


def make_roadmap() -> Roadmap:
    """The Acme roadmap: four releases with goals and metrics, one already past due."""
    return Roadmap.model_validate(
        {
            "product": "Acme Web Shop",
            "tracker": {"projects": ["ACME"]},
            "releases": [
                {"id": "r1", "name": "Checkout that converts", "date": "2026-11-15",
                 "goal": "Turn more first-time visitors into buyers",
                 "metrics": ["Checkout conversion 2.1% → 3%", "Cart abandonment below 60%"],
                 "fix_versions": ["2026.11"], "features": [
                     {"name": "Guest checkout", "epics": ["ACME-1"]},
                     {"name": "Address autocomplete", "epics": ["ACME-2"]}]},
                {"id": "r2", "name": "Come back", "date": "2026-12-15",
                 "goal": "Bring buyers back within 30 days",
                 "metrics": ["30-day return rate 18% → 25%"], "fix_versions": ["2026.12"],
                 "features": [
                     {"name": "Social sign-in", "epics": ["ACME-3"]},
                     {"name": "Wish lists", "epics": ["ACME-4"]},
                     {"name": "Price-drop alerts", "epics": ["ACME-5"]}]},
                {"id": "r3", "name": "Loyalty", "timeframe": "2027-Q1",
                 "goal": "Reward repeat buyers", "metrics": ["Repeat purchases 22% → 30%"],
                 "fix_versions": ["2027.02"], "features": [
                     {"name": "Points programme", "epics": ["ACME-6"]},
                     {"name": "Member prices", "epics": ["ACME-7"]}]},
                {"id": "r4", "name": "Store pickup", "timeframe": "2027-Q2",
                 "goal": "Let buyers collect in store", "metrics": ["10% of orders picked up"],
                 "label": "roadmap-pickup", "features": [
                     {"name": "Pickup slots", "epics": ["ACME-8"]}]},
            ],
        }
    )  # fmt: skip


ROADMAP = make_roadmap()


def row(
    key: str,
    release: str | None,
    verdict: Verdict = A,
    *,
    done: bool = False,
    points: float | None = 3.0,
    summary: str = "",
) -> ItemSnapshot:
    """An item in `release`: planned when aligned or ignored, scheduled when out of scope."""
    planned = release if verdict in (A, IGNORED) else None
    return ItemSnapshot(
        key=key,
        summary=summary or f"Story {key}",
        issue_type="Story",
        hierarchy_level=0,
        status="Done" if done else "In Progress",
        done=done,
        parent=None,
        planned_release=planned,
        scheduled_release=release if verdict is OOS else None,
        verdict=verdict,
        warnings=(),
        owned_labels=(),
        story_points=points,
    )


def drift_of(
    before: Sequence[ItemSnapshot] | None,
    after: Sequence[ItemSnapshot],
    findings: Sequence[Finding] = (),
    history: Sequence[tuple[dt.datetime, float]] = (),
) -> Drift:
    """The drift between two snapshots a week apart (None: first report)."""
    previous = None if before is None else Snapshot(41, "acme", NOW - WEEK, tuple(before))
    current = Snapshot(42, "acme", NOW, tuple(after), tuple(findings))
    return compute_drift(previous, current, ROADMAP, alignment_history=history, today=TODAY)


def report_of(drift: Drift) -> Report:
    """The report of a drift, on the Acme site."""
    generated = NOW + dt.timedelta(minutes=5)
    return build_report(drift, ROADMAP, site_url=SITE + "/", generated_at=generated, since=None)


def crafted_report() -> Report:
    """Small and exact: moves, a removal, a cleared orphan, a tricky summary, 30 new orphans."""
    before = [
        row("ACME-11", "r1"),
        row("ACME-12", "r1"),
        row("ACME-13", "r2"),
        row("ACME-14", None, ORPHAN),
        row("ACME-15", "r2", OOS),
    ]
    after = [
        row("ACME-11", "r1", done=True),
        row("ACME-13", "r3"),
        row("ACME-16", "r1", summary=TRICKY),
        row("ACME-14", "r2"),
        row("ACME-15", "r2", OOS),
        *(row(f"ACME-{n}", None, ORPHAN) for n in range(100, 130)),
    ]
    findings = [Finding(FindingKind.UNCOVERED_FEATURE, "r2", "Price-drop alerts", "none")]
    return report_of(drift_of(before, after, findings, [(NOW - 2 * WEEK, 0.5)]))


# --- a realistic week, for the HTML report and the example screenshot --------------------------

STORIES = {
    "r1": ["Guest checkout without an account", "Address autocomplete on delivery form",
           "Show delivery estimate in the cart", "Remember the last payment method",
           "Apple Pay and Google Pay at checkout", "Validate postcodes as you type",
           "Fix double charge on payment retry", "One-page checkout layout",
           "Inline errors on the card form", "Save address for next time"],
    "r2": ["Sign in with Google", "Sign in with Apple", "Share a wish list by link",
           "Move cart items to the wish list", "Email when a saved item drops in price",
           "Weekly digest of wish-list prices", "Merge guest orders into new accounts"],
    "r3": ["Points balance in the header", "Redeem points at checkout",
           "Member price badge on product tiles", "Points history page",
           "Birthday bonus points"],
    "r4": ["Choose a pickup store", "Pickup slot calendar", "Ready-for-pickup notification"],
}  # fmt: skip
STRAYS = ["Upgrade the logging library", "Dark mode for the admin console",
          "Migrate CI to the new runners", "Refactor search indexing",
          "A/B test the homepage hero", "Rewrite the promo banner service",
          "Translate checkout into Dutch", "Improve image CDN caching"]  # fmt: skip
POINTS = cycle([3.0, 5.0, 2.0, 8.0, 3.0, 1.0, 5.0, 13.0, 2.0])


def realistic_week() -> tuple[list[ItemSnapshot], list[ItemSnapshot], list[Finding]]:
    """A backlog of ~120 items, and the same backlog a week later after a typical week."""
    sizes = {"r1": (40, 24), "r2": (32, 4), "r3": (22, 0), "r4": (9, 0)}  # items, done
    before: dict[str, ItemSnapshot] = {}
    number = 20
    for release, (count, done) in sizes.items():
        for n, summary in zip(range(count), cycle(STORIES[release]), strict=False):
            number += 1
            verdict = OOS if n % 7 == 6 else A
            text = STRAYS[n % len(STRAYS)] if verdict is OOS else summary
            key = f"ACME-{number}"
            before[key] = row(
                key, release, verdict, done=n < done, points=next(POINTS), summary=text
            )
    claimable = ["Remember me on the sign-in page", "Trust badges next to the pay button",
                 "Wish-list icon in the header"]  # fmt: skip
    for n in range(12):
        number += 1
        key = f"ACME-{number}"
        verdict = IGNORED if n % 4 == 3 else ORPHAN
        home = "r2" if verdict is IGNORED else None
        text = claimable[n] if n < len(claimable) else STRAYS[n % len(STRAYS)]
        before[key] = row(key, home, verdict, points=next(POINTS), summary=text)
    after = dict(before)
    for key in ("ACME-30", "ACME-85", "ACME-90"):  # deleted or moved to another project
        del after[key]
    for key in ("ACME-79", "ACME-80", "ACME-82", "ACME-83"):  # deferred from r2 to r3
        after[key] = row(key, "r3", points=before[key].story_points, summary=before[key].summary)
    for key, claimed in (("ACME-124", "r2"), ("ACME-125", "r1"), ("ACME-126", "r2")):
        after[key] = row(key, claimed, summary=before[key].summary)  # orphans claimed
    for key in ("ACME-45", "ACME-46", "ACME-47", "ACME-48", "ACME-49", "ACME-50"):
        after[key] = row(key, "r1", done=True, points=before[key].story_points,
                         summary=before[key].summary)  # fmt: skip
    after["ACME-70"] = row("ACME-70", "r2", OOS, summary="Rework the wish-list storage layer")
    new = [("r1", A, "Retry payment after a 3-D Secure timeout"),
           ("r2", A, "Wish-list button on product tiles"),
           ("r4", A, "Pickup store opening hours"),
           ("r2", OOS, "Replace the recommendations engine"),
           (None, ORPHAN, "Holiday snowfall animation"),
           (None, ORPHAN, "Export orders to the old ERP")]  # fmt: skip
    for target, verdict, summary in new:
        number += 1
        key = f"ACME-{number}"
        after[key] = row(key, target, verdict, points=next(POINTS), summary=summary)
    findings = [
        Finding(FindingKind.UNCOVERED_FEATURE, "r2", "Price-drop alerts", "no item"),
        Finding(FindingKind.UNCOVERED_FEATURE, "r4", "Pickup slots", "no item"),
        Finding(FindingKind.OVERDUE_RELEASE, "r1", "r1", "due 2026-11-15"),
    ]
    return list(before.values()), list(after.values()), findings


def forecast_of(p50: str, p85: str, p95: str, chance: float, cut: list[str]) -> dict[str, Any]:
    """A recorded forecast."""
    basis = {"weeks": 12, "throughput_per_week": 9.5, "scope_growth": 1.2}
    return {"p50": p50, "p85": p85, "p95": p95, "probability_on_time": chance,
            "cut_line": cut, "basis": basis}  # fmt: skip


def outlook_of(release: str, forecast: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """A recorded release outlook: a forecast, a baseline two weeks old, metrics."""
    baseline = {
        "at": (NOW - 2 * WEEK).isoformat(), "items": 30, "points": 96.0,
        "added": {"items": 3, "points": 8.0}, "removed": {"items": 1, "points": 2.0},
        "moved_in": {"items": 4, "points": 13.0}, "moved_out": {"items": 2, "points": 5.0},
        "growth": 0.1333,
    }  # fmt: skip
    changes = {
        "items_now": 34, "points_now": 110.0, "redated": None, "unplanned_share": 0.2059,
        "frozen": False,
        "changes": [{"key": "ACME-79", "kind": "moved_in", "points": 3.0,
                     "at": (NOW - WEEK).isoformat(), "who": "Dana Product"}],
    }  # fmt: skip
    return {
        "scope": {"items": 34, "open_items": 20, "done_items": 14, "points": 110.0},
        "forecast": forecast,
        "forecast_reason": None if forecast else "done: no open work",
        "baseline": baseline, "baseline_reason": None, "scope_changes": changes,
        "metrics": [], "goal_met": None, "features": [], **more,
    }  # fmt: skip


def realistic_outlook() -> OutlookInput:
    """Forecasts, baselines and metrics recorded with the realistic week's run."""
    conversion = {
        "name": "Checkout conversion 2.1% → 3%", "status": "on_track", "trend": "up",
        "target": {"value": 3.0, "unit": "%", "direction": "up"},
        "latest": {"value": 2.6, "at": "2026-11-20"}, "baseline": 2.1, "review": None,
        "source": "manual",
    }  # fmt: skip
    pending = {**conversion, "name": "30-day return rate 18% → 25%", "status": "pending",
               "latest": None, "trend": None}  # fmt: skip
    features = [
        {"name": "Guest checkout", "items": 18, "done": 12, "flagged": 1},
        {"name": "Address autocomplete", "items": 20, "done": 11, "flagged": 0},
    ]
    current = {
        "r1": outlook_of("r1", forecast_of("2026-12-07", "2026-12-14", "2026-12-21", 0.0,
                                           ["Guest checkout"]),
                         metrics=[conversion], features=features),
        "r2": outlook_of("r2", forecast_of("2026-12-20", "2027-01-03", "2027-01-10", 0.41,
                                           ["Social sign-in", "Wish lists"]),
                         metrics=[pending]),
        "r3": outlook_of("r3", forecast_of("2027-02-01", "2027-02-22", "2027-03-01", 0.93,
                                           ["Points programme", "Member prices"])),
        "r4": outlook_of("r4", None),
    }  # fmt: skip
    previous = {"r2": {"forecast": {"probability_on_time": 0.55}}}
    scope = [(NOW - 2 * WEEK, 30, 9), (NOW - WEEK, 33, 11), (NOW, 34, 14)]
    history = {
        rid: [(at, {"scope": {"items": items, "done_items": done}}) for at, items, done in scope]
        for rid in current
    }
    return OutlookInput(current=current, previous=previous, history=history, threshold=0.7)


def realistic_report() -> Report:
    """The report of the realistic week, with ten weeks of alignment history and an outlook."""
    before, after, findings = realistic_week()
    previous = Snapshot(41, "acme", NOW - WEEK, tuple(before)).alignment()
    assert previous is not None
    scores = [0.52, 0.55, 0.54, 0.6, 0.63, 0.61, 0.66, 0.69, previous]
    history = [(NOW - (len(scores) - n) * WEEK, s) for n, s in enumerate(scores)]
    drift = drift_of(before, after, findings, history)
    generated = NOW + dt.timedelta(minutes=5)
    return build_report(
        drift, ROADMAP, site_url=SITE + "/", generated_at=generated, since=None,
        outlook=realistic_outlook(),
    )  # fmt: skip


# --- the report model ---------------------------------------------------------------------------


def jql_of(link: Link) -> str:
    """The JQL of a Jira search link."""
    parts = urlsplit(link.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{SITE}/issues/"
    return parse_qs(parts.query)["jql"][0]


def every_search(report: Report) -> Iterator[Link]:
    """Every Jira search link in a report."""
    yield from (flag.search for flag in report.flags)
    for section in report.releases:
        if section.search:
            yield section.search
        yield from (flag.search for flag in section.flags)
        yield from (items.search for items in section.lists if items.search)
    if report.moves.search:
        yield report.moves.search


@pytest.mark.parametrize(
    ("value", "operand"),
    [
        ("roadmap-r1", "roadmap-r1"),
        ("ACME-12", "ACME-12"),
        ("ACME", '"ACME"'),  # all letters: could be one of Jira's reserved words
        ("order", '"order"'),
        ("2026.11", '"2026.11"'),  # all digits: Jira would read a version id
        ("Release 1", '"Release 1"'),
        ('say "hi"\\', '"say \\"hi\\"\\\\"'),
        ("-x", '"-x"'),
    ],
)
def test_jql_values_quoted_when_needed(value: str, operand: str) -> None:
    """Keys and prefixed labels stay bare; words, numbers and odd characters get quotes."""
    assert jql_value(value) == operand


def test_release_and_flag_searches() -> None:
    """Sections and flags link to Jira searches by the labels the bot writes."""
    report = crafted_report()
    r1, r2, r4, unplanned = (report.releases[i] for i in (0, 1, 3, 4))
    assert r1.search is not None and r4.search is not None
    assert jql_of(r1.search) == 'project = "ACME" AND labels = roadmap-r1'
    assert jql_of(r4.search) == 'project = "ACME" AND labels = roadmap-pickup'
    assert [jql_of(flag.search) for flag in report.flags] == [
        'project = "ACME" AND labels = roadmap-orphan',
        'project = "ACME" AND labels = roadmap-out-of-scope',
    ]
    assert [(flag.title, jql_of(flag.search)) for flag in r2.flags] == [
        (
            "Out of scope",
            'project = "ACME" AND labels = roadmap-out-of-scope AND '
            '(labels = roadmap-r2 OR fixVersion = "2026.12")',
        )
    ]
    assert [(flag.title, flag.count, flag.before) for flag in unplanned.flags] == [
        ("Orphans", 30, 1)
    ]
    assert jql_of(unplanned.flags[0].search) == 'project = "ACME" AND labels = roadmap-orphan'


def test_every_search_is_valid_jql() -> None:
    """Jira's grammar (the sandbox's parser) accepts every search the report links to."""
    for report in (crafted_report(), realistic_report()):
        for link in every_search(report):
            parse_jql(jql_of(link))


def test_items_link_to_jira() -> None:
    """Every listed item links to {site}/browse/{key}."""
    report = crafted_report()
    lines = [line for s in report.releases for items in s.lists for line in items.items]
    assert lines
    assert all(line.url == f"{SITE}/browse/{line.key}" for line in lines)


def test_long_lists_capped_with_search_for_all() -> None:
    """A list longer than the cap shows LIST_CAP items, counts the rest, links to all."""
    entered = crafted_report().releases[4].entered
    assert (entered.total, len(entered.items), entered.more) == (30, LIST_CAP, 30 - LIST_CAP)
    assert entered.search is not None
    keys = ", ".join(f"ACME-{n}" for n in range(100, 130))
    assert jql_of(entered.search) == f"key in ({keys})"


def test_removed_items_left_out_of_key_search() -> None:
    """Jira rejects searches naming deleted keys, so items that left the backlog are not named."""
    r1 = crafted_report().releases[0]
    assert [(line.key, line.note) for line in r1.left.items] == [("ACME-12", "left the backlog")]
    assert r1.left.search is None
    r2_left = crafted_report().releases[1].left
    assert [(line.key, line.note) for line in r2_left.items] == [("ACME-13", "to Loyalty")]
    assert r2_left.search is not None and jql_of(r2_left.search) == "key = ACME-13"


def test_notes_say_why_an_item_is_listed() -> None:
    """Notes name where an item came from or went, and what a cleared flag became."""
    report = crafted_report()
    r2, unplanned = report.releases[1], report.releases[4]
    assert [(line.key, line.note) for line in r2.entered.items] == [("ACME-14", "from Unplanned")]
    assert [(line.key, line.note) for line in unplanned.cleared.items] == [
        ("ACME-14", "was orphan, now aligned")
    ]
    assert [(line.key, line.note) for line in report.moves.items] == [
        ("ACME-13", "Come back → Loyalty"),
        ("ACME-14", "Unplanned → Come back"),
    ]


def test_report_header_and_highlights() -> None:
    """Since defaults to the previous run; highlights sum up the week in sentences."""
    report = crafted_report()
    assert report.since == NOW - WEEK
    assert report.site_url == SITE
    assert report.highlights == (
        "31 new items, 1 left the backlog, 2 items moved between releases.",
        "30 items newly flagged, 1 cleared.",
        "Checkout that converts is overdue: due 2026-11-15, 1 open item.",
        "1 roadmap feature without any backlog item.",
    )


def test_first_report_has_no_previous_values() -> None:
    """The first report lists everything as entered and has no deltas."""
    report = report_of(drift_of(None, [row("ACME-1", "r1"), row("ACME-2", None, ORPHAN)]))
    assert report.first and report.since is None
    assert report.highlights[0] == "First report: 2 items traced to the roadmap."
    assert report.alignment.previous is None and report.alignment.delta is None
    assert all(flag.before is None for flag in report.flags)
    assert report.releases[0].items_before is None


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_content_and_links() -> None:
    """Headings, per-release pipe tables, [KEY](url) links and search links."""
    text = render_markdown(crafted_report())
    assert text.startswith("# Acme Web Shop: roadmap drift\n")
    assert "## Releases" in text
    assert "### Checkout that converts · 2026-11-15 · ⚠ OVERDUE" in text
    assert "| Items | 2 | ±0 |" in text  # r1 lost ACME-12 and gained ACME-16
    assert f"[ACME-14]({SITE}/browse/ACME-14)" in text
    assert "**Alignment 9%** (-51 pts)" in text  # 3 of 34 open items planned, was 3 of 5
    assert "labels%20%3D%20roadmap-orphan" in text
    assert f"- … and 5 more: [Open all 30 in Jira]({SITE}/issues/?jql=key%20in%20%28" in text
    assert "**Features with no backlog item:** Price-drop alerts" in text


def test_markdown_has_no_html_and_escapes_summaries() -> None:
    """No raw HTML; Markdown's special characters in summaries are escaped."""
    text = render_markdown(crafted_report())
    assert re.search(r"(?<!\\)<", text) is None
    assert "Fix \\| pipes, \\<script\\>" in text
    assert "\\*stars\\* in \\[brackets\\]" in text


def test_markdown_tables_are_well_formed() -> None:
    """Every table row starts and ends with a pipe and has its header's column count."""
    lines = render_markdown(realistic_report()).splitlines()
    tables: list[list[str]] = []
    for previous, line in zip(["", *lines], lines, strict=False):
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
    # The roadmap, the overview, one per release (unplanned included), and a metrics table for
    # each release with metrics.
    assert len(tables) == 11
    for table in tables:
        columns = {len(re.split(r"(?<!\\)\|", line)) for line in table}
        assert len(columns) == 1, table
        assert all(line.endswith("|") for line in table)
        assert re.fullmatch(r"\|(-+:?\||-*-:\|)+", table[1].replace("--:", "-:")), table[1]


# --- JSON ---------------------------------------------------------------------------------------


def test_json_schema_and_fields() -> None:
    """The JSON carries its schema id and the documented fields."""
    document = json.loads(render_json(crafted_report()))
    assert document["schema"] == SCHEMA == "roadmap-sync/report@2"
    assert set(document) == {
        "schema", "product", "roadmap", "site_url", "run_id", "generated_at", "since", "today",
        "first", "highlights", "alignment", "verdicts", "flags", "numbers", "attention",
        "releases", "moves",
    }  # fmt: skip
    assert document["since"] == "2026-11-16T07:00:00+00:00"
    assert document["alignment"]["trend"] == [
        {"at": "2026-11-09T07:00:00+00:00", "score": 0.5},
        {"at": "2026-11-23T07:00:00+00:00", "score": pytest.approx(3 / 34)},
    ]
    assert document["verdicts"]["orphan"] == {"count": 30, "previous": 1}
    r2 = document["releases"][1]
    assert set(r2) == {
        "id", "anchor", "title", "goal", "metrics", "when", "end_date", "overdue", "search",
        "items", "points", "done", "verdicts", "open_verdicts", "flags", "uncovered_features",
        "lists", "forecast", "forecast_reason", "baseline", "baseline_reason", "scope_changes",
        "goal_met", "features", "burnup",
    }  # fmt: skip
    # @2: plain-text metrics are metric objects without a target or readings.
    assert r2["metrics"] == [
        {"name": "30-day return rate 18% → 25%", "target": None, "latest": None,
         "status": "no_data", "trend": None}
    ]  # fmt: skip
    assert r2["items"] == {"now": 2, "previous": 2, "delta": 0}
    assert r2["uncovered_features"] == ["Price-drop alerts"]
    assert set(r2["lists"]) == {"entered", "left", "newly_flagged", "cleared"}
    entered = r2["lists"]["entered"]["items"][0]
    assert entered == {
        "key": "ACME-14", "url": f"{SITE}/browse/ACME-14", "summary": "Story ACME-14",
        "type": "Story", "status": "In Progress", "done": False, "verdict": "aligned",
        "points": 3.0, "note": "from Unplanned",
    }  # fmt: skip
    unplanned = document["releases"][-1]
    assert (unplanned["id"], unplanned["lists"]["entered"]["more"]) == (None, 5)


def test_json_first_report_nulls() -> None:
    """Values with nothing to compare with are null on the first report."""
    document = json.loads(render_json(report_of(drift_of(None, [row("ACME-1", "r1")]))))
    assert (document["first"], document["since"], document["alignment"]["delta"]) == (
        True,
        None,
        None,
    )
    assert document["releases"][0]["items"] == {"now": 1, "previous": None, "delta": None}


# --- HTML, static -------------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Collects start tags with their attributes, and the ids of <svg> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The start tags of an HTML document."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


# A forecast band for each release with a forecast (r4 is done), a burn-up for each baseline.
OUTLOOK_CHARTS = {
    "forecast-r1",
    "forecast-r2",
    "forecast-r3",
    *(f"burnup-r{n}" for n in range(1, 5)),
}


def test_html_shows_the_release_outlook() -> None:
    """The GO roadmap opens the report; releases show forecast, scope since baseline, metrics."""
    report = realistic_report()
    html = render_html(report)
    assert html.index('id="roadmap"') < html.index('id="kpi-alignment"')
    assert 'data-number="at_risk_releases">1<' in html  # r2: 41% < 70%
    assert "Come back is at risk: 41% chance of finishing by 2026-12-15" in html
    assert "41% chance by 2026-12-15 (was 55%, -14 pts)" in html
    assert "30 → 34 scope items (+4, +13%)" in html and "21% unplanned" in html
    assert "ACME-79</a> moved in by Dana Product on 2026-11-16" in html
    assert '<span class="status status-on_track">on track</span>' in html
    assert "12/18 done, 1 flagged" in html
    assert "done: no open work" in html  # r4


def test_roadmap_view_is_the_roadmap_alone() -> None:
    """`report --view roadmap` renders the GO roadmap page without the drift sections."""
    html = render_roadmap_html(realistic_report())
    assert 'id="roadmap"' in html and "Rewarding" not in html
    assert 'id="kpi-alignment"' not in html and 'class="release' not in html
    markdown = render_roadmap_markdown(realistic_report())
    assert markdown.startswith("# Acme Web Shop: roadmap\n")
    assert (
        "| Forecast | 0% by the date; 85% by 2026-12-14 |"
        in markdown.replace(" | 41%", "\n").splitlines()[-1] + " |"
        or "| Forecast |" in markdown
    )


def test_html_has_no_external_references() -> None:
    """One file: no scripts, imports, url(), or src; every href is a Jira link or a fragment."""
    html = render_html(realistic_report())
    for forbidden in ("<script", "@import", "url(", "<link", "<img", "<iframe", "<object"):
        assert forbidden not in html.lower()
    hrefs = []
    for tag, attrs in tags_of(html):
        assert "src" not in attrs, tag
        assert "srcset" not in attrs, tag
        if "href" in attrs:
            href = attrs["href"] or ""
            assert href.startswith((f"{SITE}/browse/", f"{SITE}/issues/?jql=", "#")), href
            hrefs.append(href)
    assert hrefs
    without_links = re.sub(r'href="[^"]*"', "", html)
    assert "http" not in without_links


def test_html_escapes_text() -> None:
    """Autoescaping keeps a summary's markup as text."""
    html = render_html(crafted_report())
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; *stars*" in html


def test_html_charts_are_accessible_svgs() -> None:
    """The three charts are inline SVGs with role=img, a <title>, and stable ids."""
    html = render_html(realistic_report())
    svgs = {attrs.get("id"): attrs for tag, attrs in tags_of(html) if tag == "svg"}
    assert set(svgs) == {"chart-alignment", "chart-scope", "chart-change", *OUTLOOK_CHARTS}
    assert all(attrs.get("role") == "img" for attrs in svgs.values())
    for chart in svgs:
        assert re.search(rf'<svg id="{chart}"[^>]*><title>[^<]+</title>', html), chart


def test_html_release_sections() -> None:
    """Each release shows goal, metrics, progress, overdue badge and uncovered features."""
    html = render_html(realistic_report())
    ids = [attrs.get("id") for tag, attrs in tags_of(html) if tag == "section"]
    assert ids == ["roadmap", "release-r1", "release-r2", "release-r3", "release-r4", "unplanned"]
    assert "Turn more first-time visitors into buyers" in html
    assert "Checkout conversion 2.1% → 3%" in html
    assert html.count('class="badge overdue"') == 1
    assert '<span class="chip">Price-drop alerts</span>' in html
    assert re.search(r'<td class="fill" style="width: \d+%">', html)


def test_html_renders_an_empty_backlog() -> None:
    """With no items at all the charts say so instead of drawing nothing."""
    html = render_html(report_of(drift_of(None, [])))
    assert "No alignment score yet" in html
    assert "No backlog items yet." in html
    assert "Nothing changed since the previous report." in html


# --- HTML in real Chromium ----------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # the test runs as root in a container, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
CHROMIUM_TIMEOUT = 60.0


def chromium() -> str:
    """The Chromium binary; skips (fails under CI) when there is none."""
    path = shutil.which("chromium")
    require(path is not None, "chromium is not installed (apt-get install -y chromium)")
    assert path is not None
    return path


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def write_report(tmp_path: Path, report: Report) -> Path:
    """The report's HTML as a file."""
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def test_html_in_chromium_cli(tmp_path: Path) -> None:
    """Headless Chromium draws the three charts, screenshots the page, logs no console errors."""
    binary = chromium()
    page = write_report(tmp_path, realistic_report())
    base = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    logged = [*base, "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run(
        [*logged, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=True,
    )  # fmt: skip
    tags = tags_of(dom.stdout)
    charts: dict[str, list[str]] = {}
    current = None
    for tag, attrs in tags:
        if tag == "svg":
            current = attrs.get("id") or ""
            charts[current] = []
        elif current is not None and tag in ("rect", "circle", "polyline", "path", "line"):
            charts[current].append(f"{tag}.{attrs.get('class', '')}")
    assert set(charts) == {"chart-alignment", "chart-scope", "chart-change", *OUTLOOK_CHARTS}
    assert {"rect.band", "line.p85", "line.due"} <= set(charts["forecast-r2"])
    assert {"polyline.line-scope", "polyline.line-done"} <= set(charts["burnup-r2"])
    assert charts["chart-alignment"].count("circle.point") == 10
    assert "polyline.line" in charts["chart-alignment"]
    assert sum(mark.startswith("rect.seg ") for mark in charts["chart-scope"]) >= 5
    assert sum(mark.startswith("rect.bar ") for mark in charts["chart-change"]) >= 5
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []

    shot = tmp_path / "x.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1000,2400", page.as_uri()],
        capture_output=True, timeout=CHROMIUM_TIMEOUT, check=True,
    )  # fmt: skip
    data = shot.read_bytes()
    assert png_size(data) == (1000, 2400)
    assert len(data) > 60_000  # a blank page of that size compresses to about 10 kB


class DevTools:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (stdlib only).

    Chromium reads commands from fd 3 and writes replies and events to fd 4, each message JSON
    ending in a NUL byte. A pipe avoids a websocket client and a listening port.
    """

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        self.log = log
        to_chromium, self._writer = os.pipe()
        self._reader, from_chromium = os.pipe()
        # The shell moves our pipes onto fds 3 and 4, where Chromium looks for them.
        script = 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null'
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                ["sh", "-c", script, binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 "--remote-debugging-pipe", "about:blank"],
                stdin=to_chromium, stdout=from_chromium, stderr=stderr,
            )  # fmt: skip
        os.close(to_chromium)
        os.close(from_chromium)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def __enter__(self) -> DevTools:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.process.poll() is None:
                self._send("Browser.close", {}, None)
                self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self._writer)
            os.close(self._reader)

    def _send(self, method: str, params: dict[str, Any], session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _next_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._reader], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"Chromium did not answer; see {self.log}")
            chunk = os.read(self._reader, 1 << 20)
            if not chunk:
                raise EOFError(f"Chromium closed the pipe; see {self.log}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command to the attached page (or the browser before attaching); its result."""
        sent = self._send(method, params or {}, self.session)
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while True:
            message = self._next_message(deadline)
            if message.get("id") == sent:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Wait for an event (keeping every other event seen on the way)."""
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while True:
            message = self._next_message(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == event:
                    return message

    def open(self, url: str, width: int) -> None:
        """Attach to a new page, start collecting its events, load `url`."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics)
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in reply, reply
        return reply["result"]["value"]

    def screenshot(self) -> bytes:
        """A PNG of the whole page, not only the viewport."""
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        return base64.b64decode(shot["data"])


CHART_GEOMETRY = """JSON.stringify(["chart-alignment", "chart-scope", "chart-change"].map(id => {
  const svg = document.getElementById(id);
  const box = svg.getBoundingClientRect();
  const drawn = [...svg.querySelectorAll("rect, circle, polyline, path, line")]
    .filter(mark => { const b = mark.getBBox(); return b.width > 0 || b.height > 0; });
  const title = svg.querySelector(":scope > title").textContent;
  return {id, role: svg.getAttribute("role"), title, width: box.width, height: box.height,
          drawn: drawn.length};
}))"""
PAGE_LAYOUT = """JSON.stringify({
  page: document.querySelector(".page").getBoundingClientRect().width,
  scroll: document.documentElement.scrollWidth,
  body: getComputedStyle(document.body).backgroundColor,
  text: getComputedStyle(document.body).color,
})"""


def problems_in(events: Sequence[dict[str, Any]], page_url: str) -> list[str]:
    """Console output, uncaught errors, log errors and requests for anything but the page."""
    problems = []
    for event in events:
        method, params = event["method"], event["params"]
        if method in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown"):
            problems.append(f"{method}: {json.dumps(params)[:300]}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            problems.append(f"log: {params['entry']['text']}")
        elif method == "Network.requestWillBeSent" and params["request"]["url"] != page_url:
            problems.append(f"request: {params['request']['url']}")
    return problems


def render_in_devtools(tmp_path: Path, report: Report, width: int) -> tuple[Any, Any, bytes]:
    """Load a report in Chromium; return chart geometry, screen and print layout, a PNG."""
    page = write_report(tmp_path, report)
    with DevTools(chromium(), tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.open(page.as_uri(), width)
        charts = json.loads(browser.evaluate(CHART_GEOMETRY))
        screen = json.loads(browser.evaluate(PAGE_LAYOUT))
        browser.call("Emulation.setEmulatedMedia", {"media": "print"})
        printed = json.loads(browser.evaluate(PAGE_LAYOUT))
        pdf = browser.call("Page.printToPDF", {"printBackground": True})
        browser.call("Emulation.setEmulatedMedia", {"media": ""})
        png = browser.screenshot()
        assert problems_in(browser.events, page.as_uri()) == []
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    return charts, {"screen": screen, "print": printed}, png


def test_html_in_chromium_devtools(tmp_path: Path) -> None:
    """Over the DevTools protocol: charts drawn, no console errors, no requests, prints light."""
    charts, layout, png = render_in_devtools(tmp_path, realistic_report(), width=1000)
    assert [chart["id"] for chart in charts] == ["chart-alignment", "chart-scope", "chart-change"]
    for chart in charts:
        assert chart["role"] == "img" and chart["title"], chart
        assert chart["width"] > 600 and chart["height"] > 100, chart
        assert chart["drawn"] >= 10, chart
    assert layout["screen"]["page"] <= 760
    assert layout["screen"]["scroll"] <= 1000  # nothing wider than the window
    assert layout["print"]["body"] == "rgb(255, 255, 255)"
    assert layout["print"]["text"] == "rgb(31, 41, 51)"
    width, height = png_size(png)
    assert width == 1000 and height > 2400


def test_html_in_chromium_on_a_phone(tmp_path: Path) -> None:
    """On a 390 px wide screen the charts shrink to fit and nothing scrolls sideways."""
    charts, layout, _png = render_in_devtools(tmp_path, realistic_report(), width=390)
    assert all(chart["width"] <= 390 for chart in charts)
    assert layout["screen"]["scroll"] <= 390


@pytest.mark.slow
def test_example_screenshot(tmp_path: Path) -> None:
    """Screenshot the realistic report; with ROADMAP_SYNC_WRITE_EXAMPLE=1 update the docs copy."""
    _charts, _layout, png = render_in_devtools(tmp_path, realistic_report(), width=900)
    assert png_size(png)[0] == 900
    if os.environ.get("ROADMAP_SYNC_WRITE_EXAMPLE") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        (REPO / "docs" / "report-example.png").write_bytes(png)
