"""The dated results of expansion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from obligations.model import Obligation

Kind = Literal["deadline", "session"]


@dataclass(frozen=True, slots=True)
class Slot:
    """One dated instance of a schedule, before it is given to units.

    ``key`` names the instance independently of where holidays put it (the
    quarter and session number, or the date as written), so an occurrence that
    moves keeps its identity: calendar apps see the same UID with a new date.
    """

    key: str
    date: dt.date  # ``planned`` when there is one, else ``due``
    nominal: dt.date | None = None  # the date as written, when a holiday or an exception moved it
    window_start: dt.date | None = None  # first day of the part of the period it belongs to
    note: str = ""  # set by an exception: its note, or "moved" / "added"
    window_end: dt.date | None = None  # last day of that part (inclusive)
    due: dt.date | None = None  # the last day it may be done
    planned: dt.date | None = None  # the day the rule fixes inside the window, if it fixes one


@dataclass(slots=True, eq=True)
class Occurrence:
    """One duty, for one unit, in one window.

    ``window_start`` .. ``window_end`` (inclusive) is the part of the period the
    duty belongs to; ``due`` the last day it may be done; ``planned`` the day the
    rule fixes inside the window, when it fixes one. ``date`` is ``planned`` when
    there is one, else ``due``: the day calendars and reminders use.

    Not frozen: expansion makes a million of these a year for 2,000 units, and a
    frozen dataclass pays for ``object.__setattr__`` on every field. Treat it as
    read-only all the same.
    """

    obligation: Obligation
    unit: str | None
    date: dt.date
    kind: Kind
    slot: str
    start: dt.datetime | None = None  # None: an all-day entry
    end: dt.datetime | None = None
    nominal: dt.date | None = None
    window_start: dt.date | None = None
    note: str = ""  # why it was moved or added, from the rule's exception
    window_end: dt.date | None = None
    due: dt.date | None = None
    planned: dt.date | None = None

    @property
    def obligation_id(self) -> str:
        return self.obligation.id

    @property
    def uid(self) -> str:
        """Stable across runs and machines: the same duty, unit and slot give the same UID."""
        return f"{self.obligation.id}/{self.unit or '-'}/{self.slot}"

    @property
    def sort_key(self) -> tuple[dt.date, str, str, str]:
        return (self.date, self.obligation.id, self.unit or "", self.slot)


__all__ = ["Kind", "Occurrence", "Slot"]
