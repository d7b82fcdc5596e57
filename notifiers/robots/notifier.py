"""The base class of the robot channels: one named robot per recipient, one POST per message."""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from notifiers.base import Message, Notifier, PermanentError
from notifiers.robots.rate import Clock, RateLimiter, Sleep
from notifiers.robots.replies import ReplyMapping
from notifiers.robots.settings import Credentials
from notifiers.robots.transport import Outgoing, check_url, post
from redaction import redact_url


class RobotNotifier(ReplyMapping, Notifier):
    """A channel of named robots; subclasses build the platform's request and name its error codes
    (the class attributes of :class:`ReplyMapping`).

    ``clock`` (wall time, seconds) stamps the signatures; ``monotonic`` and ``sleep`` drive the
    rate limiter. All three are injectable so tests neither depend on the time nor wait.
    """

    channel: ClassVar[str]

    def __init__(self, config: Any, *, clock: Clock = time.time, monotonic: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.config = config
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self._limiters: dict[str, RateLimiter] = {}

    # -- what subclasses provide

    @abstractmethod
    def credentials(self, robot: Any, where: str) -> Credentials:
        """The robot's URL (and secret) from the environment."""

    @abstractmethod
    def build(self, message: Message, robot: Any, credentials: Credentials) -> Outgoing:
        """The request that delivers ``message`` through ``robot``."""

    def rate_limits(self) -> list[tuple[int, float]]:
        """``(messages, seconds)`` windows a robot must stay within."""
        per_minute = getattr(self.config, "rate_per_minute", None)
        return [(per_minute, 60.0)] if per_minute else []

    # -- the common path

    def _where(self, name: str) -> str:
        return f"{self.channel} robot {name!r}"

    def _limiter(self, name: str) -> RateLimiter:
        limiter = self._limiters.get(name)
        if limiter is None:
            limiter = RateLimiter(self.rate_limits(), clock=self.monotonic, sleep=self.sleep,
                                  max_wait=self.config.rate_max_wait_seconds)
            self._limiters[name] = limiter
        return limiter

    async def send(self, message: Message) -> str | None:
        name = message.recipient
        robots: Mapping[str, Any] = self.config.robots
        robot = robots.get(name)
        if robot is None:
            known = ", ".join(sorted(robots)) or "none"
            raise PermanentError(f"{self.channel}: no robot named {name!r} under notifiers.{self.channel}.robots "
                                 f"(configured: {known})")
        where = self._where(name)
        try:
            credentials = self.credentials(robot, where)
            shown = redact_url(credentials.url)
        except ValueError:  # a URL urlsplit cannot take ("Invalid IPv6 URL"); its text would show the token
            raise PermanentError(f"{where}: the webhook URL in {robot.webhook_env} is not usable") from None
        where = f"{where} ({shown})"
        await self._limiter(name).acquire(self._where(name))
        outgoing = self.build(message, robot, credentials)
        secrets = (*credentials.secrets, *outgoing.secrets)
        check_url(outgoing.url, where, secrets)
        headers = {"Content-Type": "application/json; charset=utf-8", **outgoing.headers}
        reply = await post(outgoing, headers, self.config.timeout_seconds, where, secrets)
        return self.outcome(reply, where, secrets)


__all__ = ["RobotNotifier"]
