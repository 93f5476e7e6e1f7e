"""A metric read from Prometheus (or anything speaking its HTTP API): one instant query.

``GET {url}/api/v1/query?query=...`` answers ``{"status": "success", "data": {"resultType":
"vector" | "scalar", "result": ...}}``; a vector's first sample, or the scalar, is the reading
(values arrive as strings). ``{"status": "error", "errorType", "error"}`` is reported as is.
"""

from __future__ import annotations

from typing import Any

from roadmap_sync.metric_sources.base import MetricSourceError, where
from roadmap_sync.metric_sources.http_json import get_json, number

__all__ = ["read_prometheus"]


def _sample(data: Any, host: str) -> Any:
    kind = data.get("resultType") if isinstance(data, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return result[1]
    if kind == "vector" and isinstance(result, list):
        if not result:
            raise MetricSourceError(f"{host}: the query returned no series")
        value = result[0].get("value") if isinstance(result[0], dict) else None
        if isinstance(value, list) and len(value) == 2:
            return value[1]
    raise MetricSourceError(f"{host}: unexpected query result ({kind or 'no resultType'})")


def read_prometheus(url: str, query: str, timeout: float) -> float:
    """The value of an instant query."""
    host = where(url)
    body = get_json(url.rstrip("/") + "/api/v1/query", {"query": query}, timeout)
    if not isinstance(body, dict):
        raise MetricSourceError(f"{host} did not answer the Prometheus API shape")
    if body.get("status") != "success":
        kind = body.get("errorType", "error")
        raise MetricSourceError(f"{host}: {kind}: {str(body.get('error', ''))[:200]}")
    return number(_sample(body.get("data"), host), f"{host} query result")
