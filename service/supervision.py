"""Supervision: the board's rows for a query (range, subtree, duty, document, level, state), and waivers.

The web board, ``main.py report`` and the weekly summary all call :func:`board`: the rules in force
(a :class:`~scheduler.snapshot.Snapshot`), the store, the query and ``today`` (nothing here reads
the clock) give the rows of :mod:`service.board`. Waiving goes through :func:`waive` and
:func:`unwaive` from every door, like marking done goes through service.actions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from obligations.model import Level
from scheduler.periods import label_span
from scheduler.snapshot import Snapshot
from service.actions import Actor, Target
from service.board import Done, Row, State, Waived, rows_of
from store.claimed import as_utc
from store.db import Store
from store.ledger import completions_by_uid, evidence_files
from store.waivers import Waivers

SORTS = ("due", "unit", "duty", "state", "lateness")


@dataclass(frozen=True)
class Query:
    """Which windows: dated ``first``..``last``; the others narrow it (None: no filter).

    ``unit`` is a subtree (the unit and every unit below it; only itself without ``children``);
    ``visible`` the units the reader may see (None: all), applied on top of every other filter.
    """

    first: dt.date
    last: dt.date
    unit: str | None = None
    children: bool = True  # the unit's subtree; False: the unit alone
    obligation: str | None = None
    document: str | None = None
    level: str | None = None
    state: State | None = None
    visible: frozenset[str] | None = None
    sort: str = "due"


def period_range(text: str) -> tuple[dt.date, dt.date] | None:
    """A period as its label (``2025``, ``2025-H1``, ``2025-Q1``, ``2025-03``, ``2025-W08``) to its first
    and last day; None for anything else, or a year outside 2000-2099."""
    found = label_span(text) if re.fullmatch(r"20[0-9]{2}(-.*)?", text) else None
    return (found[1].first, found[1].last) if found else None


def units_of(snapshot: Snapshot, query: Query) -> set[str]:
    """The units the query selects: the subtree, the level, what the reader may see."""
    rules = snapshot.rules
    if query.unit is None:
        units = set(rules.units)
    else:
        units = {query.unit, *(rules.descendants(query.unit) if query.children else ())}
    if query.level is not None:
        units &= set(rules.units_of_level(Level(query.level)))
    if query.visible is not None:
        units &= query.visible
    return units


def obligations_of(snapshot: Snapshot, query: Query) -> set[str] | None:
    rules = snapshot.rules
    if query.obligation is None and query.document is None:
        return None
    return {ob.id for ob in rules.obligations.values()
            if (query.obligation is None or ob.id == query.obligation)
            and (query.document is None or rules.document_of(ob).id == query.document)}


def ledger(store: Store, uids: Collection[str]) -> tuple[dict[str, Done], dict[str, Waived]]:
    """The completions (with the names of uploaded evidence) and waivers of ``uids``."""
    files = evidence_files(store)
    done = {}
    for uid, c in completions_by_uid(store, uids).items():
        evidence = "; ".join(p for p in [c["evidence_url"] or "", *files.get(uid, [])] if p) or None
        done[uid] = Done(c["done_on"], c["done_by"], c["note"] or "", evidence)
    waived = {uid: Waived(w["reason"], w["waived_by"], as_utc(w["waived_at"]) or w["waived_at"])
              for uid, w in Waivers(store).all().items() if uid in uids}
    return done, waived


def _sort_key(sort: str) -> Callable[[Row], tuple[object, ...]]:
    order = {s: i for i, s in enumerate(State)}
    keys: dict[str, Callable[[Row], tuple[object, ...]]] = {
        "due": lambda r: (r.due, r.unit, r.obligation, r.uid),
        "unit": lambda r: (r.unit, r.due, r.obligation, r.uid),
        "duty": lambda r: (r.obligation, r.due, r.unit, r.uid),
        "state": lambda r: (order[r.state], r.due, r.unit, r.uid),
        "lateness": lambda r: (-r.lateness, r.due, r.unit, r.uid),
    }
    return keys.get(sort, keys["due"])


def board(snapshot: Snapshot, store: Store, query: Query, *, today: dt.date, due_soon: int | None = None) -> list[Row]:
    """Every (duty, unit, window) dated in the query's range that it selects, in its state on ``today``."""
    expander = snapshot.expander()
    units = units_of(snapshot, query)
    if not units:
        return []
    obligations = obligations_of(snapshot, query)
    occurrences = expander.expand(query.first, query.last, units=units, obligations=obligations).occurrences
    done, waived = ledger(store, {o.uid for o in occurrences})
    if due_soon is None:
        due_soon = snapshot.loaded.config.supervision.due_soon_workdays
    rows = rows_of(occurrences, today=today, calendar_for=expander.calendar_for, due_soon=due_soon, done=done,
                   waived=waived)
    if query.state is not None:
        rows = [r for r in rows if r.state == query.state]
    return sorted(rows, key=_sort_key(query.sort))


# -- waivers --------------------------------------------------------------------------------------------


def waive(store: Store, target: Target, actor: Actor, *, reason: str, now: dt.datetime) -> bool:
    """Waive ``target``'s window with ``reason`` (not empty); False when it already was."""
    if not reason.strip():
        raise ValueError("a waiver needs a reason")
    return Waivers(store).waive(uid=target.uid, obligation=target.obligation, unit=target.unit, date=target.date,
                                reason=reason, by=actor.name[:200], at=now, door=actor.door.value)


def unwaive(store: Store, target: Target, actor: Actor, *, now: dt.datetime) -> bool:
    """Take ``target``'s waiver back; False when it was not waived."""
    return Waivers(store).unwaive(target.uid, now=now, by=actor.name[:200], door=actor.door.value) is not None


__all__ = ["SORTS", "Query", "board", "ledger", "obligations_of", "period_range", "units_of", "unwaive", "waive"]
