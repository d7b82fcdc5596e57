"""Which feeds exist, what range they cover, and writing them as static files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from calendars.feeds import FeedSet, Selection, Shape
from obligations.ruleset import RuleSet
from scheduler.periods import month_start


def feed_range(today: dt.date, months_back: int, months_ahead: int) -> tuple[dt.date, dt.date]:
    """First day of the month ``months_back`` ago to the last day of the month ``months_ahead`` on."""
    first = month_start(today.year, today.month - months_back)
    last = month_start(today.year, today.month + months_ahead + 1) - dt.timedelta(days=1)
    return first, last


def all_selections(rules: RuleSet, unit: str | None = None) -> list[Selection]:
    """Every feed: all, each unit, each level in use, each duty (or only ``unit``'s)."""
    if unit is not None:
        return [Selection("unit", unit)]
    out = [Selection("all")]
    out += [Selection("unit", uid) for uid in rules.units]
    out += [Selection("level", level) for level in dict.fromkeys(u.level.value for u in rules.units.values())]
    out += [Selection("obligation", oid) for oid in rules.obligations]
    return out


def export_feeds(feeds: FeedSet, out: Path, unit: str | None = None, *, shape: Shape = "due") -> int:
    """Write every feed (or only ``unit``'s) under ``out``, in ``shape``; returns how many files were written.

    Every unit, level and duty gets a file, even an empty one, so a subscribed
    URL never turns into a 404; files are replaced atomically.
    """
    selections = all_selections(feeds.snapshot.rules, unit)
    for selection in selections:
        path = out / selection.path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".ics.tmp")
        tmp.write_bytes(feeds.feed(selection, shape=shape).body)
        tmp.replace(path)
    return len(selections)


__all__ = ["all_selections", "export_feeds", "feed_range"]
