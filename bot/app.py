"""The bot's handlers and the Application that runs them (python-telegram-bot 22).

One scheduler in the process: the Application is built without a JobQueue;
reminders come from the engine's APScheduler through the Telegram channel,
whose bot (and rate limiter) the Application shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import callbacks
from bot.callbacks import OnReminder, PickDuty, PickLevel, SubDuty, SubLevel, SubUnit, Unsubscribe
from i18n import N_, Language, tr
from obligations.config import InviteLimits
from obligations.model import Level
from scheduler.planner import Subscription, matches, subscription_from
from scheduler.snapshot import Clock, Snapshot
from service.engine import tell_admins
from service.messages import occurrence_ics
from store.lifecycle import Notice, ReminderKind
from store.reminders import ReminderStore
from store.subscribers import Subscriber, SubscriberStore

log = logging.getLogger(__name__)
CHANNEL = "telegram"
PAGE = 8


@dataclass
class InviteGuard:
    """Wrong invite codes, per chat and overall, kept in this process's memory.

    The ``per_chat``-th wrong code within the window locks that chat out, the ``overall``-th from
    all chats locks every invite out, for ``lockout_minutes``; during a lockout no code is even
    looked up, the chat is told once and the admins once. A restart forgets the counts (a
    restart is far slower than the limits, and the store keeps no per-chat state).
    """

    failures: dict[str, deque[dt.datetime]] = field(default_factory=dict)
    overall: deque[dt.datetime] = field(default_factory=deque)
    locked: dict[str, dt.datetime] = field(default_factory=dict)  # chat -> locked out until
    locked_all: dt.datetime | None = None
    told_all: set[str] = field(default_factory=set)  # chats told about the current overall lockout

    def blocked(self, chat: str, now: dt.datetime) -> tuple[dt.datetime, bool] | None:
        """(until, tell) when ``chat`` may not try a code now; tell: say so (once per lockout)."""
        until = self.locked.get(chat)
        if until is not None:
            if now < until:
                return until, False  # told when it was locked out
            del self.locked[chat]
            self.failures.pop(chat, None)
        if self.locked_all is not None:
            if now < self.locked_all:
                tell = chat not in self.told_all
                self.told_all.add(chat)
                return self.locked_all, tell
            self.locked_all = None
            self.told_all.clear()
            self.overall.clear()
        return None

    def failed(self, chat: str, now: dt.datetime, limits: InviteLimits) -> tuple[str, dt.datetime, int] | None:
        """Count a wrong code; ("chat" | "all", until, count) when it starts a lockout."""
        start = now - dt.timedelta(minutes=limits.window_minutes)
        lockout = now + dt.timedelta(minutes=limits.lockout_minutes)
        mine = self.failures.setdefault(chat, deque())
        for times in (mine, self.overall):
            times.append(now)
            while times and times[0] <= start:
                times.popleft()
        if len(self.failures) > 1000:  # forget chats whose wrong codes are all outside the window
            self.failures = {c: d for c, d in self.failures.items() if d and d[-1] > start}
        if len(self.overall) >= limits.overall:
            self.locked_all = lockout
            self.told_all = {chat}
            return "all", lockout, len(self.overall)
        if len(mine) >= limits.per_chat:
            self.locked[chat] = lockout
            return "chat", lockout, len(mine)
        return None


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
    invites: InviteGuard = field(default_factory=InviteGuard)


def _services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def _lang_of(update: Update, person: Subscriber | None) -> Language:
    if person is not None:
        return "en" if person.language == "en" else "zh-CN"
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


def _person(update: Update, services: BotServices) -> Subscriber | None:
    return services.subscribers.get(CHANNEL, _chat(update))


def _active(person: Subscriber | None) -> bool:
    return person is not None and person.active


def _is_admin(update: Update, services: BotServices, person: Subscriber | None) -> bool:
    return _chat(update) in services.admin_chats or (person is not None and person.is_admin)


def _describe_subscription(sub: dict[str, Any], snapshot: Snapshot, lang: Language) -> str:
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


def _subs_summary(person: Subscriber, services: BotServices, lang: Language) -> str:
    subs = services.subscribers.subscriptions_of(person.id)
    if not subs:
        return tr(lang, "bot.subs_none")
    snapshot = services.snapshot()
    return tr(lang, "bot.subs_list", items="、".join(_describe_subscription(s, snapshot, lang) for s in subs))


# -- commands -----------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if context.args:
        await _redeem(update, context, services, lang, context.args)
        return
    if _active(person):
        await _reply(update, tr(lang, "bot.welcome_back", name=_name(update)))
        return
    services.subscribers.request_access(channel=CHANNEL, address=_chat(update), name=_name(update), language=lang,
                                        now=services.clock())
    await _reply(update, tr(lang, "bot.pending"))
    for admin in services.admin_chats:
        await _tell(context, admin, tr("zh-CN", "bot.new_chat", name=_name(update), chat=_chat(update)))


async def _redeem(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices, lang: Language,
                  args: list[str]) -> None:
    """``/start CODE``, within the invite limits (InviteGuard)."""
    chat, now = _chat(update), services.clock()
    snapshot = services.snapshot()
    blocked = services.invites.blocked(chat, now)
    if blocked is not None:
        until, tell = blocked
        if tell:
            await _reply(update, tr(lang, "bot.locked_out", until=_local(until, snapshot)))
        return
    code = callbacks.invite_code(args)
    bound = None if code is None else services.subscribers.redeem(
        code, channel=CHANNEL, address=chat, name=_name(update), language=lang, now=now)
    if bound is not None:
        await _reply(update, tr(lang, "bot.welcome", name=_name(update), subs=_subs_summary(bound, services, lang)))
        return
    lockout = services.invites.failed(chat, now, snapshot.loaded.config.invites)
    if lockout is None:
        await _reply(update, tr(lang, "bot.bad_code"))
        return
    scope, until, count = lockout
    await _reply(update, tr(lang, "bot.locked_out", until=_local(until, snapshot)))
    if scope == "chat":
        log.warning("chat %s locked out of invites until %s after %d wrong codes", chat, until.isoformat(), count)
        text = tr("zh-CN", "bot.admin_locked_out", chat=chat, name=_name(update), until=_local(until, snapshot))
    else:
        log.warning("every invite locked out until %s after %d wrong codes", until.isoformat(), count)
        text = tr("zh-CN", "bot.admin_locked_out_all", count=count, until=_local(until, snapshot))
    for admin in sorted(services.admin_chats):
        await _tell(context, admin, text)

    tell_admins(services.reminders, snapshot.loaded.config.reminders.admins,
                key=f"invite-lockout|{chat if scope == 'chat' else '*'}|{until.isoformat()}",
                what=Notice.INVITE_LOCKOUT,
                title=text, now=now, day=now.astimezone(snapshot.tz).date(),
                skip={(CHANNEL, a) for a in services.admin_chats})


def _local(at: dt.datetime, snapshot: Snapshot) -> str:
    return at.astimezone(snapshot.tz).strftime("%Y-%m-%d %H:%M")


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
        await _reply(update, tr(lang, "bot.not_bound"))
        return
    text = tr(lang, "bot.help")
    if _is_admin(update, services, person):
        text += "\n" + tr(lang, "bot.admin_help")
    await _reply(update, text)


Bound = tuple[BotServices, Subscriber, Language]


async def _bound(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Bound | None:
    """The chat's subscriber, or None after telling an unknown chat how to start (nothing internal)."""
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _active(person):
        await _reply(update, tr(lang, "bot.not_bound"))
        return None
    assert person is not None
    return services, person, lang


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, _, lang = bound
    levels = [lv for lv in Level if services.snapshot().rules.units_of_level(lv)]
    rows = [[InlineKeyboardButton(tr(lang, f"level.{lv.value}"), callback_data=PickLevel(lv).data)]
            for lv in levels]
    rows.append([InlineKeyboardButton(tr(lang, "bot.by_duty"), callback_data=PickDuty().data)])
    await _reply(update, tr(lang, "bot.choose_kind"), InlineKeyboardMarkup(rows))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    subs = services.subscribers.subscriptions_of(person.id)
    if not subs:
        await _reply(update, tr(lang, "bot.subs_none"))
        return
    snapshot = services.snapshot()
    rows = [[InlineKeyboardButton(_describe_subscription(s, snapshot, lang), callback_data=Unsubscribe(s["id"]).data)]
            for s in subs]
    await _reply(update, tr(lang, "bot.unsub_choose"), InlineKeyboardMarkup(rows))


def _person_subscriptions(services: BotServices, person: Subscriber) -> list[Subscription]:
    out = []
    for s in services.subscribers.subscriptions_of(person.id):
        try:
            out.append(subscription_from({**s, "channel": CHANNEL, "address": person.address,
                                          "language": person.language, "quiet_hours": None, "mode": "each",
                                          "digest_at": None}))
        except ValueError:
            continue  # planning skips it too, and tells the admins
    return out


def _lines(occurrences: list[Any], snapshot: Snapshot, lang: Language) -> str:
    rules = snapshot.rules
    out = []
    for o in occurrences[:40]:
        unit = f" · {rules.units[o.unit].name}" if o.unit else ""
        kind = tr(lang, f"kind.{o.kind}")
        out.append(f"{o.date.isoformat()} [{kind}] {o.obligation.title}{unit}")
    if len(occurrences) > 40:
        out.append(f"… (+{len(occurrences) - 40})")
    return "\n".join(out)


async def upcoming(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    days = callbacks.days(context.args or [])
    if days is None:
        await _reply(update, tr(lang, "bot.bad_days"))
        return
    snapshot = services.snapshot()
    today = services.clock().astimezone(snapshot.tz).date()
    subs = _person_subscriptions(services, person)
    done = services.reminders.done_uids()
    found = snapshot.expander().expand(today, today + dt.timedelta(days=days)).occurrences
    mine = [o for o in found if o.uid not in done and any(matches(s, o, snapshot.rules) for s in subs)]
    await _reply(update, tr(lang, "bot.upcoming", days=days) + "\n" + (_lines(mine, snapshot, lang)
                                                                   or tr(lang, "bot.nothing")))


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
    await _reply(update, tr(lang, "bot.overdue") + "\n" + (_lines(mine, snapshot, lang) or tr(lang, "bot.nothing")))


async def feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    token = services.subscribers.new_feed_token(person.id)
    https = f"{services.public_url}/feeds/t/{token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    await _reply(update, tr(lang, "bot.feed", webcal=webcal, https=https))


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bound = await _bound(update, context)
    if bound is None:
        return
    services, person, lang = bound
    wanted = callbacks.language(context.args or [], lang)
    if wanted is None:
        await _reply(update, tr(lang, "bot.bad_lang"))
        return
    services.subscribers.set_language(person.id, wanted)
    await _reply(update, tr(wanted, "bot.lang_set"))


async def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[BotServices, Language] | None:
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _is_admin(update, services, person):
        await _reply(update, tr(lang, "bot.admins_only"))
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
    await _reply(update, tr(lang, "bot.stats", version=snapshot.version, units=len(snapshot.rules.units),
                             duties=len(snapshot.rules.obligations), subs=subs or "0", reminders=reminders or "0"))


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    services, lang = admin
    ok, version, problems = await asyncio.to_thread(services.reload)
    if ok:
        await _reply(update, tr(lang, "bot.reloaded", version=version))
    else:
        await _reply(update, tr(lang, "bot.reload_failed", version=version, problems="\n".join(problems[:10])))


async def approve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = await _admin(update, context)
    if admin is None:
        return
    services, lang = admin
    if not context.args:
        pending = services.subscribers.pending()
        items = "、".join(f"{p.name}({p.address})" for p in pending) or tr(lang, "bot.nothing")
        await _reply(update, tr(lang, "bot.pending_list", items=items))
        return
    chat = callbacks.chat_id(context.args)
    if chat is None:
        await _reply(update, tr(lang, "bot.bad_chat_id"))
        return
    if services.subscribers.approve(CHANNEL, chat):
        await _reply(update, tr(lang, "bot.approved", chat=chat))
        await _tell(context, chat, tr("zh-CN", "bot.you_are_approved"))
    else:
        await _reply(update, tr(lang, "bot.not_pending", chat=chat))


# -- buttons ------------------------------------------------------------------------------------------
#
# Every callback datum is parsed by bot.callbacks into one typed button before anything is used;
# ids are then checked against the rules in force and the store. Anything else is answered
# politely and changes nothing.

# the kinds service.messages.compose gives buttons
REMINDER_KINDS_WITH_BUTTONS = frozenset({ReminderKind.REMINDER, ReminderKind.CHANGED, ReminderKind.ESCALATION})


async def _answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button (stop its spinner); a query too old to answer is not an error of ours."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        log.warning("could not answer a button: %s", exc)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:  # e.g. "message is not modified" when a menu button is pressed twice
        log.warning("could not edit a message: %s", exc)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    if update.effective_chat is None:  # a button on an inline message: the bot makes none
        await _answer(query)
        return
    services = _services(context)
    person = _person(update, services)
    lang = _lang_of(update, person)
    if not _active(person):
        await _answer(query, tr(lang, "bot.not_bound"), alert=True)
        return
    assert person is not None
    choice = callbacks.parse(query.data)
    if choice is None:
        log.warning("chat %s: refused button data %r", _chat(update), (query.data or "")[:80])
        await _answer(query, tr(lang, "bot.bad_button"))
        return
    if isinstance(choice, PickLevel):
        await _pick_level(query, services, lang, choice)
    elif isinstance(choice, PickDuty):
        await _pick_duty(query, services, lang, choice)
    elif isinstance(choice, SubUnit | SubLevel | SubDuty):
        await _subscribe(query, services, person, lang, choice)
    elif isinstance(choice, Unsubscribe):
        await _unsub(query, services, person, lang, choice)
    else:
        reminder = await _owned(query, services, person, lang, choice)
        if reminder is None:
            return
        action = {"d": _done, "z": _snooze, "c": _ics}[choice.action]
        await action(update, context, services, person, lang, reminder)


def _page(items: list[Any], page: int) -> tuple[list[Any], int] | None:
    pages = max(1, (len(items) + PAGE - 1) // PAGE)
    return (items[page * PAGE:(page + 1) * PAGE], pages) if page < pages else None


async def _pick_level(query: CallbackQuery, services: BotServices, lang: Language, choice: PickLevel) -> None:
    rules = services.snapshot().rules
    units = sorted(rules.units_of_level(choice.level))
    shown = _page(units, choice.page) if units else None
    if shown is None:
        await _answer(query, tr(lang, "bot.not_offered"))
        return
    chunk, pages = shown
    rows = [[InlineKeyboardButton(rules.units[u].name, callback_data=SubUnit(u).data)]
            for u in chunk if len(SubUnit(u).data.encode()) <= 64]
    rows.append([InlineKeyboardButton(tr(lang, "bot.all_of_level"), callback_data=SubLevel(choice.level).data)])
    if choice.page + 1 < pages:
        rows.append([InlineKeyboardButton(tr(lang, "bot.more"),
                                          callback_data=PickLevel(choice.level, choice.page + 1).data)])
    await _answer(query)
    await _edit(query, tr(lang, "bot.choose_unit", page=choice.page + 1, pages=pages), InlineKeyboardMarkup(rows))


async def _pick_duty(query: CallbackQuery, services: BotServices, lang: Language, choice: PickDuty) -> None:
    rules = services.snapshot().rules
    duties = [ob for ob in rules.obligations.values() if ob.schedule.type != "unscheduled"]
    shown = _page(duties, choice.page)
    if shown is None:
        await _answer(query, tr(lang, "bot.not_offered"))
        return
    chunk, pages = shown
    rows = [[InlineKeyboardButton(ob.title[:60], callback_data=SubDuty(ob.id).data)]
            for ob in chunk if len(SubDuty(ob.id).data.encode()) <= 64]
    if choice.page + 1 < pages:
        rows.append([InlineKeyboardButton(tr(lang, "bot.more"), callback_data=PickDuty(choice.page + 1).data)])
    await _answer(query)
    await _edit(query, tr(lang, "bot.choose_duty", page=choice.page + 1, pages=pages), InlineKeyboardMarkup(rows))


async def _subscribe(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
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
        await _answer(query, tr(lang, "bot.not_offered"))
        return
    text = tr(lang, N_("bot.subscribed") if added else N_("bot.already"), what=what)
    await _answer(query, text)
    await _edit(query, text)


async def _unsub(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
                 choice: Unsubscribe) -> None:
    subs = {s["id"]: s for s in services.subscribers.subscriptions_of(person.id)}
    sub = subs.get(choice.subscription)
    if sub is None or not services.subscribers.unsubscribe(person.id, sub["id"]):
        await _answer(query, tr(lang, "bot.bad_button"))
        return
    text = tr(lang, "bot.unsubscribed", what=_describe_subscription(sub, services.snapshot(), lang))
    await _answer(query, text)
    await _edit(query, text)


async def _owned(query: CallbackQuery, services: BotServices, person: Subscriber, lang: Language,
                 choice: OnReminder) -> dict[str, Any] | None:
    """The reminder a button refers to, if it was sent to this chat with buttons; else an alert and None."""
    reminder = _reminder_of(services, person, choice.reminder)
    if isinstance(reminder, str):
        await _answer(query, tr(lang, reminder), alert=True)
        return None
    return reminder


def _reminder_of(services: BotServices, person: Subscriber, reminder_id: int) -> dict[str, Any] | str:
    reminder = services.reminders.get(reminder_id)
    if reminder is None or reminder["kind"] not in REMINDER_KINDS_WITH_BUTTONS:
        return N_("bot.gone")
    if reminder["address"] != person.address or reminder["channel"] != CHANNEL:
        return N_("bot.not_yours")
    return reminder


async def _done(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                person: Subscriber, lang: Language, reminder: dict[str, Any]) -> None:
    query = update.callback_query
    assert query is not None
    who = _name(update) if update.effective_user is None else " ".join(
        p for p in (update.effective_user.first_name, update.effective_user.last_name) if p)
    now = services.clock()
    services.reminders.mark_done(uid=reminder["occurrence_uid"], obligation=reminder["obligation"],
                                 unit=reminder["unit"], date=reminder["occurrence_date"], by=who, at=now)
    completion = services.reminders.completion(reminder["occurrence_uid"]) or {"done_by": who, "done_at": now}
    at = completion["done_at"]
    at_local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(services.snapshot().tz)
    note = tr(lang, "bot.done_by", who=completion["done_by"], at=at_local.strftime("%Y-%m-%d %H:%M"))
    await _answer(query, note)
    original = query.message.text if query.message is not None and hasattr(query.message, "text") else ""
    await _edit(query, f"{original}\n\n{note}" if original else note)


async def _snooze(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
                  person: Subscriber, lang: Language, reminder: dict[str, Any]) -> None:
    query = update.callback_query
    assert query is not None
    snapshot = services.snapshot()
    now = services.clock()
    today = now.astimezone(snapshot.tz).date()
    unit_calendar = snapshot.calendar
    if reminder["unit"] in snapshot.rules.unit_file:
        unit_calendar = snapshot.expander().calendar_of_file(snapshot.rules.unit_file[reminder["unit"]])
    day = unit_calendar.next_workday(today + dt.timedelta(days=1))
    at = dt.datetime.combine(day, dt.time(9, 0), snapshot.tz)
    services.reminders.snooze(reminder["id"], at=at, address=person.address, language=person.language, now=now)
    await _answer(query, tr(lang, "bot.snoozed", at=at.strftime("%Y-%m-%d %H:%M")))


async def _ics(update: Update, context: ContextTypes.DEFAULT_TYPE, services: BotServices,
               person: Subscriber, lang: Language, reminder: dict[str, Any]) -> None:
    pass

    query = update.callback_query
    assert query is not None
    row = services.reminders.as_claimed(reminder["id"])
    if row is None:
        await _answer(query, tr(lang, "bot.gone"), alert=True)
        return
    data = occurrence_ics(row, services.snapshot(), base_url=services.public_url, lang=lang)
    await _answer(query)
    if data is None:
        await context.bot.send_message(_chat(update), tr(lang, "bot.gone"))
        return
    await context.bot.send_document(_chat(update), InputFile(data, filename=f"{reminder['obligation']}.ics"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler failed (a bug, or the store or Telegram down): log it and answer the user politely."""
    log.error("bot update failed: %s: %s", type(context.error).__name__, context.error, exc_info=context.error)
    if not isinstance(update, Update):
        return
    person = None
    with contextlib.suppress(Exception):
        person = _person(update, _services(context)) if update.effective_chat else None
    lang = _lang_of(update, person)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(tr(lang, "bot.error"))
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(tr(lang, "bot.error"))
    except TelegramError:
        pass


# -- the application ------------------------------------------------------------------------------------


def build_application(bot: Any, services: BotServices) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().bot(bot).job_queue(None).build()
    app.bot_data["services"] = services
    for name, fn in (("start", start), ("help", help_command), ("subscribe", subscribe),
                     ("unsubscribe", unsubscribe), ("upcoming", upcoming), ("overdue", overdue), ("feed", feed),
                     ("lang", lang_command), ("stats", stats), ("reload", reload_command), ("approve", approve)):
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(CallbackQueryHandler(button))
    app.add_error_handler(on_error)
    return app


__all__ = ["BotServices", "build_application"]
