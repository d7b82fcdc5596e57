"""Expansion: rules x working-day calendar x date range -> dated occurrences.

A pure function: it reads no clock and no files. The same rules, calendar and
range always give the same occurrences, in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from i18n import DEFAULT, N_, Language, tr
from obligations.checks import MAX_OCCURRENCES_PER_YEAR
from obligations.model import Exception_, Obligation
from obligations.ruleset import RuleSet
from obligations.schedules import QuotaSchedule, RRuleSchedule, TimeOfDay
from scheduler.occurrence import Kind, Occurrence, Slot
from scheduler.periods import Span
from scheduler.slots import slots_for
from scheduler.warning import ExpansionWarning, of_duty
from scheduler.workdays import WorkdayCalendar

_BLOCK_ORDER = itemgetter(0, 1)  # (date, duty id)
_WITHIN = attrgetter("unit", "slot")
_Block = tuple[dt.date, str, list[Occurrence]]


@dataclass
class Expansion:
    occurrences: list[Occurrence]
    warnings: list[str] = field(default_factory=list)


def kind_of(ob: Obligation) -> Kind:
    if isinstance(ob.schedule, QuotaSchedule):
        return "session"
    if isinstance(ob.schedule, RRuleSchedule):
        return ob.schedule.kind
    return "deadline"


def _time_of(ob: Obligation) -> TimeOfDay | None:
    return getattr(ob.schedule, "time", None)


class Expander:
    """Expands a rule set; holds the per-jurisdiction calendars between calls."""

    def __init__(self, rules: RuleSet, calendar: WorkdayCalendar, tz: ZoneInfo, lang: Language = DEFAULT) -> None:
        self.rules = rules
        self.calendar = calendar
        self.tz = tz
        self.lang = lang  # of the calendar warnings
        self._calendars: dict[int, WorkdayCalendar] = {}
        self._until: frozenset[str | None] | None = None
        self._reach: dict[str, frozenset[str]] = {}  # each duty's units, for expansions of a few units

    def calendar_of_file(self, index: int) -> WorkdayCalendar:
        cal = self._calendars.get(index)
        if cal is None:
            local = self.rules.files[index].rules.calendar
            cal = self.calendar.with_local(
                (d.date for d in local.holidays), (d.date for d in local.workdays)
            )
            self._calendars[index] = cal
        return cal

    def calendar_for(self, occ: Occurrence) -> WorkdayCalendar:
        """The working-day calendar of the occurrence's unit (its jurisdiction's local days)."""
        index = self.rules.unit_file.get(occ.unit or "", self.rules.obligation_file[occ.obligation.id])
        return self.calendar_of_file(index)

    def expand(
        self,
        first: dt.date,
        last: dt.date,
        *,
        units: Collection[str] | None = None,
        obligations: Collection[str] | None = None,
    ) -> Expansion:
        """Occurrences dated ``first..last`` (inclusive), sorted by date, duty, unit."""
        with _collector_paused():
            return self._expand(first, last, units, obligations)

    def _expand(self, first: dt.date, last: dt.date, units: Collection[str] | None,
                obligations: Collection[str] | None) -> Expansion:
        blocks: list[_Block] = []
        warnings: dict[str, None] = {}
        for ob in self.rules.obligations.values():
            if obligations is not None and ob.id not in obligations:
                continue
            if units is not None:
                targets = self._targets_in(ob, units)
                if not targets:
                    continue
            else:
                targets = self.rules.applies_to(ob)
            blocks += self._obligation(ob, targets, first, last, warnings)
        # units of one duty are all None or all str, so None never meets str in a comparison
        out = _ordered(blocks)
        for year in sorted(self.calendar.guessed_years):
            if self.calendar.year_source(year) == "predicted":
                code = N_("calendar.warn_predicted")
            else:
                code = N_("calendar.warn_weekends_only")
            warning = ExpansionWarning(tr(self.lang, code, year=year), code, year=year)
            warnings.setdefault(warning, None)
        return Expansion(out, list(warnings))

    def _targets_in(self, ob: Obligation, units: Collection[str]) -> list[str | None]:
        """The duty's units among ``units``; a few units of a national tree are looked up, not searched for."""
        reach = self._reach.get(ob.id)
        if reach is None:
            reach = self._reach[ob.id] = frozenset(u for u in self.rules.applies_to(ob) if u is not None)
        if len(units) * 4 < len(reach):
            return [u for u in units if u in reach]
        return [u for u in self.rules.applies_to(ob) if u is not None and u in units]

    def _obligation(
        self,
        ob: Obligation,
        targets: list[str | None],
        first: dt.date,
        last: dt.date,
        warnings: dict[str, None],
    ) -> list[_Block]:
        """The duty's occurrences as blocks: one per slot and group of units, each sorted by unit."""
        lo = max(first, ob.effective.from_) if ob.effective.from_ else first
        hi = min(last, ob.effective.until) if ob.effective.until else last
        if lo > hi:
            return []

        def warn(message: str) -> None:
            warnings.setdefault(of_duty(ob.id, message), None)

        # units whose files add no local days share one calendar, so one set of slots: a national
        # tree keeps its units in a file per province, and the slots are computed once, not 32 times
        by_file: dict[int, list[str | None]] = {}
        own_file, unit_file = self.rules.obligation_file[ob.id], self.rules.unit_file
        for uid in targets:
            by_file.setdefault(unit_file.get(uid, own_file) if uid else own_file, []).append(uid)
        by_calendar: dict[int, tuple[WorkdayCalendar, list[str | None]]] = {}
        for index, members in by_file.items():
            cal = self.calendar_of_file(index)
            by_calendar.setdefault(id(cal), (cal, []))[1].extend(members)

        in_force = Span(ob.effective.from_ or dt.date.min, ob.effective.until or dt.date.max)
        out: list[_Block] = []
        for cal, group in by_calendar.values():
            if group != [None]:
                group.sort()  # type: ignore[type-var]  # all str: units of one duty are all None or all str
            if not ob.exceptions:
                slots = _capped(slots_for(ob.schedule, cal, lo, hi, warn, in_force), warn)
                out += self._blocks(ob, slots, group, hi)
                continue
            # a move may bring an occurrence in from outside the range: look exactly there too
            sources = [e.move for e in ob.exceptions if e.move and e.to and lo <= e.to <= hi]
            wide_lo, wide_hi = min([lo, *sources]), max([hi, *sources])
            slots = slots_for(ob.schedule, cal, wide_lo, wide_hi, warn, in_force)
            named = {u for e in ob.exceptions if e.units is not None for u in e.units}
            # units no exception names get the same slots: apply the general exceptions once for them
            common = [u for u in group if u not in named]
            shares = [(common, None)] if common else []
            for uid in (u for u in group if u in named):
                shares.append(([uid], uid))
            for uids, uid in shares:
                mine = _capped(_apply_exceptions(slots, ob.exceptions, uid, Span(lo, hi), warn), warn)
                out += self._blocks(ob, [s for s in mine if lo <= s.date], uids, hi)
        return out

    def _blocks(self, ob: Obligation, slots: list[Slot], uids: list[str | None], hi: dt.date) -> list[_Block]:
        """For each slot dated up to ``hi``, the occurrences of ``uids`` (sorted), in one block."""
        kind, time, tz, occurrence = kind_of(ob), _time_of(ob), self.tz, Occurrence
        ended = self._ended()
        ends = {uid: end for uid in uids if uid in ended and (end := self._end_of(uid, hi)) < hi} if ended else {}
        out: list[_Block] = []
        for s in slots:
            if s.date > hi:
                continue
            start = end = None
            if time is not None:  # the same aware datetimes for every unit of the slot
                start = dt.datetime.combine(s.date, time.start, tz)
                end = dt.datetime.combine(s.date, time.end, tz)
            date, key, nominal, ws, note, we, due, planned = (s.date, s.key, s.nominal, s.window_start, s.note,
                                                              s.window_end, s.due, s.planned)
            members = uids if not ends else [u for u in uids if u not in ends or date <= ends[u]]
            out.append((date, ob.id, [occurrence(ob, uid, date, kind, key, start, end, nominal, ws, note, we, due,
                                                 planned) for uid in members]))
        return out

    def _ended(self) -> frozenset[str | None]:
        """The units with an ``until`` (bodies that ended), looked up once per expander."""
        if self._until is None:
            self._until = frozenset(uid for uid, unit in self.rules.units.items() if getattr(unit, "until", None))
        return self._until

    def _end_of(self, uid: str | None, hi: dt.date) -> dt.date:
        """The last day ``uid`` gets occurrences: ``hi``, or the day the body ended (``until``) if earlier."""
        until = getattr(self.rules.units[uid], "until", None) if uid in self.rules.units else None
        return min(hi, until) if until else hi


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while expanding.

    Two million new objects with no cycles among them set off collections that walk
    every object alive (the loaded rules of 43,000 units too) again and again: 10 s
    instead of 2.5 s for a national year. Reference counting frees them all the same.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ordered(blocks: list[_Block]) -> list[Occurrence]:
    """The blocks' occurrences sorted by date, duty, unit and slot.

    Sorting a few thousand blocks by (date, duty) instead of two million occurrences: a
    block is already sorted by unit, and a (date, duty) with more than one block (two
    slots on one day, a unit with its own exception) is sorted by unit and slot.
    """
    blocks.sort(key=_BLOCK_ORDER)
    out: list[Occurrence] = []
    for _, same in groupby(blocks, key=_BLOCK_ORDER):
        group = list(same)
        if len(group) == 1:
            out += group[0][2]
            continue
        merged = [occ for block in group for occ in block[2]]
        merged.sort(key=_WITHIN)
        out += merged
    return out


def _capped(slots: list[Slot], warn: Callable[[str], None]) -> list[Slot]:
    """At most :data:`MAX_OCCURRENCES_PER_YEAR` slots a year (sorted slots in, the first ones kept)."""
    per_year: dict[int, int] = {}
    out: list[Slot] = []
    for slot in slots:
        n = per_year[slot.date.year] = per_year.get(slot.date.year, 0) + 1
        if n <= MAX_OCCURRENCES_PER_YEAR:
            out.append(slot)
        elif n == MAX_OCCURRENCES_PER_YEAR + 1:
            warn(ExpansionWarning(
                f"more than {MAX_OCCURRENCES_PER_YEAR} occurrences in {slot.date.year} for one unit, the cap; "
                f"only the first {MAX_OCCURRENCES_PER_YEAR} are used. Fix the rule: `python main.py validate` "
                "names the problem", N_("warning.capped"), cap=MAX_OCCURRENCES_PER_YEAR, year=slot.date.year))
    return out


def _apply_exceptions(
    slots: list[Slot], exceptions: list[Exception_], uid: str | None, in_range: Span, warn: Callable[[str], None]
) -> list[Slot]:
    out = list(slots)
    for exc in exceptions:
        if exc.units is not None and uid not in exc.units:
            continue
        target = exc.skip or exc.move
        if target is not None and target in in_range and not any(s.date == target for s in out):
            warn(ExpansionWarning(f"exception for {target}: there is no occurrence on that date to "
                                  f"{'skip' if exc.skip else 'move'}; check the date",
                                  N_("warning.no_skip") if exc.skip else N_("warning.no_move"), date=target))
        note = exc.note or ""
        if exc.skip is not None:
            out = [s for s in out if s.date != exc.skip]
        elif exc.move is not None and exc.to is not None:
            out = [_moved(s, exc.to, note) if s.date == exc.move else s for s in out]
        elif exc.add is not None:  # a fixed day: its own one-day window
            day = exc.add
            out.append(Slot(f"extra-{day.isoformat()}", day, None, day, note or "added", day, day, day))
    out.sort(key=lambda s: (s.date, s.key))
    return out


def _moved(slot: Slot, to: dt.date, note: str) -> Slot:
    """``slot`` moved to ``to`` by a rule's exception; its window stays as the schedule gives it.

    The move fixes the day: a planned slot is planned on ``to``; an unplanned one
    (a deadline, an unplaced session) is due on ``to``, which may lie outside its window.
    """
    days = {"planned": to} if slot.planned is not None else {"due": to}
    return dataclasses.replace(slot, date=to, nominal=slot.nominal or slot.date, note=note or "moved", **days)


def expand(
    rules: RuleSet,
    calendar: WorkdayCalendar,
    first: dt.date,
    last: dt.date,
    *,
    tz: ZoneInfo,
    units: Collection[str] | None = None,
    obligations: Collection[str] | None = None,
) -> Expansion:
    """Convenience wrapper: :meth:`Expander.expand` on a fresh expander."""
    return Expander(rules, calendar, tz).expand(first, last, units=units, obligations=obligations)


__all__ = ["Expander", "Expansion", "expand", "kind_of"]
