"""From a schedule to its dated slots on a working-day calendar.

Every function here is pure: (schedule, calendar, first, last) -> slots. Quota
periods are always placed whole, then clipped to the range, so a session's
date never depends on the range a caller asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dateutil.rrule import rrulestr

from obligations.model import (
    PERIOD_MONTHS,
    WEEKDAYS,
    HolidayPolicy,
    OnceSchedule,
    Placement,
    QuotaSchedule,
    RRuleSchedule,
    Schedule,
    UnscheduledSchedule,
    WindowSchedule,
    YearlyDeadlineSchedule,
)
from scheduler.occurrence import Slot
from scheduler.periods import Span, month_start, months_span, period_label, periods_overlapping, split_months
from scheduler.workdays import WorkdayCalendar

_ONE_DAY = dt.timedelta(days=1)
Warn = Callable[[str], None]


def _ignore(_: str) -> None:
    pass


def slots_for(
    schedule: Schedule,
    cal: WorkdayCalendar,
    first: dt.date,
    last: dt.date,
    warn: Warn = _ignore,
    in_force: Span | None = None,
) -> list[Slot]:
    """The slots of ``schedule`` whose date lies in ``first..last`` (inclusive), sorted.

    ``in_force`` is the duty's effective period: a quota period it cuts (a plan
    issued on 31 March still asks for two lectures that year) is filled inside
    the part in force.
    """
    if isinstance(schedule, QuotaSchedule):
        out = quota_slots(schedule, cal, first, last, warn, in_force)
    elif isinstance(schedule, YearlyDeadlineSchedule):
        out = yearly_slots(schedule, cal, first, last)
    elif isinstance(schedule, WindowSchedule):
        out = window_slots(schedule, cal, first, last)
    elif isinstance(schedule, OnceSchedule):
        out = once_slots(schedule, cal, first, last)
    elif isinstance(schedule, RRuleSchedule):
        out = rrule_slots(schedule, cal, first, last)
    elif isinstance(schedule, UnscheduledSchedule):
        out = []
    else:  # pragma: no cover - the model's union is closed
        raise TypeError(f"unknown schedule {schedule!r}")
    return sorted((s for s in out if first <= s.date <= last), key=lambda s: (s.date, s.key))


# -- holiday policy ---------------------------------------------------------------------------


def apply_policy(day: dt.date, policy: HolidayPolicy, cal: WorkdayCalendar) -> dt.date | None:
    """Where a date goes under a holiday policy; None when it is skipped."""
    if policy is HolidayPolicy.keep:
        return day
    if cal.is_workday(day):
        return day
    if policy is HolidayPolicy.previous:
        return cal.previous_workday(day)
    if policy is HolidayPolicy.next:
        return cal.next_workday(day)
    return None


def _deadline(key: str, nominal: dt.date, policy: HolidayPolicy, cal: WorkdayCalendar,
              window_start: dt.date | None = None) -> Slot:
    moved = apply_policy(nominal, policy, cal)
    assert moved is not None  # skip is rejected for deadlines by the model
    return Slot(key, moved, nominal if moved != nominal else None, window_start)


# -- deadlines ----------------------------------------------------------------------------------


def _years(first: dt.date, last: dt.date) -> range:
    # one year of margin: a holiday move can cross New Year
    return range(first.year - 1, last.year + 2)


def yearly_slots(s: YearlyDeadlineSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date) -> list[Slot]:
    out = []
    for year in _years(first, last):
        last_day = (month_start(year, s.month + 1) - _ONE_DAY).day
        nominal = dt.date(year, s.month, min(s.day, last_day))  # 29 Feb -> 28 Feb
        if s.exclusive:
            nominal -= _ONE_DAY
        if nominal < first - dt.timedelta(days=15) or nominal > last + dt.timedelta(days=15):
            continue  # far outside: no policy can bring it in, and no calendar data is needed
        out.append(_deadline(str(year), nominal, s.holiday_policy, cal))
    return out


def window_slots(s: WindowSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date) -> list[Slot]:
    months = PERIOD_MONTHS[s.period]
    out = []
    for year in _years(first, last):
        indexes = [s.index] if s.index else range(1, 12 // months + 1)
        for index in indexes:
            span = months_span(year, (index - 1) * months + 1, months)
            if span.last < first - dt.timedelta(days=15) or span.last > last + dt.timedelta(days=15):
                continue
            out.append(_deadline(period_label(s.period, span), span.last, s.holiday_policy, cal, span.first))
    return out


def once_slots(s: OnceSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date) -> list[Slot]:
    nominal = s.date - _ONE_DAY if s.exclusive else s.date
    if nominal < first - dt.timedelta(days=15) or nominal > last + dt.timedelta(days=15):
        return []
    return [_deadline(s.date.isoformat(), nominal, s.holiday_policy, cal)]


# -- RRULE ----------------------------------------------------------------------------------------


def rrule_slots(s: RRuleSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date) -> list[Slot]:
    rule = rrulestr(s.rrule, dtstart=dt.datetime.combine(s.start, dt.time()))
    margin = dt.timedelta(days=15)
    lo = dt.datetime.combine(first - margin, dt.time())
    hi = dt.datetime.combine(last + margin, dt.time())
    out = []
    for when in rule.between(lo, hi, inc=True):
        nominal = when.date()
        moved = apply_policy(nominal, s.holiday_policy, cal)
        if moved is not None:
            out.append(Slot(nominal.isoformat(), moved, nominal if moved != nominal else None))
    return out


# -- quotas ----------------------------------------------------------------------------------------


def quota_slots(
    s: QuotaSchedule,
    cal: WorkdayCalendar,
    first: dt.date,
    last: dt.date,
    warn: Warn = _ignore,
    in_force: Span | None = None,
) -> list[Slot]:
    out: list[Slot] = []
    for period in periods_overlapping(s.per, first, last):
        label = period_label(s.per, period)
        placed = period
        if in_force is not None:
            placed = Span(max(period.first, in_force.first), min(period.last, in_force.last))
            if placed.first > placed.last:
                continue
        cut = placed != period
        for number, (part, day) in enumerate(place_in_period(s, placed, cal, cut), start=1):
            if day is None:
                if cut:
                    continue  # the part in force has no working day: nothing was due yet
                warn(
                    f"{label}: no working day between {part.first} and {part.last}, so session "
                    f"{number} of {s.count} per {s.per.value} cannot be placed"
                )
                continue
            key = label if s.count == 1 else f"{label}.{number}"
            out.append(Slot(key, day, None, part.first))
    return out


def place_in_period(
    s: QuotaSchedule, period: Span, cal: WorkdayCalendar, cut: bool = False
) -> list[tuple[Span, dt.date | None]]:
    """Split ``period`` into ``s.count`` parts and choose one working day in each.

    Periods of whole months that divide evenly (two per year, three per
    quarter) split into calendar parts, so month placements keep their
    meaning; anything else splits the period's working days into runs of
    nearly equal length.
    """
    place = s.place or Placement()
    months = PERIOD_MONTHS.get(s.per, 0)
    if s.count == 1:
        parts = [period]
    elif months and months % s.count == 0 and not cut:
        parts = split_months(period, s.count)
    else:
        return [(span, _choose(span, days, place, cal)) for span, days in _working_day_runs(period, s.count, cal)]
    return [(part, _choose(part, cal.workdays_between(part.first, part.last), place, cal)) for part in parts]


def _working_day_runs(period: Span, count: int, cal: WorkdayCalendar) -> list[tuple[Span, list[dt.date]]]:
    days = cal.workdays_between(period.first, period.last)
    if not days:
        return [(period, [])] * count
    runs = []
    size, extra = divmod(len(days), count)
    start = 0
    for k in range(count):
        n = size + (1 if k < extra else 0)
        run = days[start:start + n]
        start += n
        if run:
            runs.append((Span(run[0], run[-1]), run))
        else:
            runs.append((period, []))
    return runs


def _choose(part: Span, days: list[dt.date], place: Placement, cal: WorkdayCalendar) -> dt.date | None:
    if not days:
        return None
    if place.weekday is not None:
        target = part.first + dt.timedelta(days=(WEEKDAYS.index(place.weekday) - part.first.weekday()) % 7)
        after = [d for d in days if d >= target]
        if after:
            return after[0]
        return days[-1]
    if place.month is not None or place.day is not None:
        month_first = month_start(part.first.year, part.first.month + (place.month or 1) - 1)
        month_last = month_start(month_first.year, month_first.month + 1) - _ONE_DAY
        if place.day is not None:
            target = month_first.replace(day=min(place.day, month_last.day))
            if target in days:
                return target
            later = [d for d in days if d > target]
            earlier = [d for d in days if d < target]
            if place.shift == "next":
                return later[0] if later else earlier[-1]
            return earlier[-1] if earlier else later[0]
        in_month = [d for d in days if month_first <= d <= month_last]
        if not in_month:
            return None
        return _nth(in_month, place.nth_working_day or 1)
    if place.nth_working_day is not None:
        return _nth(days, place.nth_working_day)
    return days[0]


def _nth(days: list[dt.date], n: int) -> dt.date:
    """The n-th day (1-based; negative from the end), clamped to the list."""
    if n > 0:
        return days[min(n, len(days)) - 1]
    return days[max(n, -len(days))]


__all__ = ["apply_policy", "place_in_period", "slots_for"]
