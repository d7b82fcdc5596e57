"""The weekly summary (督查督办周报) to administrators and supervisors: overdue and due-soon windows per unit.

Once a week (``supervision.summary_weekday`` at ``summary_at``, scheduled by service.runner) each
recipient gets one message: the reminder ``admins`` (all units) when ``summary_to_admins``, and each
of ``summary_recipients`` (a supervisor's subtree). The message lists the units with windows
overdue (due in the last :data:`LOOKBACK_DAYS` days) or due soon, worst first, each with its
windows. A chat channel has a size limit: a summary that does not fit is split into numbered
parts, each under the limit (:data:`LIMITS`), never inside a unit's block; a block longer than a
part on its own is cut, ending with a link to the board. :func:`compose` is pure (the day, the
rows and the limit in, the texts out).

The summary is delivered like a reminder: :func:`plan_weekly` stores each part for each recipient
as a row of the reminder store (kind ``summary``, key ``summary|<ISO week>|<channel>:<address>|<part>``,
the text in ``body``), once per week however many instances plan it, and the dispatcher claims,
sends (:func:`message_of`), retries and records it. :func:`send_weekly` is the runner's job at the
summary's time: plan, then dispatch at once.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from i18n import Language, language, tr
from notifiers.base import Message
from notifiers.robots.text import json_size, utf8_size
from obligations.config import Config, SupervisionConfig
from obligations.ruleset import RuleSet
from scheduler.planner import Planned, ReminderKind
from scheduler.snapshot import Snapshot
from service import supervision
from service.board import Row, State
from store.claimed import Claimed
from store.db import Store
from store.reminders import ReminderStore

if TYPE_CHECKING:  # the engine's dispatcher imports this module (message_of)
    from service.engine import ReminderEngine

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 92  # overdue windows due this far back are listed (a quarter)
AHEAD_DAYS = 31  # due-soon windows are looked for this far ahead
CATCH_UP = dt.timedelta(hours=24)  # a summary time no instance planned at is still planned this long after
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # supervision.summary_weekday, Monday 0
# (measure, limit) per channel, below the platform's with room for mentions and the part number;
# channels without an entry (log, email, webhook) take any length
LIMITS: dict[str, tuple[Callable[[str], int], int]] = {
    "wecom": (utf8_size, 3800), "dingtalk": (json_size, 18000), "feishu": (json_size, 18000),
    "telegram": (len, 3900),
}


@dataclass(frozen=True)
class SummaryRecipient:
    channel: str
    address: str
    unit: str | None
    language: Language


def recipients(config: Config) -> list[SummaryRecipient]:
    """The admins (when ``summary_to_admins``) and the supervisors of ``summary_recipients``, once each."""
    out: dict[tuple[str, str], SummaryRecipient] = {}
    if config.supervision.summary_to_admins:
        for admin in config.reminders.admins:
            out.setdefault((admin.channel, admin.address),
                           SummaryRecipient(admin.channel, admin.address, None, config.language))
    for r in config.supervision.summary_recipients:
        out.setdefault((r.channel, r.address), SummaryRecipient(r.channel, r.address, r.unit, r.language))
    return list(out.values())


def rows_for(snapshot: Snapshot, store: Store, unit: str | None, today: dt.date) -> list[Row]:
    """The overdue and due-soon windows of ``unit``'s subtree (all units: None) on ``today``."""
    if unit is not None and unit not in snapshot.rules.units:
        return []
    query = supervision.Query(today - dt.timedelta(days=LOOKBACK_DAYS), today + dt.timedelta(days=AHEAD_DAYS),
                              unit=unit, sort="unit")
    rows = supervision.board(snapshot, store, query, today=today)
    return [r for r in rows if r.state in (State.OVERDUE, State.DUE_SOON)]


def _blocks(rows: Sequence[Row], rules: RuleSet, lang: Language) -> list[list[str]]:
    """One block of lines per unit: the unit's line, then its windows; units with most overdue first."""
    by_unit: dict[str, list[Row]] = {}
    for row in rows:
        by_unit.setdefault(row.unit, []).append(row)

    def worst(item: tuple[str, list[Row]]) -> tuple[int, int, str]:
        uid, mine = item
        return (-sum(r.state == State.OVERDUE for r in mine), -len(mine), uid)

    blocks = []
    for uid, mine in sorted(by_unit.items(), key=worst):
        name = rules.units[uid].name if uid in rules.units else uid
        overdue = sum(r.state == State.OVERDUE for r in mine)
        lines = [tr(lang, "summary.unit", unit=name, overdue=overdue, soon=len(mine) - overdue)]
        for r in sorted(mine, key=lambda r: (r.state != State.OVERDUE, r.due, r.obligation)):
            if r.state == State.OVERDUE:
                lines.append(tr(lang, "summary.overdue_line", title=r.occ.obligation.title, due=r.due.isoformat(),
                                n=r.lateness))
            else:
                lines.append(tr(lang, "summary.soon_line", title=r.occ.obligation.title, due=r.due.isoformat(),
                                n=r.left or 0))
        blocks.append(lines)
    return blocks


def compose(rows: Sequence[Row], rules: RuleSet, lang: Language, *, today: dt.date, board_url: str,
            limit: tuple[Callable[[str], int], int] | None = None) -> list[str]:
    """The summary's text, in parts under ``limit`` (a measure and its maximum); one part without one."""
    overdue = sum(r.state == State.OVERDUE for r in rows)
    head = tr(lang, "summary.head", day=today.isoformat(), weekday=tr(lang, f"weekday.{today.isoweekday()}"),
              overdue=overdue, soon=len(rows) - overdue, units=len({r.unit for r in rows}))
    foot = tr(lang, "summary.foot", url=board_url)
    if not rows:
        return [f"{head}\n{tr(lang, 'summary.nothing')}\n{foot}"]
    blocks = ["\n".join(b) for b in _blocks(rows, rules, lang)]
    if limit is None:
        return ["\n\n".join([head, *blocks, foot])]
    size, most = limit
    room = most - size(f"{head} (99/99)\n\n") - size(f"\n\n{foot}")
    parts: list[list[str]] = [[]]
    cut = tr(lang, "summary.cut", url=board_url)
    for whole in blocks:
        block = whole if size(whole) <= room else _cut(whole, room, size, cut)
        if parts[-1] and size("\n\n".join([*parts[-1], block])) > room:
            parts.append([])
        parts[-1].append(block)
    n = len(parts)
    return ["\n\n".join([head + (f" ({i}/{n})" if n > 1 else ""), *part, foot]) for i, part in enumerate(parts, 1)]


def _cut(block: str, room: int, size: Callable[[str], int], tail: str) -> str:
    """``block``'s first lines that fit in ``room`` with ``tail`` (the link to the board) after them."""
    kept: list[str] = []
    for line in block.split("\n"):
        if size("\n".join([*kept, line, tail])) > room:
            break
        kept.append(line)
    return "\n".join([*kept, tail])


def summary_time(config: SupervisionConfig, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The latest weekly summary time at or before ``now``: ``summary_weekday`` at ``summary_at`` in ``tz``."""
    local = now.astimezone(tz)
    day = local.date() - dt.timedelta(days=(local.weekday() - WEEKDAYS.index(config.summary_weekday)) % 7)
    at = dt.datetime.combine(day, config.summary_at, tz)
    return at if at <= local else dt.datetime.combine(day - dt.timedelta(days=7), config.summary_at, tz)


def week_of(day: dt.date) -> str:
    """``2025-W42``: the ISO week of a summary's day, which names its rows."""
    return "{}-W{:02d}".format(*day.isocalendar()[:2])


def key_of(week: str, recipient: SummaryRecipient, part: int) -> str:
    return f"summary|{week}|{recipient.channel}:{recipient.address}|{part}"


def plan_weekly(snapshot: Snapshot, store: ReminderStore, *, now: dt.datetime, base_url: str,
                catch_up: dt.timedelta = CATCH_UP) -> int:
    """Plan this week's summary for every recipient that has none yet; the parts planned.

    The week is that of the latest summary time at or before ``now`` (:func:`summary_time`), planned
    only until ``catch_up`` after it: a service that was down at the time sends it when it is back
    the same day, never days later. Each recipient's parts are composed from the board as it is at
    ``now`` and stored whole or not at all (:meth:`ReminderStore.add_whole`), so however many
    instances plan the same week, each (recipient, week, part) is one row, sent by the dispatcher.
    """
    config = snapshot.loaded.config
    at = summary_time(config.supervision, now, snapshot.tz)
    if now - at > catch_up:
        return 0
    week = week_of(at.date())
    wanted = recipients(config)
    planned = store.existing([key_of(week, r, 1) for r in wanted])
    today = now.astimezone(snapshot.tz).date()
    count = 0
    for recipient in wanted:
        if key_of(week, recipient, 1) in planned:
            continue
        lang = language(recipient.language)
        rows = rows_for(snapshot, store.store, recipient.unit, today)
        url = f"{base_url}/supervision?state=overdue" + (f"&unit={recipient.unit}" if recipient.unit else "")
        texts = compose(rows, snapshot.rules, lang, today=today, board_url=url, limit=LIMITS.get(recipient.channel))
        subject = tr(lang, "summary.subject", day=today.isoformat())
        count += store.add_whole([
            Planned(key_of(week, recipient, i), ReminderKind.SUMMARY, f"summary/{week}", subject, recipient.unit,
                    today, None, recipient.channel, recipient.address, lang, "", at.astimezone(dt.UTC),
                    now.astimezone(dt.UTC), body=text)
            for i, text in enumerate(texts, 1)], now)
    if count:
        log.info("weekly summary %s: %d part(s) planned", week, count)
    return count


def message_of(row: Claimed) -> Message:
    """A planned part of the summary as a message: its stored text; the subject, written at planning too."""
    text = row.body or ""
    lines = text.split("\n")
    return Message(key=row.key, recipient=row.address, subject=row.obligation, text=text,
                   html="<br>\n".join(html.escape(line) for line in lines),
                   markdown="\n".join(f"**{line}**" if i == 0 else line for i, line in enumerate(lines)),
                   covers=(row.key,))


async def send_weekly(engine: ReminderEngine) -> int:
    """At the summary's time: plan this week's parts (:func:`plan_weekly`) and dispatch at once; the parts planned.

    The dispatcher sends them like reminders: claimed, retried with the backoff, recorded, and its
    failures told to the admins; ``main.py reminders`` lists them while pending or failed.
    """
    count = plan_weekly(engine.snapshot(), engine.store, now=engine.clock(), base_url=engine.dispatcher.base_url)
    await engine.dispatch()
    return count


__all__ = ["CATCH_UP", "LIMITS", "WEEKDAYS", "SummaryRecipient", "compose", "key_of", "message_of", "plan_weekly",
           "recipients", "rows_for", "send_weekly", "summary_time", "week_of"]
