"""China's working-day calendar: statutory holidays and make-up working days (调休).

The official data comes from the ``chinesecalendar`` package, which follows the
State Council's yearly notices. For a year it does not cover, the calendar uses
that year's notice from config (``calendar.official``); without one it raises
:class:`HolidayDataMissing` unless the administrator opted in to a prediction
(``beyond_dataset: predict``: the statutory days of the 放假办法, see
:mod:`scheduler.prediction`) or to a weekends-only guess. Every predicted or
guessed year is reported in :attr:`WorkdayCalendar.guessed_years` so callers can
mark it (预测); :meth:`WorkdayCalendar.year_source` says where a year's days come
from. Official data wins as soon as it exists.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import chinese_calendar

from obligations.config import CalendarConfig
from obligations.errors import HolidayDataMissing
from scheduler.prediction import predictable, predicted_days_off

# Where a year's working days come from: the chinesecalendar dataset, a notice in config, the
# 放假办法's statutory days (a prediction), weekends alone (a guess), or nowhere (an error).
YearSource = Literal["dataset", "official", "predicted", "weekends_only", "missing"]

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
    predict_beyond_dataset: bool = False  # wins over weekends_only when both are set
    ignore_dataset: frozenset[int] = frozenset()  # years whose chinesecalendar data is set aside (comparisons)
    guessed_years: set[int] = field(default_factory=set)  # predicted or guessed years used so far
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
            predict_beyond_dataset=self.predict_beyond_dataset,
            ignore_dataset=self.ignore_dataset,
            guessed_years=self.guessed_years,  # shared on purpose: one warning list per run
        )

    def with_year(self, year: int, notice: OfficialYear | None) -> WorkdayCalendar:
        """This calendar with ``year`` from ``notice``, or predicted when None, whatever else covers it.

        For comparing a notice with the prediction (``holidays import``); other years not covered
        by official data are predicted.
        """
        official = {y: n for y, n in self.official.items() if y != year}
        if notice is not None:
            official[year] = notice
        return WorkdayCalendar(
            holidays=self.holidays, workdays=self.workdays, official=official,
            predict_beyond_dataset=True, ignore_dataset=self.ignore_dataset | {year},
        )

    # -- the year table ---------------------------------------------------------------

    def year_source(self, year: int) -> YearSource:
        """Where the working days of ``year`` come from; official data first."""
        if DATASET_YEARS[0] <= year <= DATASET_YEARS[1] and year not in self.ignore_dataset:
            return "dataset"
        if year in self.official:
            return "official"
        if self.predict_beyond_dataset and predictable(year):
            return "predicted"
        if self.weekends_only_beyond_dataset:
            return "weekends_only"
        return "missing"

    def covers(self, year: int) -> bool:
        """True when working days of ``year`` are known or the administrator accepted a prediction."""
        return self.year_source(year) != "missing"

    def is_predicted(self, day: dt.date) -> bool:
        """True when ``day``'s year has no official data yet: its working days are predicted (预测)."""
        return self.year_source(day.year) in ("predicted", "weekends_only")

    def _national_is_workday(self, day: dt.date) -> bool:
        source = self.year_source(day.year)
        if source == "dataset":
            return chinese_calendar.is_workday(day)
        if source == "official":
            notice = self.official[day.year]
            if day in notice.holidays:
                return False
            if day in notice.workdays:
                return True
            return day.weekday() < 5
        if source == "missing":
            raise HolidayDataMissing(day.year, DATASET_YEARS)
        self.guessed_years.add(day.year)
        if source == "predicted" and day in predicted_days_off(day.year):
            return False
        return day.weekday() < 5

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
        predict_beyond_dataset=cfg.beyond_dataset == "predict",
    )


__all__ = ["DATASET_YEARS", "OfficialYear", "WorkdayCalendar", "YearSource", "calendar_from_config"]
