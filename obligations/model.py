"""The rule model: what an administrator writes in a rules YAML file.

The pydantic models are the schema: ``python main.py schema`` writes the JSON
Schema that editors use from them, and every ``description`` below is the
field's documentation. Checks that need more than one field or more than one
file (unknown unit ids, impossible quotas) live in :mod:`obligations.checks`.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

SCHEMA_VERSION = 1

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
_ID_HELP = "lower-case letters, digits, '-', '_' and '.', starting with a letter or digit"


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, so a typo cannot silently drop a rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(StrEnum):
    """Administrative level of a unit."""

    province = "province"
    prefecture = "prefecture"  # 州 / 地级市
    county = "county"  # 县 / 县级市 / 区 and development zones run like them
    township = "township"  # 乡镇 / 街道
    department = "department"  # a government's department, office or court


class Contact(Strict):
    """Someone to reach at a unit (used by reminders and escalation)."""

    name: str = Field(description="Person or role, e.g. 办公室值班")
    email: str | None = Field(default=None, description="E-mail address")
    phone: str | None = Field(default=None, description="Phone number")
    telegram: str | None = Field(default=None, description="Telegram user or chat id")


class Unit(Strict):
    """One organisation in the tree of units the duties apply to."""

    id: str = Field(pattern=ID_PATTERN, description=f"Stable unit id ({_ID_HELP})")
    name: str = Field(min_length=1, description="Official name, e.g. 库尔勒市人民政府")
    level: Level = Field(description="Administrative level")
    parent: str | None = Field(default=None, description="Id of the parent unit; omit for a root")
    contacts: list[Contact] = Field(default_factory=list, description="People to remind")


class Selector(Strict):
    """Selects units by level, optionally only those below one unit."""

    level: Level = Field(
        description="Every unit of this level defined in the same rules file (the document's jurisdiction)"
    )
    under: str | None = Field(
        default=None, description="Instead: every unit of the level below this unit id (any depth, any file)"
    )


UnitRef = Annotated[
    str | Selector,
    Field(description="A unit id, or {level: ..., under: ...} selecting several units"),
]


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


class TimeOfDay(Strict):
    """A time span for sessions; without it a session is an all-day event."""

    start: dt.time = Field(description="Local start time, HH:MM")
    end: dt.time = Field(description="Local end time, HH:MM, after start")

    @model_validator(mode="after")
    def _ordered(self) -> TimeOfDay:
        if self.end <= self.start:
            raise ValueError("end must be after start, e.g. start: '09:00', end: '12:00'")
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
            raise ValueError("nth_working_day counts from 1 (first) or -1 (last), not 0")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Placement:
        kinds = [k for k in ("weekday", "nth_working_day", "day") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(f"use only one of weekday, nth_working_day, day (got {', '.join(kinds)})")
        if self.month is not None and not kinds:
            raise ValueError("month needs nth_working_day or day, e.g. month: 2, nth_working_day: 1")
        if self.weekday is not None and self.month is not None:
            raise ValueError("weekday cannot be combined with month")
        return self


class QuotaSchedule(Strict):
    """At least ``count`` days or sessions per period, on working days (每周至少1天)."""

    type: Literal["quota"]
    count: int = Field(ge=1, description="Minimum number of days or sessions per period")
    per: Period = Field(description="The period the count is per")
    unit: Literal["day", "session"] = Field(
        default="session",
        description="day (天: a whole working day) or session (次/期); descriptive, shown with the count",
    )
    place: Placement | None = Field(default=None, description="Placement preference")
    time: TimeOfDay | None = Field(default=None, description="Time of day; omit for all-day")


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
            raise ValueError("holiday_policy skip would drop a legal deadline; use keep, previous or next")
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

    @field_validator("period")
    @classmethod
    def _not_week(cls, period: Period) -> Period:
        if period is Period.week:
            raise ValueError("a window is a month, two_months, quarter, half_year or year")
        return period

    @field_validator("index")
    @classmethod
    def _index_in_year(cls, index: int | None, info: ValidationInfo) -> int | None:
        period = info.data.get("period")
        if index is not None and period in PERIOD_MONTHS:
            count = 12 // PERIOD_MONTHS[period]
            if index > count:
                raise ValueError(f"a year has {count} {period.value} periods; use 1-{count}")
        return index

    @model_validator(mode="after")
    def _valid(self) -> WindowSchedule:
        if self.holiday_policy is HolidayPolicy.skip:
            raise ValueError("holiday_policy skip would drop a deadline; use keep, previous or next")
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
            raise ValueError("holiday_policy skip would drop the deadline; use keep, previous or next")
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


class Exception_(Strict):
    """Skip, move or add one occurrence (optionally only for some units)."""

    skip: dt.date | None = Field(default=None, description="Date of the occurrence to drop")
    move: dt.date | None = Field(default=None, description="Date of the occurrence to move")
    to: dt.date | None = Field(default=None, description="With move: the new date")
    add: dt.date | None = Field(default=None, description="An extra occurrence on this date")
    units: list[str] | None = Field(default=None, description="Only for these unit ids")
    note: str = Field(default="", description="Why, e.g. the notice that moved it")

    @model_validator(mode="after")
    def _one_action(self) -> Exception_:
        actions = [a for a in ("skip", "move", "add") if getattr(self, a) is not None]
        if len(actions) != 1:
            raise ValueError("each exception has exactly one of skip, move (with to) or add")
        if (self.move is None) != (self.to is None):
            raise ValueError("move needs to (the new date) and to needs move")
        return self


_OFFSET_RE = re.compile(r"^(\d+)(d|wd|h|w)$")


def parse_offset(text: str) -> tuple[int, str]:
    """Parse a reminder offset such as ``7d``, ``3wd`` (working days), ``2h``, ``1w``."""
    m = _OFFSET_RE.match(text.strip())
    if not m:
        raise ValueError(
            f"bad reminder offset {text!r}: use a number and d (days), wd (working days), "
            "w (weeks) or h (hours), e.g. 7d, 3wd, 2h"
        )
    return int(m.group(1)), m.group(2)


class Source(Strict):
    """Where a duty comes from: the document, the clause and the exact words."""

    doc: str | None = Field(default=None, description="Document id; default: the file's document")
    clause: str = Field(default="", description="Clause number as printed, e.g. (二十五)")
    quote: str = Field(min_length=1, description="The exact sentence(s) of the document")


class Effective(Strict):
    """The period a duty is in force; ``until`` omitted means until an administrator ends it."""

    from_: dt.date | None = Field(default=None, alias="from", description="First day in force")
    until: dt.date | None = Field(default=None, description="Last day in force")

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError(f"until ({self.until}) is before from ({self.from_})")
        return self


class Obligation(Strict):
    """One duty: who must do what, for which units, and when."""

    id: str = Field(pattern=ID_PATTERN, description=f"Stable duty id ({_ID_HELP})")
    title: str = Field(min_length=1, description="Short title shown in calendars")
    description: str = Field(default="", description="Longer explanation")
    actor: str = Field(default="", description="Who acts, as the document says (乡镇(街道)领导干部)")
    lead: list[str] = Field(default_factory=list, description="Lead unit ids (牵头单位)")
    participants: list[UnitRef] = Field(
        default_factory=list, description="Participating units (参加单位)"
    )
    applies_to: list[UnitRef] | Selector | None = Field(
        default=None,
        description="Units that each get their own occurrences: a level selector or a list; "
        "omit for one occurrence with no unit",
    )
    source: Source
    schedule: Schedule
    reminders: list[str] | None = Field(
        default=None, description="Offsets before each occurrence: 7d, 3wd, 2h; default: the file's"
    )
    effective: Effective = Field(default_factory=Effective)
    exceptions: list[Exception_] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="Free labels, e.g. 信访")
    review: bool = Field(default=False, description="true while a person must still check it")
    review_reason: str = Field(default="", description="What to check")

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, v: list[str] | None) -> list[str] | None:
        for text in v or []:
            parse_offset(text)
        return v


class Document(Strict):
    """The policy document a rules file encodes."""

    id: str = Field(pattern=ID_PATTERN, description="Document id used by source.doc")
    title: str = Field(min_length=1)
    issuer: str = Field(default="", description="Issuing office")
    date: dt.date | None = Field(default=None, description="Date of issue, YYYY-MM-DD")
    url: str | None = Field(default=None)


class DayNote(Strict):
    """A local holiday or make-up working day."""

    date: dt.date
    name: str = Field(default="", description="e.g. 古尔邦节")


class LocalCalendar(Strict):
    """Local additions to the national working-day calendar for this file's units."""

    holidays: list[DayNote] = Field(default_factory=list, description="Extra days off")
    workdays: list[DayNote] = Field(default_factory=list, description="Extra working days")


class Defaults(Strict):
    """Defaults for every obligation of the file."""

    reminders: list[str] = Field(default_factory=lambda: ["7d", "1d"])

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, v: list[str]) -> list[str]:
        for text in v:
            parse_offset(text)
        return v


class RulesFile(Strict):
    """A rules YAML file: one document's units and duties."""

    version: Literal[1] = Field(default=1, description="Schema version of this file")
    document: Document
    calendar: LocalCalendar = Field(default_factory=LocalCalendar)
    defaults: Defaults = Field(default_factory=Defaults)
    units: list[Unit] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)


def _check_month_day(month: int, day: int, *, leap_ok: bool) -> None:
    year = 2024 if leap_ok else 2023  # 2024 is a leap year
    last = _calendar.monthrange(year, month)[1]
    if day > last:
        raise ValueError(
            f"{_calendar.month_name[month]} has {last} days, so day {day} does not exist; "
            f"use 1-{last}"
        )


__all__ = [
    "PERIOD_MONTHS",
    "SCHEMA_VERSION",
    "WEEKDAYS",
    "Contact",
    "DayNote",
    "Defaults",
    "Document",
    "Effective",
    "Exception_",
    "HolidayPolicy",
    "Level",
    "LocalCalendar",
    "Obligation",
    "OnceSchedule",
    "Period",
    "Placement",
    "QuotaSchedule",
    "RRuleSchedule",
    "RulesFile",
    "Schedule",
    "Selector",
    "Source",
    "TimeOfDay",
    "Unit",
    "UnitRef",
    "UnscheduledSchedule",
    "WindowSchedule",
    "YearlyDeadlineSchedule",
    "parse_offset",
]
