"""Waivers: a window an administrator exempted, with the reason (合并举办, 上级统一组织, …).

A waived window is neither reminded nor counted as overdue. Waiving cancels its pending reminders
in the same transaction (as marking done does), and planning leaves it out (:meth:`waived_uids`,
read by service.engine); taking the waiver back deletes the cancelled reminders still to come so
that the next planning run plans them again (as undoing a completion does). Every waive and
unwaive appends its history entry (store.history, actions ``waive`` and ``unwaive``) in the
change's own transaction; the waiver's reason is the entry's note.

The table lives here rather than in store.tables: it is this module's alone (migration 0010).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError

from store.completions import cancel_pending_reminders, replan_cancelled_reminders
from store.db import Store
from store.history import Action, Entry, append
from store.tables import metadata

# One row per waived window (its occurrence uid, unique); deleted when the waiver is taken back.
waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurrence_uid", String(300), nullable=False, unique=True),
    Column("obligation", String(200), nullable=False),
    Column("unit", String(200)),
    Column("occurrence_date", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("waived_by", String(200), nullable=False),
    Column("waived_at", DateTime(timezone=True), nullable=False),
)

MAX_REASON = 500


class Waivers:
    """The waivers of every window, on a migrated store."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def waive(self, *, uid: str, obligation: str, unit: str | None, date: dt.date, reason: str, by: str,
              at: dt.datetime, door: str = "cli") -> bool:
        """Waive the window and cancel its pending reminders; False when it already was (that waiver stands)."""
        reason = reason.strip()[:MAX_REASON]
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(waivers.c.id).where(waivers.c.occurrence_uid == uid)).first():
                    return False
                conn.execute(insert(waivers).values(occurrence_uid=uid, obligation=obligation, unit=unit,
                                                    occurrence_date=date, reason=reason, waived_by=by[:200],
                                                    waived_at=at))
                cancel_pending_reminders(conn, uid)
                append(conn, Entry(at, by, door, Action.WAIVE, uid, obligation, unit, date, note=reason))
        except IntegrityError:
            return False  # occurrence_uid is unique: someone else's waiver came first
        return True

    def unwaive(self, uid: str, *, now: dt.datetime, by: str, door: str = "cli") -> dict[str, Any] | None:
        """Take the waiver back (returned; None when there was none); the next plan reminds the window again."""
        with self.engine.begin() as conn:
            row = conn.execute(select(waivers).where(waivers.c.occurrence_uid == uid)).first()
            if row is None:
                return None
            conn.execute(delete(waivers).where(waivers.c.id == row.id))
            replan_cancelled_reminders(conn, uid, now)
            append(conn, Entry(now, by, door, Action.UNWAIVE, uid, row.obligation, row.unit, row.occurrence_date,
                               note=row.reason))
        return dict(row._mapping)

    def waived_uids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(waivers.c.occurrence_uid))}

    def all(self) -> dict[str, dict[str, Any]]:
        """Every waiver by its occurrence uid."""
        with self.engine.connect() as conn:
            return {r.occurrence_uid: dict(r._mapping) for r in conn.execute(select(waivers))}

    def waiver(self, uid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(waivers).where(waivers.c.occurrence_uid == uid)).first()
        return dict(row._mapping) if row else None


__all__ = ["MAX_REASON", "Waivers", "waivers"]
