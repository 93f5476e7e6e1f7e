"""What a tracker adapter provides to the registry, and what connecting to one takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roadmap_sync.core.roadmap import KeySyntax
from roadmap_sync.core.roadmap.types import QuerySyntax
from roadmap_sync.runtime.retry import RetryPolicy
from roadmap_sync.trackers.base import Tracker

__all__ = ["Adapter", "ConnectOptions"]


@dataclass(frozen=True)
class ConnectOptions:
    """Everything an adapter needs to connect; built from the settings by the registry."""

    url: str
    email: str | None
    token: str
    policy: RetryPolicy
    timeout: float = 30.0
    concurrency: int = 4
    bulk_threshold: int = 100  # as ROADMAP_SYNC_BULK_THRESHOLD
    on_wait: Callable[[float], None] | None = None
    on_response: Callable[[int], None] | None = None
    on_request: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Adapter:
    """One tracker: its name in settings, its key syntax (roadmap validation), how to connect."""

    name: str
    title: str
    key_syntax: KeySyntax
    connect: Callable[[ConnectOptions], Tracker]
    query_syntax: QuerySyntax | None = None
