"""When a reminder offset (7d, 3wd, 2h, 1w) falls for an occurrence.

All-day duties are reminded at 09:00 local time: "1d" is 09:00 the day before,
"0d" 09:00 on the day. Timed sessions count back from their start. Working-day
offsets count working days on the unit's calendar. Arithmetic is on local wall
time, so "1d" before a 09:00 session is 09:00 even across a DST change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from obligations.offset import Offset, OffsetUnit
from scheduler.occurrence import Occurrence

REMIND_AT = dt.time(9, 0)  # the one home of "09:00": reminders, escalations (the morning after), snoozes
WorkdaysBefore = Callable[[dt.date, int], dt.date]
_STEP = {OffsetUnit.days: dt.timedelta(days=1), OffsetUnit.weeks: dt.timedelta(weeks=1),
         OffsetUnit.hours: dt.timedelta(hours=1)}


def anchor(occ: Occurrence, tz: ZoneInfo) -> dt.datetime:
    """The local wall time offsets count back from (naive)."""
    if occ.start is not None:
        return occ.start.astimezone(tz).replace(tzinfo=None)
    return dt.datetime.combine(occ.date, REMIND_AT)


def reminder_time(occ: Occurrence, offset: Offset, tz: ZoneInfo, workdays_before: WorkdaysBefore) -> dt.datetime:
    """The aware local time of one reminder."""
    base = anchor(occ, tz)
    if offset.unit is OffsetUnit.working_days:
        local = dt.datetime.combine(workdays_before(occ.date, offset.amount), base.time())
    else:
        local = base - offset.amount * _STEP[offset.unit]
    return local.replace(tzinfo=tz)


def last_reminder(
    occ: Occurrence, offsets: Iterable[Offset], tz: ZoneInfo, workdays_before: WorkdaysBefore
) -> dt.datetime | None:
    """The latest of the occurrence's reminders (aware local time); None without any.

    From then on a deadline is due soon: the page colours it yellow from this day
    (:func:`scheduler.planner.urgency`), the day the engine sends that reminder.
    """
    return max((reminder_time(occ, offset, tz, workdays_before) for offset in offsets), default=None)


__all__ = ["REMIND_AT", "WorkdaysBefore", "anchor", "last_reminder", "reminder_time"]
