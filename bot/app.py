"""The bot's Application (python-telegram-bot 22): its handlers wired, and the one button handler.

One scheduler in the process: the Application is built without a JobQueue;
reminders come from the engine's APScheduler through the Telegram channel,
whose bot (and rate limiter) the Application shares.

The handlers live by concern: bot/conversation.py (/start, /help, /feed, /lang),
bot/subscriptions.py (the subscription keyboards), bot/agenda.py (/upcoming, /overdue),
bot/reminder_buttons.py (done, snooze, calendar file), bot/admin.py (/stats, /reload, /approve);
who is talking and how to answer them is bot/people.py, what they share bot/services.py.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import admin, agenda, callbacks, conversation, subscriptions
from bot.callbacks import PickDuty, PickLevel, SubDuty, SubLevel, SubUnit, Unsubscribe
from bot.people import active, answer, chat_of, lang_of, person_of, services_of
from bot.reminder_buttons import on_reminder
from bot.services import BotServices, InviteGuard
from i18n import tr

log = logging.getLogger(__name__)

COMMANDS = (("start", conversation.start), ("help", conversation.help_command),
            ("subscribe", subscriptions.subscribe), ("unsubscribe", subscriptions.unsubscribe),
            ("upcoming", agenda.upcoming), ("overdue", agenda.overdue), ("feed", conversation.feed),
            ("lang", conversation.lang_command), ("stats", admin.stats), ("reload", admin.reload_command),
            ("approve", admin.approve))


# Every callback datum is parsed by bot.callbacks into one typed button before anything is used;
# ids are then checked against the rules in force and the store. Anything else is answered
# politely and changes nothing.
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    if update.effective_chat is None:  # a button on an inline message: the bot makes none
        await answer(query)
        return
    services = services_of(context)
    person = person_of(update, services)
    lang = lang_of(update, person)
    if not active(person):
        await answer(query, tr(lang, "bot.not_bound"), alert=True)
        return
    assert person is not None
    choice = callbacks.parse(query.data)
    if choice is None:
        log.warning("chat %s: refused button data %r", chat_of(update), (query.data or "")[:80])
        await answer(query, tr(lang, "bot.bad_button"))
    elif isinstance(choice, PickLevel):
        await subscriptions.pick_level(query, services, lang, choice)
    elif isinstance(choice, PickDuty):
        await subscriptions.pick_duty(query, services, lang, choice)
    elif isinstance(choice, SubUnit | SubLevel | SubDuty):
        await subscriptions.add(query, services, person, lang, choice)
    elif isinstance(choice, Unsubscribe):
        await subscriptions.remove(query, services, person, lang, choice)
    else:
        await on_reminder(update, context, services, person, lang, choice)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler failed (a bug, or the store or Telegram down): log it and answer the user politely."""
    log.error("bot update failed: %s: %s", type(context.error).__name__, context.error, exc_info=context.error)
    if not isinstance(update, Update):
        return
    person = None
    with contextlib.suppress(Exception):
        person = person_of(update, services_of(context)) if update.effective_chat else None
    lang = lang_of(update, person)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(tr(lang, "bot.error"))
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(tr(lang, "bot.error"))
    except TelegramError:
        pass


def build_application(bot: Any, services: BotServices) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().bot(bot).job_queue(None).build()
    app.bot_data["services"] = services
    for name, fn in COMMANDS:
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(CallbackQueryHandler(button))
    app.add_error_handler(on_error)
    return app


__all__ = ["BotServices", "InviteGuard", "build_application"]
