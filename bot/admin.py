"""The admins' commands: /stats, /reload, /approve."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.people import CHANNEL, admin, reply, tell
from i18n import N_, Language, language, tr

# the words for the stores' codes: a subscriber's source, a reminder's status
_SOURCES = {"config": N_("bot.stats.source.config"), "self": N_("bot.stats.source.self"),
            "pending": N_("bot.stats.source.pending")}
_STATUSES = {"pending": N_("bot.stats.status.pending"), "claimed": N_("bot.stats.status.claimed"),
             "sent": N_("bot.stats.status.sent"), "failed": N_("bot.stats.status.failed"),
             "missed": N_("bot.stats.status.missed"), "cancelled": N_("bot.stats.status.cancelled")}
_INACTIVE = " (inactive)"  # how SubscriberStore.counts marks inactive subscribers


def _counts(lang: Language, counts: dict[str, int], words: dict[str, str]) -> str:
    """``配置 4、待批准(未启用)1``: each code in words (an unknown one as it is), never ``config 4``."""
    shown = []
    for key, count in sorted(counts.items()):
        code = key.removesuffix(_INACTIVE)
        name = tr(lang, words[code]) if code in words else code
        if key.endswith(_INACTIVE):
            name = tr(lang, "bot.stats.inactive", what=name)
        shown.append(tr(lang, "bot.stats.count", what=name, count=count))
    return tr(lang, "term.list_separator").join(shown)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    allowed = await admin(update, context)
    if allowed is None:
        return
    services, lang = allowed
    snapshot = services.snapshot()
    subs = _counts(lang, services.subscribers.counts(), _SOURCES)
    reminders = _counts(lang, services.reminders.counts(), _STATUSES)
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
        person = services.subscribers.get(CHANNEL, chat)  # told in the language they asked in
        await tell(context, chat, tr(language(person.language if person else None), "bot.you_are_approved"))
    else:
        await reply(update, tr(lang, "bot.not_pending", chat=chat))


__all__ = ["approve", "reload_command", "stats"]
