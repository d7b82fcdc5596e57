"""The fake Telegram Bot API against the real python-telegram-bot, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
)

from tests.fake_telegram import FakeTelegram, fake_bot_api

pytestmark = pytest.mark.network

TOKEN = "123456:TEST-token_abc"
CHAT = 4242


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_bot_api(TOKEN) as api:
        yield api


def bot_for(fake: FakeTelegram) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)


def test_bot_get_me_and_keyboard_message(fake: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes"),
                                      InlineKeyboardButton("说明", url="https://example.org/help")]])

    async def main() -> tuple[str, object, object]:
        async with bot_for(fake) as bot:
            me = await bot.get_me()
            sent = await bot.send_message(CHAT, "<b>提醒</b> 今天到期", parse_mode=ParseMode.HTML,
                                          reply_markup=keyboard)
            return bot.base_url, me, sent

    base_url, me, sent = asyncio.run(main())

    assert base_url == f"{fake.url}/bot{TOKEN}"  # PTB appends the token to base_url
    assert (me.id, me.username, me.is_bot) == (123456, "fake_test_bot", True)
    assert sent.chat.id == CHAT
    assert sent.from_user.id == 123456
    assert sent.reply_markup == keyboard
    call = fake.wait_for("sendMessage")
    assert call["params"] == {
        "chat_id": CHAT, "text": "<b>提醒</b> 今天到期", "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "yes"},
                                              {"text": "说明", "url": "https://example.org/help"}]]},
    }
    assert call["raw"]["chat_id"] == str(CHAT)  # the form fields as PTB sent them
    assert json.loads(call["raw"]["reply_markup"]) == call["params"]["reply_markup"]
    assert "\\u662f" in call["raw"]["reply_markup"]  # PTB json.dumps with ensure_ascii: 是 travels escaped
    assert [c["params"]["text"] for c in fake.sent_messages(CHAT)] == ["<b>提醒</b> 今天到期"]
    assert len(fake.calls("getMe")) == 2  # Bot.initialize() calls getMe too


def test_application_polls_command_and_button(fake: FakeTelegram) -> None:
    seen: list[tuple[str, str | None]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.effective_user is not None
        seen.append((update.effective_user.first_name, update.effective_user.language_code))
        code = " ".join(context.args or [])
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data=f"ok:{code}")]])
        await update.message.reply_text("hi " + code, reply_markup=keyboard)

    async def button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer("已确认")
        await query.edit_message_text("confirmed " + query.data.removeprefix("ok:"))

    async def main() -> None:
        app = (ApplicationBuilder().token(TOKEN).base_url(fake.base_url).base_file_url(fake.base_file_url)
               .job_queue(None).build())
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(button, pattern=r"^ok:"))
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.send_text(CHAT, "/start abc")
            reply = await fake.wait_for_async("sendMessage", lambda c: c["params"]["text"] == "hi abc", timeout=5)
            press = fake.press_button(CHAT, reply["result"]["message_id"], "ok:abc")
            query_id = press["callback_query"]["id"]
            answer = await fake.wait_for_async(
                "answerCallbackQuery", lambda c: c["params"]["callback_query_id"] == query_id, timeout=5)
            assert answer["status"] == 200
            assert answer["params"]["text"] == "已确认"
            await fake.wait_for_async("editMessageText", timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    asyncio.run(main())

    assert seen == [("张三", "zh-hans")]
    reply = fake.sent_messages(CHAT)[0]
    assert reply["params"]["reply_markup"] == {"inline_keyboard": [[{"text": "确认", "callback_data": "ok:abc"}]]}
    edited = fake.message(CHAT, reply["result"]["message_id"])
    assert edited["text"] == "confirmed abc"
    assert "reply_markup" not in edited  # editMessageText without reply_markup drops the keyboard
    assert fake.calls("deleteWebhook")  # start_polling bootstraps with deleteWebhook
    assert fake.pending_updates() == []  # the last getUpdates offset confirmed both updates


@pytest.fixture
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB >= 22.2 warns (PTBDeprecationWarning) whenever it builds a RetryAfter from a 429 unless
    PTB_TIMEDELTA opts in to timedelta periods; with warnings as errors that warning would replace
    the RetryAfter."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.mark.usefixtures("timedelta_periods")
@pytest.mark.slow
def test_rate_limiter_honours_retry_after(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)

    async def main() -> None:
        async with ExtBot(TOKEN, base_url=fake.base_url, rate_limiter=AIORateLimiter(max_retries=2)) as bot:
            await bot.send_message(CHAT, "paced")

    asyncio.run(main())

    first, second = fake.calls("sendMessage")
    assert first["status"] == 429
    assert first["response"] == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1}}
    assert second["status"] == 200
    assert second["params"]["text"] == "paced"
    assert second["time"] - first["time"] >= 1.0
    assert [c["params"]["text"] for c in fake.sent_messages(CHAT)] == ["paced"]


@pytest.mark.usefixtures("timedelta_periods")
def test_error_statuses_raise_ptb_errors(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", status=400, description="chat not found")
    fake.fail_next("sendMessage", status=429, retry_after=2)
    fake.blocked_chats.add(CHAT)

    async def main() -> None:
        async with bot_for(fake) as bot:
            with pytest.raises(BadRequest, match=r"^Chat not found$"):  # PTB strips "Bad Request: "
                await bot.send_message(CHAT + 1, "x")
            with pytest.raises(RetryAfter) as flood:  # no rate limiter: the 429 reaches the caller
                await bot.send_message(CHAT + 1, "x")
            assert flood.value.retry_after == dt.timedelta(seconds=2)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(CHAT, "x")
            with pytest.raises(Forbidden):
                await bot.send_document(CHAT, b"%PDF", filename="a.pdf")
            await bot.send_message(CHAT + 1, "still fine")
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")
        with pytest.raises(InvalidToken):  # 401: `async with` already fails, as initialize() calls getMe
            async with Bot("999:WRONG", base_url=fake.base_url):
                pass

    asyncio.run(main())
    assert [c["status"] for c in fake.calls("sendMessage")] == [400, 429, 403, 200]
    assert fake.calls("noSuchMethod")[0]["response"] == {
        "ok": False, "error_code": 404, "description": "Not Found: method not found"}


def test_slow_answer_times_out_and_server_stops_promptly() -> None:
    started = time.monotonic()
    with fake_bot_api(TOKEN) as fake:
        fake.fail_next("sendMessage", delay=30)

        async def main() -> None:
            async with bot_for(fake) as bot:
                with pytest.raises(TimedOut):
                    await bot.send_message(CHAT, "slow", read_timeout=0.3)
                await bot.send_message(CHAT, "fast")

        asyncio.run(main())
    assert time.monotonic() - started < 5  # leaving ended the 30 s delay
    slow, fast = fake.calls("sendMessage")
    assert slow["delay"] == 30
    assert slow["status"] == 200  # carried out; only the answer was late
    assert fast["delay"] == 0
    assert [c["params"]["text"] for c in fake.sent_messages(CHAT)] == ["slow", "fast"]


@pytest.mark.slow
def test_long_poll_waits_and_wakes(fake: FakeTelegram) -> None:
    async def main() -> None:
        async with bot_for(fake) as bot:
            with pytest.raises(RuntimeError, match="wait_for_async"):
                fake.wait_for("getMe")  # blocking inside a coroutine would stall the loop

            begun = time.monotonic()
            assert await bot.get_updates(timeout=0.5) == ()
            assert 0.5 <= time.monotonic() - begun < 2

            begun = time.monotonic()
            asyncio.get_running_loop().call_later(0.3, lambda: fake.send_text(CHAT, "/report@fake_test_bot 周报"))
            updates = await bot.get_updates(timeout=10)
            assert time.monotonic() - begun < 3  # woken by the update, not by the 10 s timeout
            (update,) = updates
            assert update.message is not None
            assert update.message.chat.type == "private"
            assert update.message.text == "/report@fake_test_bot 周报"
            assert update.message.entities[0].type == "bot_command"
            assert update.message.entities[0].length == len("/report@fake_test_bot")

            assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
            assert fake.pending_updates() == []

            fake.send_text(-100, "/start", user_id=7, chat_type="supergroup")
            (group_update,) = await bot.get_updates(timeout=1)
            assert group_update.message is not None
            assert group_update.message.chat.type == "supergroup"
            assert group_update.effective_user is not None
            assert group_update.effective_user.id == 7

    asyncio.run(main())


def test_document_upload_commands_and_download(fake: FakeTelegram) -> None:
    async def main() -> bytes:
        async with bot_for(fake) as bot:
            await bot.set_my_commands([("start", "开始"), ("list", "待办")])
            commands = await bot.get_my_commands()
            assert [(c.command, c.description) for c in commands] == [("start", "开始"), ("list", "待办")]
            sent = await bot.send_document(CHAT, b"BEGIN:VCALENDAR\r\n", filename="duties.ics",
                                           caption="日历")
            assert sent.document is not None
            assert sent.document.file_name == "duties.ics"
            assert sent.caption == "日历"
            file = await bot.get_file(sent.document.file_id)
            assert file.file_path is not None
            assert file.file_path.startswith(fake.base_file_url)
            return bytes(await file.download_as_bytearray())

    assert asyncio.run(main()) == b"BEGIN:VCALENDAR\r\n"
    (call,) = fake.calls("sendDocument")
    assert call["params"] == {"chat_id": CHAT, "caption": "日历"}
    upload = call["files"]["document"]
    assert (upload["filename"], upload["content"]) == ("duties.ics", b"BEGIN:VCALENDAR\r\n")
    assert fake.calls("setMyCommands")[0]["params"]["commands"] == [
        {"command": "start", "description": "开始"}, {"command": "list", "description": "待办"}]


def test_json_and_form_bodies_without_ptb(fake: FakeTelegram) -> None:
    api = f"{fake.base_url}{TOKEN}"
    with httpx.Client(timeout=5) as client:
        markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
        sent = client.post(f"{api}/sendMessage", json={"chat_id": "-1001", "text": "123", "reply_markup": markup})
        assert sent.status_code == 200
        assert sent.json()["result"]["reply_markup"] == markup
        form = client.post(f"{api}/sendMessage", data={"chat_id": "-1001", "text": "true",
                                                       "reply_markup": json.dumps(markup)})
        assert form.json()["result"]["text"] == "true"  # text stays a string even when it looks like JSON
        assert client.post(f"{api}/sendMessage", content=b"{", headers={"content-type": "application/json"}
                           ).json()["description"] == "Bad Request: can't parse JSON body"
        assert client.post(f"{api}/sendMessage", data={"chat_id": 5}).json() == {
            "ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        assert client.get(f"{api}/getMe").json()["result"]["username"] == "fake_test_bot"
        assert client.get(f"{fake.url}/nowhere").status_code == 404
    assert [c["params"]["chat_id"] for c in fake.sent_messages(-1001)] == [-1001, -1001]
    assert [c["params"]["text"] for c in fake.sent_messages(-1001)] == ["123", "true"]
    assert fake.calls("sendMessage")[1]["params"]["reply_markup"] == markup
