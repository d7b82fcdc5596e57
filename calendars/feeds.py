"""Every feed of one rules version: built once, then served from memory.

Each occurrence's VEVENT is serialised once (by icalendar) and shared by the
all-feed, its unit's feed, its level's feed and its duty's feed. The event's
history (DTSTAMP, LAST-MODIFIED, SEQUENCE) comes from a version source, the
store in the service, so it changes only when the event's content does. A link
is not content: the hash leaves the base URL out (see :func:`content_hash`), so
``serve`` and ``ics`` building links with different hosts share one history.
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

from calendars.ics import alarm_triggers, calendar_shell, make_event
from calendars.versions import Version, VersionSource
from i18n import Language, tr
from obligations.model import Level
from scheduler.expand import Expansion
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot

FeedKind = Literal["all", "unit", "level", "obligation"]
_END = b"END:VCALENDAR\r\n"


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
    _cache: dict[tuple[Selection, str | None], Feed] = field(default_factory=dict)
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

    def feed(self, selection: Selection, label: str | None = None) -> Feed:
        """The feed of ``selection``, named after it, or after ``label`` (a private feed's own name)."""
        cached = self._cache.get((selection, label))
        if cached is not None:
            return cached
        name = self.name_of(selection) if label is None else self.titled(label)
        feed = self._assemble(self._indexes(selection), name)
        self._cache[(selection, label)] = feed
        return feed

    def _assemble(self, picked: list[int], name: str) -> Feed:
        shell = calendar_shell(name, self.snapshot.tz, refresh=self.refresh, description=self._caldesc())
        head = shell.to_ical()
        assert head.endswith(_END)
        body = head[: -len(_END)] + b"".join(self.events[i] for i in picked) + _END
        modified = max((self.modified[i] for i in picked), default=self.snapshot.loaded_at)
        digest = hashlib.sha256(body).hexdigest()[:32]
        return Feed(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"', modified, len(picked))

    def feed_for(self, key: tuple[object, ...], name: str, wanted: Callable[[Occurrence], bool]) -> Feed:
        """A feed of the occurrences ``wanted`` picks (a person's subscriptions), cached by ``key``."""
        selection = Selection("all", f"custom:{hash(key)}")
        cached = self._cache.get((selection, name))
        if cached is None:
            picked = [i for i, occ in enumerate(self.occurrences) if wanted(occ)]
            cached = self._assemble(picked, name)
            self._cache[(selection, name)] = cached
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
    expander = snapshot.expander()
    expansion = expander.expand(first, last)
    rules, tz = snapshot.rules, snapshot.tz
    guessed = frozenset(snapshot.calendar.guessed_years)
    base = base_url.rstrip("/")

    contents: list[bytes] = []
    hashes: dict[str, str] = {}
    uids: list[str] = []
    for occ in expansion.occurrences:
        link = f"{base}/obligation/{occ.obligation.id}"
        triggers = alarm_triggers(occ, rules.reminders(occ.obligation), tz, expander.calendar_for(occ).workdays_before)
        event = make_event(occ, rules, tz=tz, lang=lang, guessed_years=guessed, link=link, triggers=triggers)
        content = event.to_ical()
        uid = str(event["UID"])
        contents.append(content)
        uids.append(uid)
        hashes[uid] = content_hash(content, base)
    known = versions(hashes, now)
    events: list[bytes] = []
    modified: list[dt.datetime] = []
    for uid, content in zip(uids, contents, strict=True):
        version = known[uid]
        history = (b"DTSTAMP:" + _stamp(version.last_modified) + b"\r\nLAST-MODIFIED:"
                   + _stamp(version.last_modified) + b"\r\nSEQUENCE:" + str(version.sequence).encode() + b"\r\n")
        # the history lines go right after BEGIN:VEVENT; content lines may come in any order (RFC 5545 3.6)
        events.append(content.replace(b"BEGIN:VEVENT\r\n", b"BEGIN:VEVENT\r\n" + history, 1))
        modified.append(version.last_modified)
    return FeedSet(snapshot, expansion, first, last, events, modified, lang, refresh, now, guessed)


__all__ = ["Feed", "FeedSet", "Selection", "VersionSource", "build_feed_set", "content_hash", "in_memory_versions"]
