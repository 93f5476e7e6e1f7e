"""The short message a chat channel posts and a mail subject carries: what needs the PO first.

It leads with what needs attention (releases at risk, overdue releases, newly flagged items,
uncovered features), then gives the headline numbers exactly as the report defines them
(``core/numbers.py``), and links to the report and to the Jira searches behind the numbers.
"""

from __future__ import annotations

from roadmap_sync.reports.fmt import percent, percent_points, signed
from roadmap_sync.reports.model import Report

__all__ = ["ATTENTION_SHOWN", "headline_line", "message_links", "subject", "summary"]

ATTENTION_SHOWN = 6


def headline_line(report: Report) -> str:
    """Every headline number in one line: 'Alignment 62% (+3 pts) · Orphans 30 (+2) · ...'."""
    parts = []
    alignment = report.alignment
    change = "" if alignment.delta is None else f" ({percent_points(alignment.delta)})"
    parts.append(f"Alignment {percent(alignment.score)}{change}")
    for flag in report.flags:
        change = "" if flag.delta is None else f" ({signed(flag.delta)})"
        parts.append(f"{flag.title} {flag.count}{change}")
    for number in report.numbers:
        if number.name not in ("alignment", "orphans", "out_of_scope"):
            parts.append(f"{number.title} {number.value if number.value is not None else '–'}")
    return " · ".join(parts)


def summary(report: Report) -> str:
    """Attention first (at most ATTENTION_SHOWN lines), then the headline numbers."""
    lines = [f"• {line.text}" for line in report.attention[:ATTENTION_SHOWN]]
    if len(report.attention) > ATTENTION_SHOWN:
        lines.append(f"• … and {len(report.attention) - ATTENTION_SHOWN} more in the report")
    if not lines:
        lines.append("Nothing needs your attention this week.")
    lines.append(headline_line(report))
    return "\n".join(lines)


def message_links(report: Report) -> tuple[tuple[str, str], ...]:
    """(text, url) of the Jira searches behind the numbers and the attention lines."""
    links: dict[str, str] = {}
    for flag in report.flags:
        links.setdefault(f"{flag.title} in Jira", flag.search.url)
    for line in report.attention:
        if line.link is not None and line.kind in ("date_at_risk", "overdue"):
            links.setdefault(line.link.text, line.link.url)
    return tuple(links.items())


def subject(report: Report, base: str) -> str:
    """A mail subject that says at once whether anything is at risk."""
    at_risk = sum(1 for line in report.attention if line.kind == "date_at_risk")
    if at_risk:
        return f"{base}: {at_risk} release{'' if at_risk == 1 else 's'} at risk"
    return base
