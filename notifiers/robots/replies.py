"""What a robot's reply means: delivered, worth retrying, or a refusal to report.

:class:`ReplyMapping` is the half of :class:`~notifiers.robots.notifier.RobotNotifier` that reads
replies: a channel names the JSON fields of its platform's error code and message, and which
codes are transient or permanent; the HTTP status decides the rest.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from notifiers.base import DeliveryError, PermanentError, TransientError
from notifiers.robots.rate import Clock
from notifiers.robots.transport import RobotReply, short
from redaction import scrub

# A wait the far side asks for (Retry-After) is capped at this many seconds.
MAX_RETRY_AFTER = 86400.0
# Words platforms use when they refuse a message for its rate rather than its content.
RATE_WORDS = re.compile(r"too (fast|many|frequent)|frequen|rate.?limit|freq out|over limit|限流|频率|频繁", re.I)

_SECONDS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")


def retry_after_header(response: httpx.Response | Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or Feishu's ``x-ogw-ratelimit-reset``.

    Takes a response or its headers. A value that is neither (``inf``, ``-5``, ``soon``, a date
    that does not exist) is ignored; a wait is at most :data:`MAX_RETRY_AFTER`.
    """
    headers = response.headers if isinstance(response, httpx.Response) else response
    for header in ("retry-after", "x-ogw-ratelimit-reset"):
        value = (headers.get(header) or "").strip()
        if not value:
            continue
        if _SECONDS.fullmatch(value):
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            try:
                seconds = when.timestamp() - now
            except (OverflowError, ValueError):
                continue
        if math.isfinite(seconds):
            return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    return None


def _code(raw: Any) -> int | None:
    """A platform error code: an integer, or a string of ASCII digits, of a sane size; else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if -(2**63) <= raw < 2**63 else None
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,18}", raw.strip()):
        return int(raw.strip())
    return None


class ReplyMapping:
    """Turns a :class:`RobotReply` into a return (delivered) or the :class:`DeliveryError` it means."""

    channel: ClassVar[str]
    clock: Clock  # wall time, seconds: an HTTP date in Retry-After is relative to it
    # The JSON fields of the platform's reply holding its error code and message, first found
    # first (no code fields: the HTTP status alone decides).
    code_fields: ClassVar[tuple[str, ...]] = ()
    message_fields: ClassVar[tuple[str, ...]] = ()
    # Codes worth retrying, with the wait the platform imposes (None: the engine's backoff).
    transient_codes: ClassVar[Mapping[int, float | None]] = {}
    # Codes that will not change on retry, with what to check.
    permanent_codes: ClassVar[Mapping[int, str]] = {}
    # How long a refusal for the rate (HTTP 429 without Retry-After, a rate code) makes us wait.
    rate_retry_after: ClassVar[float] = 60.0

    def outcome(self, reply: RobotReply, where: str, secrets: Sequence[str]) -> str | None:
        """Delivered (a return), or the error the reply means."""
        error = self._error(reply, where, secrets)
        if error is None:
            return self.message_id(reply)
        text = scrub(str(error), secrets)
        raise type(error)(text, retry_after=error.retry_after)

    def message_id(self, reply: RobotReply) -> str | None:
        return None

    def redirect_error(self, status: int, where: str, retry_after: float | None) -> DeliveryError:
        """A 3xx reply (redirects are not followed): the URL is wrong."""
        return PermanentError(f"{where}: HTTP {status} redirect; is the webhook URL right?")

    def _reply(self, reply: RobotReply, secrets: Sequence[str]) -> tuple[int | None, str]:
        """The platform's error code (None if the reply has none) and its message, scrubbed and cut short."""
        data = reply.json()
        if not isinstance(data, dict):
            return None, short(scrub(reply.text, secrets))
        code: int | None = None
        for name in self.code_fields:
            code = _code(data.get(name))
            if code is not None:
                break
        text = next((data[name] for name in self.message_fields if data.get(name) is not None), "")
        return code, short(scrub(text if isinstance(text, str) else json.dumps(text, ensure_ascii=False), secrets))

    def _error(self, reply: RobotReply, where: str, secrets: Sequence[str]) -> DeliveryError | None:
        status = reply.status
        retry_after = retry_after_header(reply.headers, self.clock())
        code, text = self._reply(reply, secrets)
        if status == 429:
            return TransientError(f"{where}: HTTP 429 too many requests {text}".rstrip(),
                                  retry_after=retry_after or self.rate_retry_after)
        if code is not None and code != 0:
            return self.code_error(code, text, where, retry_after)
        if status >= 500 or status == 408:
            return TransientError(f"{where}: HTTP {status} {text}".rstrip(), retry_after=retry_after)
        if 300 <= status < 400:
            return self.redirect_error(status, where, retry_after)
        if status >= 400 or status < 200:
            return PermanentError(f"{where}: HTTP {status} {text}".rstrip())
        if self.code_fields and code is None:
            if reply.cut:  # the platform's yes or no was still on its way
                return TransientError(f"{where}: HTTP {status}, but the reply {reply.cut}: the message may have "
                                      "been delivered")
            # Not the platform's reply (a proxy's page, a gateway hiccup): try again, a few times.
            return TransientError(f"{where}: unexpected reply (HTTP {status}, no {self.code_fields[0]}): {text}")
        return None

    def code_error(self, code: int, text: str, where: str, retry_after: float | None) -> DeliveryError:
        detail = f"{where}: error {code} {text}".rstrip()
        if code in self.transient_codes:
            return TransientError(detail, retry_after=retry_after or self.transient_codes[code])
        if code in self.permanent_codes:
            return PermanentError(f"{detail} ({self.permanent_codes[code]})")
        if RATE_WORDS.search(text):
            return TransientError(detail, retry_after=retry_after or self.rate_retry_after)
        # Any other code is a refusal of this request as it stands (bad parameter, content, robot
        # state): retrying the same body would get the same answer, so it goes to the admins now.
        return PermanentError(detail)


__all__ = ["MAX_RETRY_AFTER", "RATE_WORDS", "ReplyMapping", "retry_after_header"]
