"""One POST to a robot and its reply, whatever the far side does, within the time limit.

Nothing here knows a platform: :func:`post` returns what came back (:class:`RobotReply`) or
raises the :class:`DeliveryError` for a request that got no HTTP status back, its reason
scrubbed of the robot's secrets. Redirects are not followed; a reply is read to at most
:data:`MAX_REPLY` bytes.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import json
import logging
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from notifiers.base import DeliveryError, PermanentError, TransientError
from redaction import redact_url, scrub

# At most this much of a reply is read: the platforms answer in a few dozen bytes.
MAX_REPLY = 64 * 1024
# A reply text longer than this is cut in error messages (they are stored and shown to admins).
MAX_DETAIL = 300


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


@dataclass


class Outgoing:
    """One request, ready to post; ``secrets`` are values computed for it (a signature) to scrub."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


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


def short(text: str) -> str:
    """A reply's text for an error message: one line, at most MAX_DETAIL characters (after scrubbing)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def check_url(url: str, where: str, secrets: Sequence[str]) -> None:
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


async def post(outgoing: Outgoing, headers: dict[str, str], limit: float, where: str,
               secrets: Sequence[str]) -> RobotReply:
    """One POST and its reply, all within ``limit`` seconds; an error only if no status came back."""
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
            raise no_reply(exc, phase[0], where, secrets, timed_out=limit) from None
        cut = f"did not finish within {limit:g}s"
    except httpx.DecodingError:
        if head is None:  # not raised before the headers; kept for completeness
            raise TransientError(scrub(f"{where}: the reply could not be decoded", secrets)) from None
        cut = "could not be decoded (its Content-Encoding is false)"
    except Exception as exc:  # every failure becomes a delivery error (an ExceptionGroup from anyio too)
        if head is None:
            raise no_reply(exc, phase[0], where, secrets) from None
        cut = f"broke off ({type(exc).__name__})"
    assert head is not None
    body = b"".join(chunks)[:MAX_REPLY]
    return RobotReply(head.status_code, head.headers, body, head.charset_encoding, cut)


def no_reply(exc: BaseException, phase: str, where: str, secrets: Sequence[str], *,
             timed_out: float | None = None) -> DeliveryError:
    """The error for a request that got no HTTP status back (``phase``: how far it got; ``timed_out``:
    the limit it ran into)."""
    maybe = "; the message may have been delivered" if phase == "waiting" else ""
    kind = type(exc).__name__
    if timed_out is not None:
        doing = {"connecting": "connecting", "sending": "sending the request"}.get(phase, "waiting for the reply")
        return TransientError(scrub(f"{where}: timed out after {timed_out:g}s {doing} ({kind}){maybe}", secrets))
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentError(scrub(f"{where}: not an http(s) URL: {exc}", secrets))
    if isinstance(exc, httpx.InvalidURL):
        return PermanentError(scrub(f"{where}: the webhook URL is not usable ({kind})", secrets))
    untrusted = _untrusted_certificate(exc)
    if untrusted is not None:  # a retry meets the same certificate (an intercepting proxy?)
        return PermanentError(scrub(f"{where}: the server's TLS certificate is not trusted ({untrusted})", secrets))
    detail = short(scrub(f"{kind}: {exc}" if str(exc) else kind, secrets))
    if phase == "connecting":  # refused, reset, DNS, TLS: nothing was sent
        return TransientError(f"{where}: cannot reach the robot ({detail})")
    if phase == "sending":
        return TransientError(f"{where}: the connection broke while sending the request ({detail})")
    return TransientError(f"{where}: no usable reply ({detail}){maybe}")


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


__all__ = ["MAX_DETAIL", "MAX_REPLY", "Outgoing", "RobotReply", "check_url", "no_reply", "post", "short"]
