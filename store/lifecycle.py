"""A reminder's lifecycle: its statuses, the events that move it, and what an admin notice reports.

Every planned message is a row in ``reminders`` (store.tables). It starts ``pending``; a
dispatcher claims it (a lease); the holder of the claim settles it. The table below is the
whole lifecycle: :func:`advance` applies one event to one status, and the store's set-based
SQL asks :func:`sources` which statuses an event may update (``WHERE status IN (...)``) and
:func:`target` what it writes, so the code and this table cannot drift apart.

=============  ==============================  ===========
event          from                            to
=============  ==============================  ===========
claimed        pending (due)                   claimed
lease lapsed   claimed (its lease ran out)     claimed (by whoever claims it next)
renewed        claimed (lease still running)   claimed
sent           claimed                         sent
retry          claimed                         pending (send_after moved by the backoff)
failed         claimed                         failed
missed         claimed                         missed (the duty's date passed first)
cancelled      pending                         cancelled (done, moved, unsubscribed)
=============  ==============================  ===========

``sent``, ``failed``, ``missed`` and ``cancelled`` are final. A claimed reminder is never
cancelled: its send may be under way, and its holder settles it.

The kinds of reminder are :class:`scheduler.planner.ReminderKind` (re-exported here): the
planner, below the store, makes them (``opening``, the notice that an unplaced window opened,
since migration 0008). Every kind follows the one table above.
"""

from __future__ import annotations

from enum import StrEnum

from scheduler.planner import ReminderKind


class ReminderStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Event(StrEnum):
    CLAIMED = "claimed"
    LEASE_LAPSED = "lease lapsed"
    RENEWED = "renewed"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Notice(StrEnum):
    """What an admin notice (kind "admin") reports; the ``notice`` column allows only these."""

    FAILED = "failed"  # a reminder failed for good
    MISSED = "missed"  # a reminder's date passed before it could be sent
    BAD_SUBSCRIPTION = "bad subscription"  # planning skipped a subscription it cannot read
    INVITE_LOCKOUT = "invite lockout"  # too many wrong invite codes
    LOGIN_LOCKOUT = "login lockout"  # too many wrong passwords for one account name (migration 0009)


S = ReminderStatus
TRANSITIONS: dict[Event, tuple[frozenset[ReminderStatus], ReminderStatus]] = {
    Event.CLAIMED: (frozenset({S.PENDING}), S.CLAIMED),
    Event.LEASE_LAPSED: (frozenset({S.CLAIMED}), S.CLAIMED),
    Event.RENEWED: (frozenset({S.CLAIMED}), S.CLAIMED),
    Event.SENT: (frozenset({S.CLAIMED}), S.SENT),
    Event.RETRY: (frozenset({S.CLAIMED}), S.PENDING),
    Event.FAILED: (frozenset({S.CLAIMED}), S.FAILED),
    Event.MISSED: (frozenset({S.CLAIMED}), S.MISSED),
    Event.CANCELLED: (frozenset({S.PENDING}), S.CANCELLED),
}
FINAL = frozenset({S.SENT, S.FAILED, S.MISSED, S.CANCELLED})
# a reminder its recipient has received or will receive (the dates subscribers know, for change notices)
LIVE_OR_SENT = (S.PENDING, S.CLAIMED, S.SENT)


class IllegalTransition(ValueError):
    """An event that cannot happen to a reminder in its status (a bug, or a row settled by someone else)."""

    def __init__(self, status: ReminderStatus, event: Event) -> None:
        allowed = sorted(e.value for e, (froms, _) in TRANSITIONS.items() if status in froms)
        super().__init__(f"a {status.value} reminder cannot be {event.value}; "
                         f"it can be: {', '.join(allowed) if allowed else 'nothing (final)'}")
        self.status = status
        self.event = event


def advance(status: ReminderStatus | str, event: Event | str) -> ReminderStatus:
    """The status after ``event``; :class:`IllegalTransition` if ``event`` cannot happen in ``status``.

    ValueError for a status or event that is not one.
    """
    status, event = ReminderStatus(status), Event(event)
    froms, to = TRANSITIONS[event]
    if status not in froms:
        raise IllegalTransition(status, event)
    return to


def sources(event: Event) -> tuple[ReminderStatus, ...]:
    """The statuses ``event`` may update, in declaration order (for ``WHERE status IN (...)``)."""
    froms = TRANSITIONS[event][0]
    return tuple(s for s in ReminderStatus if s in froms)


def target(event: Event) -> ReminderStatus:
    return TRANSITIONS[event][1]


__all__ = [
    "FINAL",
    "LIVE_OR_SENT",
    "TRANSITIONS",
    "Event",
    "IllegalTransition",
    "Notice",
    "ReminderKind",
    "ReminderStatus",
    "advance",
    "sources",
    "target",
]
