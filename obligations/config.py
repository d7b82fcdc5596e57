"""The service configuration (``config.yaml``): one schema, every option documented."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator

from obligations.model import DayNote, Strict


class OfficialNotice(Strict):
    """One year's State Council holiday notice, for a year the installed dataset lacks."""

    holidays: list[dt.date] = Field(default_factory=list, description="Every statutory day off")
    workdays: list[dt.date] = Field(
        default_factory=list, description="Every make-up working day (调休) on a weekend"
    )


class CalendarConfig(Strict):
    """The working-day calendar shared by all rules files."""

    beyond_dataset: Literal["error", "weekends_only"] = Field(
        default="error",
        description="For a year with no official data: error (default) or weekends_only, "
        "a guess that is reported as a warning wherever it is used",
    )
    official: dict[int, OfficialNotice] = Field(
        default_factory=dict, description="Notices for years the chinesecalendar package lacks"
    )
    holidays: list[DayNote] = Field(default_factory=list, description="Extra days off for every unit")
    workdays: list[DayNote] = Field(
        default_factory=list, description="Extra working days for every unit"
    )


class Config(Strict):
    """Top level of config.yaml."""

    timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone of the sessions' times"
    )
    language: Literal["zh-CN", "en"] = Field(default="zh-CN", description="Language of user-facing text")
    rules: list[str] = Field(
        default_factory=lambda: ["rules/*.yaml"],
        description="Rules files or glob patterns, relative to this file",
    )
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai or Asia/Urumqi"
            ) from None
        return v


__all__ = ["CalendarConfig", "Config", "OfficialNotice"]
