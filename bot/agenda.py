"""/upcoming and /overdue: the chat's duties not marked done (service.actions), in lines."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.people import bound, reply
from i18n import Language, tr
from i18n.shown import is_makeup_day, makeup_label
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot
from service import actions

MAX_LINES = 40  # one message: the rest is counted


def lines(occurrences: tuple[Occurrence, ...], snapshot: Snapshot, lang: Language) -> str:
    rules = snapshot.rules
    expander = snapshot.expander(lang)
    out = []
    for o in occurrences[:MAX_LINES]:
        unit = f" · {rules.units[o.unit].name}" if o.unit else ""
        kind = tr(lang, f"kind.{o.kind}")
        out.append(f"{_day(o, expander, lang)} [{kind}] {o.obligation.title}{unit}")
    if len(occurrences) > MAX_LINES:
        out.append(f"… (+{len(occurrences) - MAX_LINES})")
    return "\n".join(out)


def _day(occ: Occurrence, expander: Expander, lang: Language) -> str:
    """The date, and 调休上班 when it is a weekend working day on the occurrence's calendar."""
    if is_makeup_day(occ.date, expander.calendar_for(occ).is_workday(occ.date)):
        return f"{occ.date.isoformat()} {makeup_label(lang)}"
    return occ.date.isoformat()


async def upcoming(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, person, lang = chat
    days = callbacks.days(context.args or [])
    if days is None:
        await reply(update, tr(lang, "bot.bad_days"))
        return
    snapshot = services.snapshot()
    today = services.clock().astimezone(snapshot.tz).date()
    found = actions.upcoming(services.reminders, services.subscribers, snapshot, person, today=today, days=days)
    await reply(update, tr(lang, "bot.upcoming", days=days) + "\n"
                + (lines(found.occurrences, snapshot, lang) or tr(lang, "bot.nothing")))


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, person, lang = chat
    snapshot = services.snapshot()
    today = services.clock().astimezone(snapshot.tz).date()
    found = actions.overdue(services.reminders, services.subscribers, snapshot, person, today=today)
    await reply(update, tr(lang, "bot.overdue") + "\n"
                + (lines(found.occurrences, snapshot, lang) or tr(lang, "bot.nothing")))


__all__ = ["lines", "overdue", "upcoming"]
