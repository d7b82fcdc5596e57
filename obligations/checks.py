"""Checks that need more than one field: references, duplicates, feasibility.

Each check yields :class:`Problem` objects placed on the offending value, so a
run reports every problem of every file at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.diagnostics import did_you_mean
from obligations.errors import Problem
from obligations.model import Obligation, Selector
from obligations.ruleset import LoadedFile, RuleSet
from obligations.schedulechecks import check_schedule_fields
from obligations.schedules import PERIOD_MONTHS, Period, QuotaSchedule, RRuleSchedule, WindowSchedule
from obligations.unitchecks import check_units
from obligations.yamlsource import PathItem, value_position

# The most working days any week has in a normal year; a week with a make-up
# Saturday has six, but a weekly quota must be possible every week.
WORKING_DAYS_PER_WEEK = 5
# Fewest working days each period has had since 2005 (chinesecalendar's data): a quota needs
# one working day per session, so it can ask for at most this many per period. A week is
# taken as a normal week of five (a holiday week has fewer, the quota is then placed as well
# as it can be); February and October months have 16-18, the 2025 year had 248.
MIN_WORKING_DAYS = {Period.week: 5, Period.month: 16, Period.two_months: 37, Period.quarter: 59,
                    Period.half_year: 120, Period.year: 248}
_PERIOD_NAMES = {Period.week: "week", Period.month: "month", Period.two_months: "two-month period",
                 Period.quarter: "quarter", Period.half_year: "half-year", Period.year: "year"}
_PERIOD_CODES = {p: f"schedule.period.{p.value}" for p in Period}  # declared in the catalog (test_i18n)
_A_PERIOD = {Period.week: Phrase("a week", N_("problem.a_week")),
             Period.month: Phrase("a month", N_("problem.a_month")),
             Period.two_months: Phrase("a two-month period", N_("problem.a_two_months")),
             Period.quarter: Phrase("a quarter", N_("problem.a_quarter")),
             Period.half_year: Phrase("a half-year", N_("problem.a_half_year")),
             Period.year: Phrase("a year", N_("problem.a_year"))}
_PERIODS_PER_YEAR = {Period.week: 53, Period.month: 12, Period.two_months: 6, Period.quarter: 4,
                     Period.half_year: 2, Period.year: 1}
# The hard cap on occurrences of one rule for one unit in one calendar year: more than daily.
# Validate rejects a rule that can exceed it; expansion keeps the first ones and warns.
MAX_OCCURRENCES_PER_YEAR = 400
# RRULE parts that repeat a duty within one day; duties are dated by day.
SUB_DAILY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# How far ahead of its first day in force an RRULE must occur at least once.
NEVER_WINDOW_YEARS = 10
RRULE_YEARS = (1900, 2200)
# How far nth_working_day may count in a period: safely below its fewest working days.
_NTH_LIMIT = {Period.week: 5, Period.month: 15, Period.two_months: 35, Period.quarter: 55,
              Period.half_year: 115, Period.year: 240}


def check_ruleset(rs: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    problems += _duplicates(rs)
    for loaded in rs.files:
        problems += list(_references(rs, loaded))
        problems += list(_schedules(loaded))
        problems += list(check_schedule_fields(loaded))
    problems += _cycles(rs)
    problems += check_units(rs)
    return problems


def _at(loaded: LoadedFile, path: list[PathItem], message: str) -> Problem:
    line, column = value_position(loaded.source.tree, path)
    return Problem(loaded.name, line, column, message)


def _where(loaded: LoadedFile, path: list[PathItem]) -> str:
    line, _ = value_position(loaded.source.tree, path)
    return f"{loaded.name}:{line}"


_DUPLICATE = {"unit": N_("problem.duplicate_unit"), "obligation": N_("problem.duplicate_obligation")}


def _duplicates(rs: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    for kind, attr in (("unit", "units"), ("obligation", "obligations")):
        first: dict[str, tuple[LoadedFile, list[PathItem]]] = {}
        for loaded in rs.files:
            for i, item in enumerate(getattr(loaded.rules, attr)):
                path: list[PathItem] = [attr, i, "id"]
                if item.id in first:
                    other, other_path = first[item.id]
                    problems.append(_at(loaded, path, phrase(
                        _DUPLICATE[kind], f"duplicate {kind} id %(id)s: already defined at %(where)s; ids must be "
                        "unique across all rules files", id=repr(item.id), where=_where(other, other_path))))
                else:
                    first[item.id] = (loaded, path)
    docs: dict[str, LoadedFile] = {}
    for loaded in rs.files:
        doc_id = loaded.rules.document.id
        if doc_id in docs:
            problems.append(_at(loaded, ["document", "id"], phrase(
                N_("problem.duplicate_document"), "duplicate document id %(id)s: already used by %(file)s; give each "
                "rules file its own document id", id=repr(doc_id), file=docs[doc_id].name)))
        docs.setdefault(doc_id, loaded)
    return problems


def _unknown_unit(rs: RuleSet, loaded: LoadedFile, path: list[PathItem], uid: str) -> Problem:
    hint = did_you_mean(uid, rs.units)
    return _at(loaded, path, Phrase(f"unknown unit id {uid!r}{hint}", N_("problem.unknown_unit"), uid=repr(uid),
                                    hint=hint))


def _ref_problems(
    rs: RuleSet, loaded: LoadedFile, path: list[PathItem], ref: Any
) -> Iterator[Problem]:
    if isinstance(ref, Selector):
        if ref.under is not None and ref.under not in rs.units:
            yield _unknown_unit(rs, loaded, [*path, "under"], ref.under)
        elif not rs.select(ref, rs.files.index(loaded)):
            where = phrase(N_("problem.below"), " below %(unit)s", unit=repr(ref.under)) if ref.under else ""
            yield _at(loaded, path, phrase(N_("problem.selects_nothing"), "no unit of level %(level)s%(where)s: this "
                                           "selects nothing; add such units or fix the level",
                                           level=repr(ref.level.value), where=where))
    elif ref not in rs.units:
        yield _unknown_unit(rs, loaded, path, ref)


def _references(rs: RuleSet, loaded: LoadedFile) -> Iterator[Problem]:
    for i, unit in enumerate(loaded.rules.units):
        if unit.parent is not None and unit.parent not in rs.units:
            yield _unknown_unit(rs, loaded, ["units", i, "parent"], unit.parent)
        elif unit.parent == unit.id:
            yield _at(loaded, ["units", i, "parent"], phrase(N_("problem.own_parent"),
                                                             "unit %(unit)s cannot be its own parent",
                                                             unit=repr(unit.id)))
    for i, ob in enumerate(loaded.rules.obligations):
        base: list[PathItem] = ["obligations", i]
        for j, uid in enumerate(ob.lead):
            if uid not in rs.units:
                yield _unknown_unit(rs, loaded, [*base, "lead", j], uid)
        for j, ref in enumerate(ob.participants):
            yield from _ref_problems(rs, loaded, [*base, "participants", j], ref)
        if isinstance(ob.applies_to, Selector):
            yield from _ref_problems(rs, loaded, [*base, "applies_to"], ob.applies_to)
        elif ob.applies_to is not None:
            for j, ref in enumerate(ob.applies_to):
                yield from _ref_problems(rs, loaded, [*base, "applies_to", j], ref)
        for j, exc in enumerate(ob.exceptions):
            for k, uid in enumerate(exc.units or []):
                if uid not in rs.units:
                    yield _unknown_unit(rs, loaded, [*base, "exceptions", j, "units", k], uid)
        if ob.source.doc is not None and ob.source.doc not in rs.documents:
            yield _at(loaded, [*base, "source", "doc"],
                      phrase(N_("problem.unknown_document"), "unknown document id %(doc)s%(hint)s",
                             doc=repr(ob.source.doc), hint=did_you_mean(ob.source.doc, rs.documents)))


def _cycles(rs: RuleSet) -> list[Problem]:
    problems = []
    for uid, unit in rs.units.items():
        seen = [uid]
        parent = unit.parent
        while parent in rs.units:
            if parent == uid:
                loaded = rs.files[rs.unit_file[uid]]
                index = next(i for i, u in enumerate(loaded.rules.units) if u.id == uid)
                problems.append(_at(loaded, ["units", index, "parent"],
                                    phrase(N_("problem.unit_cycle"), "unit %(unit)s is its own ancestor (%(chain)s); "
                                           "the units must form a tree", unit=repr(uid),
                                           chain=" -> ".join([*seen, uid]))))
                break
            if parent in seen:
                break
            seen.append(parent)
            parent = rs.units[parent].parent
    return problems


def _schedules(loaded: LoadedFile) -> Iterator[Problem]:
    for i, ob in enumerate(loaded.rules.obligations):
        path: list[PathItem] = ["obligations", i, "schedule"]
        s = ob.schedule
        found = False
        if isinstance(s, QuotaSchedule):
            for problem in _quota(loaded, path, s):
                found = True
                yield problem
        elif isinstance(s, RRuleSchedule):
            for problem in _rrule(loaded, path, s, ob):
                found = True
                yield problem
        if not found:
            yield from _yearly_cap(loaded, ["obligations", i], ob)


def _base_per_year(ob: Obligation) -> int:
    """The most occurrences a schedule can have in one calendar year, before exceptions."""
    s = ob.schedule
    if isinstance(s, QuotaSchedule):
        return s.count * _PERIODS_PER_YEAR[s.per]
    if isinstance(s, RRuleSchedule):
        return 366  # at most daily: sub-daily rules are refused
    if isinstance(s, WindowSchedule):
        return 1 if s.index else 12 // PERIOD_MONTHS[s.period]
    return 1


def _yearly_cap(loaded: LoadedFile, path: list[PathItem], ob: Obligation) -> Iterator[Problem]:
    """No rule may give one unit more than :data:`MAX_OCCURRENCES_PER_YEAR` occurrences a year."""
    base = _base_per_year(ob)
    adds: dict[tuple[int, tuple[str, ...] | None], int] = {}
    for exc in ob.exceptions:
        if exc.add is not None:
            key = (exc.add.year, tuple(exc.units) if exc.units is not None else None)
            adds[key] = adds.get(key, 0) + 1
    per_year: dict[int, int] = {}
    for (year, _), n in adds.items():
        per_year[year] = per_year.get(year, 0) + n  # an upper bound: as if every add were for one unit
    for year, n in sorted(per_year.items()):
        if base + n > MAX_OCCURRENCES_PER_YEAR:
            yield _at(loaded, [*path, "exceptions"],
                      phrase(N_("problem.too_many_adds"), "exceptions: %(added)s added dates in %(year)s on top of "
                             "up to %(base)s scheduled ones exceed the cap of %(cap)s occurrences of one duty per "
                             "unit and year; use a schedule instead of so many added dates",
                             added=n, year=year, base=base, cap=MAX_OCCURRENCES_PER_YEAR))
            return


def _quota(loaded: LoadedFile, path: list[PathItem], s: QuotaSchedule) -> Iterator[Problem]:
    if s.per is Period.week and s.sessions > WORKING_DAYS_PER_WEEK * s.every:
        yield _at(loaded, [*path, "count"],
                  phrase(N_("problem.week_count"), "count: %(count)s per week is impossible, a week has %(days)s "
                         "working days; use at most %(days)s, or per: month",
                         count=s.count, days=WORKING_DAYS_PER_WEEK))
        return
    if s.sessions > MIN_WORKING_DAYS[s.per] * s.every:
        name = Phrase(_PERIOD_NAMES[s.per], _PERIOD_CODES[s.per])
        yield _at(loaded, [*path, "count"],
                  phrase(N_("problem.count_over_days"), "count: %(count)s per %(per)s is more than the %(days)s "
                         "working days of the shortest %(name)s; each session needs its own working day, so lower it",
                         count=s.count, per=s.per.value, days=MIN_WORKING_DAYS[s.per], name=name))
        return
    place = s.place
    if place is None:
        return
    if s.per is Period.week and (place.month is not None or place.day is not None):
        yield _at(loaded, [*path, "place"],
                  Phrase("a weekly quota can only be placed by weekday or nth_working_day, not by month or day",
                         N_("problem.weekly_place")))
        return
    if place.month is not None or place.day is not None:
        months = PERIOD_MONTHS.get(s.per, 0) * s.every
        if months % s.sessions:
            yield _at(loaded, [*path, "place"],
                      phrase(N_("problem.not_whole_months"), "%(count)s sessions per %(per)s do not split it into "
                             "whole months, so month/day placement is ambiguous; use weekday or nth_working_day",
                             count=s.count, per=s.per.value))
            return
        span = months // s.sessions
        if place.month is not None and place.month > span:
            yield _at(loaded, [*path, "place", "month"],
                      phrase(N_("problem.place_month"), "month: %(month)s is outside each %(span)s-month part of "
                             "the %(per)s; use 1-%(span)s", month=place.month, span=span,
                             per=Phrase(s.per.value, _PERIOD_CODES[s.per])))
    if place.nth_working_day is not None:
        limit = _NTH_LIMIT[Period.month] if place.month is not None else _NTH_LIMIT[s.per]
        if abs(place.nth_working_day) > limit:
            where = _A_PERIOD[Period.month] if place.month is not None else _A_PERIOD[s.per]
            yield _at(loaded, [*path, "place", "nth_working_day"],
                      phrase(N_("problem.nth_may_not_exist"), "nth_working_day %(nth)s may not exist: %(where)s can "
                             "have as few as %(limit)s working days; use 1-%(limit)s, or -1 for the last",
                             nth=place.nth_working_day, where=where, limit=limit))


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, _, value = part.partition("=")
        parts[name.strip().upper()] = value.strip()
    return parts


def rrule_parts_problem(text: str) -> str | None:
    """What makes an RRULE unbounded within a day or a loop without end, if anything.

    Shared with expansion, which skips such a rule instead of hanging on it.
    """
    parts = _parts(text)
    freq = parts.get("FREQ", "").upper()
    if freq in {"HOURLY", "MINUTELY", "SECONDLY"}:
        return phrase(N_("problem.sub_daily_freq"), "rrule: FREQ=%(freq)s repeats a duty within a day, but duties "
                      "are dated by day; use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY and give the time of day in "
                      "time: {start: '09:00', end: '10:00'}", freq=freq)
    sub = [name for name in SUB_DAILY_PARTS if name in parts]
    if sub:
        return phrase(N_("problem.sub_daily_parts") if len(sub) > 1 else N_("problem.sub_daily_part"),
                      "rrule: %(parts)s repeat" + ("s" if len(sub) == 1 else "") + " a duty within a day, but duties "
                      "are dated by day; remove %(listed)s and give the time of day in "
                      "time: {start: '09:00', end: '10:00'}", parts=" and ".join(sub), listed=", ".join(sub))
    interval = parts.get("INTERVAL")
    if interval is not None and (not interval.isascii() or not interval.isdigit() or int(interval) < 1):
        return phrase(N_("problem.rrule_interval"), "rrule: INTERVAL=%(interval)s is not a whole number from 1; "
                      "e.g. INTERVAL=2 for every other time", interval=interval)
    return None


def _first_in(rule: rrule, text: str, start: dt.date, lo: dt.date, hi: dt.date) -> tuple[dt.date | None, dt.date]:
    """The rule's first date in ``lo..hi``, with bounded work.

    dateutil walks from DTSTART one period at a time (about a millisecond a day when BY parts
    filter the days); a rule that never matches walks to year 9999. So the walk is cut at
    ``hi``; a daily or weekly rule that only filters days is walked as the yearly rule with the
    same days; and (without COUNT, which counts from DTSTART) DTSTART is first moved forward by
    whole repeats of the rule, which leaves its dates unchanged.
    """
    step = getattr(rule, "_interval", 1)
    freq = getattr(rule, "_freq", DAILY)
    parts = _parts(text)
    if (freq in (DAILY, WEEKLY) and step == 1 and "BYSETPOS" not in parts
            and any(p in parts for p in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY"))):
        rule, freq = rule.replace(freq=YEARLY), YEARLY
    elif freq == DAILY:  # a filtering daily rule with an INTERVAL: walk two years at most
        hi = min(hi, lo + dt.timedelta(days=2 * 366))
    shifted = start
    if getattr(rule, "_count", None) is None and (start.month, start.day) != (2, 29):
        if freq in (YEARLY, MONTHLY):  # a MONTHLY rule repeats itself every 12 * INTERVAL months too
            years = (lo.year - start.year - 1) // step * step
            if years > 0:
                shifted = start.replace(year=start.year + years)
        else:
            days = 7 * step if freq == WEEKLY else step
            gap = (lo - start).days - days
            if gap > 0:
                shifted = start + dt.timedelta(days=gap // days * days)
    until = dt.datetime.combine(hi, dt.time())
    if rule._until is not None:  # type: ignore[attr-defined]
        until = min(until, rule._until)  # type: ignore[attr-defined]
    bounded = rule.replace(dtstart=dt.datetime.combine(shifted, dt.time()), until=until, count=None)
    when = bounded.after(dt.datetime.combine(lo, dt.time()), inc=True)
    return (when.date() if when is not None else None), hi


def _rrule(loaded: LoadedFile, path: list[PathItem], s: RRuleSchedule, ob: Obligation) -> Iterator[Problem]:
    text = s.rrule.strip()
    if text.upper().startswith(("DTSTART", "RRULE:")) or "\n" in text:
        yield _at(loaded, [*path, "rrule"],
                  Phrase("rrule: write only the rule's value, e.g. FREQ=MONTHLY;BYMONTHDAY=15, and put the "
                         "first date in start", N_("problem.rrule_value_only")))
        return
    try:
        rule = rrulestr(text, dtstart=dt.datetime.combine(s.start, dt.time()))
    except (ValueError, TypeError, KeyError) as exc:
        yield _at(loaded, [*path, "rrule"],
                  phrase(N_("problem.bad_rrule"), "rrule: not a valid RFC 5545 rule (%(error)s); "
                         "e.g. FREQ=WEEKLY;BYDAY=MO", error=str(exc)))
        return
    freq = getattr(rule, "_freq", DAILY)
    flaw = rrule_parts_problem(text)
    if flaw is not None:
        yield _at(loaded, [*path, "rrule"], flaw)
        return
    if freq > DAILY:
        yield _at(loaded, [*path, "rrule"],
                  Phrase("rrule: FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY; duties are dated by day",
                         N_("problem.rrule_freq")))
        return
    if not RRULE_YEARS[0] <= s.start.year <= RRULE_YEARS[1]:
        yield _at(loaded, [*path, "start"],
                  phrase(N_("problem.rrule_start"), "start: %(start)s is not a plausible first date; use a year "
                         "from %(first)s to %(last)s", start=str(s.start), first=RRULE_YEARS[0], last=RRULE_YEARS[1]))
        return
    lo = max(s.start, ob.effective.from_ or s.start)
    horizon = dt.date(min(lo.year + NEVER_WINDOW_YEARS, 9998), lo.month, 1)
    hi = min(ob.effective.until, horizon) if ob.effective.until else horizon
    first, checked = _first_in(rule, text, s.start, lo, hi) if lo <= hi else (None, hi)
    if first is None:
        within = (phrase(N_("problem.from_to"), "from %(lo)s to %(hi)s", lo=lo.isoformat(), hi=checked.isoformat())
                  if lo <= checked else phrase(N_("problem.in_force_from_to"), "while in force (from %(lo)s to %(hi)s)",
                                               lo=lo.isoformat(), hi=checked.isoformat()))
        yield _at(loaded, [*path, "rrule"],
                  phrase(N_("problem.rrule_never"), "rrule: %(rule)s never occurs %(within)s; check BYMONTH, "
                         "BYMONTHDAY, BYSETPOS, COUNT and UNTIL (e.g. February has no 30th or 31st), start and "
                         "effective", rule=text, within=within))


__all__ = ["MAX_OCCURRENCES_PER_YEAR", "MIN_WORKING_DAYS", "check_ruleset", "rrule_parts_problem"]
