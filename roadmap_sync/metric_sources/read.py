"""One entry point: the readings of a structured metric, from whichever source it names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from roadmap_sync.core.metric_status import Reading
from roadmap_sync.core.roadmap import HttpSource, ManualSource, Metric, PrometheusSource
from roadmap_sync.metric_sources.http_json import read_http
from roadmap_sync.metric_sources.manual import ManualReadings, load_manual
from roadmap_sync.metric_sources.prometheus import read_prometheus

__all__ = ["MANUAL_FILE", "ManualReadings", "load_manual", "manual_path", "read_source"]

MANUAL_FILE = "metrics.yaml"
TIMEOUT = 10.0


def read_source(
    metric: Metric,
    release: str,
    *,
    today: dt.date,
    manual: ManualReadings | None,
    timeout: float = TIMEOUT,
) -> tuple[str, list[Reading]]:
    """(source kind, readings): every manual reading, or today's reading of an automated source.

    Raises ``MetricSourceError`` when the source cannot answer.
    """
    source = metric.source
    if isinstance(source, ManualSource):
        return "manual", [] if manual is None else manual.of(release, metric.name)
    if isinstance(source, HttpSource):
        return "http", [Reading(today, read_http(source.url, source.pointer, timeout))]
    if isinstance(source, PrometheusSource):
        return "prometheus", [Reading(today, read_prometheus(source.url, source.query, timeout))]
    raise AssertionError(source)  # the roadmap model allows no other source


def manual_path(roadmap_file: Path | None) -> Path | None:
    """The metrics.yaml beside a roadmap file (None for a roadmap not loaded from a file)."""
    return None if roadmap_file is None else roadmap_file.with_name(MANUAL_FILE)
