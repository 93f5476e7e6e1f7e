"""The one place that knows which trackers exist.

Adapters are named by import path and loaded on first use, so a command that never talks to
a tracker does not pay for importing its client library. Adding a tracker: write an adapter
package exposing ``ADAPTER`` (see ``trackers/jira/__init__.py``) and list it in ``ADAPTERS``.
"""

from __future__ import annotations

import importlib
from functools import cache

from roadmap_sync.trackers.base import Tracker, TrackerError
from roadmap_sync.trackers.registry_types import Adapter, ConnectOptions

__all__ = ["ADAPTERS", "DEFAULT_TRACKER", "adapter", "connect"]

DEFAULT_TRACKER = "jira"
ADAPTERS: dict[str, str] = {
    "jira": "roadmap_sync.trackers.jira:ADAPTER",
}


@cache
def adapter(name: str = DEFAULT_TRACKER) -> Adapter:
    """The adapter registered under `name`; TrackerError naming the known ones otherwise."""
    target = ADAPTERS.get(name)
    if target is None:
        known = ", ".join(sorted(ADAPTERS))
        raise TrackerError(f"unknown tracker {name!r} (known: {known})")
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(found, Adapter):
        raise TypeError(f"{target} is not an Adapter")
    return found


def connect(options: ConnectOptions, name: str = DEFAULT_TRACKER) -> Tracker:
    """Connect to the tracker `name` (TrackerError with a safe message if that fails)."""
    return adapter(name).connect(options)
