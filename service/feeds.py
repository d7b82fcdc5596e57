"""The running feed service: live rules, the store, and the current set of feeds.

Requests read ``self.feeds`` (an immutable build); a reload or a new day
builds a new set in a worker thread and swaps it in, so no request ever sees a
half-built feed and a broken YAML never replaces good rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from calendars.export import feed_range
from calendars.feeds import FeedSet, build_feed_set
from i18n import Language
from scheduler.snapshot import Clock
from service.live import LiveRules
from store import Store, open_store
from store.event_versions import EventVersions

log = logging.getLogger(__name__)


class FeedService:
    def __init__(self, config_path: Path | None, clock: Clock, *, lang: Language | None = None,
                 store: Store | None = None, public_url: str | None = None) -> None:
        self.clock = clock
        self._public_url = public_url
        self.live = LiveRules(config_path, clock)
        loaded = self.live.current.loaded
        self.lang: Language = lang or loaded.config.language
        self.store = store or open_store(loaded.database_url)
        self.versions = EventVersions(self.store)
        self._lock = threading.Lock()
        self.on_reload: list[Callable[[], object]] = []  # called after a reload that changed the rules
        self.feeds = self._build()

    @property
    def public_url(self) -> str:
        """Base of every link: server.public_url, else where this process listens."""
        return self.live.current.loaded.config.server.public_url or self._public_url or \
            self.live.current.loaded.public_url

    def today(self) -> dt.date:
        return self.clock().astimezone(self.live.current.tz).date()

    def _range(self) -> tuple[dt.date, dt.date]:
        cfg = self.live.current.loaded.config.feeds
        return feed_range(self.today(), cfg.months_back, cfg.months_ahead)

    def _build(self) -> FeedSet:
        snapshot = self.live.current
        first, last = self._range()
        started = self.clock()
        feeds = build_feed_set(
            snapshot, first, last, versions=self.versions.sync, now=started, base_url=self.public_url,
            lang=self.lang, refresh=dt.timedelta(minutes=snapshot.loaded.config.feeds.refresh_minutes),
        )
        for warning in feeds.expansion.warnings:
            log.warning("%s", warning)
        log.info("feeds built for rules version %d: %d events, %s to %s", snapshot.version,
                 len(feeds.events), first, last)
        return feeds

    def reload(self) -> bool:
        """Reload the rules; rebuild the feeds when they changed. False keeps the last good rules."""
        with self._lock:
            if not self.live.reload():
                return False
            self.feeds = self._build()
        for listener in self.on_reload:
            listener()
        return True

    def roll_over(self) -> bool:
        """Rebuild when the feed range moved (a new day); True when it did."""
        with self._lock:
            if self._range() == (self.feeds.first, self.feeds.last):
                return False
            self.feeds = self._build()
            return True

    def close(self) -> None:
        self.store.close()


__all__ = ["FeedService"]
