"""Reading roadmap files: the only file I/O of roadmap loading; parsing is the core's.

Keys are checked with the tracker's own syntax (Jira's ``ACME-12``), and ``tracker.jql`` with
its query checker (Jira's JQL parser), both taken from the registry.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from roadmap_sync.core.roadmap import ConfigProblem, Roadmap, RoadmapSource, parse_roadmaps
from roadmap_sync.trackers.registry import DEFAULT_TRACKER, adapter

__all__ = ["load_roadmap", "load_roadmaps"]


def load_roadmaps(
    paths: Iterable[str | os.PathLike[str]], tracker: str = DEFAULT_TRACKER
) -> list[Roadmap]:
    """Load and validate roadmap files; raise RoadmapError listing every problem in all files."""
    sources: list[RoadmapSource] = []
    unreadable: list[ConfigProblem] = []
    for name in paths:
        path = Path(name)
        try:
            sources.append(RoadmapSource(path, path.read_bytes()))
        except OSError as exc:
            unreadable.append(
                ConfigProblem(str(path), None, None, "", f"cannot read: {exc.strerror}")
            )
    found = adapter(tracker)
    return parse_roadmaps(
        sources, found.key_syntax, unreadable=unreadable, query_syntax=found.query_syntax
    )


def load_roadmap(path: str | os.PathLike[str], tracker: str = DEFAULT_TRACKER) -> Roadmap:
    """Load and validate one roadmap file."""
    return load_roadmaps([path], tracker)[0]
