"""Predicted holidays: the statutory days off of 《全国年节及纪念日放假办法》, for any year.

Until the State Council publishes a year's notice (国务院办公厅关于X年部分节假日安排的通知,
around November of the year before), only the statutory days of the 放假办法 are known: fixed
dates (元旦, 劳动节, 国庆节) and lunar ones (春节, 端午节, 中秋节) plus 清明, a solar term. The
notice then adds bridging days and make-up working days (调休上班), which no rule predicts, so a
prediction has none of them: it is the statutory days plus weekends.

Each version of the 放假办法 is kept, so that a prediction for a past year uses the law then in
force; that is what lets the tests hold every predicted day against the official data of
2004-2026. The lunar dates come from ``lunardate`` (lunar years 1900-2099), 清明 from
chinesecalendar's solar terms.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar
from lunardate import LunarDate

# Festival keys, in the order of the notices; i18n has ``holiday.<key>`` for each.
FESTIVALS: tuple[str, ...] = (
    "new_year", "spring_festival", "qingming", "labour_day", "dragon_boat", "mid_autumn", "national_day",
)


@dataclass(frozen=True)
class Law:
    """One version of 《全国年节及纪念日放假办法》: the statutory days off it gives everyone."""

    since: int  # the first whole year it governs
    decree: str  # the State Council decree that made this version
    spring: tuple[int, ...]  # days of 春节 counted from 正月初一 (0); -1 is 除夕
    labour_days: int  # from 1 May
    traditional: bool  # 清明, 端午 and 中秋 are days off (from 2008)
    national_days: int = 3  # from 1 October


LAWS: tuple[Law, ...] = (
    Law(2000, "国务院令第270号(1999年)", (0, 1, 2), 3, traditional=False),
    Law(2008, "国务院令第513号(2007年)", (-1, 0, 1), 1, traditional=True),
    Law(2014, "国务院令第644号(2013年)", (0, 1, 2), 1, traditional=True),
    Law(2025, "国务院令第795号(2024年)", (-1, 0, 1, 2), 2, traditional=True),
)
CURRENT: Law = LAWS[-1]
# lunardate knows lunar years 1900-2099; the 1999 law is the first one kept.
PREDICTABLE_YEARS: tuple[int, int] = (LAWS[0].since, 2099)


def predictable(year: int) -> bool:
    return PREDICTABLE_YEARS[0] <= year <= PREDICTABLE_YEARS[1]


def law_in_force(year: int) -> Law:
    """The version of the 放假办法 that governs ``year`` (the current one for every year to come)."""
    if not predictable(year):
        raise ValueError(f"no holiday prediction for {year}: only {PREDICTABLE_YEARS[0]}-{PREDICTABLE_YEARS[1]}")
    return [law for law in LAWS if law.since <= year][-1]


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


def qingming(year: int) -> dt.date:
    """The day of the 清明 solar term (4, 5 or 6 April)."""
    terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    return next(day for day, name in terms if name == "清明")


def statutory_days(year: int, law: Law | None = None) -> dict[dt.date, str]:
    """Every statutory day off of ``year`` (date -> festival key), under ``law`` (default: the one in force).

    Raises ValueError for a year outside :data:`PREDICTABLE_YEARS`.
    """
    law = law or law_in_force(year)
    if not predictable(year):
        raise ValueError(f"no holiday prediction for {year}: only {PREDICTABLE_YEARS[0]}-{PREDICTABLE_YEARS[1]}")
    days = {dt.date(year, 1, 1): "new_year"}
    first = _lunar(year, 1, 1)
    days |= {first + dt.timedelta(days=n): "spring_festival" for n in law.spring}
    if law.traditional:
        days[qingming(year)] = "qingming"
    days |= {dt.date(year, 5, n): "labour_day" for n in range(1, law.labour_days + 1)}
    if law.traditional:
        days[_lunar(year, 5, 5)] = "dragon_boat"
        days[_lunar(year, 8, 15)] = "mid_autumn"
    # National Day is written last: when 中秋 falls on 1-3 October the day is both, and the
    # notices then name the break "国庆节、中秋节"
    days |= {dt.date(year, 10, n): "national_day" for n in range(1, law.national_days + 1)}
    return dict(sorted(days.items()))


@functools.cache
def predicted_days_off(year: int) -> frozenset[dt.date]:
    """The statutory days off of ``year`` under the law in force, cached (a calendar asks day by day)."""
    return frozenset(statutory_days(year))


__all__ = [
    "CURRENT", "FESTIVALS", "LAWS", "PREDICTABLE_YEARS", "Law", "law_in_force", "predictable", "predicted_days_off",
    "qingming", "statutory_days",
]
