"""One definition per number: the counting rules, and every rendering agreeing on them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from roadmap_sync.commands.plan_output import plan_document
from roadmap_sync.core.model import Verdict
from roadmap_sync.core.numbers import Counts, count
from roadmap_sync.core.records import ItemSnapshot
from roadmap_sync.engine.publish import build_report_for, rendered
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.engine.sync import make_plan
from roadmap_sync.reports.delivery.chat import webhook_payload
from roadmap_sync.reports.fmt import percent
from roadmap_sync.reports.html import render_html, tone
from roadmap_sync.reports.json_report import report_document
from roadmap_sync.reports.markdown import render_markdown
from roadmap_sync.reports.model import Report
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers import registry
from roadmap_sync.trackers.registry_types import ConnectOptions
from tests.conftest import REPO, site_data

A, OOS, ORPHAN, IGNORED = Verdict.ALIGNED, Verdict.OUT_OF_SCOPE, Verdict.ORPHAN, Verdict.IGNORED
RELEASES = [("r1", dt.date(2026, 11, 15)), ("r2", dt.date(2026, 12, 15))]
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


def row(
    key: str,
    verdict: Verdict,
    planned: str | None = None,
    scheduled: str | None = None,
    *,
    done: bool = False,
    points: float | None = 2.0,
) -> ItemSnapshot:
    """A stored item trace."""
    return ItemSnapshot(
        key, key, "Story", 0, "Done" if done else "To Do", done, None, planned, scheduled,
        verdict, (), (), points,
    )  # fmt: skip


def counted(*rows: ItemSnapshot) -> Counts:
    """Count rows against r1 (overdue by TODAY) and r2."""
    return count(rows, RELEASES, today=TODAY)


def test_bucket_is_planned_else_scheduled() -> None:
    """An item planned for r2 but scheduled into r1 counts once, in r2."""
    counts = counted(row("A-1", OOS, "r2", "r1"), row("A-2", OOS, None, "r1"))
    assert counts.bucket("r2").tally.items == 1
    assert counts.bucket("r1").tally.items == 1
    assert counts.bucket("r1").flags.out_of_scope == 1


def test_flags_count_open_items_only() -> None:
    """A done orphan carries no flag: orphans are open items; verdicts count every item."""
    counts = counted(row("A-1", ORPHAN), row("A-2", ORPHAN, done=True), row("A-3", IGNORED))
    assert counts.flags.orphan == 1
    assert counts.verdicts.orphan == 2
    assert counts.bucket(None).open_verdicts.orphan == 1
    assert counts.bucket(None).tally.items == 3


def test_unknown_release_counts_as_unplanned() -> None:
    """A release the roadmap no longer has cannot get a section: its items are unplanned."""
    counts = counted(row("A-1", A, "r9"))
    assert counts.bucket(None).tally.items == 1


@pytest.mark.parametrize(
    ("rows", "overdue"),
    [
        pytest.param([row("A-1", A, "r1")], ("r1",), id="open-item-past-date"),
        pytest.param([row("A-1", A, "r1", done=True)], (), id="all-done"),
        pytest.param([row("A-1", OOS, "r2", "r1")], (), id="planned-elsewhere"),
        pytest.param([row("A-1", A, "r2")], (), id="not-due"),
    ],
)
def test_overdue_releases(rows: list[ItemSnapshot], overdue: tuple[str, ...]) -> None:
    """Overdue: the date has passed with open items in the release's bucket."""
    assert counted(*rows).overdue == overdue


@pytest.mark.parametrize(
    ("rows", "score"),
    [
        pytest.param([row("A-1", A, "r1"), row("A-2", ORPHAN)], 0.5, id="half"),
        pytest.param([row("A-1", A, "r1", done=True), row("A-2", ORPHAN)], 0.0, id="done-skipped"),
        pytest.param([row("A-1", IGNORED, "r1")], None, id="only-ignored"),
    ],
)
def test_alignment(rows: list[ItemSnapshot], score: float | None) -> None:
    """Alignment is the share of open, non-ignored items with a planned release."""
    assert counted(*rows).alignment == score


def test_points_follow_the_bucket() -> None:
    """Story points add up per bucket; an unestimated item counts zero."""
    counts = counted(row("A-1", A, "r1", points=3), row("A-2", A, "r1", points=None, done=True))
    tally = counts.bucket("r1").tally
    assert (tally.points, tally.done_points, tally.done_items, tally.open_items) == (3, 0, 1, 1)


@pytest.mark.parametrize(
    ("delta", "shown", "expected"),
    [(-0.004, "±0 pts", "flat"), (-0.04, "-4 pts", "bad"), (0.0, "±0", "flat"), (2, "+2", "good")],
)
def test_a_change_shown_as_zero_is_never_red(delta: float, shown: str, expected: str) -> None:
    """ "±0" is grey, whatever sign the unrounded change had."""
    assert tone(delta, up_is_good=True, shown=shown) == expected


# --- every rendering of the demo's report agrees ------------------------------------------------


class _Numbers(HTMLParser):
    """Collects the text of every element carrying data-number."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(dict(attrs).get("data-number"))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] is not None:
            self.found[self._open[-1]] = self.found.get(self._open[-1], "") + data.strip()


def html_numbers(html: str) -> dict[str, str]:
    """The headline numbers as the HTML report shows them (by data-number)."""
    parser = _Numbers()
    parser.feed(html)
    return parser.found


def text_numbers(text: str) -> dict[str, str]:
    """The headline numbers in a Markdown header or chat message line."""
    found = {}
    for name, pattern in (
        ("alignment", r"Alignment (\d+%|–)"),
        ("orphans", r"Orphans \[?(\d+)"),
        ("out_of_scope", r"Out of scope \[?(\d+)"),
        ("overdue_releases", r"Overdue (\d+)"),
        ("uncovered_features", r"Uncovered (\d+)"),
    ):
        match = re.search(pattern, text)
        assert match is not None, (name, text[:400])
        found[name] = match[1]
    return found


def shown(value: Any) -> str:
    """A number as the renderings show it: shares as percentages, counts as integers."""
    return percent(value) if isinstance(value, float) else str(value)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Report]]:
    """The demo's roadmap and generated backlog, synced once: its plan JSON and its report."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    state = tmp_path_factory.mktemp("numbers") / "state.db"
    with SandboxServer(site_data(600, seed=1), flavor="cloud", bulk_delay=0.01) as site:
        options = ConnectOptions(
            url=site.url, email=site.email, token=site.token, policy=RetryPolicy(attempts=2)
        )
        tracker = registry.connect(options)
        with StateStore.open(f"sqlite:///{state}") as store:
            sync_and_record(roadmap, tracker, store, kind="run", force=True, clock=lambda: NOW)
            plan = make_plan(roadmap, tracker, today=NOW.date(), now=NOW)
            report = build_report_for(store, roadmap, site.url, NOW, last=True)
    yield plan_document(plan), report


def test_every_rendering_shows_the_same_numbers(demo: tuple[dict[str, Any], Report]) -> None:
    """Plan JSON, report JSON, Markdown, HTML and the chat message agree on each number."""
    plan, report = demo
    from_plan = {name: shown(n["value"]) for name, n in plan["summary"]["numbers"].items()}
    document = json.loads(json.dumps(report_document(report)))
    from_json = {name: shown(n["value"]) for name, n in document["numbers"].items()}
    from_html = html_numbers(render_html(report))
    from_markdown = text_numbers(render_markdown(report).split("\n## ")[0])
    payload = webhook_payload(rendered(report))
    from_chat = text_numbers(payload["text"])
    # The message leads with what needs attention and links to the Jira searches behind it.
    assert payload["text"].split("\n")[1].startswith("• ")
    searches = payload["blocks"][2]["text"]["text"]
    assert (
        searches.startswith(f"<{report.site_url}/issues/?jql=") and "|Orphans in Jira>" in searches
    )
    names = ("alignment", "orphans", "out_of_scope", "overdue_releases", "uncovered_features")
    for name in names:
        values = {
            "plan": from_plan[name], "json": from_json[name], "html": from_html[name],
            "markdown": from_markdown[name], "chat": from_chat[name],
        }  # fmt: skip
        assert len(set(values.values())) == 1, (name, values)
    assert int(from_plan["orphans"]) > 0 and int(from_plan["overdue_releases"]) == 1


def test_release_numbers_agree(demo: tuple[dict[str, Any], Report]) -> None:
    """Per release, the plan and the report count the same items, open items and done items."""
    plan, report = demo
    document = report_document(report)
    for release in document["releases"]:
        if release["id"] is None:
            continue
        planned = plan["summary"]["releases"][release["id"]]
        assert planned["items"] == release["items"]["now"]
        assert planned["done_items"] == release["done"]["items"]
        assert planned["out_of_scope"] == next(
            (f["count"] for f in release["flags"] if f["flag"] == "out_of_scope"), 0
        )


def test_overdue_finding_counts_the_report_open_items(demo: tuple[dict[str, Any], Report]) -> None:
    """The overdue_release finding names as many open items as the report's release shows."""
    plan, report = demo
    (finding,) = [f for f in plan["findings"] if f["kind"] == "overdue_release"]
    section = next(s for s in report.releases if s.release_id == finding["release"])
    assert f" {section.open_items} open item(s)" in finding["message"]


def test_scope_chart_segments_match_the_flag_tiles(demo: tuple[dict[str, Any], Report]) -> None:
    """The chart's open-orphan segments add up to the Orphans tile, not to all unplanned items."""
    _plan, report = demo
    html = render_html(report)
    segments = re.findall(r"<title>[^<]*: (\d+) open orphan</title>", html)
    assert sum(map(int, segments)) == report.number("orphans").value
