"""China's working-day calendar: statutory holidays and make-up working days (调休).

The official data comes from the ``chinesecalendar`` package, which follows the
State Council's yearly notices. For a year it does not cover, the calendar
raises :class:`HolidayDataMissing` unless the administrator either supplied
that year's notice in config (``calendar.official``) or opted in to a
weekends-only guess, in which case every guessed year is reported in
:attr:`WorkdayCalendar.guessed_years` so callers can show a warning.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar

from obligations.config import CalendarConfig
from obligations.errors import HolidayDataMissing

_ONE_DAY = dt.timedelta(days=1)


def _dataset_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


DATASET_YEARS: tuple[int, int] = _dataset_years()


@dataclass(frozen=True)
class OfficialYear:
    """One year's State Council notice, entered by an administrator."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]


@dataclass
class WorkdayCalendar:
    """Answers "is this a working day?" for one jurisdiction.

    ``holidays`` / ``workdays`` are local additions (a Xinjiang prefecture's
    古尔邦节, a county's own make-up day) that override the national data.
    """

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    official: Mapping[int, OfficialYear] = field(default_factory=dict)
    weekends_only_beyond_dataset: bool = False
    guessed_years: set[int] = field(default_factory=set)
    _years: dict[int, list[dt.date]] = field(default_factory=dict, repr=False)

    def with_local(
        self, holidays: Iterable[dt.date], workdays: Iterable[dt.date]
    ) -> WorkdayCalendar:
        """A calendar for a jurisdiction with its own extra days off and on."""
        holidays, workdays = frozenset(holidays), frozenset(workdays)
        if not holidays and not workdays:
            return self
        return WorkdayCalendar(
            holidays=self.holidays | holidays,
            workdays=self.workdays | workdays,
            official=self.official,
            weekends_only_beyond_dataset=self.weekends_only_beyond_dataset,
            guessed_years=self.guessed_years,  # shared on purpose: one warning list per run
        )

    # -- the year table ---------------------------------------------------------------

    def covers(self, year: int) -> bool:
        """True when working days of ``year`` are known or the administrator accepted a guess."""
        return (
            DATASET_YEARS[0] <= year <= DATASET_YEARS[1]
            or year in self.official
            or self.weekends_only_beyond_dataset
        )

    def _national_is_workday(self, day: dt.date) -> bool:
        if DATASET_YEARS[0] <= day.year <= DATASET_YEARS[1]:
            return chinese_calendar.is_workday(day)
        notice = self.official.get(day.year)
        if notice is not None:
            if day in notice.holidays:
                return False
            if day in notice.workdays:
                return True
            return day.weekday() < 5
        if self.weekends_only_beyond_dataset:
            self.guessed_years.add(day.year)
            return day.weekday() < 5
        raise HolidayDataMissing(day.year, DATASET_YEARS)

    def workdays_of_year(self, year: int) -> list[dt.date]:
        """Every working day of ``year``, sorted; computed once per year."""
        days = self._years.get(year)
        if days is None:
            days = []
            day = dt.date(year, 1, 1)
            while day.year == year:
                if day in self.workdays or (day not in self.holidays and self._national_is_workday(day)):
                    days.append(day)
                day += _ONE_DAY
            self._years[year] = days
        return days

    # -- queries ------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        days = self.workdays_of_year(day.year)
        i = bisect.bisect_left(days, day)
        return i < len(days) and days[i] == day

    def workdays_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Working days from ``first`` to ``last``, both inclusive."""
        out: list[dt.date] = []
        for year in range(first.year, last.year + 1):
            days = self.workdays_of_year(year)
            lo = bisect.bisect_left(days, first) if year == first.year else 0
            hi = bisect.bisect_right(days, last) if year == last.year else len(days)
            out.extend(days[lo:hi])
        return out

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the next one."""
        while True:
            days = self.workdays_of_year(day.year)
            i = bisect.bisect_left(days, day)
            if i < len(days):
                return days[i]
            day = dt.date(day.year + 1, 1, 1)

    def previous_workday(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the one before."""
        while True:
            days = self.workdays_of_year(day.year)
            i = bisect.bisect_right(days, day)
            if i > 0:
                return days[i - 1]
            day = dt.date(day.year - 1, 12, 31)


    def workdays_before(self, day: dt.date, n: int) -> dt.date:
        """The working day ``n`` working days before ``day`` (``day`` itself need not be one)."""
        for _ in range(n):
            day = self.previous_workday(day - _ONE_DAY)
        return day


def calendar_from_config(cfg: CalendarConfig) -> WorkdayCalendar:
    """The national calendar as config.yaml adjusts it."""
    return WorkdayCalendar(
        holidays=frozenset(d.date for d in cfg.holidays),
        workdays=frozenset(d.date for d in cfg.workdays),
        official={
            year: OfficialYear(frozenset(notice.holidays), frozenset(notice.workdays))
            for year, notice in cfg.official.items()
        },
        weekends_only_beyond_dataset=cfg.beyond_dataset == "weekends_only",
    )


__all__ = ["DATASET_YEARS", "OfficialYear", "WorkdayCalendar", "calendar_from_config"]
