"""Checks that need more than one field: references, duplicates, feasibility.

Each check yields :class:`Problem` objects placed on the offending value, so a
run reports every problem of every file at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dateutil.rrule import DAILY, rrulestr

from obligations.diagnostics import did_you_mean
from obligations.errors import Problem
from obligations.model import (
    PERIOD_MONTHS,
    Period,
    QuotaSchedule,
    RRuleSchedule,
    Selector,
)
from obligations.ruleset import LoadedFile, RuleSet
from obligations.yamlsource import PathItem, value_position

# The most working days any week has in a normal year; a week with a make-up
# Saturday has six, but a weekly quota must be possible every week.
WORKING_DAYS_PER_WEEK = 5
# Fewest working days a month has had since 2004 (February and October have 16-18).
MIN_WORKING_DAYS = {Period.week: 5, Period.month: 16}
# How far nth_working_day may count in a period: safely below its fewest working days.
_NTH_LIMIT = {Period.week: 5, Period.month: 15, Period.two_months: 35, Period.quarter: 55,
              Period.half_year: 115, Period.year: 240}


def check_ruleset(rs: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    problems += _duplicates(rs)
    for loaded in rs.files:
        problems += list(_references(rs, loaded))
        problems += list(_schedules(loaded))
    problems += _cycles(rs)
    return problems


def _at(loaded: LoadedFile, path: list[PathItem], message: str) -> Problem:
    line, column = value_position(loaded.source.tree, path)
    return Problem(loaded.name, line, column, message)


def _where(loaded: LoadedFile, path: list[PathItem]) -> str:
    line, _ = value_position(loaded.source.tree, path)
    return f"{loaded.name}:{line}"


def _duplicates(rs: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    for kind, attr in (("unit", "units"), ("obligation", "obligations")):
        first: dict[str, tuple[LoadedFile, list[PathItem]]] = {}
        for loaded in rs.files:
            for i, item in enumerate(getattr(loaded.rules, attr)):
                path: list[PathItem] = [attr, i, "id"]
                if item.id in first:
                    other, other_path = first[item.id]
                    problems.append(
                        _at(
                            loaded,
                            path,
                            f"duplicate {kind} id {item.id!r}: already defined at "
                            f"{_where(other, other_path)}; ids must be unique across all rules files",
                        )
                    )
                else:
                    first[item.id] = (loaded, path)
    docs: dict[str, LoadedFile] = {}
    for loaded in rs.files:
        doc_id = loaded.rules.document.id
        if doc_id in docs:
            problems.append(
                _at(loaded, ["document", "id"], f"duplicate document id {doc_id!r}: already used by "
                    f"{docs[doc_id].name}; give each rules file its own document id")
            )
        docs.setdefault(doc_id, loaded)
    return problems


def _unknown_unit(rs: RuleSet, loaded: LoadedFile, path: list[PathItem], uid: str) -> Problem:
    return _at(loaded, path, f"unknown unit id {uid!r}{did_you_mean(uid, rs.units)}")


def _ref_problems(
    rs: RuleSet, loaded: LoadedFile, path: list[PathItem], ref: Any
) -> Iterator[Problem]:
    if isinstance(ref, Selector):
        if ref.under is not None and ref.under not in rs.units:
            yield _unknown_unit(rs, loaded, [*path, "under"], ref.under)
        elif not rs.select(ref, rs.files.index(loaded)):
            where = f" below {ref.under!r}" if ref.under else ""
            yield _at(loaded, path, f"no unit of level {ref.level.value!r}{where}: this selects nothing; "
                      "add such units or fix the level")
    elif ref not in rs.units:
        yield _unknown_unit(rs, loaded, path, ref)


def _references(rs: RuleSet, loaded: LoadedFile) -> Iterator[Problem]:
    for i, unit in enumerate(loaded.rules.units):
        if unit.parent is not None and unit.parent not in rs.units:
            yield _unknown_unit(rs, loaded, ["units", i, "parent"], unit.parent)
        elif unit.parent == unit.id:
            yield _at(loaded, ["units", i, "parent"], f"unit {unit.id!r} cannot be its own parent")
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
                      f"unknown document id {ob.source.doc!r}{did_you_mean(ob.source.doc, rs.documents)}")


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
                                    f"unit {uid!r} is its own ancestor ({' -> '.join([*seen, uid])}); "
                                    "the units must form a tree"))
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
        if isinstance(s, QuotaSchedule):
            yield from _quota(loaded, path, s)
        elif isinstance(s, RRuleSchedule):
            yield from _rrule(loaded, path, s)


def _quota(loaded: LoadedFile, path: list[PathItem], s: QuotaSchedule) -> Iterator[Problem]:
    if s.per is Period.week and s.count > WORKING_DAYS_PER_WEEK:
        yield _at(loaded, [*path, "count"],
                  f"count: {s.count} per week is impossible, a week has {WORKING_DAYS_PER_WEEK} "
                  f"working days; use at most {WORKING_DAYS_PER_WEEK}, or per: month")
        return
    if s.per is Period.month and s.count > MIN_WORKING_DAYS[Period.month]:
        yield _at(loaded, [*path, "count"],
                  f"count: {s.count} per month is more than the {MIN_WORKING_DAYS[Period.month]} "
                  "working days of the shortest month; lower it")
        return
    place = s.place
    if place is None:
        return
    if s.per is Period.week and (place.month is not None or place.day is not None):
        yield _at(loaded, [*path, "place"],
                  "a weekly quota can only be placed by weekday or nth_working_day, not by month or day")
        return
    if place.month is not None or place.day is not None:
        months = PERIOD_MONTHS.get(s.per, 0)
        if months % s.count:
            yield _at(loaded, [*path, "place"],
                      f"{s.count} sessions per {s.per.value} do not split it into whole months, so "
                      "month/day placement is ambiguous; use weekday or nth_working_day")
            return
        span = months // s.count
        if place.month is not None and place.month > span:
            yield _at(loaded, [*path, "place", "month"],
                      f"month: {place.month} is outside each {span}-month part of the {s.per.value}; "
                      f"use 1-{span}")
    if place.nth_working_day is not None:
        limit = _NTH_LIMIT[Period.month] if place.month is not None else _NTH_LIMIT[s.per]
        if abs(place.nth_working_day) > limit:
            names = {Period.week: "a week", Period.month: "a month", Period.two_months: "a two-month period",
                     Period.quarter: "a quarter", Period.half_year: "a half-year", Period.year: "a year"}
            where = "a month" if place.month is not None else names[s.per]
            yield _at(loaded, [*path, "place", "nth_working_day"],
                      f"nth_working_day {place.nth_working_day} may not exist: {where} can have as few as "
                      f"{limit} working days; use 1-{limit}, or -1 for the last")


def _rrule(loaded: LoadedFile, path: list[PathItem], s: RRuleSchedule) -> Iterator[Problem]:
    text = s.rrule.strip()
    if text.upper().startswith(("DTSTART", "RRULE:")) or "\n" in text:
        yield _at(loaded, [*path, "rrule"],
                  "rrule: write only the rule's value, e.g. FREQ=MONTHLY;BYMONTHDAY=15, and put the "
                  "first date in start")
        return
    try:
        rule = rrulestr(text, dtstart=dt.datetime.combine(s.start, dt.time()))
    except (ValueError, TypeError, KeyError) as exc:
        yield _at(loaded, [*path, "rrule"],
                  f"rrule: not a valid RFC 5545 rule ({exc}); e.g. FREQ=WEEKLY;BYDAY=MO")
        return
    freq = getattr(rule, "_freq", DAILY)
    if freq > DAILY:
        yield _at(loaded, [*path, "rrule"],
                  "rrule: FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY; duties are dated by day")


__all__ = ["check_ruleset"]
