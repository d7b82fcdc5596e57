"""Who is talking to the bot and how to answer them: the chat, its subscriber, its language, replies.

Every handler starts here: :func:`bound` (a subscribed chat) or :func:`admin` (an admin) answer an
unknown or unauthorised chat themselves and hand the handler what it needs, or None.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import callbacks
from bot.services import BotServices
from i18n import Language, shown, tr
from scheduler.snapshot import Snapshot
from store.subscribers import Subscriber

log = logging.getLogger(__name__)
CHANNEL = "telegram"

Bound = tuple[BotServices, Subscriber, Language]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def lang_of(update: Update, person: Subscriber | None) -> Language:
    if person is not None:
        return "en" if person.language == "en" else "zh-CN"
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    return "en" if code.startswith("en") else "zh-CN"


def chat_of(update: Update) -> str:
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


def name_of(update: Update) -> str:
    """The chat's title (a group) or the user's name."""
    user = update.effective_user
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and chat.title:
        return chat.title
    if user is None:
        return chat_of(update)
    return " ".join(p for p in (user.first_name, user.last_name) if p) or user.username or str(user.id)


def person_of(update: Update, services: BotServices) -> Subscriber | None:
    return services.subscribers.get(CHANNEL, chat_of(update))


def active(person: Subscriber | None) -> bool:
    return person is not None and person.active


def is_admin(update: Update, services: BotServices, person: Subscriber | None) -> bool:
    return chat_of(update) in services.admin_chats or (person is not None and person.is_admin)


def local_time(at: dt.datetime, snapshot: Snapshot, lang: Language) -> str:
    """``at`` in the configured zone, saying which (``2026-03-02 09:00(北京时间)``), never bare UTC."""
    return shown.local_time(lang, at, snapshot.tz)


async def bound(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Bound | None:
    """The chat's subscriber, or None after telling an unknown chat how to start (nothing internal)."""
    services = services_of(context)
    person = person_of(update, services)
    lang = lang_of(update, person)
    if not active(person):
        await reply(update, tr(lang, "bot.not_bound"))
        return None
    assert person is not None
    return services, person, lang


async def admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[BotServices, Language] | None:
    """The services for an admin chat, or None after telling anyone else the command is for admins."""
    services = services_of(context)
    person = person_of(update, services)
    lang = lang_of(update, person)
    if not is_admin(update, services, person):
        await reply(update, tr(lang, "bot.admins_only"))
        return None
    return services, lang


# -- saying things -------------------------------------------------------------------------------------


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=markup)


async def tell(context: ContextTypes.DEFAULT_TYPE, chat: str, text: str) -> None:
    """A side message (to an admin, to an approved chat): its failure must not fail the command."""
    try:
        await context.bot.send_message(chat, text)
    except TelegramError as exc:
        log.warning("could not message chat %s: %s", chat, exc)


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button (stop its spinner); a query too old to answer is not an error of ours."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        log.warning("could not answer a button: %s", exc)


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:  # e.g. "message is not modified" when a menu button is pressed twice
        log.warning("could not edit a message: %s", exc)


# -- subscriptions in words -----------------------------------------------------------------------------


def describe_subscription(sub: dict[str, Any], snapshot: Snapshot, lang: Language) -> str:
    rules = snapshot.rules
    if sub["obligation"]:
        ob = rules.obligations.get(sub["obligation"])
        return ob.title if ob else sub["obligation"]
    if sub["unit"]:
        unit = rules.units.get(sub["unit"])
        name = unit.name if unit else sub["unit"]
        return f"{name}({tr(lang, 'term.with_children')})" if sub["children"] else name
    if sub["level"]:
        return tr(lang, f"level.{sub['level']}") if callbacks.level(sub["level"]) else str(sub["level"])
    if sub["tag"]:
        return f"#{sub['tag']}"
    return tr(lang, "term.all_units")


def subs_summary(person: Subscriber, services: BotServices, lang: Language) -> str:
    subs = services.subscribers.subscriptions_of(person.id)
    if not subs:
        return tr(lang, "bot.subs_none")
    snapshot = services.snapshot()
    return tr(lang, "bot.subs_list", items="、".join(describe_subscription(s, snapshot, lang) for s in subs))


__all__ = [
    "CHANNEL",
    "Bound",
    "active",
    "admin",
    "answer",
    "bound",
    "chat_of",
    "describe_subscription",
    "edit",
    "is_admin",
    "lang_of",
    "local_time",
    "name_of",
    "person_of",
    "reply",
    "services_of",
    "subs_summary",
    "tell",
]
