"""The last check before any write: every change is to an item read inside the roadmap's
projects.

The tracker already drops search results outside the scope's projects; this check holds even
if something upstream went wrong (a lying search result, a bug in a query): a roadmap's author
must never be able to make the bot write where the roadmap does not reach.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import structlog

from roadmap_sync.core.model import BacklogItem, LabelChange
from roadmap_sync.trackers.base import TrackerError

__all__ = ["ScopeError", "assert_in_scope"]

log = structlog.get_logger(__name__)


class ScopeError(TrackerError):
    """A planned change lies outside the roadmap's projects; nothing was written."""


def assert_in_scope(
    changes: Iterable[LabelChange], items: Iterable[BacklogItem], projects: Collection[str]
) -> None:
    """Raise ``ScopeError`` unless each change is to an item of one of ``projects``."""
    inside = {item.key for item in items if item.project in projects}
    foreign = sorted({change.key for change in changes} - inside)
    if foreign:
        log.error("write_outside_scope_refused", issues=foreign[:20], count=len(foreign))
        shown = ", ".join(foreign[:10]) + (" ..." if len(foreign) > 10 else "")
        raise ScopeError(
            f"refused to write: {len(foreign)} planned change(s) outside the roadmap's "
            f"projects {sorted(projects)}: {shown}"
        )
