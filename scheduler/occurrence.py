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
    date: dt.date
    nominal: dt.date | None = None  # the date as written, when a holiday or an exception moved it
    window_start: dt.date | None = None  # first day of the period it may be done in
    note: str = ""  # set by an exception: its note, or "moved" / "added"


@dataclass(slots=True, eq=True)
class Occurrence:
    """One duty, for one unit, on one day.

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
