"""The e-mail channel: one SMTP conversation per reminder, with aiosmtplib.

Each message is multipart: the plain text, an HTML alternative and, when the
reminder has one, the occurrence as an ``.ics`` attachment (``METHOD:PUBLISH``)
that mail clients offer to add to the calendar. The ``Message-ID`` is derived
from the reminder's key, so a resend after an unacknowledged delivery carries
the same id and receiving systems can drop the duplicate.

Delivery guarantee: a message is sent once the server answered the end of DATA
with 250; whatever happens to the connection after that (a drop, a QUIT that
is never answered) does not change it. Only if that 250 itself is lost (the
connection breaks after the message went out and before its answer arrived)
is the send retried, and the server may then hold two copies with one
Message-ID: at-least-once in that one case, exactly-once otherwise.

Configured under ``notifiers: email:`` in config.yaml (:class:`EmailConfig`).
The password never appears in the configuration: ``password_env`` names the
environment variable that holds it, read at each send.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import html
import os
import re
import ssl
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Literal, cast

import aiosmtplib
from pydantic import Field, field_validator, model_validator

import redaction
from notifiers.base import DeliveryError, Message, Notifier, PermanentError, TransientError
from obligations.strict import Strict

MESSAGE_ID_DOMAIN = "obligation-calendar"
# A bare addr-spec: one '@', nothing that would end it on an SMTP command line or split a
# header. Non-ASCII is allowed (SMTPUTF8); quoted local parts are not (no office uses one).
ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@\\]+@[^\s<>()\[\],;:\"@\\]+")
ICS_CONTENT_TYPE = "text/calendar; method=PUBLISH; charset=UTF-8"
# The longest wait for the answer to QUIT: the message is delivered by then, the wait only closes politely.
QUIT_TIMEOUT = 5.0


class EmailConfig(Strict):
    """The SMTP account reminders are sent from (``notifiers: email:`` in config.yaml)."""

    host: str = Field(min_length=1, description="SMTP server (submission host), e.g. smtp.example.gov.cn")
    port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for implicit TLS")
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls: plain connection upgraded with STARTTLS (required, never skipped); "
        "tls: TLS from the first byte (SMTPS); none: no encryption (only for a relay on the same host)",
    )
    username: str | None = Field(default=None, description="Login name; omit for a server without AUTH")
    password_env: str | None = Field(
        default=None,
        min_length=1,
        description="NAME of the environment variable holding the password (never the password itself)",
    )
    from_address: str = Field(description="Sender address, e.g. duty@example.gov.cn")
    from_name: str = Field(default="法定职责提醒", description="Sender's display name")
    timeout_seconds: float = Field(default=30, gt=0, description="Limit for each network step")
    validate_certs: bool = Field(default=True, description="Check the server's certificate and host name")
    ca_file: str | None = Field(
        default=None, description="PEM file of an extra CA to trust (a private CA); system CAs stay trusted"
    )

    @field_validator("from_address")
    @classmethod
    def _bare_address(cls, v: str) -> str:
        if not ADDRESS.fullmatch(v):
            raise ValueError("must be a bare e-mail address, user@domain (the name goes in from_name)")
        return v

    @model_validator(mode="after")
    def _login_pair(self) -> EmailConfig:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together: give both (AUTH) or neither")
        return self


def message_id(key: str) -> str:
    """The ``Message-ID`` of the reminder with this key: the same key always gives the same id."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def _default_html(text: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"></head><body>\n'
        f'<pre style="white-space: pre-wrap; font-family: inherit">{html.escape(text)}</pre>\n'
        "</body></html>\n"
    )


def build_email(message: Message, config: EmailConfig) -> EmailMessage:
    """The MIME message for ``message``: text, HTML alternative, optional calendar attachment.

    :raises ValueError: the recipient is not a bare e-mail address, or a header is unusable.
    """
    if not ADDRESS.fullmatch(message.recipient):
        raise ValueError("the recipient is not an e-mail address (user@domain)")
    mail = EmailMessage()
    mail["From"] = Address(display_name=config.from_name, addr_spec=config.from_address)
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.formatdate(localtime=True)
    mail["Message-ID"] = message_id(message.key)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to a robot
    # base64 keeps Chinese text intact through any relay, 8BITMIME or not.
    mail.set_content(message.text, cte="base64")
    mail.add_alternative(message.html or _default_html(message.text), subtype="html", cte="base64")
    if message.ics is not None:
        mail.add_attachment(message.ics, maintype="text", subtype="calendar", filename=message.ics_name)
        attachment = next(iter(mail.iter_attachments()))
        attachment.replace_header("Content-Type", ICS_CONTENT_TYPE)
    for part in mail.walk():
        if part is not mail:
            del part["MIME-Version"]  # the email package repeats it on parts it creates
    return mail


class EmailNotifier(Notifier):
    channel = "email"
    attaches_calendar = True

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.where = f"{config.host}:{config.port}"

    def _password(self) -> str | None:
        """The password from the environment, at send time (so a rotated secret needs no restart)."""
        name = self.config.password_env
        if self.config.username is None or name is None:
            return None
        password = os.environ.get(name)
        if not password:  # the variable's name is no secret; its value never appears in a message
            state = "is not set" if password is None else "is empty"
            raise PermanentError(f"smtp {self.where}: the password environment variable {name} {state}")
        return password

    async def send(self, message: Message) -> str:
        """Send ``message`` and return its ``Message-ID`` (angle brackets included)."""
        try:
            mail = build_email(message, self.config)
        except ValueError as exc:
            raise PermanentError(f"email to {message.recipient!r} cannot be built: {exc}") from exc
        password = self._password()
        cfg = self.config
        # A new connection per message: reminders are few and far between, so a pooled
        # connection would mostly be one the server has already timed out; connecting each
        # time is simple and robust, and a failure never leaves state behind for the next send.
        smtp = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            use_tls=cfg.security == "tls",
            start_tls=cfg.security == "starttls",  # True: required; the server must offer it
            validate_certs=cfg.validate_certs,
            cert_bundle=cfg.ca_file,
            timeout=cfg.timeout_seconds,
        )
        try:
            await smtp.connect()  # TCP (or TLS), greeting, EHLO, STARTTLS
            if cfg.username is not None and password is not None:
                await smtp.login(cfg.username, password)  # AUTH PLAIN or LOGIN, as the server offers
            await smtp.send_message(mail, sender=cfg.from_address, recipients=[message.recipient])
            # Here DATA got its 250: the server has the message, and nothing below can undo that.
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            error = self._classify(exc, message.recipient)
            text = _scrub(str(error), cfg.username, password)
            if text != str(error):  # the server echoed the secret: keep it out of the traceback too
                raise type(error)(text) from None
            raise error from exc
        except Exception as exc:  # anything else from the connection (an ExceptionGroup, a protocol oddity)
            text = _scrub(f"smtp {self.where}: unexpected failure ({type(exc).__name__}: {exc})",
                          cfg.username, password)
            raise TransientError(text) from None
        finally:
            await _hang_up(smtp, min(cfg.timeout_seconds, QUIT_TIMEOUT))
        return str(mail["Message-ID"])

    def _classify(self, exc: BaseException, recipient: str) -> DeliveryError:
        """Map an aiosmtplib/socket/TLS failure to transient (retry) or permanent (report)."""
        where = f"smtp {self.where}"
        for cause in _chain(exc):  # TLS errors arrive raw (STARTTLS) or wrapped (implicit TLS)
            if isinstance(cause, ssl.SSLCertVerificationError):
                return PermanentError(
                    f"{where}: the server's certificate is not trusted ({cause.verify_message}); "
                    "set ca_file for a private CA"
                )
            if isinstance(cause, ssl.SSLError) and cause.reason in _TLS_MISMATCH:
                return PermanentError(
                    f"{where}: TLS handshake failed ({cause.reason}); does the server speak "
                    f"security {self.config.security!r} on this port? (SMTPS is usually 465, STARTTLS 587)"
                )
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                return PermanentError(f"{where}: recipient {recipient} refused")
            return _by_code(f"{where}: recipient {refused.recipient} refused", refused.code, refused.message)
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return _by_code(f"{where}: {_STEP.get(type(exc), 'server said')}", exc.code, exc.message)
        if isinstance(exc, TimeoutError):  # SMTPTimeoutError and its connect/read kinds too
            return TransientError(f"{where}: timed out after {self.config.timeout_seconds:g}s: {exc}")
        if isinstance(exc, aiosmtplib.SMTPConnectError):  # refused, unreachable, closed before the greeting
            return TransientError(f"{where}: cannot connect: {exc}")
        if isinstance(exc, ConnectionError | ssl.SSLError):  # reset, dropped mid-message, TLS cut short
            return TransientError(f"{where}: connection lost: {exc}")
        if isinstance(exc, ValueError):  # an address aiosmtplib will not put on the wire
            return PermanentError(f"{where}: {exc}")
        if isinstance(exc, OSError):  # name resolution, unreachable network
            return TransientError(f"{where}: network error: {exc}")
        # SMTPException with no reply code: no STARTTLS, no AUTH, no usable AUTH method,
        # SMTPUTF8 needed but not offered: the configuration or the server must change.
        return PermanentError(f"{where}: {exc}")


# Handshake failures that no retry can fix: the two ends do not speak the same TLS (or one
# of them speaks none, as when security is 'tls' against a STARTTLS port). Others (EOF, a
# reset mid-handshake) are treated as the network's passing faults.
_TLS_MISMATCH = frozenset({
    "WRONG_VERSION_NUMBER",
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE",
    "NO_SHARED_CIPHER",
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
})

_STEP: dict[type[BaseException], str] = {
    aiosmtplib.SMTPAuthenticationError: "login refused",
    aiosmtplib.SMTPSenderRefused: "sender refused",
    aiosmtplib.SMTPRecipientRefused: "recipient refused",
    aiosmtplib.SMTPDataError: "message refused",
    aiosmtplib.SMTPHeloError: "EHLO refused",
    aiosmtplib.SMTPConnectResponseError: "greeting refused",
}


async def _hang_up(smtp: aiosmtplib.SMTP, timeout: float) -> None:
    """QUIT if still connected (waiting at most ``timeout`` for the answer), then drop the connection at once.

    Once DATA got its 250 the message is delivered, so a QUIT that fails, is never answered or
    meets a dropped connection changes nothing: no failure here is raised. The connection is
    aborted rather than closed: a TLS close waits for the server's close_notify, and a loop that
    stops first (service shutdown, ``asyncio.run``) would leave the socket open.
    """
    transport = smtp.transport
    if transport is None:  # never connected, or aiosmtplib already closed it after a failure
        return
    try:
        with contextlib.suppress(Exception):
            await smtp.quit(timeout=timeout)
    finally:
        with contextlib.suppress(Exception):
            # Every stream transport has abort(), uvloop's too (they are not registered as asyncio.Transport).
            cast(asyncio.Transport, transport).abort()  # the socket closes on the loop's next turn
            smtp.close()


def _by_code(what: str, code: int, text: str) -> DeliveryError:
    """4xx: try again later (RFC 5321 4.2.1); 5xx: will not succeed as it stands; anything else is odd."""
    detail = f"{what}: {code} {text}".rstrip()
    if 500 <= code < 600:
        return PermanentError(detail)
    return TransientError(detail)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from, as a traceback would show them."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__


def _scrub(text: str, username: str | None, password: str | None) -> str:
    """``text`` without the password, raw or in the base64 forms AUTH LOGIN and PLAIN send."""
    return redaction.scrub(text, redaction.login_forms(username, password) if password else ())


NOTIFIER = EmailNotifier
SETTINGS = EmailConfig

__all__ = ["NOTIFIER", "SETTINGS", "EmailConfig", "EmailNotifier", "build_email", "message_id"]
