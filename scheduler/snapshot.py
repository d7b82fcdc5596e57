"""One consistent version of config, rules and working-day calendar: what expansion needs.

Loading reads the files once; a running service swaps whole snapshots (service.live),
so every request and every planning run sees one version from start to end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from i18n import Language
from obligations.errors import ValidationFailed
from obligations.loader import LoadedConfig, check_config_references, load_config, load_rules
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.workdays import WorkdayCalendar, calendar_from_config

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Snapshot:
    """One consistent version of config and rules."""

    version: int
    loaded: LoadedConfig
    rules: RuleSet
    calendar: WorkdayCalendar
    tz: ZoneInfo
    loaded_at: dt.datetime

    def expander(self, lang: Language | None = None) -> Expander:
        """An expander whose warnings are in ``lang`` (default: the config's language)."""
        return Expander(self.rules, self.calendar, self.tz, lang or self.loaded.config.language)


def load_snapshot(config_path: Path | None, version: int, now: dt.datetime) -> Snapshot:
    loaded = load_config(config_path)
    rules = load_rules(loaded.rules_paths())
    problems = check_config_references(loaded, rules)
    if problems:
        raise ValidationFailed(problems)
    return Snapshot(version, loaded, rules, calendar_from_config(loaded.config.calendar),
                    ZoneInfo(loaded.config.timezone), now)


__all__ = ["Clock", "Snapshot", "load_snapshot"]
