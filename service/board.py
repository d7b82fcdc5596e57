"""Supervision (督查督办), pure: the state of every (duty, unit, window) on a given day, and its figures.

Nothing here reads the clock or the store: the caller passes ``today`` (in the rules' time zone),
the completions and the waivers, and the working-day calendar of each occurrence. A window is

- **已完成 on time** (``on_time``): marked done on or before its due day;
- **已完成 late** (``late``): marked done after it; its lateness in working days;
- **已豁免** (``waived``): an administrator exempted it (not reminded, never overdue);
- **逾期** (``overdue``): its due day has passed and it is not done;
- **即将到期** (``due_soon``): open, with at most ``due_soon`` working days left (today counts);
- **进行中** (``open``): open, more working days left;
- **未开始** (``not_open``): its window has not begun.

A completion wins over a waiver (the work was done after all). The figures of a unit (按期办结率)
count the windows that are settled or due: on time + late + overdue; waived, open and future
windows are in no rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from i18n import N_
from scheduler.occurrence import Occurrence
from scheduler.workdays import WorkdayCalendar

_DAY = dt.timedelta(days=1)


class State(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    WAIVED = "waived"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OPEN = "open"
    NOT_OPEN = "not_open"


# the catalog's word for each state, and the order the board lists them in
STATE_WORDS = {State.ON_TIME: N_("board.state.on_time"), State.LATE: N_("board.state.late"),
               State.WAIVED: N_("board.state.waived"), State.OVERDUE: N_("board.state.overdue"),
               State.DUE_SOON: N_("board.state.due_soon"), State.OPEN: N_("board.state.open"),
               State.NOT_OPEN: N_("board.state.not_open")}
# worst first: a grid cell takes the colour of its worst window
SEVERITY = (State.OVERDUE, State.LATE, State.DUE_SOON, State.OPEN, State.NOT_OPEN, State.ON_TIME, State.WAIVED)


@dataclass(frozen=True)
class Done:
    """A completion as the board shows it: the day the work was done, who, the note and evidence."""

    done_on: dt.date
    by: str
    note: str = ""
    evidence: str | None = None  # a link, or the names of uploaded files


@dataclass(frozen=True)
class Waived:
    reason: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Row:
    """One (duty, unit, window) and its state on the day asked."""

    occ: Occurrence
    state: State
    due: dt.date
    window_start: dt.date
    window_end: dt.date
    done: Done | None = None
    waived: Waived | None = None
    lateness: int = 0  # working days after the due day: done late, or overdue so far
    left: int | None = None  # open windows: working days left, today included

    @property
    def uid(self) -> str:
        return self.occ.uid

    @property
    def obligation(self) -> str:
        return self.occ.obligation.id

    @property
    def unit(self) -> str:
        return self.occ.unit or ""


def workdays_late(calendar: WorkdayCalendar, due: dt.date, day: dt.date) -> int:
    """Working days after ``due`` up to ``day``; a day off counts as the next working day (Saturday after a
    Friday due day is 1 late, as Monday is)."""
    if day <= due:
        return 0
    return max(1, len(calendar.workdays_between(due + _DAY, calendar.next_workday(day))))


def state_of(occ: Occurrence, *, today: dt.date, calendar: WorkdayCalendar, due_soon: int,
             done: Done | None = None, waived: Waived | None = None) -> Row:
    """The state of ``occ`` on ``today``."""
    due = occ.due or occ.date
    start = occ.window_start or occ.date
    end = occ.window_end or due
    if done is not None:
        late = workdays_late(calendar, due, done.done_on)
        return Row(occ, State.LATE if late else State.ON_TIME, due, start, end, done, waived, late)
    if waived is not None:
        return Row(occ, State.WAIVED, due, start, end, None, waived)
    if today > due:
        return Row(occ, State.OVERDUE, due, start, end, lateness=workdays_late(calendar, due, today))
    if today < start:
        return Row(occ, State.NOT_OPEN, due, start, end)
    left = len(calendar.workdays_between(today, due))
    return Row(occ, State.DUE_SOON if left <= due_soon else State.OPEN, due, start, end, left=left)


def rows_of(occurrences: Iterable[Occurrence], *, today: dt.date, calendar_for: Callable[[Occurrence], WorkdayCalendar],
            due_soon: int, done: Mapping[str, Done], waived: Mapping[str, Waived]) -> list[Row]:
    """Every occurrence with a unit, in its state (a duty without units is nobody's to supervise)."""
    return [state_of(o, today=today, calendar=calendar_for(o), due_soon=due_soon, done=done.get(o.uid),
                     waived=waived.get(o.uid)) for o in occurrences if o.unit is not None]


@dataclass
class Counts:
    """Windows by state, and the rates of those settled or due."""

    by_state: dict[State, int] = field(default_factory=lambda: dict.fromkeys(State, 0))

    def add(self, state: State) -> None:
        self.by_state[state] += 1

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def counted(self) -> int:
        """The windows in the rates: done (on time or late) and overdue."""
        return self.by_state[State.ON_TIME] + self.by_state[State.LATE] + self.by_state[State.OVERDUE]

    def rate(self, state: State) -> float | None:
        """The share of ``state`` among the counted windows; None when none is counted."""
        return self.by_state[state] / self.counted if self.counted else None

    def __getitem__(self, state: State) -> int:
        return self.by_state[state]


def counts(rows: Iterable[Row]) -> Counts:
    out = Counts()
    for row in rows:
        out.add(row.state)
    return out


def by_unit(rows: Iterable[Row]) -> dict[str, Counts]:
    """The counts of each unit that has a window, in the order the units first appear."""
    out: dict[str, Counts] = {}
    for row in rows:
        out.setdefault(row.unit, Counts()).add(row.state)
    return out


def percent(value: float | None) -> str:
    """``87.5%``; ``—`` for no rate."""
    return "—" if value is None else f"{value * 100:.1f}%"


def month_of(row: Row) -> str:
    return row.due.strftime("%Y-%m")


def week_of(row: Row) -> str:
    year, week, _ = row.due.isocalendar()
    return f"{year}-W{week:02d}"


def grid(rows: Iterable[Row], column: Callable[[Row], str] = month_of) -> dict[str, dict[str, Counts]]:
    """unit -> column (a month ``2025-03`` or a week ``2025-W12`` of the due day) -> counts."""
    out: dict[str, dict[str, Counts]] = {}
    for row in rows:
        out.setdefault(row.unit, {}).setdefault(column(row), Counts()).add(row.state)
    return out


def worst(cell: Counts) -> State | None:
    """The state a grid cell is coloured by: its worst window's."""
    return next((s for s in SEVERITY if cell[s]), None)


__all__ = ["SEVERITY", "STATE_WORDS", "Counts", "Done", "Row", "State", "Waived", "by_unit", "counts", "grid",
           "month_of", "percent", "rows_of", "state_of", "week_of", "workdays_late", "worst"]
