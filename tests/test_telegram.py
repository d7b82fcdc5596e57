"""The bot end to end: the real python-telegram-bot against the fake Bot API over HTTP on loopback.

The conversation (invite, subscribe by keyboard, upcoming, the buttons under a
reminder, admin-only refusal) and the channel's failure modes (429 with
retry_after, 403, a bad gateway, a timeout) are asserted on what the fake
received.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time as _time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from i18n import tr
from notifiers.telegram import TelegramConfig
from store import Store, open_store
from store.history import History
from tests.bot_harness import CHAT, PLAN_AT, TOKEN, Harness, running
from tests.conftest import DATA
from tests.fake_telegram import FakeTelegram, fake_bot_api
from tests.liveserver import FrozenClock, make_site
from tests.liveserver import running as running_site
from web.server import _bot, _engine

pytestmark = pytest.mark.network

FIRST_DUE = dt.datetime(2026, 2, 21, 1, 0, tzinfo=dt.UTC)  # 7d before the report due Sat 28 Feb 2026, 09:00


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


async def bind_and_subscribe_to_cty(h: Harness) -> None:
    code = h.services.subscribers.create_invite(unit=None, admin=False, now=PLAN_AT)
    welcome = await h.say(f"/start {code}")
    assert "已绑定法定职责提醒" in welcome["params"]["text"]
    menu = await h.say("/subscribe")
    levels = [b["callback_data"] for row in menu["params"]["reply_markup"]["inline_keyboard"] for b in row]
    assert "sl:county:0" in levels
    edited = await h.press(menu["result"]["message_id"], "sl:county:0", "editMessageText")
    units = [b["callback_data"] for row in edited["params"]["reply_markup"]["inline_keyboard"] for b in row]
    assert units == ["su:cty", "sv:county"]
    done = await h.press(menu["result"]["message_id"], "su:cty", "editMessageText")
    assert done["params"]["text"] == "已订阅:测试县人民政府"


def test_the_whole_conversation(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            # an unknown chat learns how to start, and nothing else
            stranger = await h.say("/upcoming", chat=999)
            assert stranger["params"]["text"] == "本聊天尚未绑定。请发送 /start 邀请码(向管理员索取)。"
            await bind_and_subscribe_to_cty(h)
            coming = await h.say("/upcoming 30")
            # Saturday 28 February 2026 is a make-up working day, and says so
            assert "2026-02-28 调休上班 [截止] 报告上一年度法治政府建设情况 · 测试县人民政府" in \
                coming["params"]["text"]
            refused = await h.say("/stats")
            assert refused["params"]["text"] == "该命令仅限管理员使用。"
            link = await h.say("/feed")
            assert "webcal://duties.test/feeds/t/" in link["params"]["text"]

            # a reminder arrives with its three buttons
            h.engine.sync_subscribers()
            h.engine.plan()
            h.clock[0] = FIRST_DUE
            report = await h.engine.dispatch()
            assert report.sent == 1
            reminder = fake.sent_messages(CHAT)[-1]
            buttons = [b for row in reminder["params"]["reply_markup"]["inline_keyboard"] for b in row]
            assert [b["text"] for b in buttons] == ["已完成", "明天再提醒", "加入日历"]
            assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
            message_id = reminder["result"]["message_id"]
            rid = buttons[0]["callback_data"].split(":")[1]

            document = await h.press(message_id, f"c:{rid}", "sendDocument")
            ics = next(iter(document["files"].values()))
            assert ics["filename"] == "t.report.ics"
            assert b"DTSTART;VALUE=DATE:20260228" in ics["content"]

            snoozed = await h.press(message_id, f"z:{rid}", "answerCallbackQuery")
            # after the holiday
            assert snoozed["params"]["text"] == "将于 2026-02-24 09:00(北京时间) 再提醒(事项日期不变)"
            assert any(r["snoozed"] for r in h.engine.store.listing("pending"))

            marked = await h.press(message_id, f"d:{rid}", "editMessageText")
            assert "✓ 已由 张三 于 2026-02-21 09:00(北京时间) 标记完成,完成日期 2026-02-21" in marked["params"]["text"]
            assert h.engine.store.completion("t.report/cty/2026")["done_by"] == "张三"
            assert not [r for r in h.engine.store.listing("pending") if r["occurrence_uid"] == "t.report/cty/2026"]

            english = await h.say("/lang en")
            assert english["params"]["text"] == "Switched to English."

    asyncio.run(scenario())


def test_admin_commands_for_admin_chats(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store, admin_chats=(str(CHAT),)) as h:
            pending = await h.say("/start", chat=777, first_name="李四")
            assert pending["params"]["text"].startswith("已收到您的申请")
            notice = await fake.wait_for_async("sendMessage", lambda c: str(c["params"]["chat_id"]) == str(CHAT))
            assert "/approve 777" in notice["params"]["text"]
            listed = await h.say("/approve")
            assert "李四(777)" in listed["params"]["text"]
            approved = await h.say("/approve 777")
            assert approved["params"]["text"] == "已批准 777。"
            stats = await h.say("/stats")
            assert stats["params"]["text"].startswith("规则版本 1:5 个单位,3 项职责")
            await h.say("/start", chat=888, first_name="Ann", language_code="en")
            mark = fake.mark()
            await h.say("/approve 888")  # bot.you_are_approved was always Chinese
            told = await fake.wait_for_async("sendMessage", lambda c: str(c["params"]["chat_id"]) == "888", since=mark)
            assert told["params"]["text"] == tr("en", "bot.you_are_approved")

    asyncio.run(scenario())


async def _bound_with_reminder(h: Harness) -> None:
    await bind_and_subscribe_to_cty(h)
    h.engine.plan()
    h.clock[0] = FIRST_DUE


@pytest.mark.slow
def test_429_waits_retry_after_and_delivers_once(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await _bound_with_reminder(h)
            mark = fake.mark()
            fake.fail_next("sendMessage", 429, retry_after=1)
            report = await h.engine.dispatch()
            assert report.sent == 1
            attempts = [c for c in fake.calls("sendMessage") if c["seq"] >= mark]
            assert [c["status"] for c in attempts] == [429, 200]
            assert attempts[1]["time"] - attempts[0]["time"] >= 1.0  # retry_after respected
            assert len([c for c in fake.sent_messages(CHAT) if "【法定职责提醒】" in c["params"]["text"]]) == 1

    asyncio.run(scenario())


def test_403_deactivates_the_subscriber_and_tells_the_admins(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await _bound_with_reminder(h)
            fake.blocked_chats.add(CHAT)
            report = await h.engine.dispatch()
            assert report.failed == 1
            person = h.services.subscribers.get("telegram", str(CHAT))
            assert person is not None
            assert person.active is False
            failed = h.engine.store.listing("failed")
            assert "subscriber deactivated" in failed[0]["last_error"]

    asyncio.run(scenario())


@pytest.mark.slow  # over half a second
def test_network_errors_retry_through_the_engine_without_duplicates(fake: FakeTelegram,
                                                                    sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await _bound_with_reminder(h)
            fake.fail_next("sendMessage", 502, description="Bad Gateway")
            first = await h.engine.dispatch()
            assert (first.sent, first.retried) == (0, 1)
            h.clock[0] = h.engine.store.next_due(before=h.clock[0] + dt.timedelta(hours=1))
            second = await h.engine.dispatch()
            assert second.sent == 1
            delivered = [c for c in fake.calls("sendMessage") if c["status"] == 200
                         and "【法定职责提醒】" in c["params"]["text"]]
            assert len(delivered) == 1

    asyncio.run(scenario())


@pytest.mark.slow  # over half a second
def test_a_timeout_is_retried(fake: FakeTelegram, sqlite_store: Store) -> None:
    """A lost answer: Telegram may already have shown the message, so this is at-least-once (docs/reminders.md)."""
    async def scenario() -> None:
        async with running(fake, sqlite_store, config=TelegramConfig(timeout_seconds=0.5)) as h:
            await _bound_with_reminder(h)
            fake.fail_next("sendMessage", delay=2)
            first = await h.engine.dispatch()
            assert (first.sent, first.retried) == (0, 1)
            assert "network" in h.engine.store.listing("pending")[0]["last_error"]
            h.clock[0] = h.engine.store.next_due(before=h.clock[0] + dt.timedelta(hours=1))
            assert (await h.engine.dispatch()).sent == 1

    asyncio.run(scenario())


def test_callback_data_of_every_keyboard_fits_64_bytes(fake: FakeTelegram, sqlite_store: Store) -> None:
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await bind_and_subscribe_to_cty(h)
            menu = await h.say("/subscribe")
            await h.press(menu["result"]["message_id"], "so:0", "editMessageText")
        for call in fake.calls():
            markup = call["params"].get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            for row in (markup or {}).get("inline_keyboard", []):
                for b in row:
                    assert len(b["callback_data"].encode()) <= 64

    asyncio.run(scenario())


def test_webhook_mode(fake: FakeTelegram, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook instead of long polling: the secret token guards /telegram/webhook."""



    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1")
    config = make_site(Path(str(tmp_path)), [DATA / "rules" / "sample.yaml"],
                       extra_config="notifiers: {telegram: {webhook_url: 'http://duties.test/telegram/webhook'}}\n")
    clock = FrozenClock(PLAN_AT)
    with running_site(config, clock, bot_factory=lambda service: _bot(service, _engine(service, clock), clock)) as live:
        hook = fake.wait_for("setWebhook")
        assert hook["params"]["url"] == "http://duties.test/telegram/webhook"
        assert hook["params"]["secret_token"] == "hook-secret_1"
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(_time.time()), "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "张三"}, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        wrong = httpx.post(f"{live.url}/telegram/webhook", json=update, timeout=10,
                           headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert wrong.status_code == 403
        ok = httpx.post(f"{live.url}/telegram/webhook", json=update, timeout=10,
                        headers={"X-Telegram-Bot-Api-Secret-Token": "hook-secret_1"})
        assert ok.status_code == 200
        reply = fake.wait_for("sendMessage", lambda c: str(c["params"]["chat_id"]) == str(CHAT))
        assert reply["params"]["text"].startswith("本聊天尚未绑定")
        assert not fake.calls("getUpdates")  # no polling in webhook mode


def _buttons(call: dict) -> list[tuple[str, str]]:
    markup = call["params"]["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def test_done_asks_for_the_day_and_offers_undo(fake: FakeTelegram, sqlite_store: Store) -> None:
    """已完成 records today (Beijing time) and says so; 不是今天完成? offers today and yesterday (the duty's
    date, 28 Feb, is still to come); the day picked corrects the completion; 撤销 takes it back and brings
    the reminder's buttons again. Each change is in the history, door bot."""
    async def scenario() -> None:
        async with running(fake, sqlite_store) as h:
            await _bound_with_reminder(h)
            await h.engine.dispatch()
            reminder = fake.sent_messages(CHAT)[-1]
            message_id = reminder["result"]["message_id"]
            rid = _buttons(reminder)[0][1].split(":")[1]
            uid = "t.report/cty/2026"

            marked = await h.press(message_id, f"d:{rid}", "editMessageText")
            status = r"\n\n✓ 已由 张三 于 2026-02-21 09:00\(北京时间\) 标记完成,完成日期 2026-02-21$"
            assert re.search(status, marked["params"]["text"])
            assert marked["params"]["text"].startswith("【法定职责提醒】")
            assert _buttons(marked) == [("撤销", f"u:{rid}"), ("不是今天完成?", f"w:{rid}")]
            assert h.engine.store.completion(uid)["done_on"] == dt.date(2026, 2, 21)

            picker = await h.press(message_id, f"w:{rid}", "editMessageReplyMarkup")
            assert _buttons(picker) == [("今天 02-21", f"o:{rid}:20260221"), ("昨天 02-20", f"o:{rid}:20260220"),
                                        ("撤销", f"u:{rid}")]
            assert all(len(data.encode()) <= 64 for _, data in _buttons(picker))
            redated = await h.press(message_id, f"o:{rid}:20260220", "editMessageText")
            assert redated["params"]["text"].count("✓ 已由") == 1  # the status paragraph is replaced
            assert redated["params"]["text"].endswith("完成日期 2026-02-20")
            assert h.engine.store.completion(uid)["done_on"] == dt.date(2026, 2, 20)

            h.clock[0] += dt.timedelta(minutes=5)
            undone = await h.press(message_id, f"u:{rid}", "editMessageText")
            assert re.search(r"\n\n↩ 已由 张三 于 2026-02-21 09:05\(北京时间\) 撤销完成标记$", undone["params"]["text"])
            assert "✓" not in undone["params"]["text"]
            assert [text for text, _ in _buttons(undone)] == ["已完成", "明天再提醒", "加入日历"]
            assert h.engine.store.completion(uid) is None
            entries = History(sqlite_store).entries(uid=uid)
            assert [(e["action"], e["door"], e["actor"], e["done_on"]) for e in entries] == [
                ("done", "bot", "张三", dt.date(2026, 2, 21)), ("redate", "bot", "张三", dt.date(2026, 2, 20)),
                ("undo", "bot", "张三", dt.date(2026, 2, 20))]
            again = await h.press(message_id, f"d:{rid}", "editMessageText")  # and done again
            assert "完成日期 2026-02-21" in again["params"]["text"]

    asyncio.run(scenario())
