"""A metric read from a URL answering JSON, picked out by an RFC 6901 JSON Pointer."""

from __future__ import annotations

from typing import Any

import requests

from roadmap_sync.metric_sources.base import MetricSourceError, where

__all__ = ["read_http", "resolve_pointer"]

USER_AGENT = "roadmap-sync"


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer ("" is the whole document); KeyError when absent."""
    if pointer == "":
        return document
    value = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list):
            if not token.isdigit() or int(token) >= len(value):
                raise KeyError(pointer)
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            raise KeyError(pointer)
    return value


def number(value: Any, what: str) -> float:
    """A reading as a float: JSON numbers, and numbers sent as strings (Prometheus does)."""
    if isinstance(value, bool):
        raise MetricSourceError(f"{what} is a boolean, not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise MetricSourceError(f"{what} is {str(value)[:40]!r}, not a number")


def get_json(url: str, params: dict[str, str] | None, timeout: float) -> Any:
    """GET a JSON document; every failure is a MetricSourceError naming only the host."""
    host = where(url)
    try:
        response = requests.get(
            url, params=params, timeout=timeout, headers={"User-Agent": USER_AGENT},
            allow_redirects=False,
        )  # fmt: skip
    except requests.RequestException as error:
        raise MetricSourceError(f"{host}: {type(error).__name__}") from None
    if not response.ok:
        raise MetricSourceError(f"{host} answered HTTP {response.status_code} {response.reason}")
    try:
        return response.json()
    except ValueError:
        raise MetricSourceError(f"{host} did not answer JSON") from None


def read_http(url: str, pointer: str, timeout: float) -> float:
    """The number at `pointer` in the JSON at `url`."""
    document = get_json(url, None, timeout)
    try:
        value = resolve_pointer(document, pointer)
    except KeyError:
        raise MetricSourceError(f"{where(url)}: nothing at JSON Pointer {pointer!r}") from None
    return number(value, f"{where(url)} {pointer or '/'}")
