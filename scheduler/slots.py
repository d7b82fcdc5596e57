"""From a schedule to its dated slots on a working-day calendar.

Every function here is pure: (schedule, calendar, first, last) -> slots. Quota
periods are always placed whole, then clipped to the range, so a session's
date never depends on the range a caller asked for.

Every slot is a window (``window_start`` .. ``window_end``, inclusive) with a
``due`` day and, when the rule fixes one, a ``planned`` day; its ``date`` is
``planned`` or else ``due``. docs/rules.md (Windows) says how each kind sets them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dateutil.rrule import rrulestr

from i18n import N_
from obligations.checks import MAX_OCCURRENCES_PER_YEAR, rrule_parts_problem
from obligations.schedules import (
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
from scheduler.cycles import groups_overlapping
from scheduler.occurrence import Slot
from scheduler.periods import (
    Span,
    month_start,
    months_span,
    period_label,
    period_words,
    split_months,
)
from scheduler.warning import ExpansionWarning
from scheduler.workdays import WorkdayCalendar

_ONE_DAY = dt.timedelta(days=1)
_MARGIN = dt.timedelta(days=15)  # the longest holiday move (Spring Festival) is under two weeks
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
        out = yearly_slots(schedule, cal, first, last, in_force)
    elif isinstance(schedule, WindowSchedule):
        out = window_slots(schedule, cal, first, last, in_force)
    elif isinstance(schedule, OnceSchedule):
        out = once_slots(schedule, cal, first, last, in_force)
    elif isinstance(schedule, RRuleSchedule):
        out = rrule_slots(schedule, cal, first, last, warn)
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


def _may_land(nominal: dt.date, policy: HolidayPolicy, first: dt.date, last: dt.date) -> bool:
    """Whether a date could end up in ``first..last`` under ``policy``.

    Dates in the margin around the range are looked at only when their policy
    could move them in, so a range ending on 31 December never needs next
    year's holiday notice for a date that can only move further out.
    """
    if first <= nominal <= last:
        return True
    if policy is HolidayPolicy.previous:
        return last < nominal <= last + _MARGIN
    if policy is HolidayPolicy.next:
        return first - _MARGIN <= nominal < first
    return False


def _deadline(key: str, nominal: dt.date, policy: HolidayPolicy, cal: WorkdayCalendar,
              first: dt.date, last: dt.date, opens: dt.date | None, begins: dt.date | None = None) -> Slot | None:
    """A deadline's slot: due on ``nominal`` under ``policy``, no planned day.

    The window runs from ``opens`` (None: 1 January of the due day's year, or
    ``begins``, the first day in force, when later) to the written day, or to the
    due day when ``next`` moved it later; it never opens after the due day.
    """
    if not _may_land(nominal, policy, first, last):
        return None
    due = apply_policy(nominal, policy, cal)
    assert due is not None  # skip is rejected for deadlines by the model
    start = min(opens or max(dt.date(due.year, 1, 1), begins or dt.date.min), due)
    return Slot(key, due, nominal if due != nominal else None, start, window_end=max(nominal, due), due=due)


def _begins(in_force: Span | None) -> dt.date | None:
    """The first day in force, None when the duty has no ``from``."""
    return in_force.first if in_force is not None and in_force.first != dt.date.min else None


# -- deadlines ----------------------------------------------------------------------------------


def _years(first: dt.date, last: dt.date) -> range:
    # one year of margin: a holiday move can cross New Year
    return range(first.year - 1, last.year + 2)


def yearly_slots(s: YearlyDeadlineSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date,
                 in_force: Span | None = None) -> list[Slot]:
    """Window: 1 January (or the first day in force, when later) to the deadline of that year."""
    begins = _begins(in_force)
    out = []
    for year in _years(first, last):
        last_day = (month_start(year, s.month + 1) - _ONE_DAY).day
        nominal = dt.date(year, s.month, min(s.day, last_day))  # 29 Feb -> 28 Feb
        if s.exclusive:
            nominal -= _ONE_DAY
        slot = _deadline(str(year), nominal, s.holiday_policy, cal, first, last, None, begins)
        if slot is not None:
            out.append(slot)
    return out


def window_slots(s: WindowSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date,
                 in_force: Span | None = None) -> list[Slot]:
    """Window: the period as written (from the first day in force); due on its last working day.

    A window names no day, so ``keep`` keeps the window and its due day is the
    window's last working day, as under ``previous``; ``next`` moves a last day
    that is off to the next working day, and the window then ends there.
    """
    if s.every > 1 or s.working_day is not None:
        return _group_window_slots(s, cal, first, last, in_force)
    months = PERIOD_MONTHS[s.period]
    policy = HolidayPolicy.previous if s.holiday_policy is HolidayPolicy.keep else s.holiday_policy
    begins = _begins(in_force)
    out = []
    for year in _years(first, last):
        indexes = [s.index] if s.index else range(1, 12 // months + 1)
        for index in indexes:
            span = months_span(year, (index - 1) * months + 1, months)
            opens = max(span.first, begins) if begins else span.first
            slot = _deadline(period_label(s.period, span), span.last, policy, cal, first, last, opens)
            if slot is not None:
                out.append(slot)
    return out


def _group_window_slots(s: WindowSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date,
                        in_force: Span | None) -> list[Slot]:
    """Windows of every N periods from ``anchor``'s, or ending on the period's N-th working day (its due)."""
    policy = HolidayPolicy.previous if s.holiday_policy is HolidayPolicy.keep else s.holiday_policy
    begins, months, out = _begins(in_force), PERIOD_MONTHS[s.period], []
    for span in groups_overlapping(s.period, s.every, s.anchor, first - _MARGIN, last + _MARGIN):
        if s.index is not None and (span.first.month - 1) // months + 1 != s.index:
            continue
        opens, key = max(span.first, begins) if begins else span.first, period_label(s.period, span)
        if s.working_day is None:
            out.append(_deadline(key, span.last, policy, cal, first, last, opens))
        elif span.last >= first and span.first <= last and (days := cal.workdays_between(span.first, span.last)):
            due = _nth(days, s.working_day)
            out.append(Slot(key, due, None, min(opens, due), window_end=due, due=due))
    return [slot for slot in out if slot is not None]


def once_slots(s: OnceSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date,
               in_force: Span | None = None) -> list[Slot]:
    """Window: the first day in force (else 1 January of the deadline's year) to the deadline."""
    nominal = s.date - _ONE_DAY if s.exclusive else s.date
    slot = _deadline(s.date.isoformat(), nominal, s.holiday_policy, cal, first, last, _begins(in_force))
    return [slot] if slot is not None else []


# -- RRULE ----------------------------------------------------------------------------------------


def rrule_slots(s: RRuleSchedule, cal: WorkdayCalendar, first: dt.date, last: dt.date,
                warn: Warn = _ignore) -> list[Slot]:
    flaw = rrule_parts_problem(s.rrule.strip())
    if flaw is not None:  # validate refuses it; never loop over every hour or forever
        warn(ExpansionWarning(f"not expanded: {flaw}", N_("warning.not_expanded"), flaw=flaw))
        return []
    rule = rrulestr(s.rrule, dtstart=dt.datetime.combine(s.start, dt.time()))
    lo = dt.datetime.combine(first - _MARGIN, dt.time())
    hi = dt.datetime.combine(last + _MARGIN, dt.time())
    out = []
    most = MAX_OCCURRENCES_PER_YEAR * (hi.year - lo.year + 1)
    for n, when in enumerate(rule.xafter(lo, inc=True)):
        if when > hi or n >= most:
            break
        nominal = when.date()
        if not _may_land(nominal, s.holiday_policy, first, last):
            continue
        moved = apply_policy(nominal, s.holiday_policy, cal)
        if moved is not None:  # a fixed day: the window is that day, planned and due on it
            out.append(Slot(nominal.isoformat(), moved, nominal if moved != nominal else None, moved,
                            window_end=moved, due=moved, planned=moved))
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
    """Sessions of a quota: each period split into ``count`` parts, one window each.

    A session is due on its window's last working day; it has a planned day
    only when the rule places it (``place``). The windows tile the period. A
    part that the effective period cuts is filled inside the part in force (a
    plan issued on 31 March still owes the first half-year's lecture); a part
    entirely out of force owes nothing.
    """
    place = s.place or Placement()
    out: list[Slot] = []
    for period in groups_overlapping(s.per, s.every, s.anchor, first, last):
        label = period_label(s.per, period)
        words = period_words(s.per, period)  # what a person reads: 2026年第8周, not 2026-W08
        known = period
        if not cal.covers(period.last.year) and cal.covers(period.first.year):
            # a group of years (every: 3) ends with its last year whose holidays are known
            known = Span(period.first, dt.date(max(y for y in range(period.first.year, period.last.year)
                                                    if cal.covers(y)), 12, 31))
            warn(ExpansionWarning(f"{label} runs into {period.last.year}, whose holidays are not known yet; "
                                  f"its sessions were placed within {period.first.year}",
                                  N_("warning.period_runs_on"), period=words, year=period.first.year,
                                  next_year=period.last.year))
        parts = split_period(s, known, cal)
        for number, ((part, days), tile) in enumerate(zip(parts, _tiles(known, parts), strict=True), start=1):
            window = part
            if in_force is not None:
                window = Span(max(part.first, in_force.first), min(part.last, in_force.last))
                if window.first > window.last:
                    continue
            in_window = [d for d in days if window.first <= d <= window.last] if window != part else days
            day = _choose(part, window, in_window, place) if s.place else (in_window[-1] if in_window else None)
            if day is None:
                if window == part:
                    warn(ExpansionWarning(f"{label}: no working day between {part.first} and {part.last}, so "
                                          f"session {number} of {s.count} per {s.per.value} cannot be placed",
                                          N_("warning.no_working_day"), period=words, first=part.first,
                                          last=part.last, number=number, count=s.count))
                continue
            key = label if s.sessions == 1 else f"{label}.{number}"
            opens, ends = tile.first, tile.last
            if in_force is not None:
                opens, ends = max(opens, in_force.first), min(ends, in_force.last)
            out.append(Slot(key, day, None, opens, window_end=ends, due=in_window[-1],
                            planned=day if s.place else None))
    return out


def _tiles(period: Span, parts: list[tuple[Span, list[dt.date]]]) -> list[Span]:
    """The windows of ``parts``: each part widened over the days off up to the next one.

    Calendar parts already tile the period. Runs of working days leave days off
    between them (a weekend, a holiday): each run's window reaches to the day
    before the next run (the first from the period's first day, the last to its
    last day), so the windows cover the period without gaps or overlaps. A part
    without working days keeps its span (it gets no session).
    """
    starts = [part.first for part, days in parts if days]
    out = []
    k = 0  # the index in ``starts`` of the next part with working days
    for part, days in parts:
        if not days:
            out.append(part)
            continue
        first = period.first if k == 0 else part.first
        last = starts[k + 1] - _ONE_DAY if k + 1 < len(starts) else period.last
        out.append(Span(first, last))
        k += 1
    return out


def split_period(s: QuotaSchedule, period: Span, cal: WorkdayCalendar) -> list[tuple[Span, list[dt.date]]]:
    """``s.count`` parts of ``period`` with their working days.

    Periods of whole months that divide evenly (two per year, three per
    quarter) split into calendar parts, so month placements keep their
    meaning; anything else splits the period's working days into runs of
    nearly equal length.
    """
    months = PERIOD_MONTHS.get(s.per, 0) * s.every
    if s.sessions == 1:
        parts = [period]
    elif months and months % s.sessions == 0:
        parts = split_months(period, s.sessions)
    else:
        return _working_day_runs(period, s.sessions, cal)
    return [(part, cal.workdays_between(part.first, part.last)) for part in parts]


def _working_day_runs(period: Span, count: int, cal: WorkdayCalendar) -> list[tuple[Span, list[dt.date]]]:
    days = cal.workdays_between(period.first, period.last)
    # validate keeps a count within the period's working days; never make more parts than it has days
    count = min(count, (period.last - period.first).days + 1)
    runs: list[tuple[Span, list[dt.date]]] = []
    size, extra = divmod(len(days), count)
    start = 0
    for k in range(count):
        n = size + (1 if k < extra else 0)
        run = days[start:start + n]
        start += n
        runs.append((Span(run[0], run[-1]) if run else period, run))
    return runs


def _choose(part: Span, window: Span, days: list[dt.date], place: Placement) -> dt.date | None:
    """One of ``days`` (the working days of ``window``, the part in force) by the placement.

    Months count from the part's calendar start, so "the second month of the
    quarter" means the same month whatever the effective period cuts.
    """
    if not days:
        return None
    if place.weekday is not None:
        offset = (WEEKDAYS.index(place.weekday) - window.first.weekday()) % 7
        target = window.first + dt.timedelta(days=offset)
        after = [d for d in days if d >= target]
        return after[0] if after else days[-1]
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
        if not in_month:  # the month is out of force: the nearest working day in force
            return days[0] if month_last < days[0] else days[-1]
        return _nth(in_month, place.nth_working_day or 1)
    if place.nth_working_day is not None:
        return _nth(days, place.nth_working_day)
    return days[0]


def _nth(days: list[dt.date], n: int) -> dt.date:
    """The n-th day (1-based; negative from the end), clamped to the list."""
    if n > 0:
        return days[min(n, len(days)) - 1]
    return days[max(n, -len(days))]


__all__ = ["apply_policy", "quota_slots", "slots_for", "split_period"]
