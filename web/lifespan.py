"""What runs beside the HTTP app while it serves: the reminder engine, the Telegram bot (started with
retries), the rules' file watcher, the check whether another instance loaded other rules
(service.rulesync) and the daily move of the feeds' range.

A bot that cannot start does not stop the app: /healthz says ``degraded`` with the reason
(:class:`web.health.Health`) and the bot tries again with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from watchfiles import awatch

from service.feeds import FeedService
from service.rulesync import RulesSync
from service.runner import EngineRunner
from web.health import Health

log = logging.getLogger(__name__)

BOT_RETRY_FIRST = 5.0  # seconds before a bot that failed to start tries again; doubles up to BOT_RETRY_MAX
BOT_RETRY_MAX = 300.0
ROLL_OVER_CHECK = 600  # seconds between checks whether the day changed


def lifespan(service: FeedService, *, watch: bool, runner: EngineRunner | None, bot: Any,
             health: Health) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: ``runner`` and ``bot`` start and stop with it; ``watch`` reloads the rules
    when their files change; the feeds move forward every day."""

    @contextlib.asynccontextmanager
    async def running(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        health.rules = RulesSync(service, instance=f"{socket.gethostname()}:{os.getpid()}")
        await asyncio.to_thread(health.rules.publish)  # a start is a change of this instance's own
        tasks.append(asyncio.create_task(_follow(service, health.rules, stop)))
        if runner is not None:
            runner.start()
            service.on_reload.append(runner.rules_changed)
        if bot is not None:
            tasks.append(asyncio.create_task(_keep_bot_started(bot, health, stop)))
        if watch:
            tasks.append(asyncio.create_task(_watch(service, stop)))
        tasks.append(asyncio.create_task(_daily(service, stop)))
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if bot is not None:
                await _stop_bot(bot)
            if runner is not None:
                await runner.stop()

    return running


async def _start_bot(bot: Any) -> None:
    await bot.initialize()  # getMe: a wrong token or an unreachable Bot API fails here
    webhook = bot.bot_data.get("webhook")
    if webhook is not None:  # Telegram posts updates to /telegram/webhook
        await bot.bot.set_webhook(url=webhook["url"], secret_token=webhook["secret"])
    elif not bot.updater.running:
        await bot.updater.start_polling(drop_pending_updates=False)
    if not bot.running:
        await bot.start()


async def _stop_bot(bot: Any) -> None:
    with contextlib.suppress(Exception):
        if bot.updater is not None and bot.updater.running:
            await bot.updater.stop()
    with contextlib.suppress(Exception):
        if bot.running:
            await bot.stop()
    with contextlib.suppress(Exception):
        await bot.shutdown()


async def _keep_bot_started(bot: Any, health: Health, stop: asyncio.Event) -> None:
    """Start the Telegram bot; on failure, report it in /healthz and try again with a growing pause."""
    delay = BOT_RETRY_FIRST
    health.channel("telegram", "starting")
    while not stop.is_set():
        try:
            await _start_bot(bot)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = f"could not start ({type(exc).__name__}: {exc}); next try in {delay:g}s"
            health.channel("telegram", "failed", reason)
            log.error("telegram bot %s", reason)  # redacted by redaction like every log line
            await _stop_bot(bot)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, BOT_RETRY_MAX)
            continue
        mode = "webhook" if bot.bot_data.get("webhook") is not None else "polling"
        health.channel("telegram", "running")
        health.channels["telegram"]["mode"] = mode
        log.info("telegram bot running (%s)", mode)
        return


async def _watch(service: FeedService, stop: asyncio.Event) -> None:
    """Reload the rules (and rebuild the feeds) whenever a YAML file next to them changes."""

    def is_yaml(_change: object, path: str) -> bool:
        return path.endswith((".yaml", ".yml"))

    async for _ in awatch(*service.live.watched_paths(), watch_filter=is_yaml, stop_event=stop, debounce=300):
        await asyncio.to_thread(service.reload)


async def _follow(service: FeedService, rules: RulesSync, stop: asyncio.Event) -> None:
    """Reload when another instance on the store loaded other rules (every ``server.rules_poll_seconds``)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=service.live.current.loaded.config.server.rules_poll_seconds)
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(rules.poll)
        except Exception:  # the store away for a moment: the next check tries again
            log.exception("checking the rules other instances loaded failed; trying again")


async def _daily(service: FeedService, stop: asyncio.Event) -> None:
    """Move the feeds' range forward when the day changes (checked every ten minutes)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=ROLL_OVER_CHECK)
        if not stop.is_set():
            await asyncio.to_thread(service.roll_over)


__all__ = ["BOT_RETRY_FIRST", "BOT_RETRY_MAX", "lifespan"]
