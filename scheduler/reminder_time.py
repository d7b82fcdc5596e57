"""When a reminder offset (7d, 3wd, 2h, 1w) falls for an occurrence.

All-day duties are reminded at 09:00 local time: "1d" is 09:00 the day before,
"0d" 09:00 on the day. Timed sessions count back from their start. Working-day
offsets count working days on the unit's calendar. Arithmetic is on local wall
time, so "1d" before a 09:00 session is 09:00 even across a DST change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from obligations.model import parse_offset
from scheduler.occurrence import Occurrence

REMIND_AT = dt.time(9, 0)
WorkdaysBefore = Callable[[dt.date, int], dt.date]
_UNITS = {"d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1), "h": dt.timedelta(hours=1)}


def anchor(occ: Occurrence, tz: ZoneInfo) -> dt.datetime:
    """The local wall time offsets count back from (naive)."""
    if occ.start is not None:
        return occ.start.astimezone(tz).replace(tzinfo=None)
    return dt.datetime.combine(occ.date, REMIND_AT)


def reminder_time(occ: Occurrence, offset: str, tz: ZoneInfo, workdays_before: WorkdaysBefore) -> dt.datetime:
    """The aware local time of one reminder."""
    n, unit = parse_offset(offset)
    base = anchor(occ, tz)
    if unit == "wd":
        local = dt.datetime.combine(workdays_before(occ.date, n), base.time())
    else:
        local = base - n * _UNITS[unit]
    return local.replace(tzinfo=tz)


__all__ = ["REMIND_AT", "WorkdaysBefore", "anchor", "reminder_time"]
