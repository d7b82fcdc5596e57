"""Expansion: rules x working-day calendar x date range -> dated occurrences.

A pure function: it reads no clock and no files. The same rules, calendar and
range always give the same occurrences, in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
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

_ORDER = attrgetter("date", "obligation.id", "unit", "slot")


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
        out: list[Occurrence] = []
        warnings: dict[str, None] = {}
        for ob in self.rules.obligations.values():
            if obligations is not None and ob.id not in obligations:
                continue
            targets = self.rules.applies_to(ob)
            if units is not None:
                targets = [u for u in targets if u is not None and u in units]
                if not targets:
                    continue
            out.extend(self._obligation(ob, targets, first, last, warnings))
        # units of one duty are all None or all str, so None never meets str in a comparison
        out.sort(key=_ORDER)
        for year in sorted(self.calendar.guessed_years):
            if self.calendar.year_source(year) == "predicted":
                code = N_("calendar.warn_predicted")
            else:
                code = N_("calendar.warn_weekends_only")
            warning = ExpansionWarning(tr(self.lang, code, year=year), code, year=year)
            warnings.setdefault(warning, None)
        return Expansion(out, list(warnings))

    def _obligation(
        self,
        ob: Obligation,
        targets: list[str | None],
        first: dt.date,
        last: dt.date,
        warnings: dict[str, None],
    ) -> Iterable[Occurrence]:
        lo = max(first, ob.effective.from_) if ob.effective.from_ else first
        hi = min(last, ob.effective.until) if ob.effective.until else last
        if lo > hi:
            return []

        def warn(message: str) -> None:
            warnings.setdefault(of_duty(ob.id, message), None)

        by_calendar: dict[int, list[str | None]] = {}
        own_file = self.rules.obligation_file[ob.id]
        for uid in targets:
            index = self.rules.unit_file.get(uid, own_file) if uid else own_file
            by_calendar.setdefault(index, []).append(uid)

        in_force = Span(ob.effective.from_ or dt.date.min, ob.effective.until or dt.date.max)
        kind = kind_of(ob)
        time = _time_of(ob)
        out: list[Occurrence] = []
        for index, group in by_calendar.items():
            cal = self.calendar_of_file(index)
            if ob.exceptions:
                # a move may bring an occurrence in from outside the range: look exactly there too
                sources = [e.move for e in ob.exceptions if e.move and e.to and lo <= e.to <= hi]
                wide_lo, wide_hi = min([lo, *sources]), max([hi, *sources])
                slots = slots_for(ob.schedule, cal, wide_lo, wide_hi, warn, in_force)
                for uid in group:
                    mine = _capped(_apply_exceptions(slots, ob.exceptions, uid, Span(lo, hi), warn), warn)
                    end = self._end_of(uid, hi)
                    out.extend(self._make(ob, uid, s, kind, time) for s in mine if lo <= s.date <= end)
            else:
                slots = _capped(slots_for(ob.schedule, cal, lo, hi, warn, in_force), warn)
                make = self._make
                ends = {uid: self._end_of(uid, hi) for uid in group}
                out.extend(make(ob, uid, s, kind, time) for s in slots for uid in group if s.date <= ends[uid])
        return out

    def _end_of(self, uid: str | None, hi: dt.date) -> dt.date:
        """The last day ``uid`` gets occurrences: ``hi``, or the day the body ended (``until``) if earlier."""
        until = self.rules.units[uid].until if uid in self.rules.units else None
        return min(hi, until) if until else hi

    def _make(self, ob: Obligation, uid: str | None, slot: Slot, kind: Kind, time: TimeOfDay | None) -> Occurrence:
        start = end = None
        if time is not None:
            start = dt.datetime.combine(slot.date, time.start, self.tz)
            end = dt.datetime.combine(slot.date, time.end, self.tz)
        return Occurrence(ob, uid, slot.date, kind, slot.key, start, end, slot.nominal, slot.window_start,
                          slot.note, slot.window_end, slot.due, slot.planned)


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
