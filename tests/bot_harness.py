"""The real bot (python-telegram-bot polling the fake Bot API) with a reminder engine on a store and a
clock the test moves: for the bot's end-to-end tests and the supervision scenario's bot door."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.app import BotServices, build_application
from notifiers.log import LogNotifier
from notifiers.telegram import TelegramConfig, TelegramNotifier
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import Store
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from tests.conftest import DATA
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token_abc"
CHAT = 4242
PLAN_AT = dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)


@dataclass
class Harness:
    fake: FakeTelegram
    services: BotServices
    engine: ReminderEngine
    channel: TelegramNotifier
    clock: list[dt.datetime]  # [now]: set clock[0] to move the bot's and the engine's time

    async def say(self, text: str, chat: int = CHAT, **kw: object) -> dict:
        mark = self.fake.mark()
        self.fake.send_text(chat, text, **kw)  # type: ignore[arg-type]
        return await self.fake.wait_for_async(
            "sendMessage", lambda c: str(c["params"].get("chat_id")) == str(chat), since=mark)

    async def press(self, message_id: int, data: str, method: str) -> dict:
        mark = self.fake.mark()
        self.fake.press_button(CHAT, message_id, data)
        return await self.fake.wait_for_async(method, since=mark)


@contextlib.asynccontextmanager
async def running(fake: FakeTelegram, store: Store, *, admin_chats: tuple[str, ...] = (),
                  config: TelegramConfig | None = None, snapshot: Snapshot | None = None, now: dt.datetime = PLAN_AT,
                  url: str = "http://duties.test") -> AsyncIterator[Harness]:
    """The bot polling ``fake`` and an engine on ``store``, both at ``now`` (the clock starts there).

    ``snapshot``: the rules and config (default tests/data/sample-config.yaml as of ``now``);
    ``url``: the public address the messages' links use.
    """
    loaded: Snapshot = snapshot or load_snapshot(DATA / "sample-config.yaml", 1, now)
    clock = [now]
    channel = TelegramNotifier(config or TelegramConfig(admin_chats=list(admin_chats), timeout_seconds=5))
    engine = ReminderEngine(lambda: loaded, ReminderStore(store), {"telegram": channel, "log": LogNotifier()},
                            clock=lambda: clock[0], instance="t", base_url=url)
    services = BotServices(snapshot=lambda: loaded, subscribers=SubscriberStore(store), reminders=engine.store,
                           clock=lambda: clock[0], public_url=url, admin_chats=set(admin_chats),
                           reload=lambda: (True, 1, []))
    app = build_application(channel.bot, services)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield Harness(fake, services, engine, channel, clock)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await engine.close()


__all__ = ["CHAT", "PLAN_AT", "TOKEN", "Harness", "running"]
