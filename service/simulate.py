"""``simulate``: the real planner and dispatcher on a virtual clock, against a scratch store.

Every day of the range is planned at local midnight, the way the service
plans continuously, and dispatched at each moment something falls due; every
message a channel would receive is captured instead of sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notifiers import BUILT_IN
from notifiers.base import Message, Notifier
from scheduler.snapshot import Snapshot
from service.engine import ReminderEngine
from store import open_store
from store.reminders import ReminderStore


class VirtualClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class CaptureNotifier(Notifier):
    """Stands in for every channel: records what would have been sent."""

    channel = "capture"
    sent: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> str | None:
        self.sent.append(message)
        return None


async def simulate(snapshot: Snapshot, first: dt.date, last: dt.date, *, workdir: Path,
                   base_url: str) -> list[dict[str, Any]]:
    """Every reminder message of ``first..last``, one record per reminder, in delivery order."""
    tz = snapshot.tz
    store = open_store(f"sqlite:///{workdir / 'simulate.db'}")
    try:
        reminders = ReminderStore(store)
        channels = {*BUILT_IN, *(s.channel for s in snapshot.loaded.config.subscribers)}
        capture = CaptureNotifier()
        notifiers: dict[str, Notifier] = dict.fromkeys(channels, capture)
        clock = VirtualClock(dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC))
        engine = ReminderEngine(lambda: snapshot, reminders, notifiers, clock=clock, instance="simulate",
                                base_url=base_url)
        engine.sync_subscribers()
        records: list[dict[str, Any]] = []
        day = first
        while day <= last:
            clock.now = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
            engine.plan()
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
            while (due := reminders.next_due(before=end - dt.timedelta(microseconds=1))) is not None:
                clock.now = max(clock.now, due)
                report = await engine.dispatch()
                for message, rows, late in report.messages:
                    for row in rows:
                        records.append({
                            "due": row.send_after.astimezone(tz).isoformat(),
                            "sent": clock.now.astimezone(tz).isoformat(),
                            "channel": row.channel, "recipient": row.address, "kind": row.kind,
                            "obligation": row.obligation, "unit": row.unit,
                            "date": row.occurrence_date.isoformat(), "lead_time": row.lead_time,
                            "previous_date": row.previous_date.isoformat() if row.previous_date else None,
                            "notice": row.notice, "snoozed": row.snoozed,
                            "late": late, "digest": len(rows) > 1, "text": message.text,
                        })
                if not report.claimed:
                    break
            day += dt.timedelta(days=1)
        return records
    finally:
        store.close()


__all__ = ["CaptureNotifier", "VirtualClock", "simulate"]
