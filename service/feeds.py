"""The running feed service: live rules, the store, and the current set of feeds.

Requests read ``self.feeds``: the feeds of one rules version, each built on its
first request (:class:`calendars.ondemand.OnDemandFeeds`). A reload or a new day
swaps in the next version's set, which keeps every built feed the change does not
touch; a broken YAML never replaces good rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from calendars.export import feed_range
from calendars.ondemand import OnDemandFeeds
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

    def _build(self) -> OnDemandFeeds:
        """The feeds of the current rules; nothing is built until a feed is asked for."""
        snapshot = self.live.current
        first, last = self._range()
        cfg = snapshot.loaded.config.feeds
        disk = None
        if cfg.cache_dir:
            disk = snapshot.loaded.base_dir / cfg.cache_dir  # an absolute folder stays as it is
        feeds = OnDemandFeeds(snapshot, first, last, versions=self.versions.sync, clock=self.clock,
                              base_url=self.public_url, lang=self.lang,
                              refresh=dt.timedelta(minutes=cfg.refresh_minutes), budget=cfg.cache_mb * 2**20,
                              max_units=cfg.max_units, disk=disk,
                              current=self.versions.current)
        # the calendar's warnings (years without official data), as a build of every feed logged them
        for warning in snapshot.expander().expand(first, first, obligations=()).warnings:
            log.warning("%s", warning)
        log.info("feeds of rules version %d ready, built on request: %s to %s", snapshot.version, first, last)
        return feeds

    def _next(self) -> OnDemandFeeds:
        """The feeds of the current rules and range, keeping the old set's feeds the change left alone."""
        first, last = self._range()
        if self.live.current.loaded.config.feeds != self.feeds.snapshot.loaded.config.feeds:
            return self._build()  # a new budget, cap or folder
        return self.feeds.successor(self.live.current, first, last, self.public_url)

    def reload(self) -> bool:
        """Reload the rules; rebuild the feeds when they changed. False keeps the last good rules."""
        with self._lock:
            if not self.live.reload():
                return False
            self.feeds = self._next()
        for listener in self.on_reload:
            listener()
        return True

    def roll_over(self) -> bool:
        """Rebuild when the feed range moved (a new day); True when it did."""
        with self._lock:
            if self._range() == (self.feeds.first, self.feeds.last):
                return False
            self.feeds = self._next()
            return True

    def close(self) -> None:
        self.store.close()


__all__ = ["FeedService"]
