"""The admins' commands: /stats, /reload, /approve."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.people import CHANNEL, admin, reply, tell
from i18n import tr


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    allowed = await admin(update, context)
    if allowed is None:
        return
    services, lang = allowed
    snapshot = services.snapshot()
    subs = ", ".join(f"{k} {v}" for k, v in sorted(services.subscribers.counts().items()))
    reminders = ", ".join(f"{k} {v}" for k, v in sorted(services.reminders.counts().items()))
    await reply(update, tr(lang, "bot.stats", version=snapshot.version, units=len(snapshot.rules.units),
                           duties=len(snapshot.rules.obligations), subs=subs or "0", reminders=reminders or "0"))


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    allowed = await admin(update, context)
    if allowed is None:
        return
    services, lang = allowed
    ok, version, problems = await asyncio.to_thread(services.reload)
    if ok:
        await reply(update, tr(lang, "bot.reloaded", version=version))
    else:
        await reply(update, tr(lang, "bot.reload_failed", version=version, problems="\n".join(problems[:10])))


async def approve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    allowed = await admin(update, context)
    if allowed is None:
        return
    services, lang = allowed
    if not context.args:
        pending = services.subscribers.pending()
        items = "、".join(f"{p.name}({p.address})" for p in pending) or tr(lang, "bot.nothing")
        await reply(update, tr(lang, "bot.pending_list", items=items))
        return
    chat = callbacks.chat_id(context.args)
    if chat is None:
        await reply(update, tr(lang, "bot.bad_chat_id"))
        return
    if services.subscribers.approve(CHANNEL, chat):
        await reply(update, tr(lang, "bot.approved", chat=chat))
        await tell(context, chat, tr("zh-CN", "bot.you_are_approved"))
    else:
        await reply(update, tr(lang, "bot.not_pending", chat=chat))


__all__ = ["approve", "reload_command", "stats"]
