"""The report as one self-contained HTML file for browsers, mail and print.

Jinja2 with autoescaping lays out the shared report model; the three charts are inline SVG
built in `charts.py`. Nothing is loaded from elsewhere: no scripts, fonts, stylesheets or
images, so the file renders the same offline, in a mail client and on paper.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined

from roadmap_sync.reports import charts
from roadmap_sync.reports.fmt import day, number, percent, percent_points, signed
from roadmap_sync.reports.model import VERDICT_TITLES, Report

__all__ = ["render_html", "tone"]

TEMPLATE = "report.html.j2"


def tone(delta: float | None, *, up_is_good: bool, shown: str | None = None) -> str:
    """CSS class for a change: good, bad or flat (unknown changes are flat).

    ``shown`` is the text the reader sees: a change that rounds to "±0" is flat, never red
    (an alignment drop of 0.4 points used to show "±0 pts" in red).
    """
    if not delta or (shown is not None and shown.startswith(("±", "–"))):
        return "flat"
    return "good" if (delta > 0) is up_is_good else "bad"


@functools.cache
def _environment() -> Environment:
    # Built once per process: compiling the template is the slow part of rendering.
    env = Environment(
        loader=PackageLoader("roadmap_sync.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=day, number=number, percent=percent, percent_points=percent_points, signed=signed
    )
    env.globals.update(tone=tone, colors=charts.COLORS, verdict_titles=VERDICT_TITLES)
    return env


def render_html(report: Report) -> str:
    """The whole report as a standalone HTML document."""
    sections = report.releases
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            alignment_chart=charts.alignment_chart(report.alignment.trend),
            scope_chart=charts.scope_chart(sections),
            change_chart=charts.change_chart(sections),
        )
    )
