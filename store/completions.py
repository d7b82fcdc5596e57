"""Completions: an occurrence marked done, the day it was done, and the history of each change.

A completion stops the occurrence's reminders; taking it back lets planning plan them again.
Every change (done, undo, redate) appends its :class:`store.history.Entry` in the same
transaction, so the history never misses a change nor records one that did not happen.
:class:`Completions` is a part of :class:`store.reminders.ReminderStore` (it needs the engine and
the reminders table), kept in its own module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.history import Action, Entry, append
from store.lifecycle import Event, ReminderStatus, sources, target
from store.tables import completions, reminders


def cancel_pending_reminders(conn: Connection, uid: str) -> None:
    """Cancel the occurrence's pending reminders: it is settled (done or waived).

    A claimed one is left to its holder (store.lifecycle): its send may be under way.
    """
    conn.execute(update(reminders).where(reminders.c.occurrence_uid == uid,
                                         reminders.c.status.in_(sources(Event.CANCELLED)))
                 .values(status=target(Event.CANCELLED)))


def replan_cancelled_reminders(conn: Connection, uid: str, now: dt.datetime) -> None:
    """Delete the occurrence's cancelled reminders still to come: it is open again (undone or unwaived).

    The next planning run inserts only keys it has not stored, so it plans these again; those
    already due stay as they are.
    """
    conn.execute(delete(reminders).where(reminders.c.occurrence_uid == uid,
                                         reminders.c.status == ReminderStatus.CANCELLED,
                                         reminders.c.due_at >= now))


class Completions:
    engine: Engine

    def mark_done(self, *, uid: str, obligation: str, unit: str | None, date: dt.date, by: str,
                  at: dt.datetime, note: str = "", evidence_url: str | None = None, done_on: dt.date | None = None,
                  door: str = "cli") -> bool:
        """Record the occurrence as done and cancel its pending reminders; False if it already was.

        ``done_on`` is the day the work was done (default: ``at``'s date); ``door`` where the mark
        came in. Two marks at the same moment: the first completion stands, the other gets False.
        """
        done_on = done_on or at.date()
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(completions.c.id).where(completions.c.occurrence_uid == uid)).first():
                    return False
                conn.execute(insert(completions).values(
                    occurrence_uid=uid, obligation=obligation, unit=unit, occurrence_date=date, done_by=by,
                    done_at=at, note=note, evidence_url=evidence_url, done_on=done_on))
                cancel_pending_reminders(conn, uid)
                append(conn, Entry(at, by, door, Action.DONE, uid, obligation, unit, date, done_on, note,
                                   evidence_url))
        except IntegrityError:
            return False  # completions.occurrence_uid is unique: someone else's completion was first
        return True

    def set_done_on(self, uid: str, done_on: dt.date, *, by: str, at: dt.datetime,
                    door: str = "cli") -> dict[str, Any] | None:
        """Correct the day a completion says the work was done; the completion after, or None if there is none."""
        with self.engine.begin() as conn:
            row = conn.execute(select(completions).where(completions.c.occurrence_uid == uid)).first()
            if row is None:
                return None
            if row.done_on != done_on:
                conn.execute(update(completions).where(completions.c.id == row.id).values(done_on=done_on))
                append(conn, Entry(at, by, door, Action.REDATE, uid, row.obligation, row.unit, row.occurrence_date,
                                   done_on, row.note, row.evidence_url))
            after = conn.execute(select(completions).where(completions.c.id == row.id)).one()
        return dict(after._mapping)

    def undo_done(self, uid: str, *, now: dt.datetime, by: str = "cli", door: str = "cli") -> dict[str, Any] | None:
        """Delete the occurrence's completion (returned; None if there was none).

        Its cancelled reminders still to come are deleted with it, so that the next planning run,
        which inserts only keys it has not stored, plans them again; those already due stay as they
        are. A snoozed copy is in no plan and does not come back. The history keeps what was undone.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(completions).where(completions.c.occurrence_uid == uid)).first()
            if row is None:
                return None
            conn.execute(delete(completions).where(completions.c.id == row.id))
            replan_cancelled_reminders(conn, uid, now)
            append(conn, Entry(now, by, door, Action.UNDO, uid, row.obligation, row.unit, row.occurrence_date,
                               row.done_on, row.note, row.evidence_url))
        return dict(row._mapping)

    def done_uids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(completions.c.occurrence_uid))}

    def completion(self, uid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(completions).where(completions.c.occurrence_uid == uid)).first()
        return dict(row._mapping) if row else None


__all__ = ["Completions", "cancel_pending_reminders", "replan_cancelled_reminders"]
