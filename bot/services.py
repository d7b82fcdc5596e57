"""What the bot's handlers share: the services they call and the invite limits kept in memory."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from obligations.config import InviteLimits
from scheduler.snapshot import Clock, Snapshot
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore


@dataclass
class InviteGuard:
    """Wrong invite codes, per chat and overall, kept in this process's memory.

    The ``per_chat``-th wrong code within the window locks that chat out, the ``overall``-th from
    all chats locks every invite out, for ``lockout_minutes``; during a lockout no code is even
    looked up, the chat is told once and the admins once. A restart forgets the counts (a
    restart is far slower than the limits, and the store keeps no per-chat state).
    """

    failures: dict[str, deque[dt.datetime]] = field(default_factory=dict)
    overall: deque[dt.datetime] = field(default_factory=deque)
    locked: dict[str, dt.datetime] = field(default_factory=dict)  # chat -> locked out until
    locked_all: dt.datetime | None = None
    told_all: set[str] = field(default_factory=set)  # chats told about the current overall lockout

    def blocked(self, chat: str, now: dt.datetime) -> tuple[dt.datetime, bool] | None:
        """(until, tell) when ``chat`` may not try a code now; tell: say so (once per lockout)."""
        until = self.locked.get(chat)
        if until is not None:
            if now < until:
                return until, False  # told when it was locked out
            del self.locked[chat]
            self.failures.pop(chat, None)
        if self.locked_all is not None:
            if now < self.locked_all:
                tell = chat not in self.told_all
                self.told_all.add(chat)
                return self.locked_all, tell
            self.locked_all = None
            self.told_all.clear()
            self.overall.clear()
        return None

    def failed(self, chat: str, now: dt.datetime, limits: InviteLimits) -> tuple[str, dt.datetime, int] | None:
        """Count a wrong code; ("chat" | "all", until, count) when it starts a lockout."""
        start = now - dt.timedelta(minutes=limits.window_minutes)
        lockout = now + dt.timedelta(minutes=limits.lockout_minutes)
        mine = self.failures.setdefault(chat, deque())
        for times in (mine, self.overall):
            times.append(now)
            while times and times[0] <= start:
                times.popleft()
        if len(self.failures) > 1000:  # forget chats whose wrong codes are all outside the window
            self.failures = {c: d for c, d in self.failures.items() if d and d[-1] > start}
        if len(self.overall) >= limits.overall:
            self.locked_all = lockout
            self.told_all = {chat}
            return "all", lockout, len(self.overall)
        if len(mine) >= limits.per_chat:
            self.locked[chat] = lockout
            return "chat", lockout, len(mine)
        return None


@dataclass
class BotServices:
    """What the handlers need; built by the service (serve) or by tests."""

    snapshot: Callable[[], Snapshot]
    subscribers: SubscriberStore
    reminders: ReminderStore
    clock: Clock
    public_url: str
    admin_chats: set[str]
    reload: Callable[[], tuple[bool, int, list[str]]]  # (reloaded, version, problems)
    invites: InviteGuard = field(default_factory=InviteGuard)


__all__ = ["BotServices", "InviteGuard"]
