"""Planning's side of the reminder store: make the pending rows exactly the plan, touching only what changed.

A part of :class:`store.reminders.ReminderStore`, kept in its own module. The plan is compared
with the pending rows of its window by key; only the difference is written: new keys inserted,
keys no longer planned cancelled, nothing else read-modified-written. A re-plan after a change to
one duty therefore writes that duty's rows only (``tests/test_plan_diff.py`` counts them).

New rows go in as one plain multi-row insert per chunk (the driver's ``executemany``: on
PostgreSQL psycopg's pipeline of one prepared statement), as a bulk load would. Which of the new
keys already exist (sent, cancelled, or outside the window) is read beforehand, by occurrence,
with the dates subscribers knew (for change notices) in the same query, so the insert needs no
``RETURNING`` (which made SQLAlchemy spell out every chunk as one statement whose 10,000
placeholders the driver parsed again each time) and its count is known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, String, and_, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from scheduler.planner import Planned, ReminderKind
from store.db import Store
from store.lifecycle import LIVE_OR_SENT, Event, Notice, ReminderStatus, sources, target
from store.tables import reminders

_CHUNK = 500
_UIDS = 5000  # occurrences per query on PostgreSQL: one array parameter, whatever its length
# Two syncs never interleave, even in the moment a planner that lost its lock (store.leader) has not
# noticed yet while its successor plans: the second waits for the first's transaction to end.
SYNC_LOCK = 0x6F626C706C616E21


@dataclass(frozen=True)
class SyncReport:
    inserted: int
    cancelled: int
    changed: int


@dataclass
class _Existing:
    """What the store holds for some occurrences: every key, and the dates each subscriber knew."""

    keys: set[str]
    dates: dict[tuple[str, int], set[dt.date]]


class PlanSync:
    store: Store
    engine: Engine

    def _insert(self) -> Any:
        return (postgresql if self.store.dialect == "postgresql" else sqlite).insert(reminders)

    def sync_plan(self, planned: Sequence[Planned], *, now: dt.datetime, until: dt.datetime,
                  kinds: Iterable[ReminderKind] = (ReminderKind.REMINDER,)) -> SyncReport:
        """Make the pending reminders due in ``now..until`` exactly ``planned``.

        New keys are inserted; pending rows of ``kinds`` in the window that are no
        longer planned (a removed or moved occurrence, a duty marked done, an
        unsubscription) are cancelled; an occurrence that moved to another date
        gets one "changed" notice per subscriber. Snoozed reminders are in no plan and left alone.
        """
        kinds = tuple(kinds)
        keys = {p.key for p in planned}
        with self.engine.begin() as conn:
            if self.store.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SYNC_LOCK})
            window = and_(reminders.c.status.in_(sources(Event.CANCELLED)), reminders.c.kind.in_(kinds),
                          reminders.c.snoozed.is_(False), reminders.c.due_at >= now, reminders.c.due_at <= until)
            pending = dict(conn.execute(select(reminders.c.key, reminders.c.id).where(window)).all())
            fresh = [p for p in planned if p.key not in pending]
            # the dates subscribers knew, read before the stale reminders of a moved date are cancelled;
            # only a new key can reveal a moved date: a pending key already carries its date
            existing = self._existing(conn, {p.occurrence_uid for p in fresh})
            stale = [rid for k, rid in pending.items() if k not in keys]
            cancelled = 0
            for i in range(0, len(stale), _CHUNK):
                cancelled += conn.execute(update(reminders).where(reminders.c.id.in_(stale[i:i + _CHUNK]))
                                          .values(status=target(Event.CANCELLED))).rowcount
            rows = [self._row(p, now) for p in fresh if p.key not in existing.keys]
            insert_rows = self._insert().on_conflict_do_nothing(index_elements=["key"])
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert_rows, rows[i:i + _CHUNK])
            notices = [self._row(n, now) for n in self._change_notices(fresh, existing.dates, now)]
            changed = sum(self._insert_new(conn, notices[i:i + _CHUNK]) for i in range(0, len(notices), _CHUNK))
        return SyncReport(len(rows), cancelled, changed)

    @staticmethod
    def _change_notices(fresh: list[Planned], known: dict[tuple[str, int], set[dt.date]],
                        now: dt.datetime) -> list[Planned]:
        """One "changed" notice per subscriber of an occurrence whose new key names a date they did not know."""
        out = []
        for p in fresh:
            if p.kind != ReminderKind.REMINDER or p.subscriber_id is None:
                continue
            before = known.get((p.occurrence_uid, p.subscriber_id))
            if before and p.occurrence_date not in before:
                out.append(Planned(
                    f"{p.occurrence_uid}|s{p.subscriber_id}|changed|{p.occurrence_date.isoformat()}",
                    ReminderKind.CHANGED, p.occurrence_uid, p.obligation, p.unit, p.occurrence_date,
                    p.subscriber_id, p.channel, p.address, p.language, "", now, now, previous_date=max(before)))
        return list({n.key: n for n in out}.values())

    def _existing(self, conn: Connection, uids: set[str]) -> _Existing:
        """Every key of these occurrences' rows, and the dates each (occurrence, subscriber) was reminded
        of or is pending for."""
        out = _Existing(set(), {})
        ordered = sorted(uids)
        pg = self.store.dialect == "postgresql"
        step = _UIDS if pg else _CHUNK
        for i in range(0, len(ordered), step):
            chunk = ordered[i:i + step]
            # PostgreSQL: = ANY(array), one parameter; an IN list of 500 is a text of 500 placeholders
            # that the driver parses on every execution (it caches only short statements)
            which = (reminders.c.occurrence_uid == any_(bindparam("uids", chunk, type_=postgresql.ARRAY(String)))
                     if pg else reminders.c.occurrence_uid.in_(chunk))
            query = select(reminders.c.key, reminders.c.kind, reminders.c.status, reminders.c.occurrence_uid,
                           reminders.c.subscriber_id, reminders.c.occurrence_date).where(which)
            for r in conn.execute(query):
                out.keys.add(r.key)
                if r.kind == ReminderKind.REMINDER and r.status in LIVE_OR_SENT and r.subscriber_id is not None:
                    out.dates.setdefault((r.occurrence_uid, r.subscriber_id), set()).add(r.occurrence_date)
        return out

    @staticmethod
    def _row(p: Planned, now: dt.datetime) -> dict[str, Any]:
        """A new row for ``p``; ValueError for a kind or notice that is not one (before the database says so)."""
        return {"key": p.key, "kind": ReminderKind(p.kind).value, "occurrence_uid": p.occurrence_uid,
                "obligation": p.obligation, "unit": p.unit, "occurrence_date": p.occurrence_date,
                "subscriber_id": p.subscriber_id, "channel": p.channel, "address": p.address,
                "language": p.language, "lead_time": p.lead_time, "previous_date": p.previous_date,
                "notice": Notice(p.notice).value if p.notice is not None else None, "snoozed": p.snoozed,
                "due_at": p.due_at, "send_after": p.send_after, "status": ReminderStatus.PENDING.value,
                "attempts": 0, "late": False, "created_at": now, "body": p.body}

    def _insert_new(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        """Insert rows whose key is new; the number inserted (RETURNING: rowcount lies for executemany)."""
        if not rows:
            return 0
        stmt = self._insert().on_conflict_do_nothing(index_elements=["key"]).returning(reminders.c.id)
        return len(conn.execute(stmt, rows).all())


__all__ = ["PlanSync", "SyncReport"]
