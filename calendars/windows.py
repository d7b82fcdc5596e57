"""What a feed says about an occurrence's window: the period in the summary, the dates in the description.

An unplaced window (a quota session or a ``window`` duty with no planned day) is one event on its
``due`` day whose summary names the period it is owed in (``本周内``, ``本季度内``, ``上半年内``)
and whose description gives the window in dates with the count the rule asks for
(``期限:9月29日—10月5日内至少1天(最迟9月30日)``). A planned one is on its planned day and its
description says ``办理日:…;期限:…``. A one-day window says nothing: its date is the event's.
"""

from __future__ import annotations

import datetime as dt

from i18n import N_, Language, tr
from i18n.phrase import MONTHS
from obligations.schedules import PERIOD_MONTHS, Period, QuotaSchedule, WindowSchedule
from scheduler.occurrence import Occurrence

# a part of whole months with a name of its own (the others are written as their months: 9月—10月内)
_NAMED = {1: N_("window.period.month"), 3: N_("window.period.quarter"), 12: N_("window.period.year")}


def has_window(occ: Occurrence) -> bool:
    """Whether the occurrence's window is longer than one day (one-day windows are just the date)."""
    return occ.window_start is not None and occ.window_end is not None and occ.window_start < occ.window_end


def _quota_or_period(occ: Occurrence) -> tuple[Period, int] | None:
    """The period and the count of a quota or window schedule; None for other kinds."""
    schedule = occ.obligation.schedule
    if isinstance(schedule, QuotaSchedule):
        return schedule.per, schedule.count
    if isinstance(schedule, WindowSchedule):
        return schedule.period, 1
    return None


def period_phrase(occ: Occurrence, lang: Language) -> str | None:
    """``本周内`` / ``本季度内`` / ``上半年内`` for an unplaced window, else None.

    A period split into calendar parts (twice a year: two half-years) names the part; one
    split into runs of working days (twice a week) names the whole period, and the
    description gives the part's dates.
    """
    found = _quota_or_period(occ)
    if found is None or occ.planned is not None or not has_window(occ):
        return None
    period, count = found
    if getattr(occ.obligation.schedule, "every", 1) > 1:  # 每两周, 每三年: a group of periods
        return tr(lang, "window.period.cycle")
    if period is Period.week:
        return tr(lang, "window.period.week")
    months = PERIOD_MONTHS[period]
    if count > 1 and months % count == 0:
        months //= count
    start = occ.window_start
    assert start is not None
    if months == 6 and start.month <= 6:
        return tr(lang, "window.period.first_half")
    if months == 6:
        return tr(lang, "window.period.second_half")
    if months in _NAMED:
        return tr(lang, _NAMED[months])
    first = (start.month - 1) // months * months + 1
    return tr(lang, "window.period.months", first=tr(lang, MONTHS[first - 1]),
              last=tr(lang, MONTHS[first + months - 2]))


def day_words(lang: Language, day: dt.date, *, year: bool = False) -> str:
    """``9月29日`` (``2025年12月29日`` with the year), ``29 September`` in English."""
    month = tr(lang, MONTHS[day.month - 1])
    if year:
        return tr(lang, "window.day_year", year=day.year, month=month, day=day.day)
    return tr(lang, "window.day", month=month, day=day.day)


def _count(occ: Occurrence, lang: Language, window: str) -> str:
    """What is owed within the window: the count from the rule (至少1天; 第1次(每年至少2次))."""
    schedule = occ.obligation.schedule
    if not isinstance(schedule, QuotaSchedule):
        return tr(lang, "window.within", window=window)
    unit = tr(lang, f"schedule.unit.{schedule.unit}")
    number = occ.slot.rsplit(".", 1)[-1]
    if schedule.count > 1 and number.isdigit():
        return tr(lang, "window.quota_part", window=window, number=int(number), count=schedule.count, unit=unit,
                  per=tr(lang, f"schedule.per.{schedule.per.value}"))
    return tr(lang, "window.quota", window=window, count=schedule.count, unit=unit)


def window_line(occ: Occurrence, lang: Language) -> str | None:
    """The description's line on the window: ``期限:9月29日—10月5日内至少1天(最迟9月30日)``.

    A planned occurrence: ``办理日:9月22日;期限:…``. None for a one-day window.
    """
    if not has_window(occ):
        return None
    start, end = occ.window_start, occ.window_end
    assert start is not None
    assert end is not None
    crosses = start.year != end.year
    window = tr(lang, "window.range", start=day_words(lang, start, year=crosses),
                end=day_words(lang, end, year=crosses))
    deadline = _count(occ, lang, window)
    if occ.due is not None and occ.due != end:
        deadline += tr(lang, "window.latest", day=day_words(lang, occ.due, year=crosses))
    if occ.planned is not None:
        return tr(lang, "window.planned", day=day_words(lang, occ.planned, year=crosses), deadline=deadline)
    return tr(lang, "window.due", deadline=deadline)


def span_of(occ: Occurrence) -> tuple[dt.date, dt.date] | None:
    """DTSTART and exclusive DTEND of the window as a multi-day event (``?windows=span``).

    Only an unplaced all-day window longer than a day: a planned day and a timed session stay
    where they are.
    """
    if occ.start is not None or occ.planned is not None or not has_window(occ):
        return None
    assert occ.window_start is not None
    assert occ.window_end is not None
    return occ.window_start, occ.window_end + dt.timedelta(days=1)


__all__ = ["day_words", "has_window", "period_phrase", "span_of", "window_line"]
