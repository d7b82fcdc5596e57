"""Periods grouped N at a time (``every``/``anchor``: 每两周, 每三年) as date spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from obligations.schedules import PERIOD_MONTHS, Period
from scheduler.periods import Span, period_containing, periods_overlapping

_ONE_DAY = dt.timedelta(days=1)
_MONDAY = dt.date(2001, 1, 1)  # a Monday: weeks are numbered from it


def ordinal(period: Period, day: dt.date) -> int:
    """The number of the period containing ``day`` (consecutive periods, consecutive numbers)."""
    if period is Period.week:
        return (day - _MONDAY).days // 7
    return (day.year * 12 + day.month - 1) // PERIOD_MONTHS[period]


def groups_overlapping(period: Period, every: int, anchor: dt.date | None, first: dt.date,
                       last: dt.date) -> Iterator[Span]:
    """Every group of ``every`` consecutive periods overlapping ``first..last``, in order.

    Groups start at the period containing ``anchor`` and every ``every`` periods before and
    after it; with ``every`` 1 (or no anchor) they are the periods themselves.
    """
    if every <= 1 or anchor is None:
        yield from periods_overlapping(period, first, last)
        return
    span = period_containing(period, first)
    for _ in range((ordinal(period, span.first) - ordinal(period, anchor)) % every):
        span = period_containing(period, span.first - _ONE_DAY)
    while span.first <= last:
        end = span
        for _ in range(every - 1):
            end = period_containing(period, end.last + _ONE_DAY)
        yield Span(span.first, end.last)
        span = period_containing(period, end.last + _ONE_DAY)


__all__ = ["groups_overlapping", "ordinal"]
