"""When a duty falls: the schedule types of a rule, and the periods and policies they use.

Each schedule type is one model with a literal ``type`` (the discriminator of
:data:`Schedule`); :mod:`scheduler.slots` turns each into dates.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from i18n import N_
from i18n.phrase import Phrase, phrase
from i18n.phrase import month as month_name
from obligations.strict import Strict


class Period(StrEnum):
    """A calendar period that quotas and windows are counted in."""

    week = "week"  # Monday to Sunday
    month = "month"
    two_months = "two_months"  # Jan-Feb, Mar-Apr, ...
    quarter = "quarter"
    half_year = "half_year"
    year = "year"


PERIOD_MONTHS: dict[Period, int] = {
    Period.month: 1,
    Period.two_months: 2,
    Period.quarter: 3,
    Period.half_year: 6,
    Period.year: 12,
}


class HolidayPolicy(StrEnum):
    """What to do when a date falls on a non-working day."""

    keep = "keep"  # keep the date as written
    previous = "previous"  # move to the previous working day
    next = "next"  # move to the next working day (民法典 art. 203 for legal deadlines)
    skip = "skip"  # drop the occurrence (RRULE schedules only)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_EVERY_HELP = ("Every N periods (每两周: per week, every 2; 每三年: every 3 years): the periods are grouped N "
               "at a time from anchor's, and the count or the window is per group")
_ANCHOR_HELP = ("With every: a day in the first period of one group (2025-01-06: fortnights from the week of "
                "6 January 2025; 2025-01-01 with years: 2025, 2028 … with every 3); required with every > 1")


class TimeOfDay(Strict):
    """A time span for sessions; without it a session is an all-day event."""

    start: dt.time = Field(description="Local start time, HH:MM")
    end: dt.time = Field(description="Local end time, HH:MM, after start")

    @model_validator(mode="after")
    def _ordered(self) -> TimeOfDay:
        if self.end <= self.start:
            raise ValueError(Phrase("end must be after start, e.g. start: '09:00', end: '12:00'",
                                    N_("problem.end_before_start")))
        return self


class Placement(Strict):
    """Where in each (sub-)period a quota session goes; default: its first working day.

    Use one of: ``weekday``; ``nth_working_day`` (with ``month``); ``day``
    (with ``month`` and ``shift``).
    """

    weekday: Weekday | None = Field(
        default=None,
        description="Preferred weekday; if it is off, the next working day in the same "
        "(sub-)period, else the previous one",
    )
    month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="Month within each part of the period, 1-based: 2 = second month of the quarter "
        "(counted from the part's calendar start even when the effective period cuts it)",
    )
    nth_working_day: int | None = Field(
        default=None,
        description="N-th working day of that month (or of the period without month); "
        "-1 is the last",
    )
    day: int | None = Field(default=None, ge=1, le=31, description="Fixed day of the month")
    shift: Literal["next", "previous"] = Field(
        default="next", description="With day: where to go when that day is off"
    )

    @field_validator("nth_working_day")
    @classmethod
    def _nonzero(cls, v: int | None) -> int | None:
        if v == 0:
            raise ValueError(Phrase("nth_working_day counts from 1 (first) or -1 (last), not 0",
                                    N_("problem.nth_zero")))
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Placement:
        kinds = [k for k in ("weekday", "nth_working_day", "day") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(phrase(N_("problem.one_placement"), "use only one of weekday, nth_working_day, day "
                                    "(got %(kinds)s)", kinds=", ".join(kinds)))
        if self.month is not None and not kinds:
            raise ValueError(Phrase("month needs nth_working_day or day, e.g. month: 2, nth_working_day: 1",
                                    N_("problem.month_needs_day")))
        if self.weekday is not None and self.month is not None:
            raise ValueError(Phrase("weekday cannot be combined with month", N_("problem.weekday_month")))
        return self


class QuotaSchedule(Strict):
    """At least ``count`` days or sessions per period, on working days (每周至少1天)."""

    type: Literal["quota"]
    count: int = Field(ge=1, description="Minimum number of days or sessions per period")
    per: Period = Field(description="The period the count is per")
    unit: Literal["day", "session", "hour"] = Field(
        default="session",
        description="day (天: a whole working day) or session (次/期), shown with the count; hour (学时/课时): "
        "count is the total hours per period, owed as one window per period, not as sessions",
    )
    max: int | None = Field(
        default=None, ge=1, description="At most this many per period (1—2次: count 1, max 2); shown with the count"
    )
    every: int = Field(default=1, ge=1, le=10, description=_EVERY_HELP)
    anchor: dt.date | None = Field(default=None, description=_ANCHOR_HELP)
    place: Placement | None = Field(default=None, description="Placement preference")
    time: TimeOfDay | None = Field(default=None, description="Time of day; omit for all-day")

    @property
    def sessions(self) -> int:
        """Sessions per period: ``count``, or one window for a total of hours."""
        return 1 if self.unit == "hour" else self.count


class YearlyDeadlineSchedule(Strict):
    """A deadline on the same day every year (每年3月1日前)."""

    type: Literal["yearly_deadline"]
    month: int = Field(ge=1, le=12, description="Month of the deadline")
    day: int = Field(ge=1, le=31, description="Day of the deadline")
    exclusive: bool = Field(
        default=False,
        description="true when the duty must be done strictly before that day "
        "(the deadline becomes the day before)",
    )
    holiday_policy: HolidayPolicy = Field(
        default=HolidayPolicy.keep, description="keep, previous or next working day"
    )

    @field_validator("day")
    @classmethod
    def _real_day(cls, day: int, info: ValidationInfo) -> int:
        month = info.data.get("month")
        if month is not None:
            _check_month_day(month, day, leap_ok=True)
        return day

    @model_validator(mode="after")
    def _no_skip(self) -> YearlyDeadlineSchedule:
        if self.holiday_policy is HolidayPolicy.skip:
            raise ValueError(Phrase("holiday_policy skip would drop a legal deadline; use keep, previous or next",
                                    N_("problem.skip_legal")))
        return self


class WindowSchedule(Strict):
    """A duty to do within a period each year (第一季度内, 年内, 年底前); due at its end."""

    type: Literal["window"]
    period: Period = Field(description="quarter, half_year, year, month or two_months")
    index: int | None = Field(
        default=None,
        ge=1,
        description="Which period of the year (1 = first quarter); omit for every period",
    )
    holiday_policy: HolidayPolicy = Field(
        default=HolidayPolicy.keep, description="Applied to the window's last day"
    )
    every: int = Field(default=1, ge=1, le=10, description=_EVERY_HELP)
    anchor: dt.date | None = Field(default=None, description=_ANCHOR_HELP)
    working_day: int | None = Field(
        default=None,
        description="Due on the period's N-th working day instead of its last (每月第5个工作日前: 5); "
        "the window ends there; -1 is the last",
    )

    @field_validator("working_day")
    @classmethod
    def _working_day_nonzero(cls, v: int | None) -> int | None:
        if v == 0:
            raise ValueError(Phrase("working_day counts from 1 (first) or -1 (last), not 0",
                                    N_("problem.working_day_zero")))
        return v

    @field_validator("period")
    @classmethod
    def _not_week(cls, period: Period) -> Period:
        if period is Period.week:
            raise ValueError(Phrase("a window is a month, two_months, quarter, half_year or year",
                                    N_("problem.window_period")))
        return period

    @field_validator("index")
    @classmethod
    def _index_in_year(cls, index: int | None, info: ValidationInfo) -> int | None:
        period = info.data.get("period")
        if index is not None and period in PERIOD_MONTHS:
            count = 12 // PERIOD_MONTHS[period]
            if index > count:
                raise ValueError(phrase(N_("problem.window_index"), "a year has %(count)s %(period)s periods; "
                                        "use 1-%(count)s", count=count, period=period.value))
        return index

    @model_validator(mode="after")
    def _valid(self) -> WindowSchedule:
        if self.holiday_policy is HolidayPolicy.skip:
            raise ValueError(Phrase("holiday_policy skip would drop a deadline; use keep, previous or next",
                                    N_("problem.skip_deadline")))
        return self


class OnceSchedule(Strict):
    """A one-off dated deadline (2020年6月15日前, 2024年底前)."""

    type: Literal["once"]
    date: dt.date = Field(description="The deadline, YYYY-MM-DD")
    exclusive: bool = Field(default=False, description="true for strictly before that day")
    holiday_policy: HolidayPolicy = Field(default=HolidayPolicy.keep)

    @model_validator(mode="after")
    def _no_skip(self) -> OnceSchedule:
        if self.holiday_policy is HolidayPolicy.skip:
            raise ValueError(Phrase("holiday_policy skip would drop the deadline; use keep, previous or next",
                                    N_("problem.skip_the_deadline")))
        return self


class RRuleSchedule(Strict):
    """Any other recurrence as an RFC 5545 RRULE (checked with dateutil)."""

    type: Literal["rrule"]
    rrule: str = Field(description="e.g. FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1")
    start: dt.date = Field(description="DTSTART of the recurrence, YYYY-MM-DD")
    kind: Literal["deadline", "session"] = Field(default="session")
    holiday_policy: HolidayPolicy = Field(
        default=HolidayPolicy.next, description="keep, previous, next or skip"
    )
    time: TimeOfDay | None = Field(default=None, description="Time of day; omit for all-day")


class UnscheduledSchedule(Strict):
    """A duty with no time anchor (定期, 常态化, 及时): listed, never invented a date."""

    type: Literal["unscheduled"]
    reason: str = Field(default="", description="Why it has no schedule, e.g. 定期 without period")


Schedule = Annotated[
    QuotaSchedule | YearlyDeadlineSchedule | WindowSchedule | OnceSchedule | RRuleSchedule | UnscheduledSchedule,
    Field(discriminator="type"),
]



def _check_month_day(number: int, day: int, *, leap_ok: bool) -> None:
    year = 2024 if leap_ok else 2023  # 2024 is a leap year
    last = _calendar.monthrange(year, number)[1]
    if day > last:
        raise ValueError(phrase(N_("problem.day_not_in_month"), "%(month)s has %(last)s days, so day %(day)s does "
                                "not exist; use 1-%(last)s", month=month_name(number, _calendar.month_name[number]),
                                last=last, day=day))



__all__ = [
    "PERIOD_MONTHS",
    "WEEKDAYS",
    "HolidayPolicy",
    "OnceSchedule",
    "Period",
    "Placement",
    "QuotaSchedule",
    "RRuleSchedule",
    "Schedule",
    "TimeOfDay",
    "UnscheduledSchedule",
    "Weekday",
    "WindowSchedule",
    "YearlyDeadlineSchedule",
]
