"""Helpers every benchmark shares: timing one action, medians, verdicts against a target."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """``action()`` and its wall seconds, after a full collection so that runs start alike."""
    gc.collect()
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def median(values: Sequence[float]) -> float:
    """The median, NaN when there is no value."""
    return statistics.median(values) if values else math.nan


def verdict(ok: bool) -> str:
    """How a figure compares with its target: met / NOT met."""
    return "met" if ok else "NOT met"
