"""Reminder planning: occurrences x subscriptions x lead times -> dated reminders.

A pure function of its inputs (no clock, no store): the engine passes ``now``
and the store turns the plan into rows, idempotently, by each reminder's key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from obligations.model import Level
from obligations.offset import Offset, OffsetUnit
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence
from scheduler.reminder_time import REMIND_AT, WorkdaysBefore, opening_time, reminder_time


class ReminderKind(StrEnum):
    """What a reminder row is; its lifecycle (statuses, transitions) is in store.lifecycle.

    Defined here, below the store, because the planner makes reminders and escalations; the store
    adds change notices and the service admin notices. A snoozed reminder keeps its kind
    (``Planned.snoozed``).
    """

    REMINDER = "reminder"  # a lead time before the duty's date
    CHANGED = "changed"  # the duty's date moved (``previous_date`` is the one subscribers knew)
    ESCALATION = "escalation"  # a deadline passed without being marked done
    ADMIN = "admin"  # a notice to the reminder admins (``notice`` says what happened)
    OPENING = "opening"  # an unplaced window opened: do it by its due day (scheduler.reminder_time.opening_time)
    SUMMARY = "summary"  # one part of the weekly supervision summary (service.summary; ``body`` is its text)


@dataclass(frozen=True)
class Subscription:
    """One subscriber's interest, as the planner sees it."""

    subscriber_id: int
    channel: str
    address: str
    language: str = "zh-CN"
    unit: str | None = None
    children: bool = False
    level: str | None = None
    obligation: str | None = None
    tag: str | None = None
    lead_times: tuple[Offset, ...] | None = None  # None: the duty's own reminders
    quiet_hours: tuple[dt.time, dt.time] | None = None
    digest_at: dt.time | None = None  # set: a daily digest at that local time


@dataclass(frozen=True)
class Planned:
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
    lead_time: str  # an offset before the date ("3d", "1wd", "2h"; an escalation's delay); "" for none
    due_at: dt.datetime  # UTC: when the reminder is due
    send_after: dt.datetime  # UTC: due_at moved by quiet hours or a digest time
    previous_date: dt.date | None = None  # kind "changed": the date subscribers knew
    notice: str | None = None  # kind "admin": what happened (store.lifecycle.Notice)
    snoozed: bool = False  # asked again later by its recipient ("remind me tomorrow")
    body: str | None = None  # kind "summary": the message's text, written when it is planned


def parse_quiet_hours(text: str | None) -> tuple[dt.time, dt.time] | None:
    if not text:
        return None
    start, end = text.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def in_quiet_hours(local: dt.datetime, quiet: tuple[dt.time, dt.time]) -> bool:
    start, end = quiet
    t = local.time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # the window crosses midnight


def release_time(local: dt.datetime, quiet: tuple[dt.time, dt.time] | None) -> dt.datetime:
    """``local`` itself, or the end of the quiet hours it falls in."""
    if quiet is None or not in_quiet_hours(local, quiet):
        return local
    end = quiet[1]
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def matches(sub: Subscription, occ: Occurrence, rules: RuleSet) -> bool:
    """Whether ``occ`` is among the duties ``sub`` asked for."""
    if sub.obligation is not None:
        return occ.obligation.id == sub.obligation
    if sub.tag is not None:
        return sub.tag in occ.obligation.tags
    if sub.unit is not None:
        if occ.unit == sub.unit:
            return True
        return sub.children and occ.unit is not None and sub.unit in rules.ancestors(occ.unit)
    if sub.level is not None:
        return occ.unit is not None and rules.units[occ.unit].level is Level(sub.level)
    return True


class SubscriptionIndex:
    """Subscriptions by what they select, so an occurrence meets only those that want it.

    Equivalent to testing :func:`matches` against every subscription, which for 2,000 units
    and a few hundred subscribers is tens of millions of calls per plan.
    """

    def __init__(self, subs: list[Subscription], rules: RuleSet) -> None:
        self.by_unit: dict[str, list[Subscription]] = {}
        self.by_obligation: dict[str, list[Subscription]] = {}
        self.by_tag: dict[str, list[Subscription]] = {}
        self.everything: list[Subscription] = []
        for sub in subs:
            if sub.obligation is not None:
                self.by_obligation.setdefault(sub.obligation, []).append(sub)
            elif sub.tag is not None:
                self.by_tag.setdefault(sub.tag, []).append(sub)
            elif sub.unit is not None:
                units = [sub.unit, *(rules.descendants(sub.unit) if sub.children else [])]
                for uid in units:
                    self.by_unit.setdefault(uid, []).append(sub)
            elif sub.level is not None:
                for uid in rules.units_of_level(Level(sub.level)):
                    self.by_unit.setdefault(uid, []).append(sub)
            else:
                self.everything.append(sub)

    def for_occurrence(self, occ: Occurrence) -> list[Subscription]:
        found = list(self.everything)
        if occ.unit is not None:
            found += self.by_unit.get(occ.unit, [])
        found += self.by_obligation.get(occ.obligation.id, [])
        for tag in occ.obligation.tags:
            found += self.by_tag.get(tag, [])
        return found


def reminder_key(occ_uid: str, subscriber_id: int, lead_time: str, date: dt.date) -> str:
    # the date is part of the key: a moved occurrence is a new reminder (and a "changed" notice)
    return f"{occ_uid}|s{subscriber_id}|{lead_time}|{date.isoformat()}"


def plan(
    occurrences: Iterable[Occurrence],
    subscriptions: Iterable[Subscription],
    *,
    rules: RuleSet,
    tz: ZoneInfo,
    workdays_before: Callable[[Occurrence], WorkdaysBefore],
    done: frozenset[str] | set[str],
    now: dt.datetime,
    until: dt.datetime,
    next_workday: Callable[[Occurrence], Callable[[dt.date], dt.date]] | None = None,
) -> list[Planned]:
    """Reminders due from ``now`` to ``until`` for occurrences not yet done, sorted by time.

    Lead times count back from the occurrence's date (an unplaced window's due day). An unplaced
    window longer than a day also has its opening notice (kind ``opening``) on its first working
    day (``next_workday``: the occurrence's calendar; without it, the window's first day), for
    every subscriber with at least one lead time (no lead times: no messages at all).
    """
    index = SubscriptionIndex(list(subscriptions), rules)
    out: dict[str, Planned] = {}
    # offsets count back from the occurrence (their amounts are never negative) and a window opens
    # before its due day, so an occurrence over before yesterday has nothing left to remind of (the
    # engine expands 45 days back for escalations: nearly half of what it passes in)
    over = now.astimezone(tz).date() - dt.timedelta(days=1)
    for occ in occurrences:
        if occ.uid in done or (occ.date < over and (occ.due is None or occ.due < over)):
            continue
        opens = opening_time(occ, tz, next_workday(occ) if next_workday else (lambda day: day))
        for sub in index.for_occurrence(occ):
            lead_times = sub.lead_times if sub.lead_times is not None else tuple(rules.reminders(occ.obligation))
            if lead_times and opens is not None and now <= opens <= until:
                key = reminder_key(occ.uid, sub.subscriber_id, ReminderKind.OPENING.value, occ.date)
                out[key] = _planned(key, ReminderKind.OPENING, occ, sub, "", opens, tz)
            for lead in lead_times:
                due = reminder_time(occ, lead, tz, workdays_before(occ))
                if not now <= due <= until:
                    continue
                key = reminder_key(occ.uid, sub.subscriber_id, str(lead), occ.date)
                out[key] = _planned(key, ReminderKind.REMINDER, occ, sub, str(lead), due, tz)
    return sorted(out.values(), key=lambda p: (p.send_after, p.key))


def _planned(key: str, kind: ReminderKind, occ: Occurrence, sub: Subscription, lead: str, due: dt.datetime,
             tz: ZoneInfo) -> Planned:
    return Planned(key, kind, occ.uid, occ.obligation.id, occ.unit, occ.date, sub.subscriber_id, sub.channel,
                   sub.address, sub.language, lead, due.astimezone(dt.UTC), _send_after(due, sub, tz))


def _send_after(due: dt.datetime, sub: Subscription, tz: ZoneInfo) -> dt.datetime:
    local = due.astimezone(tz)
    if sub.digest_at is not None:
        local = local.replace(hour=sub.digest_at.hour, minute=sub.digest_at.minute, second=0, microsecond=0)
    local = release_time(local.replace(tzinfo=None), sub.quiet_hours).replace(tzinfo=tz)
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class Contact:
    channel: str
    address: str


def escalations(
    occurrences: Iterable[Occurrence],
    tiers: Iterable[tuple[Offset, str, str]],  # (after, to, channel)
    *,
    rules: RuleSet,
    tz: ZoneInfo,
    admins: Iterable[Contact],
    done: frozenset[str] | set[str],
    now: dt.datetime,
    until: dt.datetime,
) -> list[Planned]:
    """Notices for deadlines not marked done, each tier after its delay past the due day (never the planned one)."""
    admins = list(admins)
    out: list[Planned] = []
    for occ in occurrences:
        if occ.kind != "deadline" or occ.uid in done:
            continue
        for index, (after, to, channel) in enumerate(tiers):
            # the morning after the due day: a window's planned day may pass, its due day is the deadline
            start = dt.datetime.combine((occ.due or occ.date) + dt.timedelta(days=1), REMIND_AT, tz)
            due = start + _delay(after)
            if not now <= due <= until:
                continue
            for contact in _recipients(occ, to, channel, rules, admins):
                key = f"{occ.uid}|escalation{index}|{contact.channel}:{contact.address}|{occ.date.isoformat()}"
                due_utc = due.astimezone(dt.UTC)
                out.append(Planned(key, ReminderKind.ESCALATION, occ.uid, occ.obligation.id, occ.unit, occ.date, None,
                                   contact.channel, contact.address, "zh-CN", str(after), due_utc, due_utc))
    return out


def _delay(after: Offset) -> dt.timedelta:
    """An escalation's delay; the config model refuses working days for it."""
    step = {OffsetUnit.hours: dt.timedelta(hours=1), OffsetUnit.weeks: dt.timedelta(weeks=1)}
    return after.amount * step.get(after.unit, dt.timedelta(days=1))


def _recipients(occ: Occurrence, to: str, channel: str, rules: RuleSet, admins: list[Contact]) -> list[Contact]:
    if to == "admins":
        return admins
    units = list(occ.obligation.lead) if to == "lead" else (
        [rules.units[occ.unit].parent] if occ.unit and rules.units[occ.unit].parent else [])
    contacts: list[Contact] = []
    for uid in units:
        unit = rules.units.get(uid or "")
        for person in unit.contacts if unit else []:
            address = {"email": person.email, "telegram": person.telegram}.get(channel, person.name)
            if address:
                contacts.append(Contact(channel, address))
    return contacts


def urgency(occ: Occurrence, *, done: bool, today: dt.date, last_reminder: dt.date | None) -> str:
    """The duty's colour: done, red (overdue), yellow (from its last reminder), or normal."""
    if done:
        return "done"
    if occ.date < today:
        return "red"
    if last_reminder is not None and today >= last_reminder:
        return "yellow"
    return "normal"


def _lead_time(text: str) -> Offset:
    try:
        return Offset.parse(text)
    except ValueError:
        raise ValueError(f"lead time {text!r} is not an offset such as 7d, 3wd or 2h") from None


def subscription_from(row: Mapping[str, object]) -> Subscription:
    """A planner subscription from a joined subscribers + subscriptions row.

    ValueError, naming the field, for a row the planner could not use (a level that is not a
    :class:`Level`, a lead time, quiet hours or digest time it cannot read): the caller skips it.
    """

    lead = row.get("lead_times")
    digest = row.get("digest_at") if row.get("mode") == "digest" else None
    level = row.get("level")
    if level is not None and level not in Level._value2member_map_:
        raise ValueError(f"level {level!r} is not a valid level ({', '.join(lv.value for lv in Level)})")
    lead_times = None if lead is None else tuple(_lead_time(x) for x in str(lead).split(",") if x)  # "": none
    try:
        quiet_hours = parse_quiet_hours(row.get("quiet_hours"))  # type: ignore[arg-type]
        digest_at = dt.time.fromisoformat(str(digest)) if digest else None
    except ValueError:
        raise ValueError(f"quiet hours {row.get('quiet_hours')!r} or digest time {digest!r} is not a time") from None
    return Subscription(
        subscriber_id=int(row["subscriber_id"]),  # type: ignore[call-overload]
        channel=str(row["channel"]), address=str(row["address"]), language=str(row["language"]),
        unit=row.get("unit"), children=bool(row.get("children")), level=level,  # type: ignore[arg-type]
        obligation=row.get("obligation"), tag=row.get("tag"),  # type: ignore[arg-type]
        lead_times=lead_times, quiet_hours=quiet_hours, digest_at=digest_at,
    )


__all__ = [
    "Contact",
    "Planned",
    "ReminderKind",
    "Subscription",
    "SubscriptionIndex",
    "escalations",
    "in_quiet_hours",
    "matches",
    "parse_quiet_hours",
    "plan",
    "release_time",
    "reminder_key",
    "subscription_from",
    "urgency",
]
