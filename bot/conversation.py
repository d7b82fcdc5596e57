"""The conversation around a chat: /start (asking for access, or an invite code), /help, /feed, /lang."""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.people import (
    CHANNEL,
    active,
    bound,
    chat_of,
    is_admin,
    lang_of,
    local_time,
    name_of,
    person_of,
    reply,
    services_of,
    subs_summary,
    tell,
)
from bot.services import BotServices
from i18n import Language, tr
from service.engine import tell_admins
from store.lifecycle import Notice

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    person = person_of(update, services)
    lang = lang_of(update, person)
    if context.args:
        await redeem(update, context, services, lang, context.args)
        return
    if active(person):
        await reply(update, tr(lang, "bot.welcome_back", name=name_of(update)))
        return
    services.subscribers.request_access(channel=CHANNEL, address=chat_of(update), name=name_of(update),
                                        language=lang, now=services.clock())
    await reply(update, tr(lang, "bot.pending"))
    for admin in services.admin_chats:
        await tell(context, admin, tr("zh-CN", "bot.new_chat", name=name_of(update), chat=chat_of(update)))


async def redeem(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices, lang: Language,
                 args: list[str]) -> None:
    """``/start CODE``, within the invite limits (InviteGuard)."""
    chat, now = chat_of(update), services.clock()
    snapshot = services.snapshot()
    blocked = services.invites.blocked(chat, now)
    if blocked is not None:
        until, tell_them = blocked
        if tell_them:
            await reply(update, tr(lang, "bot.locked_out", until=local_time(until, snapshot, lang)))
        return
    code = callbacks.invite_code(args)
    person = None if code is None else services.subscribers.redeem(
        code, channel=CHANNEL, address=chat, name=name_of(update), language=lang, now=now)
    if person is not None:
        await reply(update, tr(lang, "bot.welcome", name=name_of(update), subs=subs_summary(person, services, lang)))
        return
    lockout = services.invites.failed(chat, now, snapshot.loaded.config.invites)
    if lockout is None:
        await reply(update, tr(lang, "bot.bad_code"))
        return
    scope, until, count = lockout
    await reply(update, tr(lang, "bot.locked_out", until=local_time(until, snapshot, lang)))
    await _locked_out(update, context, services, scope, until, count, now)


async def _locked_out(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices, scope: str,
                      until: dt.datetime, count: int, now: dt.datetime) -> None:
    """Tell the admins a lockout began: in their chats now, and by every other admin channel."""
    chat, snapshot = chat_of(update), services.snapshot()
    admin_lang = snapshot.loaded.config.language  # the administrators read the configured language
    if scope == "chat":
        log.warning("chat %s locked out of invites until %s after %d wrong codes", chat, until.isoformat(), count)
        text = tr(admin_lang, "bot.admin_locked_out", chat=chat, name=name_of(update),
                  until=local_time(until, snapshot, admin_lang))
    else:
        log.warning("every invite locked out until %s after %d wrong codes", until.isoformat(), count)
        text = tr(admin_lang, "bot.admin_locked_out_all", count=count, until=local_time(until, snapshot, admin_lang))
    for admin in sorted(services.admin_chats):
        await tell(context, admin, text)
    tell_admins(services.reminders, snapshot.loaded.config.reminders.admins,
                key=f"invite-lockout|{chat if scope == 'chat' else '*'}|{until.isoformat()}",
                what=Notice.INVITE_LOCKOUT,
                title=text, now=now, day=now.astimezone(snapshot.tz).date(),
                skip={(CHANNEL, a) for a in services.admin_chats})


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    person = person_of(update, services)
    lang = lang_of(update, person)
    if not active(person):
        await reply(update, tr(lang, "bot.not_bound"))
        return
    text = tr(lang, "bot.help")
    if is_admin(update, services, person):
        text += "\n" + tr(lang, "bot.admin_help")
    await reply(update, text)


async def feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, person, lang = chat
    token = services.subscribers.new_feed_token(person.id)
    https = f"{services.public_url}/feeds/t/{token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    await reply(update, tr(lang, "bot.feed", webcal=webcal, https=https))


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, person, lang = chat
    wanted = callbacks.language(context.args or [], lang)
    if wanted is None:
        await reply(update, tr(lang, "bot.bad_lang"))
        return
    services.subscribers.set_language(person.id, wanted)
    await reply(update, tr(wanted, "bot.lang_set"))


__all__ = ["feed", "help_command", "lang_command", "redeem", "start"]
