"""Where goal metric readings come from: a manual file, an HTTP JSON endpoint, Prometheus.

Adapters beside ``state``/``reports``/``trackers``: they do I/O and return the core's
``Reading`` values. Reading a source never fails a sync: every failure is a
``MetricSourceError`` whose message says what went wrong without the URL's credentials, and the
engine turns it into a ``metric_unavailable`` finding.
"""

from roadmap_sync.metric_sources.base import MetricSourceError
from roadmap_sync.metric_sources.read import (
    MANUAL_FILE,
    ManualReadings,
    load_manual,
    manual_path,
    read_source,
)

__all__ = [
    "MANUAL_FILE",
    "ManualReadings",
    "MetricSourceError",
    "load_manual",
    "manual_path",
    "read_source",
]
