"""Manual readings: ``metrics.yaml`` next to the roadmap file.

```yaml
# metrics.yaml: one entry per reading
- metric: Checkout conversion   # the metric's name in the roadmap
  release: r1                   # optional: needed only when two releases share a metric name
  date: 2026-11-20
  value: 2.6
```

A broken file is one ``MetricSourceError`` naming the file, the entry and the problem; the
readings of every metric that uses the file are then unavailable, not wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from roadmap_sync.core.metric_status import Reading
from roadmap_sync.metric_sources.base import MetricSourceError

__all__ = ["ManualReadings", "load_manual"]

Key = tuple[str | None, str]  # (release id or None, metric name)


class ManualReadings:
    """The readings of one metrics.yaml, by (release, metric)."""

    def __init__(self, readings: Mapping[Key, list[Reading]], source: str) -> None:
        self._readings = readings
        self.source = source

    def of(self, release: str, metric: str) -> list[Reading]:
        """A metric's readings: those for its release, and those naming no release."""
        found = [
            *self._readings.get((release, metric), ()),
            *self._readings.get((None, metric), ()),
        ]
        return sorted(found, key=lambda reading: reading.at)


def _entry(index: int, entry: Any, path: Path) -> tuple[Key, Reading]:
    where = f"{path}: entry {index + 1}"
    if not isinstance(entry, dict):
        raise MetricSourceError(f"{where}: expected metric, date and value")
    unknown = set(entry) - {"metric", "release", "date", "value"}
    if unknown:
        raise MetricSourceError(f"{where}: unknown keys {sorted(unknown)}")
    metric, release, day, value = (entry.get(k) for k in ("metric", "release", "date", "value"))
    if not isinstance(metric, str) or not metric.strip():
        raise MetricSourceError(f"{where}: 'metric' must name a metric of the roadmap")
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            day = None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise MetricSourceError(f"{where}: 'date' must be a day like 2026-11-20")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MetricSourceError(f"{where}: 'value' must be a number, not {value!r}")
    if release is not None and not isinstance(release, str):
        raise MetricSourceError(f"{where}: 'release' must be a release id")
    return (release, metric.strip()), Reading(day, float(value))


def load_manual(path: Path) -> ManualReadings:
    """Read a metrics.yaml (a missing file has no readings)."""
    if not path.is_file():
        return ManualReadings({}, str(path))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise MetricSourceError(f"{path}: cannot read: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise MetricSourceError(f"{path}{at}: {problem}") from None
    if document is None:
        return ManualReadings({}, str(path))
    if not isinstance(document, list):
        raise MetricSourceError(f"{path}: expected a list of readings (metric, date, value)")
    readings: dict[Key, list[Reading]] = {}
    for index, entry in enumerate(document):
        key, reading = _entry(index, entry, path)
        readings.setdefault(key, []).append(reading)
    return ManualReadings(readings, str(path))
