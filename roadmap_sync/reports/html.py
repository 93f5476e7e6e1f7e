"""The report as one self-contained HTML file for browsers, mail and print.

Jinja2 with autoescaping lays out the shared report model; the three charts are inline SVG
built in `charts.py`. Nothing is loaded from elsewhere: no scripts, fonts, stylesheets or
images, so the file renders the same offline, in a mail client and on paper.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from roadmap_sync.reports import charts, outlook_text
from roadmap_sync.reports.fmt import day, number, percent, percent_points, signed
from roadmap_sync.reports.model import VERDICT_TITLES, Report
from roadmap_sync.reports.outlook_charts import burnup_chart, forecast_band

__all__ = ["render_html", "render_roadmap_html", "tone"]

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
    env.globals.update(
        tone=tone,
        colors=charts.COLORS,
        verdict_titles=VERDICT_TITLES,
        status_titles=outlook_text.STATUS_TITLES,
        forecast_line=outlook_text.forecast_line,
        forecast_basis=outlook_text.forecast_basis,
        baseline_line=outlook_text.baseline_line,
        metric_target=outlook_text.metric_target,
        metric_latest=outlook_text.metric_latest,
    )
    return env


def _outlook_charts(report: Report) -> dict[str, dict[str, Markup]]:
    """Per release anchor: its forecast band and scope burn-up, when there is one."""
    found: dict[str, dict[str, Markup]] = {}
    for section in report.releases:
        outlook, charts_of = section.outlook, {}
        if outlook is None or section.release_id is None or section.end_date is None:
            continue
        if outlook.forecast is not None:
            charts_of["forecast"] = forecast_band(
                section.release_id, outlook.forecast, section.end_date, report.today
            )
        burnup = burnup_chart(section.release_id, outlook)
        if burnup is not None:
            charts_of["burnup"] = burnup
        found[section.anchor] = charts_of
    return found


def render_html(report: Report) -> str:
    """The whole report as a standalone HTML document, opening with the GO roadmap."""
    sections = report.releases
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            view="full",
            alignment_chart=charts.alignment_chart(report.alignment.trend),
            scope_chart=charts.scope_chart(sections),
            change_chart=charts.change_chart(sections),
            outlook_charts=_outlook_charts(report),
        )
    )


def render_roadmap_html(report: Report) -> str:
    """The GO roadmap page alone, with live status (``report --view roadmap``)."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(report=report, view="roadmap", outlook_charts=_outlook_charts(report))
    )
