"""Checks of the schedule fields documents brought in (issue 14): every N periods, ranges, due working days.

``every``/``anchor`` on quotas and windows, a quota's ``max``, and a window's ``working_day``.
Each problem is placed on the offending key, with the fix. :func:`obligations.checks.check_ruleset`
runs these with the other checks.
"""

from __future__ import annotations

from collections.abc import Iterator

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.errors import Problem
from obligations.ruleset import LoadedFile
from obligations.schedules import Period, QuotaSchedule, WindowSchedule
from obligations.yamlsource import PathItem, value_position

# How far working_day may count in a window's period: safely below its fewest working days
# (the same limits as a placement's nth_working_day).
WORKING_DAY_LIMIT = {Period.month: 15, Period.two_months: 35, Period.quarter: 55, Period.half_year: 115,
                     Period.year: 240}
_A_PERIOD = {Period.month: Phrase("a month", N_("problem.a_month")),
             Period.two_months: Phrase("a two-month period", N_("problem.a_two_months")),
             Period.quarter: Phrase("a quarter", N_("problem.a_quarter")),
             Period.half_year: Phrase("a half-year", N_("problem.a_half_year")),
             Period.year: Phrase("a year", N_("problem.a_year"))}


def _at(loaded: LoadedFile, path: list[PathItem], message: str) -> Problem:
    line, column = value_position(loaded.source.tree, path)
    return Problem(loaded.name, line, column, message)


def check_schedule_fields(loaded: LoadedFile) -> Iterator[Problem]:
    """Problems of ``every``, ``anchor``, ``max`` and ``working_day`` in one file's schedules."""
    for i, ob in enumerate(loaded.rules.obligations):
        path: list[PathItem] = ["obligations", i, "schedule"]
        s = ob.schedule
        if isinstance(s, QuotaSchedule | WindowSchedule):
            yield from _cycle(loaded, path, s)
        if isinstance(s, QuotaSchedule) and s.max is not None and s.max < s.count:
            yield _at(loaded, [*path, "max"],
                      phrase(N_("problem.max_below_count"), "max: %(max)s is below count %(count)s; max is the most "
                             "per period and count the least (1—2次: count: 1, max: 2)", max=s.max, count=s.count))
        if isinstance(s, WindowSchedule):
            yield from _working_day(loaded, path, s)


def _cycle(loaded: LoadedFile, path: list[PathItem], s: QuotaSchedule | WindowSchedule) -> Iterator[Problem]:
    if s.every > 1 and s.anchor is None:
        yield _at(loaded, [*path, "every"],
                  phrase(N_("problem.every_needs_anchor"), "every: %(every)s needs anchor, a day in the first period "
                         "of one group, e.g. anchor: 2025-01-06 (the week of 6 January 2025 starts a group)",
                         every=s.every))
    if s.every == 1 and s.anchor is not None:
        yield _at(loaded, [*path, "anchor"],
                  Phrase("anchor only counts with every: 2 or more; remove it, or set every",
                         N_("problem.anchor_without_every")))
    if isinstance(s, WindowSchedule) and s.every > 1 and s.index is not None:
        yield _at(loaded, [*path, "index"],
                  Phrase("index cannot be combined with every: a window of every N periods spans all N; "
                         "remove index (or every)", N_("problem.every_index")))


def _working_day(loaded: LoadedFile, path: list[PathItem], s: WindowSchedule) -> Iterator[Problem]:
    if s.working_day is None or s.period not in WORKING_DAY_LIMIT:
        return
    limit = WORKING_DAY_LIMIT[s.period]
    if abs(s.working_day) > limit:
        yield _at(loaded, [*path, "working_day"],
                  phrase(N_("problem.working_day_may_not_exist"), "working_day %(nth)s may not exist: %(where)s can "
                         "have as few as %(limit)s working days; use 1-%(limit)s, or -1 for the last",
                         nth=s.working_day, where=_A_PERIOD[s.period], limit=limit))


__all__ = ["WORKING_DAY_LIMIT", "check_schedule_fields"]
