"""The history of every change people make to a duty's state: append-only.

One row per change (done, undo, redate, snooze; waive, unwaive, upload, export) and per login,
failed login and logout (migration 0009; those are about no occurrence: ``occurrence_date`` NULL):
who, through which door (cli, bot, web), when, and what. Rows are written by the store in the
transaction of the change they record (:func:`append`, called by store.completions and
store.reminders) and only ever inserted: nothing in the store updates or deletes them
(tests/test_history.py greps the store for it), so the history is what the supervising office
can trust when it checks a ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from store.db import Store
from store.tables import history


class Action(StrEnum):
    """What changed (store.tables.HISTORY_ACTIONS)."""

    DONE = "done"  # marked done
    UNDO = "undo"  # the mark taken back
    REDATE = "redate"  # the day it was done corrected
    SNOOZE = "snooze"  # a reminder asked for again later
    LOGIN = "login"  # an account logged in (migration 0009: these are about no occurrence)
    LOGIN_FAILED = "login_failed"  # a wrong name or password (actor: the name typed)
    LOGOUT = "logout"  # an account logged out
    UPLOAD = "upload"  # an evidence file uploaded for an occurrence
    EXPORT = "export"  # a report or the history downloaded
    WAIVE = "waive"  # an admin waived a window
    UNWAIVE = "unwaive"  # the waiver taken back


@dataclass(frozen=True)
class Entry:
    """One change: ``at`` aware UTC; ``door`` one of store.tables.DOORS."""

    at: dt.datetime
    actor: str
    door: str
    action: Action
    occurrence_uid: str
    obligation: str
    unit: str | None
    occurrence_date: dt.date | None
    done_on: dt.date | None = None
    note: str = ""
    evidence_url: str | None = None
    remind_at: dt.datetime | None = None


def append(conn: Connection, entry: Entry) -> None:
    """Add ``entry`` in the caller's transaction (the one that makes the change)."""
    conn.execute(insert(history).values(**{**asdict(entry), "action": Action(entry.action).value,
                                           "actor": entry.actor[:200]}))


def record(store: Store, entry: Entry) -> None:
    """Add ``entry`` in a transaction of its own: for an event that changes nothing else (an export)."""
    with store.engine.begin() as conn:
        append(conn, entry)


class History:
    """Reading the history (writing is :func:`append`, inside a change's transaction)."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def entries(self, *, obligation: str | None = None, unit: str | None = None, since: dt.datetime | None = None,
                uid: str | None = None, limit: int = 100_000) -> list[dict[str, Any]]:
        """The rows, oldest first, of one duty, unit or occurrence, from ``since`` on."""
        query = select(history).order_by(history.c.at, history.c.id).limit(limit)
        if obligation is not None:
            query = query.where(history.c.obligation == obligation)
        if unit is not None:
            query = query.where(history.c.unit == unit)
        if uid is not None:
            query = query.where(history.c.occurrence_uid == uid)
        if since is not None:
            query = query.where(history.c.at >= since)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


__all__ = ["Action", "Entry", "History", "append", "record"]
