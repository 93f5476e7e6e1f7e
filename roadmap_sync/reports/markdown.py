"""The report as Markdown for Slack, Teams, Confluence and terminals: no HTML, GFM tables.

Headings, short bullet lists and one small table per release read well both rendered and as
plain text; item keys link to Jira as ``[ACME-12](url)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from roadmap_sync.reports.fmt import day, number, percent, percent_points, signed
from roadmap_sync.reports.model import FlagLine, ItemList, Link, ReleaseSection, Report
from roadmap_sync.reports.outlook_text import (
    STATUS_TITLES,
    baseline_line,
    forecast_basis,
    forecast_line,
    metric_latest,
    metric_target,
)
from roadmap_sync.reports.outlook_view import FeatureStatus

__all__ = ["render_markdown", "render_roadmap_markdown"]

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


def _feature_text(feature: FeatureStatus) -> str:
    if feature.uncovered:
        return f"{text(feature.name)} (no item yet)"
    if feature.items is None:
        return text(feature.name)
    flagged = f", {feature.flagged} flagged" if feature.flagged else ""
    return f"{text(feature.name)} ({feature.done}/{feature.items} done{flagged})"


def _forecast_cell(s: ReleaseSection) -> str:
    outlook = s.outlook
    if outlook is None or outlook.forecast is None:
        return text((outlook.forecast_reason if outlook else None) or "–")
    forecast = outlook.forecast
    risk = " ⚠ at risk" if forecast.at_risk else ""
    likely = day(forecast.p85) if forecast.p85 else "beyond 3 years"
    return f"{percent(forecast.probability)} by the date{risk}; 85% by {likely}"


def _roadmap(report: Report) -> Iterator[str]:
    """The GO roadmap: one column per release."""
    releases = [s for s in report.releases if s.release_id is not None]
    yield "## Roadmap"
    yield ""
    yield "| | " + " | ".join(f"**{text(s.title)}**" for s in releases) + " |"
    yield "|---|" + "---|" * len(releases)
    yield "| When | " + " | ".join(text(s.when or "") for s in releases) + " |"
    yield "| Goal | " + " | ".join(text(s.goal or "") for s in releases) + " |"
    features = ["; ".join(_feature_text(f) for f in s.features) for s in releases]
    yield "| Features | " + " | ".join(features) + " |"
    metrics = [
        "; ".join(
            f"{text(m.name)}: {STATUS_TITLES[m.status]}"
            for m in (s.outlook.metrics if s.outlook else ())
        )
        or "–"
        for s in releases
    ]
    yield "| Metrics | " + " | ".join(metrics) + " |"
    yield "| Forecast | " + " | ".join(_forecast_cell(s) for s in releases) + " |"


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


def _outlook(s: ReleaseSection) -> Iterator[str]:
    outlook = s.outlook
    if outlook is None:
        return
    due = s.end_date.isoformat() if s.end_date else "its date"
    if outlook.forecast is not None:
        yield f"- **Forecast:** {text(forecast_line(outlook.forecast, due))}"
        yield f"  ({text(forecast_basis(outlook.forecast))})"
    else:
        yield f"- **Forecast:** {text(outlook.forecast_reason or '–')}"
    if outlook.baseline is not None:
        yield f"- **Scope:** {text(baseline_line(outlook.baseline))}"
        movers = [c for c in outlook.baseline.changes if c.who or c.at][:5]
        for change in movers:
            when = f" on {day(change.at)}" if change.at else ""
            who = f" by {text(change.who)}" if change.who else ""
            yield f"  - {change.key} {change.kind.replace('_', ' ')}{who}{when}"
    else:
        yield f"- **Scope:** {text(outlook.baseline_reason or '–')}"
    if outlook.goal_met is not None:
        yield f"- **Goal {'met' if outlook.goal_met else 'not met'}** at the review"


def _metrics_table(s: ReleaseSection) -> Iterator[str]:
    if s.outlook is None or not s.outlook.metrics:
        return
    yield ""
    yield "| Metric | Target | Latest | Status |"
    yield "|---|---|---|---|"
    for m in s.outlook.metrics:
        status = STATUS_TITLES[m.status]
        yield f"| {text(m.name)} | {metric_target(m)} | {metric_latest(m)} | {status} |"


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
    if s.metrics and s.outlook is None:
        yield f"- **Metrics:** {'; '.join(text(metric) for metric in s.metrics)}"
    yield from _outlook(s)
    if s.search:
        yield f"- {link(s.search)}"
    if s.goal or s.metrics or s.search:
        yield ""
    yield from _release_table(s)
    yield from _metrics_table(s)
    if s.uncovered_features:
        yield ""
        names = ", ".join(text(name) for name in s.uncovered_features)
        yield f"**Features with no backlog item:** {names}"
    for items in s.lists:
        yield from _items(items)
    yield ""


def render_roadmap_markdown(report: Report) -> str:
    """The GO roadmap alone, with live status (``report --view roadmap``)."""
    lines = [f"# {text(report.product)}: roadmap", f"_{day(report.generated_at)}_", ""]
    lines += [*_roadmap(report), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    lines = [*_header(report), "", *_roadmap(report), "", *_overview(report), ""]
    for section in report.releases:
        lines.extend(_section(section))
    if report.moves.total:
        lines.append(f"## {text(report.moves.title)} ({report.moves.total})")
        lines.extend(_items(report.moves, title=False))
        lines.append("")
    lines.extend(_legend(report))
    return "\n".join(lines).rstrip() + "\n"
