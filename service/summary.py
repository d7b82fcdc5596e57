"""The weekly summary (督查督办周报) to administrators and supervisors: overdue and due-soon windows per unit.

Once a week (``supervision.summary_weekday`` at ``summary_at``, scheduled by service.runner) each
recipient gets one message: the reminder ``admins`` (all units) when ``summary_to_admins``, and each
of ``summary_recipients`` (a supervisor's subtree). The message lists the units with windows
overdue (due in the last :data:`LOOKBACK_DAYS` days) or due soon, worst first, each with its
windows. A chat channel has a size limit: a summary that does not fit is split into numbered
parts, each under the limit (:data:`LIMITS`), never inside a unit's block; a block longer than a
part on its own is cut, ending with a link to the board. :func:`compose` is pure (the day, the
rows and the limit in, the texts out); :func:`send_weekly` runs it for every recipient on the
engine's clock and channels.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from i18n import Language, language, tr
from notifiers.base import DeliveryError, Message
from notifiers.robots.text import json_size, utf8_size
from obligations.config import Config
from obligations.ruleset import RuleSet
from scheduler.snapshot import Snapshot
from service import supervision
from service.board import Row, State
from service.engine import ReminderEngine
from store.db import Store

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 92  # overdue windows due this far back are listed (a quarter)
AHEAD_DAYS = 31  # due-soon windows are looked for this far ahead
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


def messages_for(recipient: SummaryRecipient, texts: Sequence[str], *, today: dt.date) -> list[Message]:
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    subject = tr(recipient.language, "summary.subject", day=today.isoformat())
    return [Message(key=f"summary|{week}|{recipient.channel}:{recipient.address}|{i}", recipient=recipient.address,
                    subject=subject, text=text, html="<br>\n".join(text.split("\n")),
                    markdown="\n".join(f"**{line}**" if i == 0 else line for i, line in enumerate(text.split("\n"))))
            for i, text in enumerate(texts, 1)]


async def send_weekly(engine: ReminderEngine) -> int:
    """Send this week's summary to every recipient through the engine's channels; the messages sent.

    A channel that fails is logged and skipped (the other recipients still get theirs); the next
    week's summary is complete again. Nothing is stored: a summary is a view of the board.
    """
    now = engine.clock()
    snapshot = engine.snapshot()
    today = now.astimezone(snapshot.tz).date()
    base = engine.dispatcher.base_url
    sent = 0
    for recipient in recipients(snapshot.loaded.config):
        notifier = engine.notifiers.get(recipient.channel)
        if notifier is None:
            log.warning("weekly summary: no channel %r for %s", recipient.channel, recipient.address)
            continue
        lang = language(recipient.language)
        rows = rows_for(snapshot, engine.store.store, recipient.unit, today)
        url = f"{base}/supervision?state=overdue" + (f"&unit={recipient.unit}" if recipient.unit else "")
        texts = compose(rows, snapshot.rules, lang, today=today, board_url=url, limit=LIMITS.get(recipient.channel))
        for message in messages_for(recipient, texts, today=today):
            try:
                await notifier.send(message)
                sent += 1
            except DeliveryError as exc:
                log.warning("weekly summary to %s:%s not sent: %s", recipient.channel, recipient.address, exc)
                break
    log.info("weekly summary: %d message(s) sent", sent)
    return sent


__all__ = ["LIMITS", "SummaryRecipient", "compose", "messages_for", "recipients", "rows_for", "send_weekly"]
