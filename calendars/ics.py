"""RFC 5545 components for occurrences, built with the icalendar library.

Each occurrence becomes one VEVENT. Occurrences are always emitted as single
instances, never as an RRULE: holidays move individual dates, so no RRULE
would describe them exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCategory, vDDDTypes, vDuration, vText

from calendars.windows import period_phrase, span_of, window_line
from i18n import Language, tr
from obligations.model import Obligation
from obligations.offset import Offset, OffsetUnit
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence
from scheduler.reminder_time import WorkdaysBefore, anchor, reminder_time

PRODID = "-//obligation-calendar//rules to calendars//ZH"
UID_DOMAIN = "obligation-calendar"


def event_uid(occ: Occurrence) -> str:
    return f"{occ.uid}@{UID_DOMAIN}"


def summary(occ: Occurrence, rules: RuleSet, lang: Language = "zh-CN") -> str:
    """``【本周内】title · unit`` for an unplaced window, ``【截止】…`` for another deadline."""
    unit = rules.units[occ.unit].name if occ.unit else ""
    phrase = period_phrase(occ, lang)
    if phrase is None and occ.kind == "deadline":
        phrase = tr(lang, "kind.deadline")
    prefix = f"【{phrase}】" if phrase else ""
    return f"{prefix}{occ.obligation.title}" + (f" · {unit}" if unit else "")


def description(
    occ: Occurrence, rules: RuleSet, lang: Language = "zh-CN", guessed_years: Iterable[int] = (),
    link: str | None = None,
) -> str:
    ob: Obligation = occ.obligation
    lines: list[str] = []
    if ob.description:
        lines.append(ob.description)
    if ob.actor:
        lines.append(f"{tr(lang, 'label.actor')}:{ob.actor}")
    if ob.lead:
        lead = "、".join(rules.units[u].name for u in ob.lead if u in rules.units)
        lines.append(f"{tr(lang, 'label.lead_units')}:{lead}")
    window = window_line(occ, lang)
    if window is not None:  # a one-day window is the event's own date: no line
        lines.append(window)
    if occ.note:
        nominal = occ.nominal.isoformat() if occ.nominal else ""
        note = "" if occ.note in {"moved", "added"} else f"({occ.note})"  # the engine's own words
        if nominal:
            lines.append(tr(lang, "calendar.changed", nominal=nominal, note=note))
        else:
            lines.append(tr(lang, "calendar.added", note=note))
    elif occ.nominal is not None:
        lines.append(tr(lang, "calendar.moved", nominal=occ.nominal.isoformat()))
    doc = rules.document_of(ob)
    clause = f" {ob.source.clause}" if ob.source.clause else ""
    lines.append(f"{tr(lang, 'label.source')}:《{doc.title}》{clause}")
    lines.append(f"“{ob.source.quote}”")
    if occ.date.year in set(guessed_years):
        lines.append(tr(lang, "calendar.guessed", year=occ.date.year))
    if link:
        lines.append(link)
    return "\n".join(lines)


# -- alarms -------------------------------------------------------------------------------------

def alarm_triggers(
    occ: Occurrence, offsets: Iterable[Offset], tz: ZoneInfo, workdays_before: WorkdaysBefore
) -> list[dt.timedelta | dt.datetime]:
    """TRIGGER values for a duty's reminder offsets, at the times reminders are sent.

    Relative to the event's start (midnight for all-day entries, so "1d" is
    -PT15H: 09:00 the day before); working-day offsets cannot be relative, so
    they become absolute UTC times.
    """
    out: list[dt.timedelta | dt.datetime] = []
    start = anchor(occ, tz) if occ.start is not None else dt.datetime.combine(occ.date, dt.time())
    for offset in offsets:
        when = reminder_time(occ, offset, tz, workdays_before)
        if offset.unit is OffsetUnit.working_days:
            out.append(when.astimezone(dt.UTC))
        else:
            out.append(when.replace(tzinfo=None) - start)
    return out


def absolute_triggers(occ: Occurrence, triggers: Iterable[dt.timedelta | dt.datetime],
                      tz: ZoneInfo) -> list[dt.datetime]:
    """Triggers of an all-day occurrence as UTC times, for an event that no longer starts on its date.

    A window shown as a multi-day event starts on the window's first day, so a trigger
    relative to the start would ring days early; reminders count to ``date``.
    """
    midnight = dt.datetime.combine(occ.date, dt.time())
    return [t if isinstance(t, dt.datetime) else (midnight + t).replace(tzinfo=tz).astimezone(dt.UTC)
            for t in triggers]


def alarms_ical(triggers: Iterable[dt.timedelta | dt.datetime], text: str) -> bytes:
    """The VALARM components of one event, serialised, to go right before its ``END:VEVENT``."""
    return b"".join(_alarm(trigger, text).to_ical() for trigger in triggers)


def _alarm(trigger: dt.timedelta | dt.datetime, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    if isinstance(trigger, dt.datetime):
        alarm.add("trigger", vDDDTypes(trigger), parameters={"VALUE": "DATE-TIME"})
    else:
        alarm.add("trigger", trigger)
    return alarm


# -- components ---------------------------------------------------------------------------------


def make_event(
    occ: Occurrence,
    rules: RuleSet,
    *,
    tz: ZoneInfo,
    lang: Language = "zh-CN",
    guessed_years: Iterable[int] = (),
    link: str | None = None,
    triggers: Iterable[dt.timedelta | dt.datetime] = (),
    span: bool = False,
) -> Event:
    """The VEVENT of one occurrence, without DTSTAMP, LAST-MODIFIED and SEQUENCE.

    Those three describe the event's history, not its content; the feed
    builder adds them from the store (see calendars.feeds). An all-day entry is
    on its ``date`` (planned, else due); with ``span`` an unplaced window covers
    its days instead (:func:`calendars.windows.span_of`), its alarms at absolute times.
    """
    ev = Event()
    ev.add("uid", event_uid(occ))
    spanned = span_of(occ) if span else None
    if occ.start is not None and occ.end is not None:
        ev.add("dtstart", occ.start.astimezone(tz))
        ev.add("dtend", occ.end.astimezone(tz))
    elif spanned is not None:
        ev.add("dtstart", spanned[0])
        ev.add("dtend", spanned[1])
        triggers = absolute_triggers(occ, triggers, tz)
    else:
        ev.add("dtstart", occ.date)
        ev.add("dtend", occ.date + dt.timedelta(days=1))
    text = summary(occ, rules, lang)
    ev.add("summary", text)
    ev.add("description", description(occ, rules, lang, guessed_years, link))
    if link:
        ev.add("url", link)
    # an all-day duty does not fill the day: only a timed session shows its hours as busy
    ev.add("transp", "TRANSPARENT" if occ.kind == "deadline" or occ.start is None else "OPAQUE")
    ev.add("categories", vCategory([*occ.obligation.tags, tr(lang, f"kind.{occ.kind}")]))
    for trigger in triggers:
        ev.add_component(_alarm(trigger, text))
    return ev


@functools.lru_cache(maxsize=16)
def _vtimezone(tzid: str) -> Timezone:
    # building it walks decades of offsets (~15 ms); every feed of a run shares one
    return Timezone.from_tzid(tzid)


@functools.lru_cache(maxsize=16)
def _vtimezone_bytes(tzid: str) -> bytes:
    return _vtimezone(tzid).to_ical()


def calendar_head(name: str, tz: ZoneInfo, *, refresh: dt.timedelta, description: str = "") -> bytes:
    """``calendar_shell(...).to_ical()`` without its ``END:VCALENDAR``: a feed's events follow.

    The VTIMEZONE's lines are serialised once per zone, not once per feed (``ics --out`` writes
    43,000 feeds for a national tree).
    """
    body = _shell(name, tz, refresh=refresh, description=description).to_ical()
    return body[: -len(b"END:VCALENDAR\r\n")] + _vtimezone_bytes(tz.key)


def calendar_shell(name: str, tz: ZoneInfo, *, refresh: dt.timedelta, description: str = "") -> Calendar:
    """An empty VCALENDAR with the feed's properties and its VTIMEZONE.

    NAME and the X-WR- names are TEXT, but icalendar only escapes the types it
    knows (NAME and X- properties are written raw as strings), so they are added as
    ``vText``: a name's comma or semicolon is otherwise read as a list separator
    (vobject cut "库尔勒市, 值班" at the comma).
    """
    cal = _shell(name, tz, refresh=refresh, description=description)
    cal.add_component(_vtimezone(tz.key))
    return cal


def _shell(name: str, tz: ZoneInfo, *, refresh: dt.timedelta, description: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", vText(name))
    cal.add("x-wr-calname", vText(name))
    if description:
        cal.add("description", description)
        cal.add("x-wr-caldesc", vText(description))
    cal.add("x-wr-timezone", tz.key)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh).to_ical().decode())  # an X- property: icalendar cannot type it
    return cal


__all__ = [
    "PRODID",
    "UID_DOMAIN",
    "absolute_triggers",
    "alarm_triggers",
    "alarms_ical",
    "calendar_head",
    "calendar_shell",
    "description",
    "event_uid",
    "make_event",
    "summary",
]
