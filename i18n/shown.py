"""How times, lead times and make-up working days are shown to a person, in their language.

Every time a person reads is in the configured time zone and says which (``2026-03-02 09:00
(北京时间)``): a bare ``01:00`` is UTC to the server and 09:00 to the reader. A reminder offset is
words (``提前1天``), never the rules' ``1d``. A Saturday or Sunday that is a working day is
labelled ``调休上班``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from i18n import N_, Language, tr

# zones that are Beijing time under another name
BEIJING = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})
# an offset's unit, as its suffix in the rules (obligations.offset.OffsetUnit), to its words
LEAD_TIME = {
    "d": N_("offset.days"),
    "wd": N_("offset.working_days"),
    "h": N_("offset.hours"),
    "w": N_("offset.weeks"),
}


def zone_label(lang: Language, tz: dt.tzinfo) -> str:
    """``北京时间`` / ``Beijing time`` for Asia/Shanghai, else the zone's name (``Europe/Berlin``)."""
    key = getattr(tz, "key", None) or str(tz)
    return tr(lang, "time.beijing") if key in BEIJING else key


def local_time(lang: Language, at: dt.datetime, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``at`` (aware; a naive one is taken as UTC) in ``tz``, with the zone's label."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return tr(lang, "time.in_zone", time=at.astimezone(tz).strftime(fmt), zone=zone_label(lang, tz))


def lead_time(lang: Language, amount: int, unit: str) -> str:
    """``提前1天`` for ``1d``, ``提前1个工作日`` for ``1wd``, ``提前2小时`` for ``2h``."""
    return tr(lang, LEAD_TIME[unit], n=amount)


def makeup_label(lang: Language) -> str:
    """The label of a weekend day that is a working day (``调休上班``)."""
    return tr(lang, "day.makeup_workday")


def is_makeup_day(day: dt.date, is_workday: bool) -> bool:
    """A Saturday or Sunday that the calendar says is a working day."""
    return is_workday and day.isoweekday() >= 6


__all__ = ["BEIJING", "LEAD_TIME", "is_makeup_day", "lead_time", "local_time", "makeup_label", "zone_label"]
