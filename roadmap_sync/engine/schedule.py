"""When the next full reconcile is due, from ``ROADMAP_SYNC_FULL_SYNC_CRON``."""

from __future__ import annotations

import datetime as dt

from roadmap_sync.runtime.schedule import cron_trigger

__all__ = ["full_sync_due"]


def full_sync_due(
    expression: str, timezone: str, last_full: dt.datetime | None, now: dt.datetime
) -> bool:
    """Whether the schedule fired since the last full read began (or there never was one)."""
    if last_full is None:
        return True
    # The first fire time strictly after the read began (a read started on the dot counts).
    after = last_full + dt.timedelta(microseconds=1)
    following = cron_trigger(expression, timezone).get_next_fire_time(None, after)
    return following is not None and following <= now
