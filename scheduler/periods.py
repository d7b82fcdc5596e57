"""Calendar periods (week, month, two months, quarter, half-year, year) as date spans."""

from __future__ import annotations

import datetime as dt
import re
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


# a period_label: 2025-W08, 2025-03, 2025-B2, 2025-Q1, 2025-H1, 2025 (ASCII digits only)
_LABEL = re.compile(r"([0-9]{4})(?:-(?:W([0-9]{2})|([0-9]{2})|B([1-6])|Q([1-4])|H([12])))?")
_SESSION = re.compile(r"(.+)\.([0-9]{1,3})")


def label_span(label: str) -> tuple[Period, Span] | None:
    """The period a :func:`period_label` names (``2025-W08`` is 17-23 February 2025); None for any other text."""
    m = _LABEL.fullmatch(label)
    if m is None:
        return None
    year = int(m[1])
    if m[2]:
        try:
            monday = dt.date.fromisocalendar(year, int(m[2]), 1)
        except ValueError:  # week 0, or 53 of a year that has 52
            return None
        return Period.week, Span(monday, monday + dt.timedelta(days=6))
    if m[3]:
        number = int(m[3])
        return (Period.month, months_span(year, number, 1)) if 1 <= number <= 12 else None
    for group, period in ((4, Period.two_months), (5, Period.quarter), (6, Period.half_year)):
        if m[group]:
            months = PERIOD_MONTHS[period]
            return period, months_span(year, (int(m[group]) - 1) * months + 1, months)
    return Period.year, months_span(year, 1, 12)


def label_words(label: str) -> Phrase | None:
    """A period label as a person reads it: ``2026-W08`` is ``2026年第8周`` / ``week 8 of 2026``,
    ``2025-01`` ``2025年1月`` / ``January 2025``; None for a text that is no period label."""
    found = label_span(label)
    return period_words(*found) if found else None


def slot_words(slot: str) -> Phrase | None:
    """The period of an occurrence's slot in words: ``2025-W10`` one week's window, ``2025-H1.2`` the second
    session of a half-year (``2025年上半年第2次``); None for a slot that is a day (a fixed date)."""
    session = _SESSION.fullmatch(slot)
    words = label_words(session[1] if session else slot)
    if words is None or session is None:
        return words
    return Phrase(slot, N_("period.session"), period=words, number=int(session[2]))


def span_words(first: dt.date, last: dt.date) -> Phrase | None:
    """``first``..``last`` in words when it is exactly one week, month, quarter, half-year or year; else None."""
    for period in (Period.week, Period.month, Period.quarter, Period.half_year, Period.year):
        span = period_containing(period, first)
        if span == Span(first, last):
            return period_words(period, span)
    return None


__all__ = ["HALVES", "QUARTERS", "Span", "label_span", "label_words", "month_start", "months_span",
           "period_containing", "period_label", "period_words", "periods_overlapping", "slot_words", "span_words",
           "split_months"]
