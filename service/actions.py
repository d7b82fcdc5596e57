"""What people do with their duties, one home for every door: mark done, undo, snooze, upcoming, overdue.

Every change (done, undo, the day done corrected, snooze) is appended to the store's history in
the change's own transaction, with who, when and the door (store.history).

The command line, the bot and the web page call these plain functions. Each takes the stores, the
rules in force (:class:`~scheduler.snapshot.Snapshot`), the time (``now`` or ``today``: nothing here
reads the clock), who acts and through which door, and returns a small typed result. Nothing here
words anything for people: each door turns a result into its own sentences through the catalog.
Storage stays in store/; this module decides.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from scheduler.occurrence import Occurrence
from scheduler.planner import ReminderKind, Subscription, matches, subscription_from
from scheduler.reminder_time import REMIND_AT
from scheduler.snapshot import Snapshot
from service.messages import occurrence_ics
from store.claimed import as_utc
from store.reminders import ReminderStore
from store.subscribers import Subscriber, SubscriberStore
from store.waivers import Waivers

log = logging.getLogger(__name__)

NEARBY = dt.timedelta(days=31)  # how far from the given date the CLI looks for the occurrence meant
# the earliest day a duty may be said to be done: this long before its date (a yearly duty's period)
EARLIEST_DONE = dt.timedelta(days=366)
OVERDUE_DAYS = 90  # how far back "overdue" looks
# the kinds of reminder whose message carries buttons (service.messages.compose)
KINDS_WITH_BUTTONS = frozenset({ReminderKind.REMINDER, ReminderKind.CHANGED, ReminderKind.ESCALATION,
                                ReminderKind.OPENING})


class Door(StrEnum):
    """Where an action came in."""

    CLI = "cli"
    BOT = "bot"
    WEB = "web"


@dataclass(frozen=True)
class Actor:
    """Who acts: the name a completion records, the door, and their subscriber row when they have one."""

    name: str
    door: Door
    person: Subscriber | None = None


@dataclass(frozen=True)
class Target:
    """One occurrence of a duty for one unit (or none), as a completion records it."""

    uid: str
    obligation: str
    unit: str | None
    date: dt.date

    @classmethod
    def of(cls, occ: Occurrence) -> Target:
        return cls(occ.uid, occ.obligation.id, occ.unit, occ.date)

    @classmethod
    def of_reminder(cls, reminder: dict[str, Any]) -> Target:
        return cls(reminder["occurrence_uid"], reminder["obligation"], reminder["unit"], reminder["occurrence_date"])


@dataclass(frozen=True)
class Completion:
    """A recorded completion: ``done_on`` the day the work was done, ``at`` when it was recorded (aware UTC)."""

    target: Target
    by: str
    at: dt.datetime
    done_on: dt.date
    note: str = ""
    evidence_url: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Completion:
        at = as_utc(row["done_at"])
        assert at is not None
        return cls(Target(row["occurrence_uid"], row["obligation"], row["unit"], row["occurrence_date"]),
                   row["done_by"], at, row["done_on"], row.get("note") or "", row.get("evidence_url"))


@dataclass(frozen=True)
class Marked:
    """``mark_done``: the completion that stands; ``created`` False when it was already done (theirs stands)."""

    completion: Completion
    created: bool


@dataclass(frozen=True)
class Undone:
    """``undo_done``: the completion removed, or None when the occurrence was not marked done."""

    target: Target
    removed: Completion | None


@dataclass(frozen=True)
class Snoozed:
    """``snooze``: the reminder comes again at ``at`` (aware, the rules' time zone)."""

    reminder_id: int
    at: dt.datetime


class Refusal(StrEnum):
    GONE = "gone"  # no such reminder (any more), or one without buttons
    NOT_YOURS = "not yours"  # sent to someone else
    FUTURE_DAY = "future day"  # a day done after today
    TOO_EARLY = "too early"  # a day done more than EARLIEST_DONE before the duty's date
    NOT_DONE = "not done"  # the day done of an occurrence not marked done


@dataclass(frozen=True)
class Refused:
    reason: Refusal


@dataclass(frozen=True)
class NoOccurrence:
    """``find_occurrence``: nothing on that date; ``nearby`` are the dates that unit has around it."""

    obligation: str
    unit: str | None
    date: dt.date
    nearby: tuple[dt.date, ...]


@dataclass(frozen=True)
class Listing:
    """``upcoming`` / ``overdue``: the person's occurrences not marked done, in date order."""

    occurrences: tuple[Occurrence, ...]
    first: dt.date
    last: dt.date


# -- which occurrence, which reminder ------------------------------------------------------------------


def find_occurrence(snapshot: Snapshot, obligation: str, unit: str | None, date: dt.date) -> Occurrence | NoOccurrence:
    """The occurrence of ``obligation`` for ``unit`` that ``date`` names.

    Its date or its date as written first; else the window holding ``date`` (``window_start <= date
    <= window_end``: any day of the window names it). Two windows hold one day only when the ``next``
    holiday policy stretched one past its period; then the one whose due day is the nearest on or
    after ``date`` is meant (the other one's due day has passed, or is further away).
    """
    return find_window(snapshot, obligation, unit, date)[0]


def find_window(snapshot: Snapshot, obligation: str, unit: str | None,
                date: dt.date) -> tuple[Occurrence | NoOccurrence, tuple[Occurrence, ...]]:
    """:func:`find_occurrence`, and the other windows of the duty and unit that hold ``date`` too
    (a day in two windows: the command line says which one it chose)."""
    # a window may be a year long (1 January to a yearly deadline): look to the year's end for its
    # due day (not further: the next year's holidays may not be known yet)
    last = max(date + NEARBY, dt.date(date.year, 12, 31))
    found = snapshot.expander().expand(date - NEARBY, last, units={unit} if unit else None,
                                       obligations={obligation}).occurrences
    mine = [o for o in found if o.unit == unit]
    holding = [o for o in mine if o.window_start is not None and o.window_end is not None
               and o.window_start <= date <= o.window_end]
    named = next((o for o in mine if date in (o.date, o.nominal)), None)
    if named is None and holding:
        named = min(holding, key=lambda o: _due_distance(o, date))
    if named is not None:
        return named, tuple(o for o in holding if o.uid != named.uid)
    near = {o.date for o in mine if abs(o.date - date) <= NEARBY}
    return NoOccurrence(obligation, unit, date, tuple(sorted(near))), ()


def _due_distance(occ: Occurrence, date: dt.date) -> tuple[bool, int]:
    """Sort key: windows due on or after ``date`` first, nearest due day first."""
    due = occ.due or occ.date
    return (due < date, abs((due - date).days))


def reminder_for(reminders: ReminderStore, reminder_id: int, person: Subscriber) -> dict[str, Any] | Refused:
    """The reminder a button refers to, if it was sent to ``person`` with buttons."""
    reminder = reminders.get(reminder_id)
    if reminder is None or reminder["kind"] not in KINDS_WITH_BUTTONS:
        return Refused(Refusal.GONE)
    if reminder["address"] != person.address or reminder["channel"] != person.channel:
        return Refused(Refusal.NOT_YOURS)
    return reminder


# -- done and undone ----------------------------------------------------------------------------------


def earliest_done_on(target: Target) -> dt.date:
    """The earliest day ``target`` may be said to be done (:data:`EARLIEST_DONE` before its date)."""
    return target.date - EARLIEST_DONE


def done_on_refusal(target: Target, done_on: dt.date, today: dt.date) -> Refusal | None:
    """Why ``done_on`` cannot be the day ``target`` was done (None when it can): not after today, not too early."""
    if done_on > today:
        return Refusal.FUTURE_DAY
    if done_on < earliest_done_on(target):
        return Refusal.TOO_EARLY
    return None


def done_on_choices(target: Target, today: dt.date) -> tuple[dt.date, ...]:
    """The days a button offers for "done on": today, yesterday, and the duty's date when it is past."""
    days = [today, today - dt.timedelta(days=1)]
    if target.date not in days and done_on_refusal(target, target.date, today) is None:
        days.append(target.date)
    return tuple(d for d in days if done_on_refusal(target, d, today) is None)


def mark_done(reminders: ReminderStore, target: Target, actor: Actor, *, now: dt.datetime, done_on: dt.date,
              today: dt.date, note: str = "", evidence_url: str | None = None) -> Marked | Refused:
    """Record ``target`` done on ``done_on`` (its pending reminders are cancelled); a completion already there stands.

    ``today`` is the day of ``now`` in the rules' time zone: ``done_on`` may not be after it.
    """
    refused = done_on_refusal(target, done_on, today)
    if refused is not None:
        return Refused(refused)
    created = reminders.mark_done(uid=target.uid, obligation=target.obligation, unit=target.unit, date=target.date,
                                  by=actor.name[:200], at=now, note=note[:2000], evidence_url=evidence_url,
                                  done_on=done_on, door=actor.door.value)
    row = reminders.completion(target.uid)
    if row is None:  # undone by someone else in between: report what was asked
        completion = Completion(target, actor.name[:200], now.astimezone(dt.UTC), done_on, note, evidence_url)
    else:
        completion = Completion.of(row)
    if created:
        log.info("%s marked done on %s by %s via %s", target.uid, done_on, actor.name, actor.door.value)
    return Marked(completion, created)


def set_done_on(reminders: ReminderStore, target: Target, actor: Actor, *, now: dt.datetime, done_on: dt.date,
                today: dt.date) -> Completion | Refused:
    """Correct the day ``target`` was done; NOT_DONE when it is not marked done."""
    refused = done_on_refusal(target, done_on, today)
    if refused is not None:
        return Refused(refused)
    row = reminders.set_done_on(target.uid, done_on, by=actor.name[:200], at=now, door=actor.door.value)
    return Refused(Refusal.NOT_DONE) if row is None else Completion.of(row)


def undo_done(reminders: ReminderStore, target: Target, actor: Actor, *, now: dt.datetime) -> Undone:
    """Remove ``target``'s completion; the next planning run plans its reminders again."""
    row = reminders.undo_done(target.uid, now=now, by=actor.name[:200], door=actor.door.value)
    if row is not None:
        log.info("%s no longer done (undone by %s via %s)", target.uid, actor.name, actor.door.value)
    return Undone(target, Completion.of(row) if row is not None else None)


# -- snooze and the calendar file ---------------------------------------------------------------------


def snooze_time(snapshot: Snapshot, unit: str | None, now: dt.datetime) -> dt.datetime:
    """09:00 (:data:`REMIND_AT`) on the unit's next working day after today, in the rules' time zone."""
    today = now.astimezone(snapshot.tz).date()
    calendar = snapshot.calendar
    if unit in snapshot.rules.unit_file:
        calendar = snapshot.expander().calendar_of_file(snapshot.rules.unit_file[unit])
    return dt.datetime.combine(calendar.next_workday(today + dt.timedelta(days=1)), REMIND_AT, snapshot.tz)


def snooze(reminders: ReminderStore, snapshot: Snapshot, reminder: dict[str, Any], actor: Actor, *,
           now: dt.datetime) -> Snoozed | Refused:
    """Remind the actor (their subscriber row) of ``reminder`` again on the next working day (once a day)."""
    person = actor.person
    assert person is not None, "a snooze is for a subscriber"
    at = snooze_time(snapshot, reminder["unit"], now)
    if not reminders.snooze(reminder["id"], at=at, address=person.address, language=person.language, now=now,
                            by=actor.name[:200], door=actor.door.value):
        return Refused(Refusal.GONE)
    return Snoozed(reminder["id"], at)


def reminder_ics(reminders: ReminderStore, snapshot: Snapshot, reminder_id: int, *, base_url: str,
                 lang: str) -> bytes | Refused:
    """The reminded occurrence as a one-event calendar file; GONE when it or its duty is gone."""
    row = reminders.as_claimed(reminder_id)
    data = None if row is None else occurrence_ics(row, snapshot, base_url=base_url,
                                                   lang="en" if lang == "en" else "zh-CN")
    return Refused(Refusal.GONE) if data is None else data


# -- what is coming, what is late ---------------------------------------------------------------------


def subscriptions_of(subscribers: SubscriberStore, person: Subscriber) -> list[Subscription]:
    """The person's subscriptions as the planner reads them; one it cannot read is left out (as planning does)."""
    out = []
    for s in subscribers.subscriptions_of(person.id):
        try:
            out.append(subscription_from({**s, "channel": person.channel, "address": person.address,
                                          "language": person.language, "quiet_hours": None, "mode": "each",
                                          "digest_at": None}))
        except ValueError:
            continue  # planning skips it too, and tells the admins
    return out


def _mine(reminders: ReminderStore, subscribers: SubscriberStore, snapshot: Snapshot, person: Subscriber,
          first: dt.date, last: dt.date, *, deadlines_only: bool) -> Listing:
    subs = subscriptions_of(subscribers, person)
    done = reminders.done_uids() | Waivers(reminders.store).waived_uids()  # a waived window is owed by nobody
    found = snapshot.expander().expand(first, last).occurrences
    mine = tuple(o for o in found if o.uid not in done and (not deadlines_only or o.kind == "deadline")
                 and any(matches(s, o, snapshot.rules) for s in subs))
    return Listing(mine, first, last)


def upcoming(reminders: ReminderStore, subscribers: SubscriberStore, snapshot: Snapshot, person: Subscriber, *,
             today: dt.date, days: int) -> Listing:
    """The person's occurrences from today to ``days`` days ahead, not marked done."""
    return _mine(reminders, subscribers, snapshot, person, today, today + dt.timedelta(days=days),
                 deadlines_only=False)


def overdue(reminders: ReminderStore, subscribers: SubscriberStore, snapshot: Snapshot, person: Subscriber, *,
            today: dt.date) -> Listing:
    """The person's deadlines of the last :data:`OVERDUE_DAYS` days before today, not marked done."""
    return _mine(reminders, subscribers, snapshot, person, today - dt.timedelta(days=OVERDUE_DAYS),
                 today - dt.timedelta(days=1), deadlines_only=True)


__all__ = [
    "EARLIEST_DONE",
    "KINDS_WITH_BUTTONS",
    "Actor",
    "Completion",
    "Door",
    "Listing",
    "Marked",
    "NoOccurrence",
    "Refusal",
    "Refused",
    "Snoozed",
    "Target",
    "Undone",
    "done_on_choices",
    "done_on_refusal",
    "earliest_done_on",
    "find_occurrence",
    "find_window",
    "mark_done",
    "overdue",
    "reminder_for",
    "reminder_ics",
    "set_done_on",
    "snooze",
    "snooze_time",
    "subscriptions_of",
    "undo_done",
    "upcoming",
]
