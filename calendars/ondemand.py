"""Feeds built when first asked for, kept within a memory budget (LRU) and on disk.

A rules version used to build every feed up front: 15–25 minutes and gigabytes for a
national tree, on every change. :class:`OnDemandFeeds` builds a feed on its first
request from an expansion of only its units (or duty), serialises only its events
(:class:`calendars.eventbytes.EventWriter`, one serialisation per duty text) and asks
the version source about only those events. Built feeds are kept while they fit
``budget`` bytes (body and gzip, least recently used out first) and, with a
``disk`` folder, written there, so a restart or another instance with the same
rules serves them without building, as long as ``current`` (the store) still shows
the versions a file was written with (:mod:`calendars.diskcache`).

A feed over more than ``max_units`` units (the all-feed, a level, a duty or a unit
with its children of a national tree) is refused with :class:`FeedTooLarge`: no
request can make the server build gigabytes.

After a rules change (:meth:`OnDemandFeeds.successor`) a cached feed is kept when
nothing it shows changed: no duty reaching its units changed, none of its units
did, and neither did the config, the calendar or the documents. Everything else is
built again on its next request; the store's content hashes re-version only the
events whose bytes changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path

from calendars.diskcache import read_feed, write_feed
from calendars.eventbytes import EventWriter
from calendars.feeds import Feed, FeedSet, Selection, Shape, VersionSource, feed_set_of
from calendars.versions import Version, VersionLookup
from i18n import Language
from obligations.errors import Error, HolidayDataMissing
from obligations.model import Level
from scheduler.expand import Expansion
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Clock, Snapshot

_Key = tuple[Selection, str | None, Shape]


class FeedTooLarge(Error):
    """A feed over more units than a server builds; ``units`` it would cover, ``cap`` the most."""

    def __init__(self, selection: Selection, units: int, cap: int) -> None:
        super().__init__(f"the feed {selection.path} covers {units:,} units, more than {cap:,}")
        self.selection, self.units, self.cap = selection, units, cap


def fingerprint(snapshot: Snapshot) -> str:
    """What every feed's bytes depend on besides the store: the text of the config and every rules file."""
    digest = hashlib.sha256()
    source = snapshot.loaded.source
    digest.update(source.text.encode() if source is not None else b"defaults")
    for loaded in snapshot.rules.files:
        digest.update(b"\0" + loaded.name.encode() + b"\0" + loaded.source.text.encode())
    return digest.hexdigest()


class OnDemandFeeds:
    """The feeds of one rules version and range, each built on its first request."""

    def __init__(self, snapshot: Snapshot, first: dt.date, last: dt.date, *, versions: VersionSource, clock: Clock,
                 base_url: str, lang: Language, refresh: dt.timedelta, budget: int, max_units: int,
                 disk: Path | None = None, current: VersionLookup | None = None) -> None:
        self.snapshot, self.first, self.last = snapshot, first, last
        self.versions, self.current, self.clock, self.base_url = versions, current, clock, base_url
        self.lang, self.refresh, self.budget, self.max_units, self.disk = lang, refresh, budget, max_units, disk
        self.built_at = clock()
        for year in range(first.year, last.year + 1):  # the guessed years, before any event is written
            with contextlib.suppress(HolidayDataMissing):  # told by the expansion that needs the year
                snapshot.calendar.is_workday(dt.date(year, 6, 30))
        self.guessed_years = frozenset(snapshot.calendar.guessed_years)
        self.writer = EventWriter(snapshot.rules, tz=snapshot.tz, lang=lang, guessed_years=self.guessed_years)
        self.fingerprint = fingerprint(snapshot)
        self.expander = snapshot.expander()  # one for the version: its per-duty lookups are kept between feeds
        self._cache: OrderedDict[_Key, Feed] = OrderedDict()
        self._held = 0  # bytes of body and gzip in _cache
        self._lock = threading.RLock()
        self._full: Expansion | None = None
        self.builds = 0  # feeds built (not read from memory or disk), for tests and /healthz
        self.disk_hits = 0
        self.events_built = 0

    # -- what FeedSet offered the pages ------------------------------------------------------

    @property
    def expansion(self) -> Expansion:
        """Every occurrence of the range: expanded on first use only (the page's lists, personal feeds)."""
        with self._lock:
            if self._full is None:
                self._full = self.expander.expand(self.first, self.last)
            return self._full

    @property
    def occurrences(self) -> list[Occurrence]:
        return self.expansion.occurrences

    def _named(self) -> FeedSet:
        return FeedSet(self.snapshot, Expansion([]), self.first, self.last, [], [], self.lang, self.refresh,
                       self.built_at, self.guessed_years)

    def name_of(self, selection: Selection) -> str:
        return self._named().name_of(selection)

    def titled(self, label: str) -> str:
        return self._named().titled(label)

    @property
    def held_bytes(self) -> int:
        return self._held

    def cached(self) -> list[_Key]:
        with self._lock:
            return list(self._cache)

    # -- feeds -------------------------------------------------------------------------------

    def units_of(self, selection: Selection) -> list[str] | None:
        """The units a feed covers (None: the whole range, every unit)."""
        rules = self.snapshot.rules
        if selection.kind == "unit":
            return [selection.key, *(rules.descendants(selection.key) if selection.children else [])]
        if selection.kind == "level":
            return rules.units_of_level(Level(selection.key))
        if selection.kind == "obligation":
            return [u for u in rules.applies_to(rules.obligations[selection.key]) if u is not None]
        return None

    def check_size(self, selection: Selection) -> None:
        units = self.units_of(selection)
        count = len(self.snapshot.rules.units) if units is None else len(units)
        if count > self.max_units:
            raise FeedTooLarge(selection, count, self.max_units)

    def peek(self, selection: Selection, label: str | None = None, shape: Shape = "due") -> Feed | None:
        """The feed if it is built and held in memory, else None: never builds (web.fastfeed)."""
        with self._lock:
            return self._get((selection, label, shape))

    def feed(self, selection: Selection, label: str | None = None, shape: Shape = "due") -> Feed:
        """The feed of ``selection`` (named ``label`` for a private feed), built on first request."""
        key = (selection, label, shape)
        with self._lock:
            cached = self._get(key)
            if cached is not None:
                return cached
            self.check_size(selection)
            feed = self._from_disk(key)
            if feed is None:
                feed, shown = self._build(selection, label, shape)
                self._to_disk(key, feed, shown)
            self._put(key, feed)
            return feed

    def feed_for(self, key: tuple[object, ...], name: str, wanted: Callable[[Occurrence], bool],
                 shape: Shape = "due") -> Feed:
        """A person's feed of the occurrences ``wanted`` picks (alarms on), cached by ``key``."""
        selection = Selection("all", f"custom:{hash(key)}")
        cache_key = (selection, name, shape)
        with self._lock:
            cached = self._get(cache_key)
            if cached is not None:
                return cached
            picked = [occ for occ in self.occurrences if wanted(occ)]
            units = len({occ.unit for occ in picked})
            if units > self.max_units:
                raise FeedTooLarge(selection, units, self.max_units)
            feed = self._serialised(picked).feed_for(key, name, lambda _: True, shape)
            self.builds += 1
            self._put(cache_key, feed)
            return feed

    def _build(self, selection: Selection, label: str | None, shape: Shape) -> tuple[Feed, dict[str, Version]]:
        """The feed, and the versions of its events: what its file on disk is checked against later."""
        units = self.units_of(selection)
        expander = self.expander
        if selection.kind == "obligation":
            expansion = expander.expand(self.first, self.last, obligations={selection.key})
        else:
            expansion = expander.expand(self.first, self.last, units=None if units is None else set(units))
        self.builds += 1
        shown: dict[str, Version] = {}

        def recorded(hashes: Mapping[str, str], now: dt.datetime) -> Mapping[str, Version]:
            known = self.versions(hashes, now)
            shown.update(known)
            return known

        return self._serialised(expansion.occurrences, recorded).feed(selection, label, shape), shown

    def _serialised(self, occurrences: list[Occurrence], versions: VersionSource | None = None) -> FeedSet:
        self.events_built += len(occurrences)
        return feed_set_of(self.snapshot, Expansion(occurrences), self.first, self.last,
                           versions=versions or self.versions, now=self.clock(), base_url=self.base_url,
                           refresh=self.refresh, writer=self.writer)

    # -- the memory budget -------------------------------------------------------------------

    def _get(self, key: _Key) -> Feed | None:
        feed = self._cache.get(key)
        if feed is not None:
            self._cache.move_to_end(key)
        return feed

    def _put(self, key: _Key, feed: Feed) -> None:
        self._cache[key] = feed
        self._held += len(feed.body) + len(feed.gzipped)
        while self._held > self.budget and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._held -= len(old.body) + len(old.gzipped)

    # -- on disk -----------------------------------------------------------------------------

    def _path(self, key: _Key) -> Path | None:
        if self.disk is None or key[0].key.startswith("custom:"):
            return None
        selection, label, shape = key
        name = json.dumps([self.fingerprint, self.first.isoformat(), self.last.isoformat(), self.lang,
                           self.base_url, self.refresh.total_seconds(), selection.kind, selection.key,
                           selection.children, label, shape])
        return self.disk / f"{hashlib.sha256(name.encode()).hexdigest()[:40]}.ics"

    def _from_disk(self, key: _Key) -> Feed | None:
        path = self._path(key)
        if path is None or self.current is None:  # without the store's versions a file cannot be trusted
            return None
        feed = read_feed(path, self.current)
        if feed is not None:
            self.disk_hits += 1
        return feed

    def _to_disk(self, key: _Key, feed: Feed, shown: Mapping[str, Version]) -> None:
        path = self._path(key)
        if path is not None:
            write_feed(path, feed, shown)

    # -- a rules change ----------------------------------------------------------------------

    def successor(self, snapshot: Snapshot, first: dt.date, last: dt.date, base_url: str) -> OnDemandFeeds:
        """The feeds of ``snapshot`` over ``first..last``, keeping the built feeds nothing in the change touches."""
        new = OnDemandFeeds(snapshot, first, last, versions=self.versions, clock=self.clock, base_url=base_url,
                            lang=self.lang, refresh=self.refresh, budget=self.budget, max_units=self.max_units,
                            disk=self.disk, current=self.current)
        if (first, last, base_url) == (self.first, self.last, self.base_url):
            with self._lock:
                for key in untouched(self, new):
                    new._put(key, self._cache[key])
        return new


def untouched(old: OnDemandFeeds, new: OnDemandFeeds) -> list[_Key]:
    """The keys of ``old``'s cached feeds whose bytes ``new``'s rules cannot change."""
    a, b = old.snapshot, new.snapshot
    if a.loaded.config != b.loaded.config:  # the calendar, the language, the links: everything may differ
        return []
    ra, rb = a.rules, b.rules
    if [f.rules.model_copy(update={"units": [], "obligations": []}) for f in ra.files] != \
            [f.rules.model_copy(update={"units": [], "obligations": []}) for f in rb.files]:
        return []  # documents, defaults or local calendars changed: every event may read differently
    duties = [d for d in {*ra.obligations, *rb.obligations} if ra.obligations.get(d) != rb.obligations.get(d)]
    units = {u for u in {*ra.units, *rb.units} if ra.units.get(u) != rb.units.get(u)}
    reach: set[str | None] = set(units)
    # a duty's description names its lead units: a renamed unit changes the events of the duties it leads
    duties += [d for rules in (ra, rb) for d, ob in rules.obligations.items() if units.intersection(ob.lead)]
    for duty in duties:
        for rules in (ra, rb):
            if duty in rules.obligations:
                reach.update(rules.applies_to(rules.obligations[duty]))
    kept = []
    for key in old.cached():
        selection = key[0]
        if selection.key.startswith("custom:") or selection.kind == "all":
            continue
        if selection.kind == "obligation" and selection.key in duties:  # also a duty with no unit
            continue
        if selection.kind == "unit" and selection.key not in rb.units:
            continue
        covered = old.units_of(selection) or []
        if covered != (new.units_of(selection) or []) or reach.intersection(covered):
            continue
        kept.append(key)
    return kept


__all__ = ["FeedTooLarge", "OnDemandFeeds", "fingerprint", "untouched"]
