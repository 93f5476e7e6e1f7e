"""Goal metric status: from a metric's target and its readings to on_track, met, missed, ...

Pure. A release's goal is judged by its metrics once it has shipped:

- ``pending``: the release date has not come; the metric cannot answer yet;
- ``no_data``: the release has shipped and there is no reading yet;
- ``met``: the latest reading reaches the target;
- ``on_track``: not there yet, but moving towards the target (or holding), before the review;
- ``missed``: the review date has passed without reaching the target, or the metric is moving
  away from the target.

The trend compares the latest reading with the one before it: ``up``, ``down`` or ``flat``.
After the review date a release's goal is met when every structured metric is met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from roadmap_sync.core.roadmap import Metric

__all__ = ["MetricState", "MetricStatus", "Reading", "goal_met", "metric_state"]


class MetricStatus(StrEnum):
    """Where a goal metric stands."""

    PENDING = "pending"
    NO_DATA = "no_data"
    MET = "met"
    ON_TRACK = "on_track"
    MISSED = "missed"


class Reading(NamedTuple):
    """One value of a metric on a day."""

    at: dt.date
    value: float


@dataclass(frozen=True, slots=True)
class MetricState:
    """A metric's latest value, trend and status."""

    name: str
    latest: Reading | None
    trend: str | None  # up, down, flat; None with fewer than two readings
    status: MetricStatus
    review: dt.date | None


def _trend(readings: Sequence[Reading]) -> str | None:
    if len(readings) < 2:
        return None
    before, latest = readings[-2].value, readings[-1].value
    if latest == before:
        return "flat"
    return "up" if latest > before else "down"


def metric_state(
    metric: Metric, readings: Sequence[Reading], *, today: dt.date, release_date: dt.date
) -> MetricState:
    """The state of one structured metric from its readings (any order)."""
    ordered = sorted((r for r in readings if r.at <= today), key=lambda r: r.at)
    latest = ordered[-1] if ordered else None
    trend = _trend(ordered)
    review = metric.review
    if today < release_date:
        status = MetricStatus.PENDING
    elif latest is None:
        status = MetricStatus.NO_DATA
    else:
        status = _judge(metric, latest, trend, today)
    return MetricState(metric.name, latest, trend, status, review)


def _judge(metric: Metric, latest: Reading, trend: str | None, today: dt.date) -> MetricStatus:
    if metric.target.met_by(latest.value):
        return MetricStatus.MET
    if metric.review is not None and today > metric.review:
        return MetricStatus.MISSED
    wanted = "up" if metric.target.direction == "up" else "down"
    if trend in (None, "flat", wanted):
        return MetricStatus.ON_TRACK
    return MetricStatus.MISSED


def goal_met(states: Sequence[MetricState], today: dt.date) -> bool | None:
    """After every review date: whether all structured metrics met their targets (else None)."""
    if not states or any(s.review is None or today <= s.review for s in states):
        return None
    return all(s.status is MetricStatus.MET for s in states)
