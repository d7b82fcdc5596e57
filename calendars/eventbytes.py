"""VEVENT bytes without an icalendar object per event: each distinct text serialised once.

:func:`calendars.ics.make_event` builds an icalendar ``Event`` per occurrence and
serialises it: ~100 µs, most of it typing, escaping and folding the same duty text
again and again (a weekly township duty has one description per week for 38,700
townships). :class:`EventWriter` writes the same bytes (a test compares them event
by event with ``make_event(...).to_ical()``) from lines that icalendar serialises
once per distinct value: the description of a slot is shared by every unit of the
slot, the categories, URL and TRANSP by every event of a duty. Only SUMMARY (it
names the unit) and UID are written per event, with icalendar's own escaping and
folding.

icalendar writes a VEVENT's properties in its canonical order (SUMMARY, DTSTART,
DTEND, UID), then the others alphabetically (CATEGORIES, DESCRIPTION, TRANSP, URL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Alarm, Event, vCategory, vDDDTypes, vText

from calendars.ics import description, event_uid, summary
from i18n import Language, tr
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence

_BEGIN = b"BEGIN:VEVENT\r\n"
_END = b"END:VEVENT\r\n"
_ALARM_BEGIN = b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n"
_ALARM_END = b"END:VALARM\r\n"
_WIDTH = 74  # icalendar folds before the octet that would make a line 75 long
_MEMO_MAX = 200_000  # distinct lines kept; past it the memo starts again (a national year has ~20,000)


def fold(line: str) -> bytes:
    """``line`` folded as icalendar folds it, in UTF-8: at most 74 octets a line, never inside a
    character, and a ``\\`` or ``^`` that would end a line (an escape) moved to the next one.

    The same cuts as icalendar's character-by-character loop (a test compares them), found by
    slicing the encoded line: 10-30 times faster on the long lines of Chinese text feeds carry.
    """
    data = line.encode()
    if len(data) <= _WIDTH:
        return data
    parts, start, end = [], 0, len(data)
    while end - start > _WIDTH:
        cut = start + _WIDTH
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the character's start
            cut -= 1
        if data[cut - 1] in _ESCAPES and cut - 1 > start:  # ASCII: never a continuation byte
            cut -= 1
        parts.append(data[start:cut])
        start = cut
    parts.append(data[start:])
    return b"\r\n ".join(parts)


_ESCAPES = frozenset(b"\\^")


def text_line(name: str, text: str) -> bytes:
    """``NAME:text`` escaped and folded exactly as icalendar writes a TEXT property without parameters."""
    return fold(f"{name}:{vText(text).to_ical().decode()}") + b"\r\n"


class EventWriter:
    """Serialises occurrences of one rules version as :func:`calendars.ics.make_event` would."""

    def __init__(self, rules: RuleSet, *, tz: ZoneInfo, lang: Language, guessed_years: Iterable[int] = ()) -> None:
        self.rules = rules
        self.tz = tz
        self.lang = lang
        self.guessed = frozenset(guessed_years)
        self._memo: dict[tuple[str, object], bytes] = {}
        self.serialised = 0  # lines icalendar serialised (the memo's misses), for tests and benchmarks

    def _line(self, name: str, value: object, make: object = None) -> bytes:
        """The line icalendar writes for ``Event().add(name, make or value)``, serialised once per value."""
        key = (name, value)
        line = self._memo.get(key)
        if line is None:
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            event = Event()
            event.add(name, value if make is None else make)
            body = event.to_ical()
            line = self._memo[key] = body[len(_BEGIN):-len(_END)]
            self.serialised += 1
        return line

    def alarms(self, triggers: Iterable[dt.timedelta | dt.datetime], text: str) -> bytes:
        """The VALARMs :func:`calendars.ics.alarms_ical` writes: ACTION, DESCRIPTION, TRIGGER (alphabetical)."""
        described = None
        out = []
        for trigger in triggers:
            if described is None:
                described = text_line("DESCRIPTION", text)
            line = self._memo.get(("trigger", trigger))
            if line is None:
                alarm = Alarm()
                if isinstance(trigger, dt.datetime):
                    alarm.add("trigger", vDDDTypes(trigger), parameters={"VALUE": "DATE-TIME"})
                else:
                    alarm.add("trigger", trigger)
                line = self._memo[("trigger", trigger)] = alarm.to_ical()[len(b"BEGIN:VALARM\r\n"):-len(_ALARM_END)]
                self.serialised += 1
            out += [_ALARM_BEGIN, described, line, _ALARM_END]
        return b"".join(out)

    def event(self, occ: Occurrence, link: str | None) -> bytes:
        """The occurrence's VEVENT (without DTSTAMP, LAST-MODIFIED, SEQUENCE and alarms)."""
        text = summary(occ, self.rules, self.lang)
        parts = [_BEGIN, text_line("SUMMARY", text)]
        if occ.start is not None and occ.end is not None:
            parts += [self._line("dtstart", occ.start.astimezone(self.tz)),
                      self._line("dtend", occ.end.astimezone(self.tz))]
        else:
            parts += [self._line("dtstart", occ.date), self._line("dtend", occ.date + dt.timedelta(days=1))]
        parts.append(text_line("UID", event_uid(occ)))
        kind = tr(self.lang, f"kind.{occ.kind}")
        tags = (*occ.obligation.tags, kind)
        parts.append(self._line("categories", tags, vCategory(list(tags))))
        parts.append(self._line("description", description(occ, self.rules, self.lang, self.guessed, link)))
        parts.append(self._line("transp", "TRANSPARENT" if occ.kind == "deadline" or occ.start is None
                                else "OPAQUE"))
        if link:
            parts.append(self._line("url", link))
        parts.append(_END)
        return b"".join(parts)


__all__ = ["EventWriter", "fold", "text_line"]
