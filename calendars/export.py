"""Feeds as static files: all.ics, unit/{id}.ics, level/{level}.ics, obligation/{id}.ics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from calendars.ics import build_calendar
from obligations.i18n import Language, t
from obligations.ruleset import RuleSet
from scheduler.expand import Expander, Expansion
from scheduler.occurrence import Occurrence


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
    # every unit, level and duty gets a file, even an empty one: a subscribed URL must not 404
    groups: dict[Path, tuple[str, list[Occurrence]]] = {}
    unit_ids = [unit] if unit else list(rules.units)
    for uid in unit_ids:
        groups[out / "unit" / f"{uid}.ics"] = (f"{base} · {rules.units[uid].name}", [])
    if unit is None:
        groups[out / "all.ics"] = (f"{base} · {t('all_units', lang)}", list(expansion.occurrences))
        for level in dict.fromkeys(u.level.value for u in rules.units.values()):
            groups[out / "level" / f"{level}.ics"] = (f"{base} · {level}", [])
        for ob in rules.obligations.values():
            groups[out / "obligation" / f"{ob.id}.ics"] = (f"{base} · {ob.title}", [])
    for occ in expansion.occurrences:
        if occ.unit is not None and (unit is None or occ.unit == unit):
            groups[out / "unit" / f"{occ.unit}.ics"][1].append(occ)
            if unit is None:
                groups[out / "level" / f"{rules.units[occ.unit].level.value}.ics"][1].append(occ)
        if unit is None:
            groups[out / "obligation" / f"{occ.obligation.id}.ics"][1].append(occ)
    for path, (name, occs) in groups.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        cal = build_calendar(occs, rules, tz=expander.tz, name=name, lang=lang, guessed_years=guessed)
        tmp = path.with_suffix(".ics.tmp")
        tmp.write_bytes(cal.to_ical())
        tmp.replace(path)  # readers never see a half-written feed
    return len(groups), expansion


__all__ = ["export_feeds", "single_feed"]
