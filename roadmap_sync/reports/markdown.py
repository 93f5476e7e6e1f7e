"""The report as Markdown for Slack, Teams, Confluence and terminals: no HTML, GFM tables.

Headings, short bullet lists and one small table per release read well both rendered and as
plain text; item keys link to Jira as ``[ACME-12](url)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from roadmap_sync.reports.fmt import day, number, percent, percent_points, signed
from roadmap_sync.reports.model import FlagLine, ItemList, Link, ReleaseSection, Report

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def text(value: str) -> str:
    """Inline text with Markdown's special characters escaped and line breaks flattened."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def link(target: Link) -> str:
    """A Markdown link."""
    return f"[{text(target.text)}]({target.url})"


def _flag(flag: FlagLine) -> str:
    change = "" if flag.delta is None else f" ({signed(flag.delta)})"
    return f"{flag.title} [{flag.count}]({flag.search.url}){change}"


def _headline(report: Report) -> str:
    """Every headline number, each in the words the legend defines."""
    parts = []
    alignment = report.alignment
    change = "" if alignment.delta is None else f" ({percent_points(alignment.delta)})"
    parts.append(f"**Alignment {percent(alignment.score)}**{change}")
    parts.extend(_flag(flag) for flag in report.flags)
    for shown in report.numbers:
        if shown.name in ("alignment", "orphans", "out_of_scope"):
            continue
        parts.append(f"{shown.title} {shown.value if shown.value is not None else '–'}")
    return " · ".join(parts)


def _attention(report: Report) -> Iterator[str]:
    if not report.attention:
        return
    yield ""
    yield "## Needs your attention"
    yield ""
    for line in report.attention:
        suffix = f" {link(line.link)}" if line.link else ""
        yield f"- {text(line.text)}{suffix}"


def _legend(report: Report) -> Iterator[str]:
    yield "## What the numbers mean"
    yield ""
    for name, definition in report.legend:
        yield f"- **{name.replace('_', ' ')}**: {text(definition)}"


def _header(report: Report) -> Iterator[str]:
    yield f"# {text(report.product)}: roadmap drift"
    since = f"since {day(report.since)}" if report.since else "first report"
    yield f"_{day(report.generated_at)} · {since} · run {report.run_id}_"
    yield ""
    yield _headline(report)
    yield from _attention(report)
    yield ""
    yield from (f"- {text(line)}" for line in report.highlights)


def _overview(report: Report) -> Iterator[str]:
    yield "## Releases"
    yield ""
    yield "| Release | When | Items | Done | Entered | Left | Flagged | Cleared |"
    yield "|---|---|--:|--:|--:|--:|--:|--:|"
    for s in report.releases:
        when = text(s.when or "") + (" ⚠ overdue" if s.overdue else "")
        counts = (s.entered.total, s.left.total, s.newly_flagged.total, s.cleared.total)
        numbers = " | ".join(str(count) for count in counts)
        yield (
            f"| {text(s.title)} | {when} | {s.items} ({signed(_delta(s.items, s.items_before))}) "
            f"| {percent(s.done_share)} | {numbers} |"
        )


def _delta(now: float, before: float | None) -> float | None:
    return None if before is None else now - before


def _release_table(s: ReleaseSection) -> Iterator[str]:
    yield "| | Now | Change |"
    yield "|---|--:|--:|"
    yield f"| Items | {s.items} | {signed(_delta(s.items, s.items_before))} |"
    yield f"| Story points | {number(s.points)} | {signed(_delta(s.points, s.points_before))} |"
    done = f"{s.done_items} of {s.items} ({percent(s.done_share)})"
    yield f"| Done | {done} | |"
    for flag in s.flags:
        yield f"| [{flag.title}]({flag.search.url}) | {flag.count} | {signed(flag.delta)} |"


def _items(items: ItemList, *, title: bool = True) -> Iterator[str]:
    if not items.total:
        return
    yield ""
    search = link(items.search) if items.search else ""
    if title:
        yield f"**{text(items.title)} ({items.total})**" + (f" · {search}" if search else "")
    elif search:
        yield search
    for line in items.items:
        yield f"- [{line.key}]({line.url}) {text(line.summary)} · _{text(line.note)}_"
    if items.more:
        yield f"- … and {items.more} more" + (f": {link(items.search)}" if items.search else "")


def _section(s: ReleaseSection) -> Iterator[str]:
    heading = text(s.title)
    if s.when:
        heading += f" · {text(s.when)}"
    if s.overdue:
        heading += " · ⚠ OVERDUE"
    yield f"### {heading}"
    yield ""
    # A list, not lines: CommonMark would run consecutive lines together into one paragraph.
    if s.goal:
        yield f"- **Goal:** {text(s.goal)}"
    if s.metrics:
        yield f"- **Metrics:** {'; '.join(text(metric) for metric in s.metrics)}"
    if s.search:
        yield f"- {link(s.search)}"
    if s.goal or s.metrics or s.search:
        yield ""
    yield from _release_table(s)
    if s.uncovered_features:
        yield ""
        names = ", ".join(text(name) for name in s.uncovered_features)
        yield f"**Features with no backlog item:** {names}"
    for items in s.lists:
        yield from _items(items)
    yield ""


def render_markdown(report: Report) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    lines = [*_header(report), "", *_overview(report), ""]
    for section in report.releases:
        lines.extend(_section(section))
    if report.moves.total:
        lines.append(f"## {text(report.moves.title)} ({report.moves.total})")
        lines.extend(_items(report.moves, title=False))
        lines.append("")
    lines.extend(_legend(report))
    return "\n".join(lines).rstrip() + "\n"
