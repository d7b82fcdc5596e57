"""/subscribe and /unsubscribe: the keyboards of levels, units and duties, and their buttons.

Ids on a button are checked against the rules in force (a menu older than a reload may offer
others) and the chat's own subscriptions; anything else is answered politely and changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.callbacks import PickDuty, PickLevel, SubDuty, SubLevel, SubUnit, Unsubscribe
from bot.people import answer, bound, describe_subscription, edit, reply
from bot.services import BotServices
from i18n import N_, Language, tr
from obligations.model import Level
from store.subscribers import Subscriber

PAGE = 8  # buttons on one page of a keyboard
MAX_DATA = 64  # bytes of callback data Telegram takes


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, _, lang = chat
    levels = [lv for lv in Level if services.snapshot().rules.units_of_level(lv)]
    rows = [[InlineKeyboardButton(tr(lang, f"level.{lv.value}"), callback_data=PickLevel(lv).data)]
            for lv in levels]
    rows.append([InlineKeyboardButton(tr(lang, "bot.by_duty"), callback_data=PickDuty().data)])
    await reply(update, tr(lang, "bot.choose_kind"), InlineKeyboardMarkup(rows))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = await bound(update, context)
    if chat is None:
        return
    services, person, lang = chat
    subs = services.subscribers.subscriptions_of(person.id)
    if not subs:
        await reply(update, tr(lang, "bot.subs_none"))
        return
    snapshot = services.snapshot()
    rows = [[InlineKeyboardButton(describe_subscription(s, snapshot, lang), callback_data=Unsubscribe(s["id"]).data)]
            for s in subs]
    await reply(update, tr(lang, "bot.unsub_choose"), InlineKeyboardMarkup(rows))


def _page(items: list[Any], page: int) -> tuple[list[Any], int] | None:
    pages = max(1, (len(items) + PAGE - 1) // PAGE)
    return (items[page * PAGE:(page + 1) * PAGE], pages) if page < pages else None


async def pick_level(query: CallbackQuery, services: BotServices, lang: Language, choice: PickLevel) -> None:
    rules = services.snapshot().rules
    units = sorted(rules.units_of_level(choice.level))
    shown = _page(units, choice.page) if units else None
    if shown is None:
        await answer(query, tr(lang, "bot.not_offered"))
        return
    chunk, pages = shown
    rows = [[InlineKeyboardButton(rules.units[u].name, callback_data=SubUnit(u).data)]
            for u in chunk if len(SubUnit(u).data.encode()) <= MAX_DATA]
    rows.append([InlineKeyboardButton(tr(lang, "bot.all_of_level"), callback_data=SubLevel(choice.level).data)])
    if choice.page + 1 < pages:
        rows.append([InlineKeyboardButton(tr(lang, "bot.more"),
                                          callback_data=PickLevel(choice.level, choice.page + 1).data)])
    await answer(query)
    await edit(query, tr(lang, "bot.choose_unit", page=choice.page + 1, pages=pages), InlineKeyboardMarkup(rows))


async def pick_duty(query: CallbackQuery, services: BotServices, lang: Language, choice: PickDuty) -> None:
    rules = services.snapshot().rules
    duties = [ob for ob in rules.obligations.values() if ob.schedule.type != "unscheduled"]
    shown = _page(duties, choice.page)
    if shown is None:
        await answer(query, tr(lang, "bot.not_offered"))
        return
    chunk, pages = shown
    rows = [[InlineKeyboardButton(ob.title[:60], callback_data=SubDuty(ob.id).data)]
            for ob in chunk if len(SubDuty(ob.id).data.encode()) <= MAX_DATA]
    if choice.page + 1 < pages:
        rows.append([InlineKeyboardButton(tr(lang, "bot.more"), callback_data=PickDuty(choice.page + 1).data)])
    await answer(query)
    await edit(query, tr(lang, "bot.choose_duty", page=choice.page + 1, pages=pages), InlineKeyboardMarkup(rows))


async def add(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
              choice: SubUnit | SubLevel | SubDuty) -> None:
    """A unit, level or duty the rules in force have (a menu older than a reload may offer others)."""
    rules = services.snapshot().rules
    if isinstance(choice, SubUnit) and choice.unit in rules.units:
        added = services.subscribers.subscribe(person.id, unit=choice.unit)
        what = rules.units[choice.unit].name
    elif isinstance(choice, SubLevel) and rules.units_of_level(choice.level):
        added = services.subscribers.subscribe(person.id, level=choice.level.value)
        what = tr(lang, f"level.{choice.level.value}")
    elif isinstance(choice, SubDuty) and choice.duty in rules.obligations:
        added = services.subscribers.subscribe(person.id, obligation=choice.duty)
        what = rules.obligations[choice.duty].title
    else:
        await answer(query, tr(lang, "bot.not_offered"))
        return
    text = tr(lang, N_("bot.subscribed") if added else N_("bot.already"), what=what)
    await answer(query, text)
    await edit(query, text)


async def remove(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
                 choice: Unsubscribe) -> None:
    subs = {s["id"]: s for s in services.subscribers.subscriptions_of(person.id)}
    sub = subs.get(choice.subscription)
    if sub is None or not services.subscribers.unsubscribe(person.id, sub["id"]):
        await answer(query, tr(lang, "bot.bad_button"))
        return
    text = tr(lang, "bot.unsubscribed", what=describe_subscription(sub, services.snapshot(), lang))
    await answer(query, text)
    await edit(query, text)


__all__ = ["PAGE", "add", "pick_duty", "pick_level", "remove", "subscribe", "unsubscribe"]
