"""Goal metrics: statuses from targets and readings, and structured metrics in the roadmap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from roadmap_sync.core.metric_status import MetricStatus, Reading, goal_met, metric_state
from roadmap_sync.core.roadmap import Metric, Roadmap, RoadmapError, RoadmapSource, parse_roadmap

SHIPPED = dt.date(2026, 11, 15)
REVIEW = dt.date(2026, 12, 31)


def metric(value: float = 3.0, direction: str = "up", review: dt.date | None = REVIEW) -> Metric:
    """A conversion metric: at least (up) or at most (down) `value` percent."""
    return Metric.model_validate(
        {"name": "Conversion", "target": {"value": value, "unit": "%", "direction": direction},
         "review": review}
    )  # fmt: skip


def r(day: int, value: float) -> Reading:
    """A reading `day` days after the release shipped."""
    return Reading(SHIPPED + dt.timedelta(days=day), value)


@pytest.mark.parametrize(
    ("readings", "today", "target", "status", "trend"),
    [
        pytest.param([r(-5, 2.0)], SHIPPED - dt.timedelta(days=1), metric(), "pending", None,
                     id="before-the-release-date"),
        pytest.param([], SHIPPED, metric(), "no_data", None, id="shipped-without-readings"),
        pytest.param([r(1, 2.1), r(8, 3.2)], SHIPPED + dt.timedelta(10), metric(), "met", "up",
                     id="target-reached"),
        pytest.param([r(1, 2.1), r(8, 2.4)], SHIPPED + dt.timedelta(10), metric(), "on_track",
                     "up", id="moving-towards-it"),
        pytest.param([r(1, 2.4), r(8, 2.1)], SHIPPED + dt.timedelta(10), metric(), "missed",
                     "down", id="moving-away"),
        pytest.param([r(1, 2.1), r(8, 2.4)], REVIEW + dt.timedelta(1), metric(), "missed", "up",
                     id="review-passed-short-of-target"),
        pytest.param([r(1, 70), r(8, 58)], SHIPPED + dt.timedelta(10),
                     metric(60, "down"), "met", "down", id="lower-is-better"),
        pytest.param([r(1, 2.0), r(8, 2.0)], SHIPPED + dt.timedelta(10), metric(), "on_track",
                     "flat", id="holding"),
        pytest.param([r(1, 2.0), r(30, 3.5)], SHIPPED + dt.timedelta(10), metric(), "on_track",
                     None, id="future-readings-ignored"),
    ],
)  # fmt: skip
def test_metric_status(
    readings: list[Reading], today: dt.date, target: Metric, status: str, trend: str | None
) -> None:
    """Pending before the release, then met / on track / missed from target, trend and review."""
    state = metric_state(target, readings, today=today, release_date=SHIPPED)
    assert (state.status.value, state.trend) == (status, trend)


def test_goal_met_only_after_every_review() -> None:
    """The release goal is judged once every metric's review date has passed."""
    met = metric_state(metric(), [r(1, 3.5)], today=REVIEW, release_date=SHIPPED)
    assert goal_met([met], REVIEW) is None
    later = REVIEW + dt.timedelta(days=1)
    met = metric_state(metric(), [r(1, 3.5)], today=later, release_date=SHIPPED)
    missed = metric_state(metric(), [r(1, 1.0)], today=later, release_date=SHIPPED)
    assert goal_met([met], later) is True
    assert goal_met([met, missed], later) is False
    assert missed.status is MetricStatus.MISSED


ROADMAP = """\
product: Acme
tracker: {projects: [ACME]}
releases:
  - id: r1
    name: Checkout
    date: 2026-11-15
    goal: Convert
    committed: 2026-10-01
    metrics:
      - Cart abandonment below 60 %
      - name: Checkout conversion
        target: {value: 3, unit: "%", direction: up}
        baseline: 2.1
        review: 2026-12-31
        source: {type: prometheus, url: "http://127.0.0.1:9090", query: "checkout_rate"}
      - name: NPS
        target: {value: 40}
    features: [{name: Guest checkout, epics: [ACME-1]}]
"""


def test_structured_and_plain_metrics_load() -> None:
    """Plain strings stay valid beside structured metrics; manual is the default source."""
    roadmap = parse_roadmap(RoadmapSource(Path("roadmap.yaml"), ROADMAP.encode()))
    assert isinstance(roadmap, Roadmap)
    release = roadmap.releases[0]
    assert release.metric_names == ("Cart abandonment below 60 %", "Checkout conversion", "NPS")
    conversion, nps = release.structured_metrics
    assert conversion.source.type == "prometheus" and conversion.baseline == 2.1
    assert nps.source.type == "manual" and nps.target.direction == "up"
    assert release.committed == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        pytest.param('url: "http://127.0.0.1:9090"', 'url: "ftp://x"', id="not-http"),
        pytest.param("direction: up}", "direction: sideways}", id="bad-direction"),
        pytest.param('query: "checkout_rate"', 'pointer: "/x"', id="prometheus-needs-a-query"),
    ],
)
def test_bad_metrics_are_located(broken: str, problem: str) -> None:
    """A broken metric is reported with its file, line and location in the roadmap."""
    with pytest.raises(RoadmapError) as raised:
        parse_roadmap(
            RoadmapSource(Path("roadmap.yaml"), ROADMAP.replace(broken, problem, 1).encode())
        )
    assert "roadmap.yaml:" in str(raised.value)
    assert "releases[0].metrics[1]" in str(raised.value)
