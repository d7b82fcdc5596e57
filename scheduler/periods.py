"""Calendar periods (week, month, two months, quarter, half-year, year) as date spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from obligations.schedules import PERIOD_MONTHS, Period

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class Span:
    """An inclusive range of days."""

    first: dt.date
    last: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last


def month_start(year: int, month: int) -> dt.date:
    """First day of ``month`` of ``year``; months past 12 roll into later years."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def months_span(year: int, first_month: int, count: int) -> Span:
    start = month_start(year, first_month)
    end = month_start(year, first_month + count) - _ONE_DAY
    return Span(start, end)


def period_containing(period: Period, day: dt.date) -> Span:
    if period is Period.week:
        first = day - dt.timedelta(days=day.weekday())
        return Span(first, first + dt.timedelta(days=6))
    months = PERIOD_MONTHS[period]
    first_month = (day.month - 1) // months * months + 1
    return months_span(day.year, first_month, months)


def periods_overlapping(period: Period, first: dt.date, last: dt.date) -> Iterator[Span]:
    """Every whole period that overlaps ``first..last``, in order."""
    span = period_containing(period, first)
    while span.first <= last:
        yield span
        span = period_containing(period, span.last + _ONE_DAY)


def split_months(span: Span, parts: int) -> list[Span]:
    """Split a span of whole months into ``parts`` equal spans of whole months."""
    total = (span.last.year - span.first.year) * 12 + span.last.month - span.first.month + 1
    size = total // parts
    return [months_span(span.first.year, span.first.month + k * size, size) for k in range(parts)]


def period_label(period: Period, span: Span) -> str:
    """A stable, readable key for a period: 2025-W40, 2025-03, 2025-B2, 2025-Q1, 2025-H1, 2025."""
    first = span.first
    if period is Period.week:
        iso = first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period is Period.month:
        return f"{first.year}-{first.month:02d}"
    if period is Period.two_months:
        return f"{first.year}-B{(first.month + 1) // 2}"
    if period is Period.quarter:
        return f"{first.year}-Q{(first.month + 2) // 3}"
    if period is Period.half_year:
        return f"{first.year}-H{(first.month + 5) // 6}"
    return f"{first.year}"


__all__ = ["Span", "month_start", "months_span", "period_containing", "period_label",
           "periods_overlapping", "split_months"]
