"""RFC 5545 calendars from occurrences (built with the icalendar library).

Output is deterministic: the same occurrences give byte-identical files, so
static exports do not churn and UIDs are stable across runs and machines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCategory

from obligations.i18n import Language, t
from obligations.model import Obligation
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence

PRODID = "-//obligation-calendar//rules to calendars//ZH"
UID_DOMAIN = "obligation-calendar"


def event_uid(occ: Occurrence) -> str:
    return f"{occ.uid}@{UID_DOMAIN}"


def summary(occ: Occurrence, rules: RuleSet, lang: Language = "zh-CN") -> str:
    unit = rules.units[occ.unit].name if occ.unit else ""
    prefix = f"【{t('deadline', lang)}】" if occ.kind == "deadline" else ""
    return f"{prefix}{occ.obligation.title}" + (f" · {unit}" if unit else "")


def description(occ: Occurrence, rules: RuleSet, lang: Language = "zh-CN", guessed_years: Iterable[int] = ()) -> str:
    ob: Obligation = occ.obligation
    lines: list[str] = []
    if ob.description:
        lines.append(ob.description)
    if ob.actor:
        lines.append(f"{t('actor', lang)}:{ob.actor}")
    if ob.lead:
        lines.append(f"{t('lead', lang)}:" + "、".join(rules.units[u].name for u in ob.lead if u in rules.units))
    if occ.window_start is not None:
        lines.append(f"{t('window', lang)}:{occ.window_start.isoformat()} – {occ.date.isoformat()}")
    if occ.nominal is not None:
        lines.append(t("moved", lang, nominal=occ.nominal.isoformat()))
    doc = rules.document_of(ob)
    clause = f" {ob.source.clause}" if ob.source.clause else ""
    lines.append(f"{t('source', lang)}:《{doc.title}》{clause}")
    lines.append(f"“{ob.source.quote}”")
    if occ.date.year in set(guessed_years):
        lines.append(t("guessed", lang, year=occ.date.year))
    return "\n".join(lines)


def build_calendar(
    occurrences: Iterable[Occurrence],
    rules: RuleSet,
    *,
    tz: ZoneInfo,
    name: str,
    lang: Language = "zh-CN",
    guessed_years: Iterable[int] = (),
) -> Calendar:
    guessed = frozenset(guessed_years)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    cal.add_component(Timezone.from_tzid(tz.key))
    for occ in occurrences:
        cal.add_component(_event(occ, rules, lang, guessed, tz))
    return cal


def _stamp(rules: RuleSet, ob: Obligation) -> dt.datetime:
    # When the duty's text was issued: stable, unlike the time of the export.
    doc_date = rules.document_of(ob).date or dt.date(2000, 1, 1)
    return dt.datetime.combine(doc_date, dt.time(), dt.UTC)


def _event(occ: Occurrence, rules: RuleSet, lang: Language, guessed: frozenset[int], tz: ZoneInfo) -> Event:
    ev = Event()
    ev.add("uid", event_uid(occ))
    ev.add("dtstamp", _stamp(rules, occ.obligation))
    if occ.start is not None and occ.end is not None:
        ev.add("dtstart", occ.start.astimezone(tz))
        ev.add("dtend", occ.end.astimezone(tz))
    else:
        ev.add("dtstart", occ.date)
        ev.add("dtend", occ.date + dt.timedelta(days=1))
    ev.add("summary", summary(occ, rules, lang))
    ev.add("description", description(occ, rules, lang, guessed))
    ev.add("transp", "TRANSPARENT" if occ.kind == "deadline" else "OPAQUE")
    tags = [*occ.obligation.tags, t(occ.kind, lang)]
    ev.add("categories", vCategory(tags))
    return ev


__all__ = ["PRODID", "build_calendar", "description", "event_uid", "summary"]
