"""The bot's handlers and the Application that runs them (python-telegram-bot 22).

One scheduler in the process: the Application is built without a JobQueue;
reminders come from the engine's APScheduler through the Telegram channel,
whose bot (and rate limiter) the Application shares.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.texts import say
from obligations.i18n import Language, t
from obligations.live import Clock, Snapshot
from obligations.model import Level
from scheduler.planner import Planned, Subscription, matches, subscription_from
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore

log = logging.getLogger(__name__)
CHANNEL = "telegram"
PAGE = 8


@dataclass
class BotServices:
    """What the handlers need; built by the service (serve) or by tests."""

    snapshot: Callable[[], Snapshot]
    subscribers: SubscriberStore
    reminders: ReminderStore
    clock: Clock
    public_url: str
    admin_chats: set[str]
    reload: Callable[[], tuple[bool, int, list[str]]]  # (reloaded, version, problems)


def _services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def _lang_of(update: Update, person: dict[str, Any] | None) -> Language:
    if person is not None:
        return "en" if person["language"] == "en" else "zh-CN"
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    return "en" if code.startswith("en") else "zh-CN"


def _chat(update: Update) -> str:
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


def _name(update: Update) -> str:
    user = update.effective_user
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and chat.title:
        return chat.title
    if user is None:
        return _chat(update)
    return " ".join(p for p in (user.first_name, user.last_name) if p) or user.username or str(user.id)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=markup)


def _person(update: Update, services: BotServices) -> dict[str, Any] | None:
    return services.subscribers.get(CHANNEL, _chat(update))


def _active(person: dict[str, Any] | None) -> bool:
    return bool(person and person["active"])


def _is_admin(update: Update, services: BotServices, person: dict[str, Any] | None) -> bool:
    return _chat(update) in services.admin_chats or bool(person and person.get("is_admin"))


def _describe_subscription(sub: dict[str, Any], snapshot: Snapshot, lang: Language) -> str:
    rules = snapshot.rules
    if sub["obligation"]:
        ob = rules.obligations.get(sub["obligation"])
        return ob.title if ob else sub["obligation"]
    if sub["unit"]:
        unit = rules.units.get(sub["unit"])
        name = unit.name if unit else sub["unit"]
        return f"{name}({t('with_children', lang)})" if sub["children"] else name
    if sub["level"]:
        return t(f"level_{sub['level']}", lang)
    if sub["tag"]:
        return f"#{sub['tag']}"
    return t("all_units", lang)


def _subs_summary(person: dict[str, Any], services: BotServices, lang: Language) -> str:
    subs = services.subscribers.subscriptions_of(person["id"])
    if not subs:
        return say("subs_none", lang)
    snapshot = services.snapshot()
    return say("subs_list", lang, items="、".join(_describe_subscription(s, snapshot, lang) for s in subs))


# -- commands -----------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if context.args:
        bound = services.subscribers.redeem(context.args[0], channel=CHANNEL, address=_chat(update),
                                            name=_name(update), language=lang, now=services.clock())
        if bound is None:
            await _reply(update, say("bad_code", lang))
            return
        await _reply(update, say("welcome", lang, name=_name(update), subs=_subs_summary(bound, services, lang)))
        return
    if _active(person):
        await _reply(update, say("welcome_back", lang, name=_name(update)))
        return
    services.subscribers.request_access(channel=CHANNEL, address=_chat(update), name=_name(update), language=lang,
                                        now=services.clock())
    await _reply(update, say("pending", lang))
    for admin in services.admin_chats:
        await _tell(context, admin, say("new_chat", "zh-CN", name=_name(update), chat=_chat(update)))


async def _tell(context: ContextTypes.DEFAULT_TYPE, chat: str, text: str) -> None:
    """A side message (to an admin, to an approved chat): its failure must not fail the command."""
    try:
        await context.bot.send_message(chat, text)
    except TelegramError as exc:
        log.warning("could not message chat %s: %s", chat, exc)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _active(person):
        await _reply(update, say("not_bound", lang))
        return
    text = say("help", lang)
    if _is_admin(update, services, person):
        text += "\n" + say("admin_help", lang)
    await _reply(update, text)


Bound = tuple[BotServices, dict[str, Any], Language]


async def _bound(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Bound | None:
    """The chat's subscriber, or None after telling an unknown chat how to start (nothing internal)."""
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _active(person):
        await _reply(update, say("not_bound", lang))
        return None
    assert person is not None
    return services, person, lang


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, _, lang = bound
    levels = [lv for lv in Level if services.snapshot().rules.units_of_level(lv)]
    rows = [[InlineKeyboardButton(t(f"level_{lv.value}", lang), callback_data=f"sl:{lv.value}:0")] for lv in levels]
    rows.append([InlineKeyboardButton(say("by_duty", lang), callback_data="so:0")])
    await _reply(update, say("choose_kind", lang), InlineKeyboardMarkup(rows))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    subs = services.subscribers.subscriptions_of(person["id"])
    if not subs:
        await _reply(update, say("subs_none", lang))
        return
    snapshot = services.snapshot()
    rows = [[InlineKeyboardButton(_describe_subscription(s, snapshot, lang), callback_data=f"x:{s['id']}")]
            for s in subs]
    await _reply(update, say("unsub_choose", lang), InlineKeyboardMarkup(rows))


def _person_subscriptions(services: BotServices, person: dict[str, Any]) -> list[Subscription]:
    return [subscription_from({**s, "channel": CHANNEL, "address": person["address"],
                               "language": person["language"], "quiet_hours": None, "mode": "each",
                               "digest_at": None}) for s in services.subscribers.subscriptions_of(person["id"])]


def _lines(occurrences: list[Any], snapshot: Snapshot, lang: Language) -> str:
    rules = snapshot.rules
    out = []
    for o in occurrences[:40]:
        unit = f" · {rules.units[o.unit].name}" if o.unit else ""
        kind = t(o.kind, lang)
        out.append(f"{o.date.isoformat()} [{kind}] {o.obligation.title}{unit}")
    if len(occurrences) > 40:
        out.append(f"… (+{len(occurrences) - 40})")
    return "\n".join(out)


async def upcoming(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    days = 14
    if context.args and context.args[0].isdigit():
        days = max(1, min(int(context.args[0]), 180))
    snapshot = services.snapshot()
    today = services.clock().astimezone(snapshot.tz).date()
    subs = _person_subscriptions(services, person)
    done = services.reminders.done_uids()
    found = snapshot.expander().expand(today, today + dt.timedelta(days=days)).occurrences
    mine = [o for o in found if o.uid not in done and any(matches(s, o, snapshot.rules) for s in subs)]
    await _reply(update, say("upcoming", lang, days=days) + "\n" + (_lines(mine, snapshot, lang)
                                                                   or say("nothing", lang)))


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    snapshot = services.snapshot()
    today = services.clock().astimezone(snapshot.tz).date()
    subs = _person_subscriptions(services, person)
    done = services.reminders.done_uids()
    found = snapshot.expander().expand(today - dt.timedelta(days=90), today - dt.timedelta(days=1)).occurrences
    mine = [o for o in found if o.kind == "deadline" and o.uid not in done
            and any(matches(s, o, snapshot.rules) for s in subs)]
    await _reply(update, say("overdue", lang) + "\n" + (_lines(mine, snapshot, lang) or say("nothing", lang)))


async def feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    token = services.subscribers.new_feed_token(person["id"])
    https = f"{services.public_url}/feeds/t/{token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    await _reply(update, say("feed", lang, webcal=webcal, https=https))


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    wanted: Language = "en" if (context.args[0].lower().startswith("en") if context.args else lang == "zh-CN") \
        else "zh-CN"
    services.subscribers.set_language(person["id"], wanted)
    await _reply(update, say("lang_set", wanted))


async def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[BotServices, Language] | None:
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _is_admin(update, services, person):
        await _reply(update, say("admins_only", lang))
        return None
    return services, lang


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    services, lang = admin
    snapshot = services.snapshot()
    subs = ", ".join(f"{k} {v}" for k, v in sorted(services.subscribers.counts().items()))
    reminders = ", ".join(f"{k} {v}" for k, v in sorted(services.reminders.counts().items()))
    await _reply(update, say("stats", lang, version=snapshot.version, units=len(snapshot.rules.units),
                             duties=len(snapshot.rules.obligations), subs=subs or "0", reminders=reminders or "0"))


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    services, lang = admin
    ok, version, problems = await asyncio.to_thread(services.reload)
    if ok:
        await _reply(update, say("reloaded", lang, version=version))
    else:
        await _reply(update, say("reload_failed", lang, version=version, problems="\n".join(problems[:10])))


async def approve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    services, lang = admin
    if not context.args:
        pending = services.subscribers.pending()
        items = "、".join(f"{p['name']}({p['address']})" for p in pending) or say("nothing", lang)
        await _reply(update, say("pending_list", lang, items=items))
        return
    chat = context.args[0]
    if services.subscribers.approve(CHANNEL, chat):
        await _reply(update, say("approved", lang, chat=chat))
        await _tell(context, chat, say("you_are_approved", "zh-CN"))
    else:
        await _reply(update, say("not_pending", lang, chat=chat))


# -- buttons ------------------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _active(person):
        await query.answer(say("not_bound", lang), show_alert=True)
        return
    assert person is not None
    kind, _, rest = query.data.partition(":")
    handler = {"sl": _pick_level, "so": _pick_duty, "su": _sub_unit, "sv": _sub_level, "sd": _sub_duty,
               "x": _unsub, "d": _done, "z": _snooze, "c": _ics}.get(kind)
    if handler is None:
        await query.answer()
        return
    await handler(update, context, services, person, lang, rest)


async def _pick_level(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                      person: dict[str, Any], lang: Language, rest: str) -> None:
    level, _, page_text = rest.partition(":")
    page = int(page_text or 0)
    rules = services.snapshot().rules
    units = sorted(rules.units_of_level(Level(level)))
    pages = max(1, (len(units) + PAGE - 1) // PAGE)
    rows = [[InlineKeyboardButton(rules.units[u].name, callback_data=f"su:{u}")]
            for u in units[page * PAGE:(page + 1) * PAGE] if len(f"su:{u}".encode()) <= 64]
    rows.append([InlineKeyboardButton(say("all_of_level", lang), callback_data=f"sv:{level}")])
    if page + 1 < pages:
        rows.append([InlineKeyboardButton(say("more", lang), callback_data=f"sl:{level}:{page + 1}")])
    assert update.callback_query is not None
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(say("choose_unit", lang, page=page + 1, pages=pages),
                                                  reply_markup=InlineKeyboardMarkup(rows))


async def _pick_duty(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                     person: dict[str, Any], lang: Language, rest: str) -> None:
    page = int(rest or 0)
    rules = services.snapshot().rules
    duties = [ob for ob in rules.obligations.values() if ob.schedule.type != "unscheduled"]
    pages = max(1, (len(duties) + PAGE - 1) // PAGE)
    rows = [[InlineKeyboardButton(ob.title[:60], callback_data=f"sd:{ob.id}")]
            for ob in duties[page * PAGE:(page + 1) * PAGE] if len(f"sd:{ob.id}".encode()) <= 64]
    if page + 1 < pages:
        rows.append([InlineKeyboardButton(say("more", lang), callback_data=f"so:{page + 1}")])
    assert update.callback_query is not None
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(say("choose_duty", lang, page=page + 1, pages=pages),
                                                  reply_markup=InlineKeyboardMarkup(rows))


async def _subscribed(update: Update, added: bool, what: str, lang: Language) -> None:
    assert update.callback_query is not None
    text = say("subscribed" if added else "already", lang, what=what)
    await update.callback_query.answer(text)
    await update.callback_query.edit_message_text(text)


async def _sub_unit(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                    person: dict[str, Any], lang: Language, unit: str) -> None:
    rules = services.snapshot().rules
    if unit not in rules.units:
        await update.callback_query.answer(say("gone", lang))  # type: ignore[union-attr]
        return
    added = services.subscribers.subscribe(person["id"], unit=unit)
    await _subscribed(update, added, rules.units[unit].name, lang)


async def _sub_level(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                     person: dict[str, Any], lang: Language, level: str) -> None:
    added = services.subscribers.subscribe(person["id"], level=level)
    await _subscribed(update, added, t(f"level_{level}", lang), lang)


async def _sub_duty(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                    person: dict[str, Any], lang: Language, duty: str) -> None:
    ob = services.snapshot().rules.obligations.get(duty)
    if ob is None:
        await update.callback_query.answer(say("gone", lang))  # type: ignore[union-attr]
        return
    added = services.subscribers.subscribe(person["id"], obligation=duty)
    await _subscribed(update, added, ob.title, lang)


async def _unsub(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                 person: dict[str, Any], lang: Language, rest: str) -> None:
    subs = {str(s["id"]): s for s in services.subscribers.subscriptions_of(person["id"])}
    sub = subs.get(rest)
    assert update.callback_query is not None
    if sub is None or not services.subscribers.unsubscribe(person["id"], sub["id"]):
        await update.callback_query.answer(say("gone", lang))
        return
    text = say("unsubscribed", lang, what=_describe_subscription(sub, services.snapshot(), lang))
    await update.callback_query.answer(text)
    await update.callback_query.edit_message_text(text)


async def _owned(query: Any, services: BotServices, person: dict[str, Any], lang: Language,
                 rest: str) -> dict[str, Any] | None:
    """The reminder a button refers to, if it was sent to this chat; else an alert and None."""
    reminder = _reminder_of(services, person, rest)
    if isinstance(reminder, str):
        await query.answer(say(reminder, lang), show_alert=True)
        return None
    return reminder


def _reminder_of(services: BotServices, person: dict[str, Any], rest: str) -> dict[str, Any] | str:
    reminder = services.reminders.get(int(rest)) if rest.isdigit() else None
    if reminder is None:
        return "gone"
    if reminder["address"] != person["address"] or reminder["channel"] != CHANNEL:
        return "not_yours"
    return reminder


async def _done(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                person: dict[str, Any], lang: Language, rest: str) -> None:
    query = update.callback_query
    assert query is not None
    reminder = await _owned(query, services, person, lang, rest)
    if reminder is None:
        return
    who = _name(update) if update.effective_user is None else " ".join(
        p for p in (update.effective_user.first_name, update.effective_user.last_name) if p)
    now = services.clock()
    services.reminders.mark_done(uid=reminder["occurrence_uid"], obligation=reminder["obligation"],
                                 unit=reminder["unit"], date=reminder["occurrence_date"], by=who, at=now)
    completion = services.reminders.completion(reminder["occurrence_uid"]) or {"done_by": who, "done_at": now}
    at = completion["done_at"]
    at_local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(services.snapshot().tz)
    note = say("done_by", lang, who=completion["done_by"], at=at_local.strftime("%Y-%m-%d %H:%M"))
    await query.answer(note)
    original = query.message.text if query.message is not None and hasattr(query.message, "text") else ""
    await query.edit_message_text(f"{original}\n\n{note}" if original else note)


async def _snooze(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                  person: dict[str, Any], lang: Language, rest: str) -> None:
    query = update.callback_query
    assert query is not None
    reminder = await _owned(query, services, person, lang, rest)
    if reminder is None:
        return
    snapshot = services.snapshot()
    now = services.clock()
    today = now.astimezone(snapshot.tz).date()
    unit_calendar = snapshot.calendar
    if reminder["unit"] in snapshot.rules.unit_file:
        unit_calendar = snapshot.expander().calendar_of_file(snapshot.rules.unit_file[reminder["unit"]])
    day = unit_calendar.next_workday(today + dt.timedelta(days=1))
    at = dt.datetime.combine(day, dt.time(9, 0), snapshot.tz)
    services.reminders.add([Planned(
        f"{reminder['key']}|snooze|{day.isoformat()}", "reminder", reminder["occurrence_uid"],
        reminder["obligation"], reminder["unit"], reminder["occurrence_date"], reminder["subscriber_id"], CHANNEL,
        person["address"], person["language"], "snooze", at.astimezone(dt.UTC), at.astimezone(dt.UTC))], now)
    await query.answer(say("snoozed", lang, at=at.strftime("%Y-%m-%d %H:%M")))


async def _ics(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
               person: dict[str, Any], lang: Language, rest: str) -> None:
    from scheduler.messages import occurrence_ics

    query = update.callback_query
    assert query is not None
    reminder = await _owned(query, services, person, lang, rest)
    if reminder is None:
        return
    row = services.reminders.as_claimed(reminder["id"])
    assert row is not None
    data = occurrence_ics(row, services.snapshot(), base_url=services.public_url, lang=lang)
    await query.answer()
    if data is None:
        await context.bot.send_message(_chat(update), say("gone", lang))
        return
    await context.bot.send_document(_chat(update), InputFile(data, filename=f"{reminder['obligation']}.ics"))


# -- the application ------------------------------------------------------------------------------------


def build_application(bot: Any, services: BotServices) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().bot(bot).job_queue(None).build()
    app.bot_data["services"] = services
    for name, fn in (("start", start), ("help", help_command), ("subscribe", subscribe),
                     ("unsubscribe", unsubscribe), ("upcoming", upcoming), ("overdue", overdue), ("feed", feed),
                     ("lang", lang_command), ("stats", stats), ("reload", reload_command), ("approve", approve)):
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(CallbackQueryHandler(button))
    return app


__all__ = ["BotServices", "build_application"]
