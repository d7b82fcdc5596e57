"""Telegram's webhook (``POST /telegram/webhook``), routed only when the bot runs in webhook mode."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Update

from web import params

log = logging.getLogger(__name__)


def telegram_webhook(bot: Any) -> Callable[[Request], Awaitable[Response]]:
    """Telegram's webhook: updates are checked against the secret token, then handed to the bot.

    The secret header is compared as bytes (absent, wrong or non-ASCII: 403); the body must be a
    JSON object of at most :data:`params.MAX_BODY` bytes that parses as an Update (else 400 or 413).
    """
    secret = bot.bot_data["webhook"]["secret"].encode()

    async def endpoint(request: Request) -> Response:
        given = dict(request.scope["headers"]).get(b"x-telegram-bot-api-secret-token", b"")
        if not hmac.compare_digest(given, secret):
            return PlainTextResponse("wrong secret token\n", status_code=403)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > params.MAX_BODY:
                return PlainTextResponse("update too large\n", status_code=413)
        try:
            data = json.loads(bytes(body))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser's depth
            return PlainTextResponse("not JSON\n", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return PlainTextResponse("not a Telegram update: a JSON object with an update_id\n", status_code=400)
        try:
            update = Update.de_json(data, bot.bot)
        except Exception as exc:  # the library's parse of foreign data fails in many ways
            log.warning("webhook: an update that does not parse (%s)", type(exc).__name__)
            return PlainTextResponse("not a Telegram update\n", status_code=400)
        await bot.update_queue.put(update)
        return PlainTextResponse("ok\n")

    return endpoint


__all__ = ["telegram_webhook"]
