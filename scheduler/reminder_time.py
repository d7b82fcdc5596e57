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
from obligations.schedules import QuotaSchedule, WindowSchedule
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


def opening_time(occ: Occurrence, tz: ZoneInfo, next_workday: Callable[[dt.date], dt.date]) -> dt.datetime | None:
    """When an unplaced window of a period duty opens: 09:00 on its first working day (aware local time).

    Only quota and window schedules (每周至少1天, 第一季度内) have one: their window is the period
    the document names. A yearly deadline's or a one-off's window (1 January to the deadline) is
    a convention, and a notice on 2 January for every deadline of the year would be noise.
    None as well for a planned occurrence (its day is chosen: lead times say it), a window of
    one day, or one whose first working day is its due day (its "today" reminder says it).
    """
    if not isinstance(occ.obligation.schedule, QuotaSchedule | WindowSchedule):
        return None
    if occ.planned is not None or occ.window_start is None or occ.window_end is None:
        return None
    due = occ.due or occ.date
    if occ.window_start >= occ.window_end:
        return None
    first = next_workday(occ.window_start)
    if first >= due:
        return None
    return dt.datetime.combine(first, REMIND_AT, tz)


def last_reminder(
    occ: Occurrence, offsets: Iterable[Offset], tz: ZoneInfo, workdays_before: WorkdaysBefore
) -> dt.datetime | None:
    """The latest of the occurrence's reminders (aware local time); None without any.

    From then on a deadline is due soon: the page colours it yellow from this day
    (:func:`scheduler.planner.urgency`), the day the engine sends that reminder.
    """
    return max((reminder_time(occ, offset, tz, workdays_before) for offset in offsets), default=None)


__all__ = ["REMIND_AT", "WorkdaysBefore", "anchor", "last_reminder", "opening_time", "reminder_time"]
