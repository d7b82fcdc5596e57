"""The Telegram channel: reminders as chat messages with buttons (python-telegram-bot).

The bot's token comes from ``TELEGRAM_BOT_TOKEN``; the Bot API's base URL from
``TELEGRAM_API_URL`` or ``api_url`` (self-hosted Bot API servers exist, and the
tests run their own fake). Telegram's limits — about 30 messages a second
overall and 20 a minute per group — are kept by python-telegram-bot's
``AIORateLimiter``, which also waits out a 429's ``retry_after``. The same bot
object serves the conversation (bot/), so both share one rate limit.
"""

from __future__ import annotations

import html
import os

# python-telegram-bot 22 warns on every 429 unless told to use timedelta for retry_after;
# we handle both forms, so opt in before any RetryAfter is built
os.environ.setdefault("PTB_TIMEDELTA", "1")

from pydantic import Field, field_validator
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from notifiers.base import Message, Notifier, PermanentError, RecipientGone, TransientError
from notifiers.telegram_urls import API_URL_ENV, DEFAULT_API_URL, api_urls
from obligations.strict import Strict
from redaction import redact

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
MAX_TEXT = 4096  # Telegram's limit for one message's text, in characters


class TelegramConfig(Strict):
    """``notifiers: telegram:`` in config.yaml; the token is never here."""

    api_url: str | None = Field(default=None, description="Bot API base URL, e.g. https://api.telegram.org/bot; "
                                "TELEGRAM_API_URL overrides it")
    admin_chats: list[str] = Field(default_factory=list, description="Chat ids allowed to use the admin commands")
    timeout_seconds: float = Field(default=20, gt=0, description="Read timeout for one Bot API call")
    max_retries: int = Field(default=3, ge=0, description="429 retries the rate limiter makes before giving up")
    messages_per_second: float = Field(
        default=29, gt=0, le=30,
        description="Overall pace, one message every 1/N s without bursts (Telegram allows about 30/s)",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Webhook mode instead of long polling: the public https URL of this service's "
        "/telegram/webhook; the secret comes from TELEGRAM_WEBHOOK_SECRET",
    )

    @field_validator("api_url")
    @classmethod
    def _usable_api_url(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                api_urls(v)
            except PermanentError as exc:
                raise ValueError(str(exc)) from None
        return v


def make_bot(config: TelegramConfig) -> ExtBot[None]:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise PermanentError(f"the Telegram bot token is not set: put it in the {TOKEN_ENV} environment variable")
    base_url, base_file_url = api_urls(os.environ.get(API_URL_ENV) or config.api_url or DEFAULT_API_URL)

    request = HTTPXRequest(read_timeout=config.timeout_seconds, connect_timeout=config.timeout_seconds)
    # One message every 1/N s rather than PTB's default bucket of 30 per second: the bucket lets a
    # burst of 30 through and then 30 more within the same second, which Telegram answers with 429s
    # (bench/telegram_bench.py: 2,823 of them for 10,000 messages; paced: none, at 0.945 of 30/s).
    limiter = AIORateLimiter(overall_max_rate=1, overall_time_period=1 / config.messages_per_second,
                             group_max_rate=20, group_time_period=60, max_retries=config.max_retries)
    return ExtBot(token, base_url=base_url, base_file_url=base_file_url, request=request,
                  rate_limiter=limiter)


def _redact(text: str) -> str:
    return redact(text)  # the token, and anything shaped like one (redaction)


class TelegramNotifier(Notifier):
    channel = "telegram"

    def __init__(self, config: TelegramConfig | None = None) -> None:
        self.config = config or TelegramConfig()
        self._bot: ExtBot[None] | None = None

    @property
    def bot(self) -> ExtBot[None]:
        if self._bot is None:
            self._bot = make_bot(self.config)
        return self._bot

    async def _ready(self) -> ExtBot[None]:
        bot = self.bot
        await bot.initialize()  # a no-op once done (PTB checks its own flags)
        return bot

    async def send(self, message: Message) -> str | None:
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action)
                                            for b in message.buttons]])
        text = message.text if len(message.text) <= MAX_TEXT else message.text[: MAX_TEXT - 1] + "…"
        try:
            bot = await self._ready()
            sent = await bot.send_message(chat_id=message.recipient, text=html.escape(text), parse_mode="HTML",
                                          reply_markup=markup, disable_web_page_preview=True)
        except RetryAfter as exc:
            raise TransientError(f"telegram: rate limited, retry after {exc.retry_after}s",
                                 retry_after=float(exc.retry_after if isinstance(exc.retry_after, int | float)
                                                   else exc.retry_after.total_seconds())) from None
        except Forbidden as exc:
            raise RecipientGone(f"telegram: chat {message.recipient} refused the message ({exc.message}); "
                                 "the bot was blocked or removed") from None
        except InvalidToken:
            raise PermanentError(f"telegram: the token in {TOKEN_ENV} was rejected") from None
        except BadRequest as exc:
            raise PermanentError(f"telegram: bad request for chat {message.recipient}: {exc.message}") from None
        except (TimedOut, NetworkError) as exc:
            raise TransientError(_redact(f"telegram: network: {exc}")) from None
        except TelegramError as exc:
            raise TransientError(_redact(f"telegram: {exc}")) from None
        return str(sent.message_id)

    async def send_document(self, chat_id: str, name: str, data: bytes, caption: str = "") -> None:
        bot = await self._ready()
        await bot.send_document(chat_id=chat_id, document=InputFile(data, filename=name), caption=caption)

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()


NOTIFIER = TelegramNotifier
SETTINGS = TelegramConfig

__all__ = [
    "API_URL_ENV",
    "NOTIFIER",
    "SETTINGS",
    "TOKEN_ENV",
    "WEBHOOK_SECRET_ENV",
    "TelegramConfig",
    "TelegramNotifier",
    "api_urls",
    "make_bot",
]
