"""Cron expressions: the worker's jobs, and when the next full reconcile is due."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "full_sync_due"]


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A crontab expression (5 fields), or 6 with leading seconds for sub-minute schedules."""
    fields = expression.split()
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            timezone=timezone,
        )
    return CronTrigger.from_crontab(expression, timezone=timezone)


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
