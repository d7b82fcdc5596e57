"""Self-service subscribers: invites, approval, subscriptions chosen in a chat, private feed tokens.

Config subscribers (source "config") are managed by ReminderStore's sync; the
ones here (source "self") are created by people through the bot and survive
restarts and reloads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets as random_secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row

from obligations.model import Level
from store.db import Store
from store.tables import invites, subscribers, subscriptions


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Subscriber:
    """Who receives reminders on one channel address (a row of ``subscribers``, without its feed token)."""

    id: int
    name: str
    channel: str
    address: str
    language: str
    quiet_hours: str | None  # "22:00-07:00"
    mode: str  # "each" or "digest"
    digest_at: str  # "08:30"
    source: str  # "config", "self" (bot or page) or "pending" (asked for access, not yet approved)
    active: bool
    is_admin: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, row: Row[Any]) -> Subscriber:
        return cls(row.id, row.name, row.channel, row.address, row.language, row.quiet_hours, row.mode,
                   row.digest_at, row.source, bool(row.active), bool(row.is_admin), row.created_at)


class SubscriberStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # -- invites ------------------------------------------------------------------------------------

    def create_invite(self, *, unit: str | None, admin: bool, now: dt.datetime) -> str:
        """A new one-time code; only its hash is stored, so print it now or lose it."""
        code = random_secrets.token_urlsafe(9)
        with self.engine.begin() as conn:
            conn.execute(insert(invites).values(code_sha256=_hash(code), unit=unit, admin=admin, created_at=now))
        return code

    def redeem(self, code: str, *, channel: str, address: str, name: str, language: str,
               now: dt.datetime) -> Subscriber | None:
        """Bind ``channel:address`` with an unused code; None when the code is unknown or used."""
        with self.engine.begin() as conn:
            invite = conn.execute(select(invites).where(invites.c.code_sha256 == _hash(code),
                                                        invites.c.used_at.is_(None))).first()
            if invite is None:
                return None
            used = conn.execute(update(invites).where(invites.c.code_sha256 == invite.code_sha256,
                                                      invites.c.used_at.is_(None))
                                .values(used_at=now, used_by=f"{channel}:{address}")).rowcount
            if not used:
                return None  # another chat redeemed it at the same moment
            sid = self._upsert(conn, channel=channel, address=address, name=name, language=language, now=now,
                               active=True, admin=bool(invite.admin))
            if invite.unit:
                conn.execute(insert(subscriptions).values(subscriber_id=sid, unit=invite.unit, children=True))
        return self.get(channel, address)

    # -- subscribers ----------------------------------------------------------------------------------

    def _upsert(self, conn: Any, *, channel: str, address: str, name: str, language: str, now: dt.datetime,
                active: bool, admin: bool = False) -> int:
        row = conn.execute(select(subscribers.c.id, subscribers.c.is_admin).where(
            subscribers.c.channel == channel, subscribers.c.address == address)).first()
        if row is None:
            return int(conn.execute(insert(subscribers).values(
                name=name, channel=channel, address=address, language=language, mode="each", digest_at="08:30",
                source="self", active=active, is_admin=admin, created_at=now,
            ).returning(subscribers.c.id)).scalar_one())
        conn.execute(update(subscribers).where(subscribers.c.id == row.id).values(
            active=active, is_admin=bool(row.is_admin) or admin, name=name))
        return int(row.id)

    def get(self, channel: str, address: str) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscribers).where(subscribers.c.channel == channel,
                                                         subscribers.c.address == address)).first()
        return Subscriber.of(row) if row else None

    def request_access(self, *, channel: str, address: str, name: str, language: str, now: dt.datetime) -> None:
        """A chat without an invite asks to be let in; an admin approves it (inactive until then)."""
        if self.get(channel, address) is not None:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(subscribers).values(
                name=name, channel=channel, address=address, language=language, mode="each", digest_at="08:30",
                source="pending", active=False, is_admin=False, created_at=now))

    def pending(self) -> list[Subscriber]:
        with self.engine.connect() as conn:
            return [Subscriber.of(r) for r in conn.execute(
                select(subscribers).where(subscribers.c.source == "pending").order_by(subscribers.c.id))]

    def approve(self, channel: str, address: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(update(subscribers).where(
                subscribers.c.channel == channel, subscribers.c.address == address,
                subscribers.c.source == "pending").values(source="self", active=True)).rowcount)

    def set_language(self, subscriber_id: int, language: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(language=language))

    def deactivate(self, channel: str, address: str) -> bool:
        """Stop reminding a chat (it blocked the bot); its history stays."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(subscribers).where(
                subscribers.c.channel == channel, subscribers.c.address == address,
                subscribers.c.active.is_(True)).values(active=False)).rowcount)

    # -- subscriptions --------------------------------------------------------------------------------

    def subscribe(self, subscriber_id: int, *, unit: str | None = None, children: bool = False,
                  level: str | None = None, obligation: str | None = None) -> bool:
        """Add one subscription; False when the same one exists. ValueError for a level that is not one."""
        if level is not None:
            level = Level(level).value  # the database refuses it too (migration 0005)
        with self.engine.begin() as conn:
            existing = conn.execute(select(subscriptions.c.id).where(
                subscriptions.c.subscriber_id == subscriber_id,
                subscriptions.c.unit.is_(unit) if unit is None else subscriptions.c.unit == unit,
                subscriptions.c.level.is_(level) if level is None else subscriptions.c.level == level,
                subscriptions.c.obligation.is_(obligation) if obligation is None
                else subscriptions.c.obligation == obligation)).first()
            if existing:
                return False
            conn.execute(insert(subscriptions).values(subscriber_id=subscriber_id, unit=unit, children=children,
                                                      level=level, obligation=obligation))
        return True

    def subscriptions_of(self, subscriber_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(subscriptions).where(subscriptions.c.subscriber_id == subscriber_id)
                .order_by(subscriptions.c.id))]

    def unsubscribe(self, subscriber_id: int, subscription_id: int) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(subscriptions).where(
                subscriptions.c.id == subscription_id, subscriptions.c.subscriber_id == subscriber_id)).rowcount)

    # -- private feed tokens --------------------------------------------------------------------------

    def new_feed_token(self, subscriber_id: int) -> str:
        """A new private feed token for the subscriber (the old link stops working)."""
        token = random_secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id)
                         .values(token_sha256=_hash(token)))
        return token

    def by_feed_token(self, token: str) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscribers).where(subscribers.c.token_sha256 == _hash(token),
                                                         subscribers.c.active.is_(True))).first()
        return Subscriber.of(row) if row else None

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscribers.c.source, subscribers.c.active, func.count())
                                .group_by(subscribers.c.source, subscribers.c.active))
            return {f"{r[0]}{'' if r[1] else ' (inactive)'}": r[2] for r in rows}


__all__ = ["Subscriber", "SubscriberStore"]
