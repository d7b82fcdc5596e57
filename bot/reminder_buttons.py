"""The buttons under a reminder: done, remind me tomorrow, add to my calendar; after done, undo and
"not done today?" (the day it was done: today, yesterday or the duty's date).

A button counts only for a reminder that was sent to this chat with buttons
(:func:`service.actions.reminder_for`); the decisions are service.actions', the words are here.
The message keeps its reminder text; below it, one status paragraph (done by whom, when, on which
day; or undone) that each press replaces, with the buttons that fit the new state.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.callbacks import DoneOn, OnReminder
from bot.people import answer, chat_of, edit, local_time, name_of
from bot.services import BotServices
from i18n import N_, Language, tr
from service import actions
from service.actions import Actor, Completion, Door, Refusal, Refused, Target
from store.subscribers import Subscriber

REFUSALS = {Refusal.GONE: N_("bot.gone"), Refusal.NOT_YOURS: N_("bot.not_yours"),
            Refusal.FUTURE_DAY: N_("bot.not_offered"), Refusal.TOO_EARLY: N_("bot.not_offered"),
            Refusal.NOT_DONE: N_("bot.not_done")}
log = logging.getLogger(__name__)
DUTY_DATE = N_("bot.day.duty_date")  # the day picker's button for the duty's own date
STATUS_MARKS = ("✓", "↩")  # how the status paragraph the bot adds below a reminder starts


async def on_reminder(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                      person: Subscriber, lang: Language, choice: OnReminder | DoneOn) -> None:
    query = update.callback_query
    assert query is not None
    reminder = actions.reminder_for(services.reminders, choice.reminder, person)
    if isinstance(reminder, Refused):
        await answer(query, tr(lang, REFUSALS[reminder.reason]), alert=True)
        return
    actor = Actor(_who(update), Door.BOT, person)
    if isinstance(choice, DoneOn):
        await done_on(query, services, actor, lang, reminder, choice.day)
    elif choice.action == "d":
        await done(query, services, actor, lang, reminder)
    elif choice.action == "u":
        await undo(query, services, actor, lang, reminder)
    elif choice.action == "w":
        await pick_day(query, services, lang, reminder)
    elif choice.action == "z":
        await snooze(query, services, actor, lang, reminder)
    else:
        await ics(update, context, query, services, lang, reminder)


def _who(update: Update) -> str:
    """The person who pressed (in a group, not the group's title)."""
    user = update.effective_user
    return name_of(update) if user is None else " ".join(p for p in (user.first_name, user.last_name) if p)


def _today(services: BotServices) -> dt.date:
    return services.clock().astimezone(services.snapshot().tz).date()


def _reminder_text(query: CallbackQuery) -> str:
    """The message's text without the status paragraph a previous press added."""
    text = query.message.text if query.message is not None and hasattr(query.message, "text") else ""
    head, sep, last = (text or "").rpartition("\n\n")
    return head if sep and last.startswith(STATUS_MARKS) else (text or "")


async def _show(query: CallbackQuery, status: str, markup: InlineKeyboardMarkup) -> None:
    original = _reminder_text(query)
    await edit(query, f"{original}\n\n{status}" if original else status, markup)


def _done_keyboard(lang: Language, rid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr(lang, "bot.button.undo"), callback_data=f"u:{rid}"),
                                  InlineKeyboardButton(tr(lang, "bot.button.not_today"), callback_data=f"w:{rid}")]])


def _done_status(services: BotServices, lang: Language, completion: Completion) -> str:
    at = local_time(completion.at, services.snapshot(), lang)  # in the configured zone, saying which
    day = completion.done_on.isoformat()
    return tr(lang, "bot.done_by", who=completion.by, at=at) + tr(lang, "bot.done_on", day=day)


async def done(query: CallbackQuery, services: BotServices, actor: Actor, lang: Language,
               reminder: dict[str, Any], day: dt.date | None = None) -> None:
    today = _today(services)
    marked = actions.mark_done(services.reminders, Target.of_reminder(reminder), actor, now=services.clock(),
                               done_on=day or today, today=today)
    if isinstance(marked, Refused):
        await answer(query, tr(lang, REFUSALS[marked.reason]), alert=True)
        return
    status = _done_status(services, lang, marked.completion)
    await answer(query, status)
    await _show(query, status, _done_keyboard(lang, reminder["id"]))


async def done_on(query: CallbackQuery, services: BotServices, actor: Actor, lang: Language,
                  reminder: dict[str, Any], day: dt.date) -> None:
    """The day picked: only one the bot offers; it corrects the completion, or marks it done if it is not."""
    target, today = Target.of_reminder(reminder), _today(services)
    if day not in actions.done_on_choices(target, today):
        await answer(query, tr(lang, "bot.not_offered"), alert=True)
        return
    corrected = actions.set_done_on(services.reminders, target, actor, now=services.clock(), done_on=day,
                                    today=today)
    if isinstance(corrected, Refused):  # undone meanwhile: the day picked marks it done
        await done(query, services, actor, lang, reminder, day)
        return
    status = _done_status(services, lang, corrected)
    await answer(query, status)
    await _show(query, status, _done_keyboard(lang, reminder["id"]))


async def pick_day(query: CallbackQuery, services: BotServices, lang: Language, reminder: dict[str, Any]) -> None:
    """Offer the days the duty may have been done on: today, yesterday, its own date when past."""
    target, today = Target.of_reminder(reminder), _today(services)
    names = {today: N_("bot.day.today"), today - dt.timedelta(days=1): N_("bot.day.yesterday")}
    rows = [[InlineKeyboardButton(tr(lang, names.get(day, DUTY_DATE), day=day.strftime("%m-%d")),
                                  callback_data=DoneOn(reminder["id"], day).data)]
            for day in actions.done_on_choices(target, today)]
    rows.append([InlineKeyboardButton(tr(lang, "bot.button.undo"), callback_data=f"u:{reminder['id']}")])
    await answer(query, tr(lang, "bot.pick_day"))
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    except TelegramError as exc:  # as bot.people.edit: e.g. a message too old to edit
        log.warning("could not edit a message's buttons: %s", exc)


async def undo(query: CallbackQuery, services: BotServices, actor: Actor, lang: Language,
               reminder: dict[str, Any]) -> None:
    undone = actions.undo_done(services.reminders, Target.of_reminder(reminder), actor, now=services.clock())
    if undone.removed is None:
        await answer(query, tr(lang, "bot.not_done"), alert=True)
        return
    status = tr(lang, "bot.undone_by", who=actor.name, at=local_time(services.clock(), services.snapshot(), lang))
    await answer(query, status)
    rid = reminder["id"]
    buttons = [(N_("message.button.done"), f"d:{rid}"), (N_("message.button.snooze"), f"z:{rid}"),
               (N_("message.button.add_calendar"), f"c:{rid}")]
    await _show(query, status, InlineKeyboardMarkup([[InlineKeyboardButton(tr(lang, label), callback_data=data)
                                                      for label, data in buttons]]))


async def snooze(query: CallbackQuery, services: BotServices, actor: Actor, lang: Language,
                 reminder: dict[str, Any]) -> None:
    snoozed = actions.snooze(services.reminders, services.snapshot(), reminder, actor, now=services.clock())
    if isinstance(snoozed, Refused):
        await answer(query, tr(lang, REFUSALS[snoozed.reason]), alert=True)
        return
    await answer(query, tr(lang, "bot.snoozed", at=local_time(snoozed.at, services.snapshot(), lang)))


async def ics(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, services: BotServices,
              lang: Language, reminder: dict[str, Any]) -> None:
    data = actions.reminder_ics(services.reminders, services.snapshot(), reminder["id"],
                                base_url=services.public_url, lang=lang)
    if isinstance(data, Refused):
        await answer(query, tr(lang, REFUSALS[data.reason]), alert=True)
        return
    await answer(query)
    await context.bot.send_document(chat_of(update), InputFile(data, filename=f"{reminder['obligation']}.ics"))


__all__ = ["done", "done_on", "ics", "on_reminder", "pick_day", "snooze", "undo"]
