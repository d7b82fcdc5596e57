"""The notifier interface: one small async ``send`` per channel.

A channel is one module in this package exporting a ``Notifier`` subclass;
adding a channel touches no other channel. The engine (scheduler/) builds a
:class:`Message`, calls ``send`` and maps the outcome: a return is delivered,
:class:`TransientError` is retried with backoff, :class:`PermanentError` is
recorded and reported to the admins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from obligations.errors import Error


@dataclass(frozen=True)
class Button:
    """An action a chat channel can offer under the message (已完成, 明天再提醒, 加入日历)."""

    label: str
    action: str  # opaque data for the engine, at most 64 bytes (Telegram's limit)


@dataclass(frozen=True)
class Message:
    """One reminder for one recipient, in the recipient's language."""

    key: str  # the reminder's unique key: the same key is the same reminder (idempotency)
    recipient: str  # channel-specific: an e-mail address, a chat id, a robot's name
    subject: str
    text: str  # plain text, the whole message
    html: str | None = None  # the same content as HTML, for channels that render it
    markdown: str | None = None  # the same content as Markdown, for chat robots
    ics: bytes | None = None  # the occurrence as an iCalendar file (METHOD:PUBLISH)
    ics_name: str = "duty.ics"
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    mentions: tuple[str, ...] = field(default_factory=tuple)  # people to @-mention where supported
    covers: tuple[str, ...] = field(default_factory=tuple)  # the reminder keys this message delivers


class DeliveryError(Error):
    """Sending failed; ``retry_after`` (seconds) when the channel said how long to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """Worth retrying: a timeout, a dropped connection, a 4xx SMTP reply, a rate limit."""


class PermanentError(DeliveryError):
    """Retrying will not help: an unknown address, a blocked bot, bad credentials."""


class RecipientGone(PermanentError):
    """The recipient refuses all messages (a user blocked the bot, a chat was deleted): the engine
    deactivates that subscriber and tells the admins."""


class Notifier(ABC):
    """A delivery channel."""

    channel: ClassVar[str]
    attaches_calendar: ClassVar[bool] = False  # True: give this channel the occurrence as an .ics file

    @abstractmethod
    async def send(self, message: Message) -> str | None:
        """Deliver ``message``; return the channel's message id if it has one.

        Raise :class:`TransientError` or :class:`PermanentError` on failure;
        never log secrets (passwords, tokens, webhook keys).
        """

    async def close(self) -> None:  # noqa: B027 - optional hook, most channels hold nothing open
        """Release connections; called once when the service stops."""

    def delivered(self, keys: tuple[str, ...]) -> set[str] | None:
        """Which of ``keys`` this channel already delivered, if it can know (None: it cannot).

        Asked before resending a reminder whose earlier claim ended without an
        outcome (the dispatcher died between sending and recording): a channel
        that keeps a journal answers, and the reminder is not sent twice.
        """
        return None


__all__ = ["Button", "DeliveryError", "Message", "Notifier", "PermanentError", "RecipientGone", "TransientError"]
