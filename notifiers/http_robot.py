"""What the chat-robot channels (wecom, dingtalk, feishu, webhook) share.

Each robot is a webhook: one HTTPS POST of a JSON body per message. This module holds the
parts that do not depend on the platform:

- **Credentials from the environment.** A robot's webhook URL carries its access token, and a
  signing secret is a secret, so neither is ever in config.yaml: ``webhook_env`` and
  ``secret_env`` name environment variables, read at every send (a rotated token needs no
  restart). Their values never appear in an error message or a log line: URLs are shown
  redacted (:func:`redact_url`), platform replies are scrubbed (:func:`scrub`), and a filter on
  the ``httpx`` logger redacts the URLs httpx logs at INFO.
- **Rate limits.** :class:`RateLimiter` is a per-robot sliding window with reservations: a
  burst waits for the next free slot instead of being refused by the platform (which, for
  DingTalk, then blocks the robot for ten minutes).
- **Size limits.** :func:`fit` cuts a text at a character boundary (preferably at the end of a
  line) so that it, or the JSON body it goes into, stays under the platform's limit, ending
  with "…" and a link to the full reminder.
- **Outcome mapping.** :meth:`RobotNotifier.outcome` turns the HTTP status and the platform's
  JSON error code into a return (delivered), :class:`TransientError` (retry) or
  :class:`PermanentError` (report to the admins).

Why not Apprise: it covers WeCom, DingTalk and JSON webhooks, but not the Feishu/Lark signature
(the ``timestamp`` and ``sign`` fields of the body), and its ``notify()`` answers True or False:
the platform's error code is lost, so the engine could not tell a rate limit (retry, after the
wait the platform imposes) from a revoked token (report to the admins now). Its pacing is a
fixed pause between requests of one plugin, not the platforms' per-robot windows, and its
robots are configured as URLs that embed the token. Each platform's protocol is one small JSON
POST, so these modules use httpx directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import json
import logging
import os
import re
import ssl
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

import httpx
from pydantic import AfterValidator, Field

from notifiers.base import DeliveryError, Message, Notifier, PermanentError, TransientError
from obligations.model import Strict

log = logging.getLogger("notifiers.robots")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

# The rate windows are made this much longer (2 %) than the platform's, to absorb the difference
# between our clock and theirs and the jitter between sending a request and its arrival.
WINDOW_SLACK = 0.02
# A reply text longer than this is cut in error messages (they are stored and shown to admins).
MAX_DETAIL = 300
# Words platforms use when they refuse a message for its rate rather than its content.
RATE_WORDS = re.compile(r"too (fast|many|frequent)|frequen|rate.?limit|freq out|over limit|限流|频率|频繁", re.I)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "must be the NAME of an environment variable (letters, digits and _), not its value: "
            "webhook URLs and signing secrets never go in config.yaml"
        )
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]


class RobotSettings(Strict):
    """One robot: where its webhook URL comes from."""

    webhook_env: EnvName = Field(
        description="NAME of the environment variable holding the robot's webhook URL (or just its key/token)"
    )


class ChatRobotSettings(RobotSettings):
    """A robot in a group chat, which can @-mention people."""

    mention: bool = Field(default=True, description="@-mention the people a reminder names (Message.mentions)")
    mention_all: bool = Field(default=False, description="@-mention everyone in the group with every message")
    mention_ids: dict[str, str] = Field(
        default_factory=dict,
        description="A person named in a reminder's mentions → their id on this platform (user id, open_id, "
        "e-mail or mobile number); a name not listed is used as it is",
    )


class RobotChannelSettings(Strict):
    """Settings every robot channel has."""

    timeout_seconds: float = Field(default=10, gt=0, description="Limit for connecting and for the reply")
    rate_max_wait_seconds: float = Field(
        default=90,
        ge=0,
        description="A message that would wait longer than this for a free rate slot is retried later instead "
        "(keep it below reminders.lease_seconds)",
    )


# ----------------------------------------------------------------------------- redaction


def _mask_segment(segment: str) -> str:
    """A path segment that looks like a token (long, with digits) becomes ``***``."""
    if len(segment) >= 16 and any(c.isdigit() for c in segment) and re.fullmatch(r"[\w.~:%-]+", segment):
        return "***"
    return segment


def redact_url(url: str | httpx.URL) -> str:
    """``url`` with every query value, long token-like path segment and user info replaced by ``***``."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    path = "/".join(_mask_segment(s) for s in parts.path.split("/"))
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets``, raw or URL-encoded."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, "***")
    return text


class _RedactUrls(logging.Filter):
    """httpx logs every request's URL at INFO (``HTTP Request: POST https://…?key=…``): redact it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactUrls) for f in logger.filters):
        logger.addFilter(_RedactUrls())


_install_log_filter()


# ----------------------------------------------------------------------------- sizes


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def json_size(text: str) -> int:
    """Bytes ``text`` takes inside a JSON body as :func:`json_body` writes it (escapes included)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def json_body(value: Any) -> bytes:
    """The compact UTF-8 JSON the robots are sent (not \\u-escaped: Chinese stays 3 bytes a character)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def first_link(text: str) -> str | None:
    """The first http(s) link in ``text``: in a reminder, the duty's page."""
    found = re.search(r"https?://[^\s<>()\[\]\"']+", text)
    return found.group(0) if found else None


def fit(text: str, limit: int, *, link: str | None = None, size: Callable[[str], int] = utf8_size) -> str:
    """``text`` if ``size(text) <= limit``; else its longest prefix that fits with "…" and ``link`` after it.

    The cut falls between characters (never inside a multi-byte one) and, when that loses at
    most a quarter of what fits, at the end of a line, so no Markdown link or mention is cut in
    half. ``size`` measures what counts: UTF-8 bytes, or bytes inside a JSON string.
    """
    if size(text) <= limit:
        return text
    tail = "…" + (f"\n{link}" if link else "")
    if size(tail) > limit:
        tail = "…"
    budget = max(limit - size(tail), 0)
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix within budget (size grows with the prefix)
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    line_end = cut.rfind("\n")
    if line_end > 0 and line_end >= lo * 3 // 4:
        cut = cut[:line_end]
    cut = cut.rstrip()
    if link and link in cut:
        tail = "…"
    return cut + tail


# ----------------------------------------------------------------------------- mentions


_MOBILE = re.compile(r"\+?\d{5,15}")
_EVERYONE = {"all", "@all", "everyone", "所有人"}


@dataclass(frozen=True)
class Mentions:
    """Who to @-mention, sorted by how the platforms address them."""

    everyone: bool = False
    ids: tuple[str, ...] = ()  # user ids, open_ids, e-mail addresses
    mobiles: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.everyone or bool(self.ids) or bool(self.mobiles)


def mentions_for(message: Message, robot: ChatRobotSettings) -> Mentions:
    """The message's mentions as this robot is configured to make them."""
    everyone = robot.mention_all
    ids: list[str] = []
    mobiles: list[str] = []
    if robot.mention:
        for name in message.mentions:
            target = robot.mention_ids.get(name, name).strip()
            compact = re.sub(r"[\s-]", "", target)
            if not target:
                continue
            if target.lower() in _EVERYONE:
                everyone = True
            elif _MOBILE.fullmatch(compact):
                if compact not in mobiles:
                    mobiles.append(compact)
            elif target not in ids:
                ids.append(target)
    return Mentions(everyone, tuple(ids), tuple(mobiles))


# ----------------------------------------------------------------------------- rate limits


class RateLimiter:
    """At most ``n`` messages in any ``period`` seconds, for each ``(n, period)`` given.

    Each send reserves the earliest slot that keeps every window within its limit and sleeps
    until then, so a burst is spread out rather than refused. Slots are handed out in order and
    reserving does not await, so concurrent senders need no lock. A slot further away than
    ``max_wait`` is not taken: :meth:`acquire` raises :class:`TransientError` with
    ``retry_after`` and the engine tries again later (a claim must not outlive its lease).
    """

    def __init__(self, limits: Sequence[tuple[int, float]], *, clock: Clock, sleep: Sleep, max_wait: float,
                 slack: float = WINDOW_SLACK) -> None:
        self.limits = [(n, period * (1 + slack)) for n, period in limits]
        self.horizon = max((period for _, period in self.limits), default=0.0)
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self.slots: deque[float] = deque()

    def next_slot(self) -> float:
        now = self.clock()
        while self.slots and self.slots[0] <= now - self.horizon:
            self.slots.popleft()
        at = max(now, self.slots[-1]) if self.slots else now
        for n, period in self.limits:
            if len(self.slots) >= n:
                at = max(at, self.slots[-n] + period)
        return at

    async def acquire(self, where: str) -> float:
        """Wait for a slot; return how long that took (seconds)."""
        if not self.limits:
            return 0.0
        now = self.clock()
        at = self.next_slot()
        wait = at - now
        if wait > self.max_wait:
            rates = ", ".join(f"{n} per {period / (1 + WINDOW_SLACK):g}s" for n, period in self.limits)
            raise TransientError(f"{where}: rate limit ({rates}) reached; the next free slot is in {wait:.0f}s",
                                 retry_after=wait)
        self.slots.append(at)
        if wait > 0:
            log.info("%s: waiting %.1fs for the rate limit", where, wait)
            await self.sleep(wait)
        return wait


# ----------------------------------------------------------------------------- the notifier


@dataclass
class Outgoing:
    """One request, ready to post; ``secrets`` are values computed for it (a signature) to scrub."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credentials:
    url: str
    secret: str | None
    secrets: tuple[str, ...]  # every value that must not be shown: the URL, its token, the secret


def env_value(name: str, what: str, where: str) -> str:
    """The value of environment variable ``name``; PermanentError naming it (never its value) if unset."""
    value = os.environ.get(name)
    if not value:
        state = "is not set" if value is None else "is empty"
        raise PermanentError(f"{where}: the {what} environment variable {name} {state}")
    return value.strip()


def retry_after_header(response: httpx.Response, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or Feishu's ``x-ogw-ratelimit-reset``."""
    for header in ("retry-after", "x-ogw-ratelimit-reset"):
        value = response.headers.get(header)
        if not value:
            continue
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(when.timestamp() - now, 0.0)
    return None


class RobotNotifier(Notifier):
    """A channel of named robots; subclasses build the platform's request and name its error codes.

    ``clock`` (wall time, seconds) stamps the signatures; ``monotonic`` and ``sleep`` drive the
    rate limiter. All three are injectable so tests neither depend on the time nor wait.
    """

    channel: ClassVar[str]
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

    def redirect_error(self, status: int, where: str, retry_after: float | None) -> DeliveryError:
        """A 3xx reply (redirects are not followed): the URL is wrong."""
        return PermanentError(f"{where}: HTTP {status} redirect; is the webhook URL right?")

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
        credentials = self.credentials(robot, where)
        where = f"{where} ({redact_url(credentials.url)})"
        await self._limiter(name).acquire(self._where(name))
        outgoing = self.build(message, robot, credentials)
        secrets = (*credentials.secrets, *outgoing.secrets)
        headers = {"Content-Type": "application/json; charset=utf-8", **outgoing.headers}
        try:
            async with httpx.AsyncClient(timeout=self.config.timeout_seconds, follow_redirects=False,
                                         verify=_tls_context()) as client:
                response = await client.post(outgoing.url, content=outgoing.body, headers=headers)
        except httpx.TimeoutException as exc:
            maybe = " (the message may have been delivered)" if isinstance(exc, httpx.ReadTimeout) else ""
            raise TransientError(scrub(f"{where}: timed out after {self.config.timeout_seconds:g}s "
                                       f"({type(exc).__name__}){maybe}", secrets)) from None
        except httpx.UnsupportedProtocol as exc:
            raise PermanentError(scrub(f"{where}: not an http(s) URL: {exc}", secrets)) from None
        except (httpx.TransportError, OSError) as exc:  # refused, reset, DNS, TLS
            untrusted = _untrusted_certificate(exc)
            if untrusted is not None:  # a retry meets the same certificate (an intercepting proxy?)
                raise PermanentError(scrub(f"{where}: the server's TLS certificate is not trusted ({untrusted})",
                                           secrets)) from None
            raise TransientError(scrub(f"{where}: cannot reach the robot ({type(exc).__name__}: {exc})",
                                       secrets)) from None
        except (httpx.InvalidURL, ValueError) as exc:
            raise PermanentError(scrub(f"{where}: the webhook URL is not usable ({type(exc).__name__})",
                                       secrets)) from None
        return self.outcome(response, where, secrets)

    def outcome(self, response: httpx.Response, where: str, secrets: Sequence[str]) -> str | None:
        """Delivered (a return), or the error the reply means."""
        error = self._error(response, where, secrets)
        if error is None:
            return self.message_id(response)
        text = scrub(str(error), secrets)
        raise type(error)(text, retry_after=error.retry_after)

    def message_id(self, response: httpx.Response) -> str | None:
        return None

    def _reply(self, response: httpx.Response, secrets: Sequence[str]) -> tuple[int | None, str]:
        """The platform's error code (None if the reply has none) and its message, scrubbed and cut short."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return None, _short(scrub(response.text, secrets))
        code: int | None = None
        for name in self.code_fields:
            raw = data.get(name)
            if isinstance(raw, int) and not isinstance(raw, bool):
                code = raw
            elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
                code = int(raw)
            if code is not None:
                break
        text = next((data[name] for name in self.message_fields if data.get(name) is not None), "")
        return code, _short(scrub(str(text), secrets))

    def _error(self, response: httpx.Response, where: str, secrets: Sequence[str]) -> DeliveryError | None:
        status = response.status_code
        retry_after = retry_after_header(response, self.clock())
        code, text = self._reply(response, secrets)
        if status == 429:
            return TransientError(f"{where}: HTTP 429 too many requests {text}".rstrip(),
                                  retry_after=retry_after or self.rate_retry_after)
        if code is not None and code != 0:
            return self.code_error(code, text, where, retry_after)
        if status >= 500 or status == 408:
            return TransientError(f"{where}: HTTP {status} {text}".rstrip(), retry_after=retry_after)
        if 300 <= status < 400:
            return self.redirect_error(status, where, retry_after)
        if status >= 400:
            return PermanentError(f"{where}: HTTP {status} {text}".rstrip())
        if self.code_fields and code is None:
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


def _untrusted_certificate(exc: BaseException) -> str | None:
    """The verification failure behind ``exc`` (httpx wraps it), if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message or current)
        current = current.__cause__ or current.__context__
    return None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings (certificates verified), built once: building them takes ~20 ms.

    A client per message keeps sends independent of each other and of the event loop they run
    in; sharing the context keeps that cheap.
    """
    return httpx.create_ssl_context()


def _short(text: str) -> str:
    """A reply's text for an error message: one line, at most MAX_DETAIL characters (after scrubbing)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def webhook_url(value: str, base_url: str, *, param: str | None) -> str:
    """A robot's URL: ``value`` itself if it is a URL, else ``base_url`` with the key/token added."""
    if re.match(r"https?://", value, re.I):
        return value
    if param is None:
        return f"{base_url.rstrip('/')}/{quote(value, safe='')}"
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}{param}={quote(value, safe='')}"


def token_of(url: str, param: str | None) -> tuple[str, ...]:
    """The secret parts of a robot URL: a query parameter's value, or the last path segment."""
    parts = urlsplit(url)
    if param is not None:
        return tuple(v for k, v in parse_qsl(parts.query) if k == param)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return (last,) if last else ()


__all__ = [
    "ChatRobotSettings",
    "Credentials",
    "EnvName",
    "Mentions",
    "Outgoing",
    "RateLimiter",
    "RobotChannelSettings",
    "RobotNotifier",
    "RobotSettings",
    "env_value",
    "first_link",
    "fit",
    "json_body",
    "json_size",
    "mentions_for",
    "redact_url",
    "retry_after_header",
    "scrub",
    "token_of",
    "utf8_size",
    "webhook_url",
]
