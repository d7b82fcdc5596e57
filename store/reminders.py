"""Reminder rows: planning sync (store.plansync), atomic claims with leases, outcomes; completions (store.completions).

The store is the truth; the scheduler only decides when to look. A due
reminder is claimed in one transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the database write lock on SQLite), so two dispatchers never hold
the same reminder; a claim is a lease, and a dispatcher that dies holding one
is replaced by whoever claims after the lease ends. Right before a send the
holder renews its lease in one statement that succeeds only while the lease
is still running (:meth:`ReminderStore.renew`), so nothing is sent on a claim
someone else may already hold. Every outcome is written only by the holder of
the claim (the ``claimed_by`` fence). Which statuses each step may update, and to
what, is store.lifecycle's transition table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from obligations.config import SubscriberConfig
from scheduler.planner import Planned, Subscription, subscription_from
from store.claimed import Claimed, as_utc
from store.completions import Completions
from store.db import Store
from store.history import Action, Entry, append
from store.lifecycle import Event, ReminderStatus, sources, target
from store.plansync import PlanSync, SyncReport
from store.tables import reminders, subscribers, subscriptions

_CHUNK = 500
log = logging.getLogger(__name__)


_SUB_VALUES = (subscribers.c.name, subscribers.c.language, subscribers.c.quiet_hours, subscribers.c.mode,
               subscribers.c.digest_at, subscribers.c.active)
_SUBSCRIPTION = (subscriptions.c.unit, subscriptions.c.children, subscriptions.c.level, subscriptions.c.obligation,
                 subscriptions.c.tag, subscriptions.c.lead_times)
_SUBSCRIPTION_NAMES = tuple(c.name for c in _SUBSCRIPTION)


def _values(sub: SubscriberConfig) -> dict[str, Any]:
    """A configured subscriber's row, in the order of :data:`_SUB_VALUES`."""
    return {"name": sub.name, "language": sub.language, "quiet_hours": sub.quiet_hours, "mode": sub.mode,
            "digest_at": sub.digest_at.strftime("%H:%M"), "active": True}


def _subscription_row(s: Any) -> tuple[object, ...]:
    """One configured subscription as its row holds it, in the order of :data:`_SUBSCRIPTION`."""
    return (s.unit, s.children, s.level.value if s.level else None, s.obligation, s.tag,
            ",".join(map(str, s.lead_times)) if s.lead_times is not None else None)


class ReminderStore(PlanSync, Completions):
    """The reminders of every subscriber; marking done and undoing are :class:`store.completions.Completions`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- subscribers ------------------------------------------------------------------------------

    def sync_config_subscribers(self, configured: Sequence[SubscriberConfig], now: dt.datetime) -> None:
        """Make the config's subscribers (source "config") exactly those of config.yaml.

        What the store holds is compared first and only the differences are written, in bulk:
        one statement per subscriber took 232 s for the 42,908 of a national tree on PostgreSQL
        (bench/national_plan_bench.py), at every start and every rules change.
        """
        with self.engine.begin() as conn:
            existing = {(r.channel, r.address): r for r in conn.execute(
                select(subscribers.c.id, subscribers.c.channel, subscribers.c.address, *_SUB_VALUES)
                .where(subscribers.c.source == "config"))}
            fresh = {(s.channel, s.address): s for s in configured if (s.channel, s.address) not in existing}
            if fresh:
                conn.execute(insert(subscribers), [{"channel": s.channel, "address": s.address, "source": "config",
                                                    "created_at": now, **_values(s)} for s in fresh.values()])
            ids = {(r.channel, r.address): r.id for r in conn.execute(
                select(subscribers.c.id, subscribers.c.channel, subscribers.c.address)
                .where(subscribers.c.source == "config"))}
            held: dict[int, list[tuple[object, ...]]] = {}
            for r in conn.execute(select(subscriptions.c.subscriber_id, *_SUBSCRIPTION).join(
                    subscribers, subscribers.c.id == subscriptions.c.subscriber_id)
                    .where(subscribers.c.source == "config").order_by(subscriptions.c.id)):
                held.setdefault(r.subscriber_id, []).append(tuple(r)[1:])
            wanted: dict[int, list[tuple[object, ...]]] = {}
            for sub in configured:  # a subscriber named twice: the later entry wins, as before
                key = (sub.channel, sub.address)
                old = existing.get(key)
                if old is not None and tuple(getattr(old, c.name) for c in _SUB_VALUES) != tuple(_values(sub).values()):
                    conn.execute(update(subscribers).where(subscribers.c.id == old.id).values(**_values(sub)))
                wanted[ids[key]] = [_subscription_row(s) for s in sub.subscriptions]
            redo = [sid for sid, rows in wanted.items() if held.get(sid, []) != rows]
            for i in range(0, len(redo), 500):
                conn.execute(delete(subscriptions).where(subscriptions.c.subscriber_id.in_(redo[i:i + 500])))
            rows = [{"subscriber_id": sid, **dict(zip(_SUBSCRIPTION_NAMES, row, strict=True))}
                    for sid in redo for row in wanted[sid]]
            if rows:
                conn.execute(insert(subscriptions), rows)
            gone = [sid for key, sid in ids.items() if sid not in wanted and existing.get(key) is not None
                    and existing[key].active]
            if gone:
                conn.execute(update(subscribers).where(subscribers.c.id.in_(gone)).values(active=False))

    def subscriptions(self, on_bad: Callable[[dict[str, Any], ValueError], None] | None = None
                      ) -> list[Subscription]:
        """Every active subscriber's subscriptions; a row that cannot be read is left out.

        A bad row (a level, lead time or quiet hours the planner cannot read) must not stop
        planning for everyone: it is skipped and handed to ``on_bad`` (the engine logs it once
        and tells the admins) or, without one, logged once per process.
        """
        query = (
            select(subscriptions.c.id.label("subscription_id"), subscriptions.c.subscriber_id,
                   subscriptions.c.unit, subscriptions.c.children,
                   subscriptions.c.level, subscriptions.c.obligation, subscriptions.c.tag,
                   subscriptions.c.lead_times, subscribers.c.channel, subscribers.c.address,
                   subscribers.c.language, subscribers.c.quiet_hours, subscribers.c.mode, subscribers.c.digest_at)
            .join(subscribers, subscribers.c.id == subscriptions.c.subscriber_id)
            .where(subscribers.c.active.is_(True))
            .order_by(subscriptions.c.subscriber_id, subscriptions.c.id)
        )
        out: list[Subscription] = []
        with self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        for row in rows:
            try:
                out.append(subscription_from(row))
            except ValueError as exc:
                (on_bad or _log_bad_subscription)(row, exc)
        return out

    def add(self, items: Sequence[Planned], now: dt.datetime) -> int:
        """Insert reminders as they are (admin notices, bulk loads); existing keys are left alone."""
        rows = [self._row(p, now) for p in items]
        with self.engine.begin() as conn:
            return sum(self._insert_new(conn, rows[i:i + _CHUNK]) for i in range(0, len(rows), _CHUNK))

    def add_whole(self, items: Sequence[Planned], now: dt.datetime) -> int:
        """Insert ``items`` (the parts of one message, in order) all or none: none if the first key exists.

        One transaction, and the first key decides: a second planner of the same parts waits on the
        first one's uncommitted key (PostgreSQL) or the write lock (SQLite) and then inserts nothing,
        even if it made a different number of parts. The number inserted.
        """
        rows = [self._row(p, now) for p in items]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            if not self._insert_new(conn, rows[:1]):
                return 0
            return 1 + self._insert_new(conn, rows[1:])

    def existing(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are rows already, whatever their status."""
        ordered, found = sorted(keys), set()
        with self.engine.connect() as conn:
            for i in range(0, len(ordered), _CHUNK):
                found |= set(conn.execute(select(reminders.c.key).where(
                    reminders.c.key.in_(ordered[i:i + _CHUNK]))).scalars())
        return found

    def snooze(self, reminder_id: int, *, at: dt.datetime, address: str, language: str,
               now: dt.datetime, by: str | None = None, door: str = "bot") -> bool:
        """Remind ``address`` of reminder ``reminder_id`` again at ``at`` (once a day); False if it is gone.

        A copy marked ``snoozed``: planning does not cancel it as stale; marking the duty done does.
        With ``by``, a new copy is recorded in the history (who, through ``door``), in its transaction.
        """
        original = self.as_claimed(reminder_id)
        if original is None:
            return False
        key = f"{original.key}|snooze|{at.date().isoformat()}"  # the recipient's day: ``at`` is local
        at = at.astimezone(dt.UTC)
        row = self._row(Planned(key, original.kind, original.occurrence_uid, original.obligation, original.unit,
                                original.occurrence_date, original.subscriber_id, original.channel, address,
                                language, original.lead_time, at, at, previous_date=original.previous_date,
                                notice=original.notice, snoozed=True), now)
        with self.engine.begin() as conn:
            if self._insert_new(conn, [row]) and by is not None:
                append(conn, Entry(now, by, door, Action.SNOOZE, original.occurrence_uid, original.obligation,
                                   original.unit, original.occurrence_date, remind_at=at))
        return True

    # -- dispatch -------------------------------------------------------------------------------------

    def claim(self, instance: str, now: dt.datetime, *, limit: int, lease: dt.timedelta,
              recipients: int | None = None, lease_from: dt.datetime | None = None) -> list[Claimed]:
        """Atomically take up to ``limit`` reminders due at ``now`` (and expired claims) for ``instance``.

        With ``recipients``, only those of the first ``recipients`` recipients (channel and address,
        earliest first) among them: as many messages as the caller can start sending at once, so
        that no claim waits out its lease behind other sends. The lease runs from ``lease_from``
        (the current time, when a round claims again later than its ``now``), else from ``now``.
        """
        due = or_(
            and_(reminders.c.status.in_(sources(Event.CLAIMED)), reminders.c.send_after <= now),
            and_(reminders.c.status.in_(sources(Event.LEASE_LAPSED)), reminders.c.lease_until < now),
        )
        pick = (select(reminders.c.id, reminders.c.channel, reminders.c.address).where(due)
                .order_by(reminders.c.send_after, reminders.c.id).limit(limit))
        with self.engine.begin() as conn:
            if self.store.dialect == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            # (SQLite: the transaction began IMMEDIATE, holding the write lock; see store.db)
            found = conn.execute(pick).all()
            if recipients is not None:
                chosen: set[tuple[str, str]] = set()
                for r in found:
                    if len(chosen) < recipients:
                        chosen.add((r.channel, r.address))
                found = [r for r in found if (r.channel, r.address) in chosen]
            ids = [r.id for r in found]
            if not ids:
                return []
            conn.execute(update(reminders).where(reminders.c.id.in_(ids)).values(
                status=target(Event.CLAIMED), claimed_by=instance, lease_until=(lease_from or now) + lease,
                attempts=reminders.c.attempts + 1))
            rows = conn.execute(select(reminders).where(reminders.c.id.in_(ids))
                                .order_by(reminders.c.send_after, reminders.c.id)).all()
        return [Claimed.of(r) for r in rows]

    def renew(self, ids: Sequence[int], instance: str, now: dt.datetime, *, lease: dt.timedelta) -> set[int]:
        """Extend ``instance``'s running claims on ``ids`` to ``now + lease``; the ids renewed.

        One statement, so the check and the extension are one step: a row is renewed only if it is
        still claimed by ``instance`` and its lease has not run out at ``now``. A row not renewed
        may belong to whoever claimed it after the lease ended and must not be sent.
        """
        if not ids:
            return set()
        with self.engine.begin() as conn:
            return {r[0] for r in conn.execute(update(reminders).where(
                reminders.c.id.in_(list(ids)), reminders.c.status.in_(sources(Event.RENEWED)),
                reminders.c.claimed_by == instance, reminders.c.lease_until > now,
            ).values(status=target(Event.RENEWED), lease_until=now + lease).returning(reminders.c.id))}

    def _settle(self, ids: Sequence[int], instance: str, event: Event, **values: Any) -> int:
        with self.engine.begin() as conn:
            if self.store.dialect == "postgresql":
                # An outcome need not wait for the disk: if the database server itself crashed in
                # the next instant, the worst case is one resend, which the channel's journal or
                # the stable Message-ID absorbs. Claims keep full durability.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            return conn.execute(update(reminders).where(
                reminders.c.id.in_(list(ids)), reminders.c.status.in_(sources(event)),
                reminders.c.claimed_by == instance,
            ).values(status=target(event), lease_until=None, **values)).rowcount

    def mark_sent(self, ids: Sequence[int], instance: str, *, now: dt.datetime, late: bool,
                  provider_id: str | None) -> int:
        return self._settle(ids, instance, Event.SENT, sent_at=now, late=late, provider_id=provider_id,
                            last_error=None)

    def mark_retry(self, ids: Sequence[int], instance: str, *, error: str, at: dt.datetime) -> int:
        return self._settle(ids, instance, Event.RETRY, send_after=at, last_error=error, claimed_by=None)

    def mark_failed(self, ids: Sequence[int], instance: str, *, error: str) -> int:
        return self._settle(ids, instance, Event.FAILED, last_error=error)

    def mark_missed(self, ids: Sequence[int], instance: str, *, reason: str) -> int:
        return self._settle(ids, instance, Event.MISSED, last_error=reason)

    def next_due(self, before: dt.datetime) -> dt.datetime | None:
        """The earliest time a pending reminder may be sent, if it is before ``before``."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.min(reminders.c.send_after)).where(
                reminders.c.status == ReminderStatus.PENDING, reminders.c.send_after <= before)).scalar()
        return as_utc(value)

    def get(self, reminder_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reminders).where(reminders.c.id == reminder_id)).first()
        return dict(row._mapping) if row else None

    def as_claimed(self, reminder_id: int) -> Claimed | None:
        """A reminder in the dispatcher's shape (for building its message or calendar file again)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(reminders).where(reminders.c.id == reminder_id)).first()
        return Claimed.of(row) if row else None

    def subscriber_name(self, subscriber_id: int | None) -> str | None:
        if subscriber_id is None:
            return None
        with self.engine.connect() as conn:
            return conn.execute(select(subscribers.c.name).where(subscribers.c.id == subscriber_id)).scalar()

    # -- listings ---------------------------------------------------------------------------------------

    def listing(self, *statuses: str, limit: int = 1000) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(reminders).where(reminders.c.status.in_(statuses))
                                .order_by(reminders.c.send_after, reminders.c.id).limit(limit))
            return [dict(r._mapping) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(
                select(reminders.c.status, func.count()).group_by(reminders.c.status))}


_reported_subscriptions: set[int] = set()


def _log_bad_subscription(row: dict[str, Any], exc: ValueError) -> None:
    if row["subscription_id"] not in _reported_subscriptions:
        _reported_subscriptions.add(row["subscription_id"])
        log.warning("subscription %s of subscriber %s skipped: %s", row["subscription_id"], row["subscriber_id"], exc)


__all__ = ["Claimed", "ReminderStore", "SyncReport"]  # Claimed: from store.claimed, for older imports
