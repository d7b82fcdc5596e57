"""The buttons under a reminder: done, remind me tomorrow, add to my calendar.

A button counts only for a reminder that was sent to this chat with buttons
(:func:`service.actions.reminder_for`); the decisions are service.actions', the words are here.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, InputFile, Update
from telegram.ext import ContextTypes

from bot.callbacks import OnReminder
from bot.people import answer, chat_of, edit, name_of
from bot.services import BotServices
from i18n import N_, Language, tr
from service import actions
from service.actions import Actor, Door, Refusal, Refused, Target
from store.subscribers import Subscriber

REFUSALS = {Refusal.GONE: N_("bot.gone"), Refusal.NOT_YOURS: N_("bot.not_yours")}


async def on_reminder(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                      person: Subscriber, lang: Language, choice: OnReminder) -> None:
    query = update.callback_query
    assert query is not None
    reminder = actions.reminder_for(services.reminders, choice.reminder, person)
    if isinstance(reminder, Refused):
        await answer(query, tr(lang, REFUSALS[reminder.reason]), alert=True)
        return
    if choice.action == "d":
        await done(update, query, services, person, lang, reminder)
    elif choice.action == "z":
        await snooze(query, services, person, lang, reminder)
    else:
        await ics(update, context, query, services, lang, reminder)


def _who(update: Update) -> str:
    """The person who pressed (in a group, not the group's title)."""
    user = update.effective_user
    return name_of(update) if user is None else " ".join(p for p in (user.first_name, user.last_name) if p)


async def done(update: Update, query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
               reminder: dict[str, Any]) -> None:
    marked = actions.mark_done(services.reminders, Target.of_reminder(reminder), Actor(_who(update), Door.BOT, person),
                               now=services.clock())
    at = marked.completion.at.astimezone(services.snapshot().tz)
    note = tr(lang, "bot.done_by", who=marked.completion.by, at=at.strftime("%Y-%m-%d %H:%M"))
    await answer(query, note)
    original = query.message.text if query.message is not None and hasattr(query.message, "text") else ""
    await edit(query, f"{original}\n\n{note}" if original else note)


async def snooze(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
                 reminder: dict[str, Any]) -> None:
    snoozed = actions.snooze(services.reminders, services.snapshot(), reminder, person, now=services.clock())
    if isinstance(snoozed, Refused):
        await answer(query, tr(lang, REFUSALS[snoozed.reason]), alert=True)
        return
    await answer(query, tr(lang, "bot.snoozed", at=snoozed.at.strftime("%Y-%m-%d %H:%M")))


async def ics(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, services: BotServices,
              lang: Language, reminder: dict[str, Any]) -> None:
    data = actions.reminder_ics(services.reminders, services.snapshot(), reminder["id"],
                                base_url=services.public_url, lang=lang)
    if isinstance(data, Refused):
        await answer(query, tr(lang, REFUSALS[data.reason]), alert=True)
        return
    await answer(query)
    await context.bot.send_document(chat_of(update), InputFile(data, filename=f"{reminder['obligation']}.ics"))


__all__ = ["done", "ics", "on_reminder", "snooze"]
