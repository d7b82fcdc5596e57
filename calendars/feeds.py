"""Every feed of one rules version: built once, then served from memory.

Each occurrence's VEVENT is serialised once (by icalendar) and shared by the
all-feed, its unit's feed, its level's feed and its duty's feed. The event's
history (DTSTAMP, LAST-MODIFIED, SEQUENCE) comes from a version source, the
store in the service, so it changes only when the event's content does. A link
is not content: the hash leaves the base URL out (see :func:`content_hash`), so
``serve`` and ``ics`` building links with different hosts share one history.

Alarms go only into the feeds of one unit (with or without the units below it)
and private feeds: a level's, a duty's or the all-feed would ring for hundreds of
units at once. Each event is kept without its VALARMs, which are spliced in
before ``END:VEVENT`` when a feed carries alarms.

A feed has two shapes: ``due`` (the default: a window is one event on its due or
planned day) and ``span`` (``?windows=span``: an unplaced window is a multi-day
event over its days). Both shapes share the UID and the history of the event:
the hash is taken over the ``due`` shape only, which determines the ``span``
shape (the window's dates are in its description), so switching shapes or
serving both never bumps SEQUENCE.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import gzip
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from icalendar import vText

from calendars.eventbytes import EventWriter
from calendars.ics import absolute_triggers, alarm_triggers, alarms_ical, calendar_head, event_uid, summary
from calendars.versions import Version, VersionSource
from calendars.windows import span_of
from i18n import Language, tr
from obligations.model import Level
from scheduler.expand import Expansion
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot

FeedKind = Literal["all", "unit", "level", "obligation"]
Shape = Literal["due", "span"]
SHAPES: tuple[Shape, ...] = ("due", "span")
_END = b"END:VCALENDAR\r\n"
_END_EVENT = b"END:VEVENT\r\n"
_Trigger = dt.timedelta | dt.datetime


@dataclass(frozen=True)
class Selection:
    """Which occurrences a feed holds."""

    kind: FeedKind
    key: str = ""
    children: bool = False

    @property
    def path(self) -> str:
        if self.kind == "all":
            return "all.ics"
        return f"{self.kind}/{self.key}.ics"


@dataclass(frozen=True)
class Feed:
    body: bytes
    gzipped: bytes
    etag: str
    last_modified: dt.datetime
    events: int

    @functools.cached_property
    def http_date(self) -> str:
        """Last-Modified as HTTP wants it, formatted once per feed rather than per request."""
        return email.utils.format_datetime(self.last_modified.astimezone(dt.UTC), usegmt=True)


def in_memory_versions() -> VersionSource:
    """A version source without a store (tests, one-off exports): remembers within the process."""
    seen: dict[str, tuple[str, Version]] = {}

    def sync(hashes: Mapping[str, str], now: dt.datetime) -> dict[str, Version]:
        out = {}
        for uid, digest in hashes.items():
            old = seen.get(uid)
            if old is None:
                seen[uid] = (digest, Version(0, now))
            elif old[0] != digest:
                seen[uid] = (digest, Version(old[1].sequence + 1, now))
            out[uid] = seen[uid][1]
        return out

    return sync


def content_hash(content: bytes, base_url: str) -> str:
    """The version-driving hash of one serialised VEVENT, without the host its links point to.

    Lines are unfolded first (RFC 5545 3.1: a fold is CRLF + one space) so a
    longer or shorter host cannot move a fold; then the base URL is dropped both
    as written in URL (a URI, raw) and in DESCRIPTION (TEXT, escaped).
    """
    unfolded = content.replace(b"\r\n ", b"")
    base = base_url.rstrip("/")
    if base:
        for written in dict.fromkeys((base.encode(), vText(base).to_ical())):
            unfolded = unfolded.replace(written, b"")
    return hashlib.sha256(unfolded).hexdigest()


def _dates(start: dt.date, end: dt.date) -> bytes:
    """An all-day event's DTSTART and DTEND lines as icalendar writes them."""
    return (b"DTSTART;VALUE=DATE:" + start.strftime("%Y%m%d").encode() + b"\r\nDTEND;VALUE=DATE:"
            + end.strftime("%Y%m%d").encode() + b"\r\n")


def _stamp(value: dt.datetime) -> bytes:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ").encode()


@dataclass
class FeedSet:
    snapshot: Snapshot
    expansion: Expansion
    first: dt.date
    last: dt.date
    events: list[bytes]
    modified: list[dt.datetime]
    lang: Language
    refresh: dt.timedelta
    built_at: dt.datetime
    guessed_years: frozenset[int] = frozenset()
    # per event: its reminder triggers and the text they show (VALARMs are spliced in per feed)
    alarms: list[tuple[list[_Trigger], str]] = field(default_factory=list)
    _cache: dict[tuple[Selection, str | None, Shape], Feed] = field(default_factory=dict)
    _alarm_bytes: dict[tuple[int, Shape], bytes] = field(default_factory=dict)
    _spans: dict[int, bytes] = field(default_factory=dict)
    _by_unit: dict[str | None, list[int]] | None = None
    _by_obligation: dict[str, list[int]] = field(default_factory=dict)

    @property
    def occurrences(self) -> list[Occurrence]:
        return self.expansion.occurrences

    def units_of(self, selection: Selection) -> set[str] | None:
        rules = self.snapshot.rules
        if selection.kind == "unit":
            return {selection.key, *(rules.descendants(selection.key) if selection.children else [])}
        if selection.kind == "level":
            return set(rules.units_of_level(Level(selection.key)))
        return None

    def name_of(self, selection: Selection) -> str:
        rules = self.snapshot.rules
        base = tr(self.lang, "calendar.name")
        if selection.kind == "unit":
            unit = rules.units[selection.key].name
            if selection.children:
                unit = tr(self.lang, "calendar.unit_with_children", unit=unit)
            return f"{base} · {unit}"
        if selection.kind == "level":
            return f"{base} · {tr(self.lang, f'level.{selection.key}')}"
        if selection.kind == "obligation":
            return f"{base} · {rules.obligations[selection.key].title}"
        return f"{base} · {tr(self.lang, 'term.all_units')}"

    def titled(self, label: str) -> str:
        """The calendar name of a feed named by its configuration (a private feed's ``name``)."""
        return f"{tr(self.lang, 'calendar.name')} · {label}"

    def feed(self, selection: Selection, label: str | None = None, shape: Shape = "due") -> Feed:
        """The feed of ``selection``, named after it, or after ``label`` (a private feed's own name).

        Alarms only in a unit's feed and in private feeds (those with a ``label``).
        """
        key = (selection, label, shape)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        name = self.name_of(selection) if label is None else self.titled(label)
        alarms = selection.kind == "unit" or label is not None
        feed = self._assemble(self._indexes(selection), name, alarms=alarms, shape=shape)
        self._cache[key] = feed
        return feed

    def event(self, i: int, *, alarms: bool, shape: Shape = "due") -> bytes:
        """Event ``i`` as a feed of ``shape`` carries it, with or without its VALARMs."""
        body = self._span(i) if shape == "span" else self.events[i]
        if not alarms or not self.alarms or not self.alarms[i][0]:
            return body
        spanned = shape == "span" and span_of(self.occurrences[i]) is not None
        key = (i, "span" if spanned else "due")
        valarms = self._alarm_bytes.get(key)
        if valarms is None:
            triggers, text = self.alarms[i]
            if spanned:  # the event starts on the window's first day: ring at the reminders' own times
                triggers = list(absolute_triggers(self.occurrences[i], triggers, self.snapshot.tz))
            valarms = self._alarm_bytes[key] = alarms_ical(triggers, text)
        return body[: -len(_END_EVENT)] + valarms + _END_EVENT

    def _span(self, i: int) -> bytes:
        """Event ``i`` over its window's days (DTSTART window_start, DTEND the day after window_end)."""
        cached = self._spans.get(i)
        if cached is not None:
            return cached
        body = self.events[i]
        occ = self.occurrences[i]
        spanned = span_of(occ)
        if spanned is not None:
            on_date = _dates(occ.date, occ.date + dt.timedelta(days=1))
            assert body.count(on_date) == 1, occ.uid
            body = body.replace(on_date, _dates(*spanned))
        self._spans[i] = body
        return body

    def _assemble(self, picked: list[int], name: str, *, alarms: bool, shape: Shape = "due") -> Feed:
        head = calendar_head(name, self.snapshot.tz, refresh=self.refresh, description=self._caldesc())
        body = head + b"".join(self.event(i, alarms=alarms, shape=shape) for i in picked) + _END
        modified = max((self.modified[i] for i in picked), default=self.snapshot.loaded_at)
        digest = hashlib.sha256(body).hexdigest()[:32]
        return Feed(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"', modified, len(picked))

    def feed_for(self, key: tuple[object, ...], name: str, wanted: Callable[[Occurrence], bool],
                 shape: Shape = "due") -> Feed:
        """A person's feed (private: with alarms) of the occurrences ``wanted`` picks, cached by ``key``."""
        selection = Selection("all", f"custom:{hash(key)}")
        cached = self._cache.get((selection, name, shape))
        if cached is None:
            picked = [i for i, occ in enumerate(self.occurrences) if wanted(occ)]
            cached = self._assemble(picked, name, alarms=True, shape=shape)
            self._cache[(selection, name, shape)] = cached
        return cached

    def _indexes(self, selection: Selection) -> list[int]:
        """Positions of the selected occurrences, in the expansion's order."""
        if self._by_unit is None:
            self._by_unit, self._by_obligation = {}, {}
            for i, occ in enumerate(self.occurrences):
                self._by_unit.setdefault(occ.unit, []).append(i)
                self._by_obligation.setdefault(occ.obligation.id, []).append(i)
        if selection.kind == "all":
            return list(range(len(self.occurrences)))
        if selection.kind == "obligation":
            return self._by_obligation.get(selection.key, [])
        units = self.units_of(selection) or set()
        return sorted(i for unit in units for i in self._by_unit.get(unit, []))

    def _caldesc(self) -> str:
        """The warning for each year of this feed's range that has no official holiday data.

        Only years the range reaches: the calendar's list grows with whatever any
        expansion touched (a page showing 2028, a date moved past New Year), and a
        feed ending in 2027 must not warn about 2028.
        """
        years = sorted(y for y in self.guessed_years if self.first.year <= y <= self.last.year)
        return " ".join(tr(self.lang, "calendar.guessed", year=y) for y in years)


def build_feed_set(
    snapshot: Snapshot,
    first: dt.date,
    last: dt.date,
    *,
    versions: VersionSource,
    now: dt.datetime,
    base_url: str,
    lang: Language,
    refresh: dt.timedelta,
) -> FeedSet:
    """Expand ``first..last`` and serialise every occurrence once."""
    expansion = snapshot.expander().expand(first, last)
    writer = EventWriter(snapshot.rules, tz=snapshot.tz, lang=lang, guessed_years=snapshot.calendar.guessed_years)
    return feed_set_of(snapshot, expansion, first, last, versions=versions, now=now, base_url=base_url,
                       refresh=refresh, writer=writer)


def feed_set_of(
    snapshot: Snapshot,
    expansion: Expansion,
    first: dt.date,
    last: dt.date,
    *,
    versions: VersionSource,
    now: dt.datetime,
    base_url: str,
    refresh: dt.timedelta,
    writer: EventWriter,
) -> FeedSet:
    """Serialise the occurrences of ``expansion`` (all of a range, or one feed's) with ``writer``;
    their versions from ``versions``. Events of one duty text share its serialised lines."""
    expander = snapshot.expander()
    rules, tz = snapshot.rules, snapshot.tz
    guessed = frozenset(snapshot.calendar.guessed_years)
    base = base_url.rstrip("/")

    contents: list[bytes] = []
    hashes: dict[str, str] = {}
    alarms: list[tuple[list[_Trigger], str]] = []
    valarms: list[bytes] = []
    for occ in expansion.occurrences:
        link = f"{base}/obligation/{occ.obligation.id}"
        triggers = alarm_triggers(occ, rules.reminders(occ.obligation), tz, expander.calendar_for(occ).workdays_before)
        content = writer.event(occ, link)
        text = summary(occ, rules, writer.lang)
        contents.append(content)
        alarms.append((triggers, text))
        valarm = writer.alarms(triggers, text)
        valarms.append(valarm)
        # the version follows the event with its alarms, in the due shape (it determines the span shape)
        hashes[event_uid(occ)] = content_hash(content[: -len(_END_EVENT)] + valarm + _END_EVENT, base)
    known = versions(hashes, now)
    events: list[bytes] = []
    modified: list[dt.datetime] = []
    for occ, content in zip(expansion.occurrences, contents, strict=True):
        version = known[event_uid(occ)]
        history = (b"DTSTAMP:" + _stamp(version.last_modified) + b"\r\nLAST-MODIFIED:"
                   + _stamp(version.last_modified) + b"\r\nSEQUENCE:" + str(version.sequence).encode() + b"\r\n")
        # the history lines go right after BEGIN:VEVENT; content lines may come in any order (RFC 5545 3.6)
        events.append(content.replace(b"BEGIN:VEVENT\r\n", b"BEGIN:VEVENT\r\n" + history, 1))
        modified.append(version.last_modified)
    feeds = FeedSet(snapshot, expansion, first, last, events, modified, writer.lang, refresh, now, guessed, alarms)
    feeds._alarm_bytes.update(((i, "due"), v) for i, v in enumerate(valarms) if v)
    return feeds


__all__ = ["SHAPES", "Feed", "FeedSet", "Selection", "Shape", "VersionSource", "build_feed_set", "content_hash",
           "feed_set_of",
           "in_memory_versions"]
