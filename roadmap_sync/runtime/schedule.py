"""Cron expressions, parsed by APScheduler itself so that settings and the worker agree."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_problem", "cron_trigger"]


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


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is no usable schedule (None when it is one)."""
    if len(expression.split()) not in (5, 6):
        return (
            f"{expression!r} is not a cron expression: 5 fields (minute hour day month "
            "weekday), or 6 with leading seconds"
        )
    try:
        trigger = cron_trigger(expression, "UTC")
    except (ValueError, KeyError) as error:
        return f"{expression!r} is not a valid cron expression: {error}"
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    if trigger.get_next_fire_time(None, start) is None:
        return f"{expression!r} never fires (a date that does not exist, like 31 February?)"
    return None
