"""A reminder row in the dispatcher's shape: everything needed to send it or build its message again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Row

from store.lifecycle import Notice, ReminderKind


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time in UTC (SQLite gives it back without a zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class Claimed:
    """A claimed reminder: everything the dispatcher needs to send it."""

    id: int
    key: str
    kind: ReminderKind
    occurrence_uid: str
    obligation: str
    unit: str | None
    occurrence_date: dt.date
    subscriber_id: int | None
    channel: str
    address: str
    language: str
    lead_time: str  # an offset ("3d", "1wd", "2h"; an escalation's delay) or ""
    due_at: dt.datetime
    send_after: dt.datetime
    attempts: int
    previous_date: dt.date | None = None  # kind "changed": the date subscribers knew
    notice: Notice | None = None  # kind "admin": what happened
    snoozed: bool = False
    body: str | None = None  # kind "summary": the part's text, as planned

    @classmethod
    def of(cls, row: Row[Any]) -> Claimed:
        return cls(row.id, row.key, ReminderKind(row.kind), row.occurrence_uid, row.obligation, row.unit,
                   row.occurrence_date, row.subscriber_id, row.channel, row.address, row.language, row.lead_time,
                   as_utc(row.due_at), as_utc(row.send_after), row.attempts,  # type: ignore[arg-type]
                   row.previous_date, Notice(row.notice) if row.notice else None, bool(row.snoozed), row.body)


__all__ = ["Claimed", "as_utc"]
