"""Feeds as static files: all.ics, unit/{id}.ics, level/{level}.ics, obligation/{id}.ics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from calendars.ics import build_calendar
from obligations.i18n import Language, t
from obligations.ruleset import RuleSet
from scheduler.expand import Expander, Expansion


def single_feed(
    rules: RuleSet, expander: Expander, first: dt.date, last: dt.date, lang: Language, unit: str | None
) -> tuple[bytes, Expansion]:
    expansion = expander.expand(first, last, units={unit} if unit else None)
    name = f"{t('calendar_name', lang)} · " + (rules.units[unit].name if unit else t("all_units", lang))
    cal = build_calendar(expansion.occurrences, rules, tz=expander.tz, name=name, lang=lang,
                         guessed_years=expander.calendar.guessed_years)
    return cal.to_ical(), expansion


def export_feeds(
    rules: RuleSet, expander: Expander, first: dt.date, last: dt.date, out: Path, lang: Language,
    unit: str | None = None,
) -> tuple[int, Expansion]:
    """Write every feed (or only ``unit``'s); returns how many files were written."""
    expansion = expander.expand(first, last)
    guessed = expander.calendar.guessed_years
    base = t("calendar_name", lang)
    groups: dict[Path, tuple[str, list]] = {}
    if unit is None:
        groups[out / "all.ics"] = (f"{base} · {t('all_units', lang)}", expansion.occurrences)
    for occ in expansion.occurrences:
        if occ.unit is not None and (unit is None or occ.unit == unit):
            name = rules.units[occ.unit].name
            groups.setdefault(out / "unit" / f"{occ.unit}.ics", (f"{base} · {name}", []))[1].append(occ)
            if unit is None:
                level = rules.units[occ.unit].level.value
                groups.setdefault(out / "level" / f"{level}.ics", (f"{base} · {level}", []))[1].append(occ)
        if unit is None:
            groups.setdefault(out / "obligation" / f"{occ.obligation.id}.ics",
                              (f"{base} · {occ.obligation.title}", []))[1].append(occ)
    for path, (name, occs) in groups.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        cal = build_calendar(occs, rules, tz=expander.tz, name=name, lang=lang, guessed_years=guessed)
        tmp = path.with_suffix(".ics.tmp")
        tmp.write_bytes(cal.to_ical())
        tmp.replace(path)  # readers never see a half-written feed
    return len(groups), expansion


__all__ = ["export_feeds", "single_feed"]
