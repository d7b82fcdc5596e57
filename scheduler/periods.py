"""Calendar periods (week, month, two months, quarter, half-year, year) as date spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from i18n import N_
from i18n.phrase import Phrase, month
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


QUARTERS = (N_("period.q1"), N_("period.q2"), N_("period.q3"), N_("period.q4"))
HALVES = (N_("period.h1"), N_("period.h2"))
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def period_words(period: Period, span: Span) -> Phrase:
    """The period a person reads in a warning: ``2026年第8周`` / ``week 8 of 2026``, ``2026年第一季度``.

    Its str stays :func:`period_label`'s key (``2026-W08``), the developer's text in logs.
    """
    first, label = span.first, period_label(period, span)
    if period is Period.week:
        iso = first.isocalendar()
        return Phrase(label, N_("period.week"), year=iso.year, number=iso.week)
    if period is Period.month:
        return Phrase(label, N_("period.month"), year=first.year, month=_month(first.month))
    if period is Period.two_months:
        return Phrase(label, N_("period.two_months"), year=first.year, first=_month(first.month),
                      last=_month(first.month + 1))
    if period is Period.quarter:
        return Phrase(label, N_("period.quarter"), year=first.year,
                      quarter=Phrase(f"Q{(first.month + 2) // 3}", QUARTERS[(first.month - 1) // 3]))
    if period is Period.half_year:
        return Phrase(label, N_("period.half_year"), year=first.year,
                      half=Phrase(f"H{(first.month + 5) // 6}", HALVES[(first.month - 1) // 6]))
    return Phrase(label, N_("period.year"), year=first.year)


def _month(number: int) -> Phrase:
    return month(number, _MONTH_NAMES[number - 1])


__all__ = ["HALVES", "QUARTERS", "Span", "month_start", "months_span", "period_containing", "period_label",
           "period_words",
           "periods_overlapping", "split_months"]
