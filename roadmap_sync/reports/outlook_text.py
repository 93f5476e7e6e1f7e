"""Sentences for the release outlook, shared by the Markdown and HTML renderings."""

from __future__ import annotations

from roadmap_sync.reports.fmt import day, number, percent, percent_points, signed
from roadmap_sync.reports.outlook_view import BaselineView, ForecastView, MetricView

__all__ = [
    "STATUS_TITLES",
    "baseline_line",
    "forecast_basis",
    "forecast_line",
    "metric_latest",
    "metric_target",
    "probability_change",
]

STATUS_TITLES = {
    "pending": "pending",
    "no_data": "no data",
    "met": "met",
    "on_track": "on track",
    "missed": "missed",
}
TREND_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def probability_change(forecast: ForecastView) -> str:
    """'(was 31%, -12 pts)' or '' when there is nothing to compare with."""
    if forecast.previous_probability is None:
        return ""
    change = percent_points(forecast.change)
    return f" (was {percent(forecast.previous_probability)}, {change})"


def forecast_line(forecast: ForecastView, due: str) -> str:
    """P50 / P85 / P95, the chance by the date and its change, the cut line."""

    def when(value: object) -> str:
        return day(value) if value is not None else "beyond 3 years"  # type: ignore[arg-type]

    text = (
        f"{percent(forecast.probability)} chance by {due}{probability_change(forecast)}; "
        f"P50 {when(forecast.p50)}, P85 {when(forecast.p85)}, P95 {when(forecast.p95)}"
    )
    if forecast.cut_line:
        text += f"; fits by the date (P85): {', '.join(forecast.cut_line)}"
    else:
        text += "; no feature with open work fits by the date (P85)"
    return text


def forecast_basis(forecast: ForecastView) -> str:
    """What the forecast rests on."""
    return (
        f"{number(forecast.throughput)} scope items resolved a week over {forecast.weeks} weeks, "
        f"scope growing {number(forecast.growth)} items a week"
    )


def baseline_line(baseline: BaselineView) -> str:
    """Scope since the baseline: counts, points, re-dating, unplanned share."""
    delta = baseline.items_now - baseline.items
    share = "" if baseline.growth is None else f", {signed(round(baseline.growth * 100))}%"
    text = (
        f"since {day(baseline.at)}: {baseline.items} → {baseline.items_now} scope items "
        f"({signed(delta)}{share}), {number(baseline.points)} → {number(baseline.points_now)} "
        f"points; {baseline.added[0]} added, {baseline.moved_in[0]} moved in, "
        f"{baseline.moved_out[0]} moved out, {baseline.removed[0]} removed"
    )
    if baseline.unplanned_share is not None:
        text += f"; {percent(baseline.unplanned_share)} unplanned"
    if baseline.redated is not None:
        text += f"; re-dated {day(baseline.redated[0])} → {day(baseline.redated[1])}"
    if baseline.frozen:
        text += " (shipped: frozen)"
    return text


def metric_target(metric: MetricView) -> str:
    """'≥ 3 %' for an up target, '≤ 60 %' for a down one, a dash for a plain-text metric."""
    if metric.target is None:
        return "–"
    sign = "≥" if metric.target.get("direction", "up") == "up" else "≤"
    unit = f" {metric.target['unit']}" if metric.target.get("unit") else ""
    return f"{sign} {number(float(metric.target['value']))}{unit}"


def metric_latest(metric: MetricView) -> str:
    """'2.8 on 2026-11-27 ↑', or a dash without readings."""
    if metric.latest is None:
        return "–"
    arrow = f" {TREND_ARROWS[metric.trend]}" if metric.trend in TREND_ARROWS else ""
    return f"{number(float(metric.latest['value']))} on {metric.latest['at']}{arrow}"
