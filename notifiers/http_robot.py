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
- **A far side that misbehaves.** One request per ``send`` (the engine does the retrying), the
  whole exchange (connecting, sending, the reply to its last byte) within ``timeout_seconds``
  however slowly the reply trickles, a reply read to at most :data:`MAX_REPLY` bytes, and any
  reply (garbage, not UTF-8, JSON of the wrong shape, a false ``Content-Encoding``, absurd
  ``Retry-After``) or broken connection ends as one of those three outcomes with a one-line
  reason, never as another exception. Where the request went out but its answer did not come
  back, the reason says the message may have been delivered: the retry makes delivery
  at-least-once in that one case (the generic webhook's ``Idempotency-Key`` lets a receiver
  drop the copy; the platforms cannot).

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
import codecs
import datetime as dt
import email.utils
import functools
import json
import logging
import math
import os
import re
import ssl
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from pydantic import AfterValidator, Field

import redaction
from notifiers.base import DeliveryError, Message, Notifier, PermanentError, TransientError
from obligations.strict import Strict

log = logging.getLogger("notifiers.robots")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

# The rate windows are made this much longer (2 %) than the platform's, to absorb the difference
# between our clock and theirs and the jitter between sending a request and its arrival.
WINDOW_SLACK = 0.02
# A reply text longer than this is cut in error messages (they are stored and shown to admins).
MAX_DETAIL = 300
# At most this much of a reply is read: the platforms answer in a few dozen bytes.
MAX_REPLY = 64 * 1024
# A wait the far side asks for (Retry-After) is capped at this many seconds.
MAX_RETRY_AFTER = 86400.0
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

    timeout_seconds: float = Field(
        default=10, gt=0,
        description="Limit for one request: connecting, sending and the whole reply (however slowly it comes)",
    )
    rate_max_wait_seconds: float = Field(
        default=90,
        ge=0,
        description="A message that would wait longer than this for a free rate slot is retried later instead "
        "(keep it below reminders.lease_seconds)",
    )


# ----------------------------------------------------------------------------- redaction


def redact_url(url: str | httpx.URL) -> str:
    """``url`` with every query value, long token-like path segment and user info replaced by ``***``."""
    return redaction.redact_url(url)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets``, raw or URL-encoded (and without any other secret in force)."""
    return redaction.scrub(text, secrets)


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

    def next_slot(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
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
        at = self.next_slot(now)
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


@dataclass(frozen=True)
class RobotReply:
    """What came back: the status, the headers and at most :data:`MAX_REPLY` bytes of the body.

    ``cut`` says why the body is incomplete (it did not finish in time, was too long, could not
    be decoded, or the connection broke in the middle); an incomplete body is never taken for JSON.
    """

    status: int
    headers: httpx.Headers
    body: bytes = b""
    charset: str | None = None
    cut: str = ""

    @property
    def complete(self) -> bool:
        return not self.cut

    def _encoding(self) -> str:
        charset = self.charset or "utf-8"
        try:
            name = codecs.lookup(charset).name
        except (LookupError, ValueError):
            name = "utf-8"
        return "utf-8-sig" if name == "utf-8" else name

    @property
    def text(self) -> str:
        return self.body.decode(self._encoding(), errors="replace")

    def json(self) -> Any:
        """The body as JSON; None if it is incomplete or not JSON (of any depth, in any encoding)."""
        if self.cut:
            return None
        try:
            return json.loads(self.body.decode(self._encoding()))
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, nesting past the stack
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
        try:
            credentials = self.credentials(robot, where)
            shown = redact_url(credentials.url)
        except ValueError:  # a URL urlsplit cannot take ("Invalid IPv6 URL"); its text would show the token
            raise PermanentError(f"{where}: the webhook URL in {robot.webhook_env} is not usable") from None
        where = f"{where} ({shown})"
        await self._limiter(name).acquire(self._where(name))
        outgoing = self.build(message, robot, credentials)
        secrets = (*credentials.secrets, *outgoing.secrets)
        self._check_url(outgoing.url, where, secrets)
        headers = {"Content-Type": "application/json; charset=utf-8", **outgoing.headers}
        reply = await self._exchange(outgoing, headers, where, secrets)
        return self.outcome(reply, where, secrets)

    @staticmethod
    def _check_url(url: str, where: str, secrets: Sequence[str]) -> None:
        """PermanentError unless ``url`` is an http(s) URL with a host and a possible port."""
        try:
            parsed = httpx.URL(url)
            port = parsed.port
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise PermanentError(scrub(f"{where}: the webhook URL is not usable ({type(exc).__name__})",
                                       secrets)) from None
        if parsed.scheme not in ("http", "https"):
            raise PermanentError(scrub(f"{where}: not an http(s) URL", secrets))
        if not parsed.host:
            raise PermanentError(scrub(f"{where}: the webhook URL has no host", secrets))
        if port is not None and not 0 < port < 65536:
            raise PermanentError(scrub(f"{where}: the webhook URL's port {port} does not exist", secrets))

    async def _exchange(self, outgoing: Outgoing, headers: dict[str, str], where: str,
                        secrets: Sequence[str]) -> RobotReply:
        """One POST and its reply, all within ``timeout_seconds``; an error only if no status came back."""
        limit = self.config.timeout_seconds
        phase = ["connecting"]  # how far the request got, from httpcore's trace events

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            if event.endswith("send_request_headers.started"):
                phase[0] = "sending"
            elif event.endswith("receive_response_headers.started"):
                phase[0] = "waiting"

        head: httpx.Response | None = None
        chunks: list[bytes] = []
        cut = ""
        try:
            async with asyncio.timeout(limit):
                async with httpx.AsyncClient(timeout=limit, follow_redirects=False, verify=_tls_context()) as client, \
                        client.stream("POST", outgoing.url, content=outgoing.body, headers=headers,
                                      extensions={"trace": trace}) as response:
                    head = response
                    size = 0
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_REPLY:
                            cut = f"is longer than {MAX_REPLY} bytes"
                            break
        except (TimeoutError, httpx.TimeoutException) as exc:
            if head is None:
                raise self._no_reply(exc, phase[0], where, secrets, timed_out=True) from None
            cut = f"did not finish within {limit:g}s"
        except httpx.DecodingError:
            if head is None:  # not raised before the headers; kept for completeness
                raise TransientError(scrub(f"{where}: the reply could not be decoded", secrets)) from None
            cut = "could not be decoded (its Content-Encoding is false)"
        except Exception as exc:  # every failure becomes a delivery error (an ExceptionGroup from anyio too)
            if head is None:
                raise self._no_reply(exc, phase[0], where, secrets) from None
            cut = f"broke off ({type(exc).__name__})"
        assert head is not None
        body = b"".join(chunks)[:MAX_REPLY]
        return RobotReply(head.status_code, head.headers, body, head.charset_encoding, cut)

    def _no_reply(self, exc: BaseException, phase: str, where: str, secrets: Sequence[str], *,
                  timed_out: bool = False) -> DeliveryError:
        """The error for a request that got no HTTP status back (``phase``: how far it got)."""
        maybe = "; the message may have been delivered" if phase == "waiting" else ""
        kind = type(exc).__name__
        if timed_out:
            doing = {"connecting": "connecting", "sending": "sending the request"}.get(phase, "waiting for the reply")
            return TransientError(scrub(f"{where}: timed out after {self.config.timeout_seconds:g}s {doing} "
                                        f"({kind}){maybe}", secrets))
        if isinstance(exc, httpx.UnsupportedProtocol):
            return PermanentError(scrub(f"{where}: not an http(s) URL: {exc}", secrets))
        if isinstance(exc, httpx.InvalidURL):
            return PermanentError(scrub(f"{where}: the webhook URL is not usable ({kind})", secrets))
        untrusted = _untrusted_certificate(exc)
        if untrusted is not None:  # a retry meets the same certificate (an intercepting proxy?)
            return PermanentError(scrub(f"{where}: the server's TLS certificate is not trusted ({untrusted})", secrets))
        detail = _short(scrub(f"{kind}: {exc}" if str(exc) else kind, secrets))
        if phase == "connecting":  # refused, reset, DNS, TLS: nothing was sent
            return TransientError(f"{where}: cannot reach the robot ({detail})")
        if phase == "sending":
            return TransientError(f"{where}: the connection broke while sending the request ({detail})")
        return TransientError(f"{where}: no usable reply ({detail}){maybe}")

    def outcome(self, reply: RobotReply, where: str, secrets: Sequence[str]) -> str | None:
        """Delivered (a return), or the error the reply means."""
        error = self._error(reply, where, secrets)
        if error is None:
            return self.message_id(reply)
        text = scrub(str(error), secrets)
        raise type(error)(text, retry_after=error.retry_after)

    def message_id(self, reply: RobotReply) -> str | None:
        return None

    def _reply(self, reply: RobotReply, secrets: Sequence[str]) -> tuple[int | None, str]:
        """The platform's error code (None if the reply has none) and its message, scrubbed and cut short."""
        data = reply.json()
        if not isinstance(data, dict):
            return None, _short(scrub(reply.text, secrets))
        code: int | None = None
        for name in self.code_fields:
            code = _code(data.get(name))
            if code is not None:
                break
        text = next((data[name] for name in self.message_fields if data.get(name) is not None), "")
        return code, _short(scrub(text if isinstance(text, str) else json.dumps(text, ensure_ascii=False), secrets))

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


def _code(raw: Any) -> int | None:
    """A platform error code: an integer, or a string of ASCII digits, of a sane size; else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if -(2**63) <= raw < 2**63 else None
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,18}", raw.strip()):
        return int(raw.strip())
    return None


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
    "RobotReply",
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
