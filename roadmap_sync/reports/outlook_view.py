"""The release outlook as the report shows it: forecast, baseline growth, metrics, features.

Pure: the engine hands over what the state store recorded for the reported run (and for the run
it is compared with, and the history since each baseline) as plain JSON-like values; this
module turns them into frozen views the renderers lay out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BaselineView",
    "BurnPoint",
    "ChangeLine",
    "FeatureStatus",
    "ForecastView",
    "MetricView",
    "OutlookInput",
    "ReleaseOutlook",
    "release_outlook",
]

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OutlookInput:
    """What the store recorded: outlooks of the reported and the compared run, and history."""

    current: Mapping[str, Json]
    previous: Mapping[str, Json] = field(default_factory=dict)
    history: Mapping[str, Sequence[tuple[dt.datetime, Json]]] = field(default_factory=dict)
    threshold: float = 0.7


@dataclass(frozen=True, slots=True)
class ForecastView:
    """A release's forecast, and its probability at the compared run."""

    p50: dt.date | None
    p85: dt.date | None
    p95: dt.date | None
    probability: float
    previous_probability: float | None
    cut_line: tuple[str, ...]
    weeks: int
    throughput: float
    growth: float
    at_risk: bool

    @property
    def change(self) -> float | None:
        """Probability now minus at the compared run."""
        if self.previous_probability is None:
            return None
        return self.probability - self.previous_probability


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One item that changed the release's scope since the baseline."""

    key: str
    kind: str
    points: float
    at: dt.datetime | None
    who: str | None


@dataclass(frozen=True, slots=True)
class BaselineView:
    """Scope now against the baseline: counts, points, who and when."""

    at: dt.datetime
    items: int
    points: float
    items_now: int
    points_now: float
    added: tuple[int, float]
    removed: tuple[int, float]
    moved_in: tuple[int, float]
    moved_out: tuple[int, float]
    growth: float | None
    unplanned_share: float | None
    redated: tuple[dt.date, dt.date] | None
    frozen: bool
    changes: tuple[ChangeLine, ...]


@dataclass(frozen=True, slots=True)
class MetricView:
    """A goal metric's target, latest reading, trend and status."""

    name: str
    target: Json | None  # {"value", "unit", "direction"}; None for a plain-text metric
    latest: Json | None  # {"value", "at"}
    status: str
    trend: str | None


@dataclass(frozen=True, slots=True)
class FeatureStatus:
    """A roadmap feature's live backlog status."""

    name: str
    items: int | None  # None: not known for this run
    done: int | None
    flagged: int | None
    uncovered: bool


@dataclass(frozen=True, slots=True)
class BurnPoint:
    """Scope and done scope items of a release at one recorded run."""

    at: dt.datetime
    scope: int
    done: int


@dataclass(frozen=True, slots=True)
class ReleaseOutlook:
    """Everything the outlook says about one release."""

    forecast: ForecastView | None
    forecast_reason: str | None
    baseline: BaselineView | None
    baseline_reason: str | None
    metrics: tuple[MetricView, ...]
    goal_met: bool | None
    burnup: tuple[BurnPoint, ...]
    feature_counts: Mapping[str, tuple[int, int, int]]  # name -> (items, done, flagged)


NO_OUTLOOK = "no outlook was recorded with this run (recorded by apply, run and serve)"


def _date(text: Any) -> dt.date | None:
    return dt.date.fromisoformat(text) if isinstance(text, str) else None


def _moment(text: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if isinstance(text, str) else None


def _pair(value: Any) -> tuple[int, float]:
    value = value or {}
    return int(value.get("items", 0)), float(value.get("points", 0.0))


def _forecast(data: Json, previous: Json | None, threshold: float, due: dt.date | None,
              today: dt.date) -> ForecastView | None:  # fmt: skip
    forecast = data.get("forecast")
    if not forecast:
        return None
    before = (previous or {}).get("forecast") or {}
    probability = float(forecast["probability_on_time"])
    basis = forecast.get("basis") or {}
    return ForecastView(
        p50=_date(forecast.get("p50")),
        p85=_date(forecast.get("p85")),
        p95=_date(forecast.get("p95")),
        probability=probability,
        previous_probability=before.get("probability_on_time"),
        cut_line=tuple(forecast.get("cut_line") or ()),
        weeks=int(basis.get("weeks", 0)),
        throughput=float(basis.get("throughput_per_week", 0.0)),
        growth=float(basis.get("scope_growth", 0.0)),
        at_risk=probability < threshold and due is not None and due >= today,
    )


def _baseline(data: Json) -> BaselineView | None:
    baseline = data.get("baseline")
    if not baseline:
        return None
    changes = data.get("scope_changes") or {}
    redated = changes.get("redated")
    return BaselineView(
        at=_moment(baseline["at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
        items=int(baseline["items"]),
        points=float(baseline["points"]),
        items_now=int(changes.get("items_now", baseline["items"])),
        points_now=float(changes.get("points_now", baseline["points"])),
        added=_pair(baseline.get("added")),
        removed=_pair(baseline.get("removed")),
        moved_in=_pair(baseline.get("moved_in")),
        moved_out=_pair(baseline.get("moved_out")),
        growth=baseline.get("growth"),
        unplanned_share=changes.get("unplanned_share"),
        redated=None
        if not redated
        else (dt.date.fromisoformat(redated["from"]), dt.date.fromisoformat(redated["to"])),
        frozen=bool(changes.get("frozen")),
        changes=tuple(
            ChangeLine(c["key"], c["kind"], float(c["points"]), _moment(c.get("at")), c.get("who"))
            for c in changes.get("changes") or ()
        ),
    )


def _metrics(data: Json, plain: Sequence[str]) -> tuple[MetricView, ...]:
    structured = {m["name"]: m for m in data.get("metrics") or ()}
    views = []
    for name in plain:
        metric = structured.get(name)
        if metric is None:  # a plain sentence: nothing to read or judge
            views.append(MetricView(name, None, None, "no_data", None))
        else:
            views.append(
                MetricView(name, metric.get("target"), metric.get("latest"), metric["status"],
                           metric.get("trend"))
            )  # fmt: skip
    return tuple(views)


def _burnup(
    history: Sequence[tuple[dt.datetime, Json]], since: dt.datetime | None
) -> tuple[BurnPoint, ...]:
    points = []
    for at, data in history:
        if since is not None and at < since:
            continue
        scope = data.get("scope") or {}
        points.append(BurnPoint(at, int(scope.get("items", 0)), int(scope.get("done_items", 0))))
    return tuple(points)


def release_outlook(
    release_id: str,
    metric_names: Sequence[str],
    due: dt.date | None,
    today: dt.date,
    given: OutlookInput | None,
) -> ReleaseOutlook | None:
    """The outlook view of one release (reasons say why a part is missing; None: not asked)."""
    if given is None:
        return None
    data = given.current.get(release_id)
    if data is None:
        return ReleaseOutlook(
            None, NO_OUTLOOK, None, NO_OUTLOOK, _metrics({}, metric_names), None, (), {}
        )
    baseline = _baseline(data)
    features = {
        f["name"]: (int(f["items"]), int(f["done"]), int(f["flagged"]))
        for f in data.get("features") or ()
    }
    return ReleaseOutlook(
        forecast=_forecast(data, given.previous.get(release_id), given.threshold, due, today),
        forecast_reason=data.get("forecast_reason"),
        baseline=baseline,
        baseline_reason=data.get("baseline_reason"),
        metrics=_metrics(data, metric_names),
        goal_met=data.get("goal_met"),
        burnup=_burnup(
            given.history.get(release_id, ()), None if baseline is None else baseline.at
        ),
        feature_counts=features,
    )
