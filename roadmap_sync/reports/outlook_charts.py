"""Inline SVG for the release outlook: a forecast band per release and a scope burn-up.

``forecast_band`` draws, on a time axis from today, the P50-P95 range of completion dates as a
band with P85 marked, against a line at the release date. ``burnup_chart`` draws scope items and
done scope items since the baseline, one point per recorded change, with the baseline's scope as
a dashed line. Ids: ``forecast-<release>``, ``burnup-<release>``.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from roadmap_sync.reports.charts import FONT, GRID, INK, MUTED, WIDTH, el, svg, text, title
from roadmap_sync.reports.fmt import day, percent
from roadmap_sync.reports.outlook_view import ForecastView, ReleaseOutlook

__all__ = ["burnup_chart", "forecast_band"]

SAFE, RISK, BAND, DUE = "#2b8a6e", "#c8453b", "#3b73b9", "#1f2933"
_LEFT, _RIGHT = 12.0, 16.0


def _x(moment: dt.date, start: dt.date, end: dt.date) -> float:
    span = max((end - start).days, 1)
    return _LEFT + (WIDTH - _LEFT - _RIGHT) * (moment - start).days / span


def forecast_band(release_id: str, forecast: ForecastView, due: dt.date, today: dt.date) -> Markup:
    """P50-P95 as a band on a time axis from today, P85 marked, the release date as a line."""
    p95 = forecast.p95 or today + dt.timedelta(weeks=156)
    end = max(p95, due) + dt.timedelta(days=7)
    start = min(today, due)
    p50 = forecast.p50 or p95
    color = RISK if forecast.at_risk else SAFE
    x50, x95, xdue = _x(p50, start, end), _x(p95, start, end), _x(due, start, end)
    parts = [
        el("line", x1=_LEFT, x2=WIDTH - _RIGHT, y1=34, y2=34, stroke=GRID, stroke_width=2),
        el("rect", title(f"P50 {day(p50)} to P95 {day(p95)}"), x=x50, y=24,
           width=max(x95 - x50, 3.0), height=20, rx=4, fill=BAND, fill_opacity="0.25",
           class_="band"),
    ]  # fmt: skip
    if forecast.p85 is not None:
        x85 = _x(forecast.p85, start, end)
        parts.append(el("line", title(f"P85 {day(forecast.p85)}"), x1=x85, x2=x85, y1=20, y2=48,
                        stroke=BAND, stroke_width=3, class_="p85"))  # fmt: skip
        # Kept clear of the left-hand label, and inside the chart on the right.
        at = min(max(x85, 330.0), WIDTH - _RIGHT - 60)
        parts.append(text(at, 62, f"P85 {day(forecast.p85)}", text_anchor="middle", fill=INK))
    parts.append(el("line", title(f"Release date {day(due)}"), x1=xdue, x2=xdue, y1=10, y2=52,
                    stroke=DUE, stroke_width=2, stroke_dasharray="4 3", class_="due"))  # fmt: skip
    anchor = "end" if xdue > WIDTH / 2 else "start"
    nudge = -6 if anchor == "end" else 6
    parts.append(text(xdue + nudge, 16, f"due {day(due)}", text_anchor=anchor, fill=DUE))
    parts.append(text(_LEFT, 62, f"today {day(today)} · ", fill=MUTED))
    chance = text(_LEFT + 128, 62, f"{percent(forecast.probability)} by the date",
                  fill=color, font_weight="bold")  # fmt: skip
    parts.append(chance)
    label = (
        f"Forecast: P50 {day(p50)}, P85 {day(forecast.p85) if forecast.p85 else 'beyond 3 years'}, "
        f"P95 {day(p95)}; {percent(forecast.probability)} chance by {day(due)}"
    )
    return svg(f"forecast-{release_id}", label, 70, *parts)


_TOP, _PLOT, _AXIS = 14.0, 120.0, 44.0


def burnup_chart(release_id: str, outlook: ReleaseOutlook) -> Markup | None:
    """Scope and done scope items since the baseline; None without two points to draw."""
    baseline, points = outlook.baseline, outlook.burnup
    if baseline is None or len(points) < 2:
        return None
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)
    top = max(*(p.scope for p in points), baseline.items, 1)

    def x(moment: dt.datetime) -> float:
        return _AXIS + (WIDTH - _AXIS - _RIGHT) * (moment - start).total_seconds() / span

    def y(value: float) -> float:
        return _TOP + _PLOT * (1 - value / top)

    parts = []
    for tick in (0, top // 2, top):
        parts.append(el("line", x1=_AXIS, x2=WIDTH - _RIGHT, y1=y(tick), y2=y(tick), stroke=GRID))
        parts.append(text(_AXIS - 6, y(tick) + 4, str(tick), text_anchor="end"))
    base_y = y(baseline.items)
    parts.append(el("line", title(f"Baseline: {baseline.items} scope items"), x1=_AXIS,
                    x2=WIDTH - _RIGHT, y1=base_y, y2=base_y, stroke=MUTED,
                    stroke_dasharray="5 4", class_="baseline"))  # fmt: skip
    for name, values, color in (
        ("scope", [p.scope for p in points], BAND),
        ("done", [p.done for p in points], SAFE),
    ):
        coords = " ".join(f"{x(p.at):.1f},{y(v):.1f}" for p, v in zip(points, values, strict=True))
        line = el("polyline", title(f"{name}: {values[0]} → {values[-1]}"), points=coords,
                  fill="none", stroke=color, stroke_width=2.5, class_=f"line-{name}")  # fmt: skip
        parts.append(line)
    bottom = _TOP + _PLOT + 18
    parts.append(text(_AXIS, bottom, day(start), fill=MUTED))
    parts.append(text(WIDTH - _RIGHT, bottom, day(end), fill=MUTED, text_anchor="end"))
    parts.append(text(WIDTH / 2, bottom, "— scope   — done   - - baseline", fill=INK,
                      text_anchor="middle", font_size=FONT - 1))  # fmt: skip
    label = (
        f"Scope burn-up since the baseline: scope {points[0].scope} → {points[-1].scope}, "
        f"done {points[0].done} → {points[-1].done}"
    )
    return svg(f"burnup-{release_id}", label, bottom + 6, *parts)
