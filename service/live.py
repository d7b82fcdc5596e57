"""The rules a running service uses, reloaded when their files change.

A reload that fails keeps the last good rules and records the problems (with
file:line:column) for the page and the logs; nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from obligations.errors import FatalError, Problem, ValidationFailed
from scheduler.snapshot import Clock, load_snapshot

log = logging.getLogger(__name__)


class LiveRules:
    """Holds the current snapshot; :meth:`reload` swaps it only for valid rules."""

    def __init__(self, config_path: Path | None, clock: Clock) -> None:
        self.config_path = config_path
        self.clock = clock
        self.current = load_snapshot(config_path, 1, clock())  # invalid at start: the caller reports
        self.problems: list[Problem] = []
        self.failed_at: dt.datetime | None = None

    def reload(self) -> bool:
        """Load again; True when a new snapshot is in place, False when the last good one stays."""
        try:
            snapshot = load_snapshot(self.config_path, self.current.version + 1, self.clock())
        except ValidationFailed as exc:
            self.problems = exc.problems
            self.failed_at = self.clock()
            log.error("rules not reloaded, keeping version %d: %d problem(s):\n%s", self.current.version,
                      len(exc.problems), "\n".join(str(p) for p in exc.problems))
            return False
        except FatalError as exc:
            self.problems = [Problem(str(self.config_path or "config"), 0, 0, str(exc))]
            self.failed_at = self.clock()
            log.error("rules not reloaded, keeping version %d: %s", self.current.version, exc)
            return False
        self.current = snapshot
        self.problems = []
        self.failed_at = None
        log.info("rules version %d loaded: %d units, %d obligations", snapshot.version,
                 len(snapshot.rules.units), len(snapshot.rules.obligations))
        return True

    def watched_paths(self) -> list[Path]:
        """Folders holding the config and every rules file (new files in them count too)."""
        paths = {p.resolve().parent for p in self.current.loaded.rules_paths()}
        if self.config_path is not None:
            paths.add(self.config_path.resolve().parent)
        return sorted(paths)


__all__ = ["LiveRules"]
