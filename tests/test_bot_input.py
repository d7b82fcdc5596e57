"""Typed input at the bot's door (issue 9): forged buttons, bad arguments, invite floods.

The real python-telegram-bot against the fake Bot API over HTTP on loopback, as in
tests/test_telegram.py. A forged callback datum is one no keyboard of the bot carries (a
modified client can send any); each gets a polite answer, changes nothing in the store, leaves
no traceback, and planning still works afterwards. Time is the harness's injected clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bot import callbacks
from i18n import LANGUAGES, tr
from obligations.config import InviteLimits, Recipient
from obligations.model import Level
from scheduler.planner import Planned
from store import Store, open_store
from store.tables import completions, history, reminders, subscribers, subscriptions
from tests.bot_harness import CHAT, TOKEN, Harness, running
from tests.fake_telegram import FakeTelegram, fake_bot_api
from tests.test_telegram import FIRST_DUE, bind_and_subscribe_to_cty

pytestmark = pytest.mark.network

ADMIN_CHAT = 9001
POLITE = {tr(lang, f"bot.{key}") for key in ("bad_button", "not_offered", "gone", "not_yours") for lang in LANGUAGES}
_query_ids = itertools.count(7_000_000_000)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    with fake_bot_api(TOKEN) as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", api.base_url)
        yield api


@pytest.fixture
def sqlite_store(tmp_path: object) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path}/bot.db")
    yield store
    store.close()


async def forge(h: Harness, message_id: int, data: str, *, language_code: str = "zh-hans") -> dict[str, Any]:
    """Press a button that message ``message_id`` does not carry: callback data chosen by the client."""
    fake = h.fake
    query_id = str(next(_query_ids))
    message = fake.message(CHAT, message_id)
    with fake._cond:  # the fake's press_button refuses data not on the message, as Telegram's apps do
        fake._open_callbacks.add(query_id)
    mark = fake.mark()
    fake.queue_update({"callback_query": {
        "id": query_id, "from": fake._user(CHAT, "private", None, "张三", language_code, None, None),
        "message": message, "chat_instance": f"ci{CHAT}", "data": data}})
    return await fake.wait_for_async("answerCallbackQuery",
                                     lambda c: str(c["params"].get("callback_query_id")) == query_id, since=mark)


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the bot could change, to compare before and after."""
    with store.engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
                for t in (subscribers, subscriptions, reminders, completions, history)}


def problems_in(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records
            if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]


async def _reminder_sent(h: Harness) -> tuple[int, int]:
    """Bind CHAT, subscribe it to cty, plan and send its first reminder: (message id, reminder id)."""
    await bind_and_subscribe_to_cty(h)
    h.engine.plan()
    h.clock[0] = FIRST_DUE
    assert (await h.engine.dispatch()).sent == 1
    reminder = h.fake.sent_messages(CHAT)[-1]
    rid = int(reminder["params"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1])
    return reminder["result"]["message_id"], rid


# -- the forged data of the issue, and more -----------------------------------------------------------------

ISSUE = ["sv:bogus", "sl:bogus:0", "sl:county:x", "so:abc", "d:99999999999999999999999"]
MORE = [
    "sv:", "sv:County", "sv:county ", "sv:province",  # province: a level, but no unit of it in the rules
    "sl:county:²", "sl:county:１", "sl:county:-1", "sl:county:9999", "sl:county:0:0", "sl:province:0", "sl:",
    "so:１", "so:٣", "so:500", "so:-0", "so:0x1",
    "su:nope", "su:CTY", "su:../cty", "su:", "su:cty\n", "sd:nope", "sd:", "sd:t.report;drop",
    "x:abc", "x:٣", "x:0", "x:999999", "x:99999999999999999999",
    "d:²", "d:-1", "d:0", "d:2147483648", "d:999999", "z:abc", "z:999999", "c:１", "c:999999",
    "", ":", "d", "zz:1", "sl", "x" * 64, "中文:1", "d:1 ", " d:1", "d:+1", "d:1_0",
    "u:abc", "u:0", "u:²", "w:-1", "w:", "o:1", "o:1:", "o:1:2026-02-21", "o:1:20260230", "o:1:2026022",
    "o:1:202602211", "o:1:19991231", "o:1:２0260221", "o:0:20260221", "o:x:20260221", "o:1:20260221:1",
    "o::20260221", "o:99999999999999999999:20260221",
]


@pytest.mark.slow
def test_every_forged_datum_is_answered_politely_and_changes_nothing(
        fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """The issue's forged data, near misses of every button kind and a seeded batch of 200 mutants."""
    rng = random.Random(9)
    valid = ["sl:county:0", "so:0", "su:cty", "sv:county", "sd:t.report", "x:1", "d:1", "z:1", "c:1"]
    pool = "0123456789:abc-_.²１٣中 \n\t\x00é"
    mutants: list[str] = []
    while len(mutants) < 200:
        text = list(rng.choice(valid))
        for _ in range(rng.randint(1, 4)):
            op, at = rng.randrange(4), rng.randrange(len(text) + 1)
            if op == 0:
                text.insert(at, rng.choice(pool))
            elif op == 1 and text:
                text[min(at, len(text) - 1)] = rng.choice(pool)
            elif op == 2 and text:
                del text[min(at, len(text) - 1)]
            else:
                text[at:at] = list(str(rng.choice([10**23, 2**31, 2**63, -5, 0])))
        mutant = "".join(text)
        choice = callbacks.parse(mutant)
        # a mutant that is a real button (a menu page, say) is not forged: it may act
        if choice is None:
            mutants.append(mutant)

    async def scenario() -> tuple[int, float]:
        async with running(fake, sqlite_store) as h:
            message_id, rid = await _reminder_sent(h)
            # a reminder of another chat, and an admin notice to this one: neither has buttons to press
            mine = h.engine.store.get(rid)
            assert mine is not None
            ids = []
            for n, (kind, address) in enumerate((("reminder", "5555"), ("admin", str(CHAT)))):
                h.engine.store.add([Planned(f"forged{n}", kind, mine["occurrence_uid"], mine["obligation"], None,
                                            mine["occurrence_date"], None, "telegram", address, "zh-CN", "1d",
                                            FIRST_DUE, FIRST_DUE)], FIRST_DUE)
                ids.append(next(r["id"] for r in h.engine.store.listing("pending") if r["key"] == f"forged{n}"))
            others = [f"{action}:{i}" for i in ids for action in "dzc"]
            before = dump(sqlite_store)
            answered = 0
            started = time.monotonic()
            with caplog.at_level(logging.INFO):
                for data in ISSUE + MORE + others + mutants:
                    answer = await forge(h, message_id, data)
                    assert answer["params"].get("text") in POLITE, (data, answer["params"])
                    answered += 1
            elapsed = time.monotonic() - started
            assert dump(sqlite_store) == before
            assert problems_in(caplog.records) == []
            warnings = [r for r in caplog.records if r.name == "bot.app" and r.levelno == logging.WARNING]
            assert len(warnings) <= answered
            # the chat still works, and so does planning for everyone
            listed = await h.say("/unsubscribe")
            assert "测试县人民政府" in str(listed["params"]["reply_markup"])
            assert "2026-02-28" in (await h.say("/upcoming 30"))["params"]["text"]
            h.engine.plan()
            return answered, elapsed

    answered, _elapsed = asyncio.run(scenario())
    assert answered == len(ISSUE) + len(MORE) + 6 + 200


def test_a_forged_datum_is_answered_in_the_chats_language(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await bind_and_subscribe_to_cty(h)
            assert (await h.say("/lang en"))["params"]["text"] == "Switched to English."
            menu = await h.say("/subscribe")
            answer = await forge(h, menu["result"]["message_id"], "sv:bogus")
            assert answer["params"]["text"] == tr("en", "bot.bad_button")

    asyncio.run(scenario())


# -- one regression test per bug of the issue ----------------------------------------------------------------


def test_sv_bogus_stored_a_level_that_stopped_planning_for_everyone(fake: FakeTelegram, sqlite_store: Store) -> None:
    """`sv:bogus` stored a subscription with level 'bogus'; from then on every planning run failed
    ('bogus' is not a valid Level), no subscriber got new reminders, and the chat could no longer
    /upcoming or /unsubscribe."""
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await bind_and_subscribe_to_cty(h)
            menu = await h.say("/subscribe")
            answer = await forge(h, menu["result"]["message_id"], "sv:bogus")
            assert answer["params"]["text"] == tr("zh-CN", "bot.bad_button")
            assert [s.level for s in h.engine.store.subscriptions()] == [None]
            assert h.engine.plan().inserted > 0
            assert "2026-02-28" in (await h.say("/upcoming 30"))["params"]["text"]
            assert (await h.say("/unsubscribe"))["params"]["text"] == "点击要取消的订阅:"

    asyncio.run(scenario())


def _refused_without_a_traceback(fake: FakeTelegram, store: Store, caplog: pytest.LogCaptureFixture,
                                 data: str, expected: str) -> None:
    async def scenario() -> None:
        async with running(fake, store) as h:
            message_id, _ = await _reminder_sent(h)
            before = dump(store)
            with caplog.at_level(logging.INFO):
                answer = await forge(h, message_id, data)
            assert answer["params"]["text"] == tr("zh-CN", f"bot.{expected}")
            assert dump(store) == before
            assert problems_in(caplog.records) == []

    asyncio.run(scenario())


def test_sl_bogus_0_raised(fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """`sl:bogus:0` raised ValueError ('bogus' is not a valid Level) and left a traceback."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "sl:bogus:0", "bad_button")


def test_sl_county_x_raised(fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """`sl:county:x` raised ValueError (int('x')) and left a traceback."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "sl:county:x", "bad_button")


def test_so_abc_raised(fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """`so:abc` raised ValueError (int('abc')) and left a traceback."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "so:abc", "bad_button")


def test_d_with_a_23_digit_id_raised(fake: FakeTelegram, sqlite_store: Store,
                                     caplog: pytest.LogCaptureFixture) -> None:
    """`d:99999999999999999999999` raised OverflowError in the store (too large for SQLite's
    INTEGER; out of range for PostgreSQL's) and left a traceback."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "d:99999999999999999999999", "bad_button")


def test_superscript_digits_raised(fake: FakeTelegram, sqlite_store: Store,
                                   caplog: pytest.LogCaptureFixture) -> None:
    """`d:²` passed str.isdigit() and then int('²') raised; full-width digits were taken as ids."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "d:²", "bad_button")


def test_a_page_past_the_end_is_refused(fake: FakeTelegram, sqlite_store: Store,
                                        caplog: pytest.LogCaptureFixture) -> None:
    """`sl:county:9999` answered an empty page with a "More" button; now it is not offered."""
    _refused_without_a_traceback(fake, sqlite_store, caplog, "sl:county:9999", "not_offered")


@pytest.mark.slow  # over half a second
def test_bad_command_arguments_get_a_polite_answer(fake: FakeTelegram, sqlite_store: Store,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """`/upcoming ²` raised (isdigit() then int()); `/lang xx` switched to Chinese; `/approve abc`
    looked up a chat named abc."""
    async def scenario() -> None:
        async with running(fake, sqlite_store, admin_chats=(str(CHAT),)) as h:
            await bind_and_subscribe_to_cty(h)
            before = dump(sqlite_store)
            with caplog.at_level(logging.INFO):
                for days in ("²", "１２", "٣", "-1", "x", "1 2", "9" * 30):
                    reply = await h.say(f"/upcoming {days}")
                    assert reply["params"]["text"] == tr("zh-CN", "bot.bad_days"), days
                assert (await h.say("/upcoming 99999"))["params"]["text"].startswith("未来180天的事项")
                assert (await h.say("/lang xx"))["params"]["text"] == tr("zh-CN", "bot.bad_lang")
                for chat in ("abc", "１２３", "1" * 30, "12 34"):
                    assert (await h.say(f"/approve {chat}"))["params"]["text"] == tr("zh-CN", "bot.bad_chat_id")
                assert (await h.say("/start ²²²"))["params"]["text"] == tr("zh-CN", "bot.bad_code")
            assert dump(sqlite_store) == before
            assert problems_in(caplog.records) == []
            assert (await h.say("/lang en"))["params"]["text"] == "Switched to English."
            assert (await h.say("/lang zh"))["params"]["text"] == "已切换为中文。"

    asyncio.run(scenario())


# -- planning never fails as a whole because of one row ------------------------------------------------------


def _with_admins(h: Harness, **invites: int) -> None:
    """The harness's rules with a reminders admin on the log channel (and invite limits)."""
    snapshot = h.services.snapshot()
    config = snapshot.loaded.config
    config = config.model_copy(update={
        "reminders": config.reminders.model_copy(update={"admins": [Recipient(channel="log", address="ops")]}),
        "invites": InviteLimits(**invites)})
    changed = dataclasses.replace(snapshot, loaded=dataclasses.replace(snapshot.loaded, config=config))
    h.services.snapshot = lambda: changed
    h.engine.snapshot = lambda: changed


def test_a_bad_subscription_row_is_skipped_logged_once_and_reported(
        fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """A row planning cannot read (here a level written past the constraint, as in a database
    damaged before migration 0005, and a lead time no one can parse) no longer fails the run."""
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            _with_admins(h)
            await bind_and_subscribe_to_cty(h)
            person = h.services.subscribers.get("telegram", str(CHAT))
            assert person is not None
            with sqlite_store.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
                conn.execute(sa.insert(subscriptions).values(subscriber_id=person.id, level="bogus"))
                conn.execute(sa.insert(subscriptions).values(subscriber_id=person.id, unit="cty",
                                                             lead_times="7x"))
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
            with caplog.at_level(logging.INFO):
                first = h.engine.plan()
                h.engine.plan()
            assert first.inserted > 0  # the good subscription is planned
            skipped = [r for r in caplog.records if "skipped by planning" in r.getMessage()]
            assert len(skipped) == 2  # two bad rows, each logged once over two runs
            assert all(r.exc_info is None for r in skipped)
            notices = [r for r in h.engine.store.listing("pending") if r["kind"] == "admin"]
            assert len(notices) == 2
            assert {n["notice"] for n in notices} == {"bad subscription"}
            assert any("bogus" in n["obligation"] for n in notices)
            # the chat itself still works
            assert "2026-02-28" in (await h.say("/upcoming 30"))["params"]["text"]
            assert "bogus" in str((await h.say("/unsubscribe"))["params"]["reply_markup"])

    asyncio.run(scenario())


# -- invite floods ---------------------------------------------------------------------------------------------


async def _flood(h: Harness, chat: int, codes: list[str]) -> list[str]:
    """Send every code at once, then /help as a marker; the replies to ``chat`` in between."""
    mark = h.fake.mark()
    for code in codes:
        h.fake.send_text(chat, f"/start {code}")
    h.fake.send_text(chat, "/help")
    marker = await h.fake.wait_for_async("sendMessage", lambda c: str(c["params"]["chat_id"]) == str(chat) and c[
        "params"]["text"] == tr("zh-CN", "bot.not_bound"), since=mark)
    return [c["params"]["text"] for c in h.fake.calls("sendMessage")
            if mark <= c["seq"] < marker["seq"] and str(c["params"]["chat_id"]) == str(chat)]


@pytest.mark.slow  # over half a second
def test_300_wrong_invite_codes_lock_the_chat_out_and_tell_the_admins_once(
        fake: FakeTelegram, sqlite_store: Store) -> None:
    """300 wrong codes in 17 s from one chat were all answered: no limit at all."""
    async def scenario() -> None:
        async with running(fake, sqlite_store, admin_chats=(str(ADMIN_CHAT),)) as h:
            _with_admins(h)
            good = h.services.subscribers.create_invite(unit=None, admin=False, now=h.clock[0])
            started = time.monotonic()
            replies = await _flood(h, CHAT, [f"wrong{i}" for i in range(299)] + [good])
            elapsed = time.monotonic() - started
            limits = InviteLimits()
            until = "2026-02-20 08:30(北京时间)"  # 00:00 UTC + 30 min, in Asia/Shanghai, saying so
            assert replies == [tr("zh-CN", "bot.bad_code")] * (limits.per_chat - 1) + [
                tr("zh-CN", "bot.locked_out", until=until)]
            told = [c for c in fake.sent_messages(ADMIN_CHAT) if "邀请码错误次数过多" in c["params"]["text"]]
            assert len(told) == 1
            assert str(CHAT) in told[0]["params"]["text"]
            notices = [r for r in h.engine.store.listing("pending") if r["kind"] == "admin"]
            assert [(n["address"], n["notice"]) for n in notices] == [("ops", "invite lockout")]
            # the good code sent during the lockout was not even looked up
            assert h.services.subscribers.get("telegram", str(CHAT)) is None
            # after the lockout the chat may try again, and the code still works
            h.clock[0] += dt.timedelta(minutes=limits.lockout_minutes, seconds=1)
            welcome = await h.say(f"/start {good}")
            assert "已绑定法定职责提醒" in welcome["params"]["text"]
            assert elapsed < 30

    asyncio.run(scenario())


@pytest.mark.slow
def test_wrong_codes_from_many_chats_lock_every_invite_out(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store, admin_chats=(str(ADMIN_CHAT),)) as h:
            _with_admins(h, per_chat=3, overall=10, window_minutes=10, lockout_minutes=60)
            for chat in range(100, 105):  # 2 wrong codes each: under the per-chat limit, 10 in all
                assert await _flood(h, chat, ["nope1", "nope2"]) == [tr("zh-CN", "bot.bad_code")] * (
                    1 if chat == 104 else 2) + ([tr("zh-CN", "bot.locked_out", until="2026-02-20 09:00(北京时间)")]
                                                if chat == 104 else [])
            good = h.services.subscribers.create_invite(unit=None, admin=False, now=h.clock[0])
            # a new chat is told once, even with a good code, and not again
            replies = await _flood(h, 200, [good, good, "x"])
            assert replies == [tr("zh-CN", "bot.locked_out", until="2026-02-20 09:00(北京时间)")]
            told = [c for c in fake.sent_messages(ADMIN_CHAT) if "邀请码" in c["params"]["text"]]
            assert len(told) == 1
            assert "所有邀请码" in told[0]["params"]["text"]
            h.clock[0] += dt.timedelta(minutes=61)
            assert "已绑定法定职责提醒" in (await h.say(f"/start {good}", chat=200))["params"]["text"]

    asyncio.run(scenario())


@pytest.mark.slow
def test_wrong_codes_spread_over_time_never_lock_out(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            for _ in range(12):  # 4 wrong codes every 10 minutes: always under 5 in the window
                assert await _flood(h, CHAT, ["a", "b", "c", "d"]) == [tr("zh-CN", "bot.bad_code")] * 4
                h.clock[0] += dt.timedelta(minutes=10, seconds=1)

    asyncio.run(scenario())


# -- the parser itself -------------------------------------------------------------------------------------------


def test_every_button_the_bot_makes_parses_back_to_itself() -> None:
    pass

    made = [callbacks.PickLevel(lv, p) for lv in Level for p in (0, 1, callbacks.MAX_PAGE)]
    made += [callbacks.PickDuty(0), callbacks.PickDuty(7), callbacks.SubUnit("pref.justice"),
             callbacks.SubLevel(Level.township), callbacks.SubDuty("t.report"), callbacks.Unsubscribe(1),
             callbacks.OnReminder("d", callbacks.MAX_ID), callbacks.OnReminder("z", 5),
             callbacks.OnReminder("c", 6), callbacks.OnReminder("u", 7), callbacks.OnReminder("w", 8),
             callbacks.DoneOn(callbacks.MAX_ID, dt.date(2026, 2, 21)), callbacks.DoneOn(1, dt.date(2099, 12, 31))]
    for button in made:
        assert callbacks.parse(button.data) == button
    assert callbacks.parse("sl:county") == callbacks.PickLevel(Level.county, 0)  # the page is optional
    for bad in ("d:²", "d:１", "d:٣", f"d:{callbacks.MAX_ID + 1}", "so:" + "9" * 19, "x:" + "1" * 5000, None, 5,
                "o:1:20260229", "o:1:21000101", f"o:{callbacks.MAX_ID + 1}:20260221"):
        assert callbacks.parse(bad) is None
    assert all(len(b.data.encode()) <= 64 for b in made)


def test_a_day_the_bot_did_not_offer_is_refused_and_changes_nothing(
        fake: FakeTelegram, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """``o:ID:DAY`` parses for any real day; only today, yesterday or the duty's past date may be picked:
    tomorrow, a day more than a year before the duty and a day never offered are answered politely."""
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            message_id, rid = await _reminder_sent(h)  # the clock: 21 Feb 2026, the duty's date 28 Feb
            before = dump(sqlite_store)
            with caplog.at_level(logging.INFO):
                for day in ("20260222", "20260228", "20250101", "20260215"):
                    answer = await forge(h, message_id, f"o:{rid}:{day}")
                    assert answer["params"]["text"] == tr("zh-CN", "bot.not_offered"), day
                answer = await forge(h, message_id, f"u:{rid}")  # nothing to undo
                assert answer["params"]["text"] == tr("zh-CN", "bot.not_done")
            assert dump(sqlite_store) == before
            assert problems_in(caplog.records) == []

    asyncio.run(scenario())
