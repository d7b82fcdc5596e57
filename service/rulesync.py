"""A reload on one instance reaches the others: the rules' fingerprint in the store, polled.

Every instance reads its rules from its own files (the same folder on one machine, a copy on
each machine put there by the deployment, or a network share whose changes the file watcher may
not see). When an instance loads rules because of something that happened to it, it records the
fingerprint of what it loaded in the store (``shared_state`` row ``rules``, store.shared): at
start, after a change its file watcher saw, or after a reload it was asked for (the bot's
/reload, the review page saving a file). Every ``server.rules_poll_seconds`` each instance
compares the store's fingerprint with its own and, when they differ, reloads its files. A reload
made to follow another instance records nothing, so instances never chase each other; the rules
loaded last are everyone's.

If an instance's files still differ afterwards (the deployment has not reached its machine yet)
it keeps serving its own rules, says so in /healthz (``degraded``, with the other instance's
generation), tries again when the store's generation changes and otherwise once a minute, and
catches up as soon as its files arrive (its watcher, or that retry).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from scheduler.snapshot import Snapshot
from service.feeds import FeedService
from store.shared import Shared, SharedState

log = logging.getLogger(__name__)
NAME = "rules"
RETRY = dt.timedelta(minutes=1)  # how often an instance whose files differ reloads them anyway (monotonic time)


def fingerprint(snapshot: Snapshot) -> str:
    """The text of the config and of every rules file, each named relative to the config's folder: the
    same on every machine that has the same files, wherever they are."""
    digest = hashlib.sha256()
    source = snapshot.loaded.source
    digest.update(source.text.encode() if source is not None else b"defaults")
    base = snapshot.loaded.base_dir.resolve()
    for loaded in snapshot.rules.files:
        path = Path(loaded.name).resolve()
        name = os.path.relpath(path, base) if path.is_relative_to(base) else path.name
        digest.update(b"\0" + name.encode() + b"\0" + loaded.source.text.encode())
    return digest.hexdigest()


class RulesSync:
    """Publishes this instance's rules after a change of its own; follows the others' (:meth:`poll`)."""

    def __init__(self, service: FeedService, *, instance: str) -> None:
        self.service = service
        self.instance = instance
        self.state = SharedState(service.store)
        self.behind: Shared | None = None  # the store's rules, while this instance's files differ
        self.generation: int | None = None  # the store's generation this instance serves
        self._following = threading.local()  # set while a reload follows the store (it publishes nothing)
        self._tried: tuple[int, float] | None = None  # (generation, monotonic time) of a reload that did not match
        service.on_reload.append(self.reloaded)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.service.live.current)

    def publish(self) -> None:
        """Record this instance's rules as everyone's (at start, and after a change of its own)."""
        mine = self.fingerprint
        changed = self.state.put(NAME, mine, by=self.instance, now=self.service.clock())
        if changed is not None:
            log.info("rules %s recorded as generation %d for every instance", mine[:12], changed.generation)
            self.generation, self.behind = changed.generation, None
        else:
            self._matched(self.state.get(NAME))

    def reloaded(self) -> None:
        """``FeedService.on_reload``: a reload of this instance's own (not one following the store) is published."""
        if not getattr(self._following, "on", False):
            self.publish()

    def poll(self) -> bool:
        """Follow the store: reload when another instance recorded other rules; True when this instance
        serves the store's rules afterwards."""
        shared = self.state.get(NAME)
        if shared is None:
            self.publish()
            return True
        if shared.value == self.fingerprint:
            return self._matched(shared)
        now = time.monotonic()
        if self._tried is not None and self._tried[0] == shared.generation and \
                now - self._tried[1] < RETRY.total_seconds():
            return False  # these files did not match this generation a moment ago
        self._following.on = True
        try:
            self.service.reload()
        finally:
            self._following.on = False
        if self._matched(shared):
            log.info("rules generation %d loaded, following %s", shared.generation, shared.updated_by)
            return True
        if self._tried is None or self._tried[0] != shared.generation:
            log.warning("instance %s loaded other rules (generation %d, %s); the files here differ (%s), so this "
                        "instance keeps serving its own until they match", shared.updated_by, shared.generation,
                        shared.value[:12], self.fingerprint[:12])
        self._tried = (shared.generation, now)
        return False

    def _matched(self, shared: Shared | None) -> bool:
        if shared is None or shared.value != self.fingerprint:
            self.behind = shared
            return False
        self.generation, self.behind, self._tried = shared.generation, None, None
        return True


__all__ = ["RETRY", "RulesSync", "fingerprint"]
