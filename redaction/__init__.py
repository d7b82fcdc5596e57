"""The one redaction helper: what a secret looks like, and a logging filter that removes it.

Two kinds of knowledge, applied to every log line and every error message that may be stored
or shown:

- **The secrets in force**, by value: the Telegram bot token and webhook secret, every robot's
  webhook key and signing secret, the SMTP password (and the base64 forms AUTH LOGIN and PLAIN
  send), the database password. Most are read from environment variables at the moment they
  are used (a rotated token needs no restart), so :class:`Secrets` holds the *names* of those
  variables and reads their values again when they change. Each value is removed raw,
  percent-encoded (upper- and lower-case hex) and form-encoded.
- **Shapes of secrets** that no one told us about: private-feed tokens in a path, in any
  spelling (``/feeds/t/``, ``//feeds/t/``, ``/Feeds/T/``, ``/feeds%2Ft%2F``, ``/%66eeds/t/``),
  ``bot<id>:<token>`` in a Bot API URL, done-link signatures (``?s=…``), secret-looking query
  parameters (``key``, ``access_token``, ``sign``, ``token``…), the password in a URL's user
  info, ``Authorization`` header values and Feishu hook tokens.

:func:`install` puts :class:`RedactingFilter` on every logging handler, present and future,
so no record reaches a stream, a file or a test's capture with a secret in its message, its
arguments, its exception text or its stack.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REDACTED = "***"
TOKEN_PLACEHOLDER = "<token>"
MIN_SECRET = 4  # a shorter value would blank out ordinary words; such a secret is no secret anyway

# Environment variables whose values are secrets wherever this service runs.
SECRET_ENVS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")
URL_ENVS = ("DATABASE_URL",)  # URLs: only their password, secret-looking query values and token-like segments

# Loggers of libraries that log every request (httpx: each URL at INFO, with the bot token in it)
# or every job run; our own loggers say what matters.
NOISY_LOGGERS = ("httpx", "httpcore", "hpack", "telegram", "apscheduler", "aiosmtplib", "watchfiles",
                 "uvicorn.access", "multipart")


# ----------------------------------------------------------------------------- shapes


def _spelled(word: str) -> str:
    """A pattern for ``word`` with any of its characters percent-encoded (case is left to re.I)."""
    return "".join(f"(?:{re.escape(c)}|%{ord(c):02x})" for c in word)


_SEP = r"(?:[/\\]|%2f|%5c)(?:[/\\.]|%2f|%5c|%2e)*"  # one or more slashes (any spelling), ./ and ../ too
_FEED_TOKEN = re.compile(rf"({_SEP}{_spelled('feeds')}{_SEP}{_spelled('t')}{_SEP})[^\s?#\"'<>]+", re.I)
_BOT_PATH = re.compile(r"(bot)\d{3,}(?::|%3a)[\w-]{6,}", re.I)
_BARE_BOT_TOKEN = re.compile(r"(?<![\w%])\d{6,}(?::|%3a)[A-Za-z0-9_-]{30,}", re.I)
_QUERY_SECRET = re.compile(
    r"((?:[?&;]|%3f|%26)(?:s|sig|sign|signature|key|api_?key|access_?token|token|secret|password|passwd|pwd)"
    r"(?:=|%3d))[^&\s#\"'<>()\[\]{},]+", re.I)  # brackets end it: "(…?key=X): error" keeps "): "
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.I)
_AUTH_HEADER = re.compile(
    r"(\b(?:authorization|proxy-authorization|x-telegram-bot-api-secret-token)['\"]?\s*[:=,]\s*['\"]?"
    r"(?:(?:bearer|basic|token)\s+)?)[^\s'\",)]+", re.I)
_FEISHU_HOOK = re.compile(r"(/bot/v2/hook/)[^\s/?#\"'<>]+", re.I)

PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_FEED_TOKEN, rf"\1{TOKEN_PLACEHOLDER}"),
    (_BOT_PATH, rf"\1{REDACTED}"),
    (_BARE_BOT_TOKEN, REDACTED),
    (_QUERY_SECRET, rf"\1{REDACTED}"),
    (_USERINFO, rf"\1{REDACTED}@"),
    (_AUTH_HEADER, rf"\1{REDACTED}"),
    (_FEISHU_HOOK, rf"\1{REDACTED}"),
)

_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _token_like(segment: str) -> bool:
    """A URL path segment that looks like a token: long, with digits, URL-safe characters only."""
    return len(segment) >= 16 and any(c.isdigit() for c in segment) and re.fullmatch(r"[\w.~:%-]+", segment) is not None


def secret_forms(value: str) -> set[str]:
    """``value`` as it may appear in text: raw, percent-encoded (both hex cases) and form-encoded.

    A URL is not secret as a whole: its password, its query values and its token-like path
    segments are. A Telegram token's part after the colon is secret on its own too.
    """
    if not value:
        return set()
    parts = {value}
    if "://" in value:
        parts = set()
        split = urlsplit(value)
        if split.password:
            parts.add(split.password)
        parts.update(v for _, v in parse_qsl(split.query, keep_blank_values=True) if len(v) >= 6)
        parts.update(s for s in split.path.split("/") if _token_like(s))
    elif re.fullmatch(r"\d+:[\w-]{16,}", value):
        parts.add(value.split(":", 1)[1])
    forms: set[str] = set()
    for part in parts:
        for form in (part, quote(part, safe=""), quote_plus(part)):
            forms.add(form)
            forms.add(_PERCENT.sub(lambda m: m.group(0).lower(), form))
    return {f for f in forms if len(f) >= MIN_SECRET}


def login_forms(username: str | None, password: str) -> set[str]:
    """The password as SMTP AUTH sends it: LOGIN base64-encodes it alone, PLAIN with the user name."""
    if not password:
        return set()
    forms = secret_forms(password) | {base64.b64encode(password.encode()).decode()}
    if username is not None:
        forms.add(base64.b64encode(f"\0{username}\0{password}".encode()).decode())
    return {f for f in forms if len(f) >= MIN_SECRET}


class Secrets:
    """The secrets in force: fixed values, and names of environment variables read when needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._envs: set[str] = set()
        self._logins: set[tuple[str | None, str]] = set()  # (user name, NAME of the password's variable)
        self._key: tuple[object, ...] | None = None
        self._forms: tuple[str, ...] = ()

    def add(self, *values: str | None) -> None:
        with self._lock:
            self._values.update(v for v in values if v)
            self._key = None

    def add_env(self, *names: str | None) -> None:
        with self._lock:
            self._envs.update(n for n in names if n)
            self._key = None

    def add_login(self, username: str | None, password_env: str) -> None:
        with self._lock:
            self._logins.add((username, password_env))
            self._key = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._envs.clear()
            self._logins.clear()
            self._key = None

    def forms(self) -> tuple[str, ...]:
        """Every form of every secret, longest first; computed again when an environment value changes."""
        with self._lock:
            envs = sorted(self._envs)
            logins = sorted(self._logins, key=lambda p: (p[0] or "", p[1]))
            key = (tuple(os.environ.get(n) for n in envs), tuple(os.environ.get(e) for _, e in logins))
            if key == self._key:
                return self._forms
            forms: set[str] = set()
            for value in [*self._values, *(v for v in key[0] if v)]:
                forms |= secret_forms(value)
            for (user, _), password in zip(logins, key[1], strict=True):
                if password:
                    forms |= login_forms(user, password)
            self._forms = tuple(sorted(forms, key=len, reverse=True))
            self._key = key
            return self._forms

    def from_settings(self, settings: Any) -> None:
        """Register every ``*_env`` variable named anywhere in ``settings`` (the ``notifiers:`` mapping):
        webhook URLs, signing secrets, passwords. A mapping with ``username`` and ``password_env``
        is an SMTP login, whose AUTH forms are registered too."""
        if isinstance(settings, Mapping):
            password_env = settings.get("password_env")
            if isinstance(password_env, str):
                username = settings.get("username")
                self.add_login(username if isinstance(username, str) else None, password_env)
            for key, value in settings.items():
                if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                    self.add_env(value)
                else:
                    self.from_settings(value)
        elif isinstance(settings, list | tuple):
            for item in settings:
                self.from_settings(item)


SECRETS = Secrets()
SECRETS.add_env(*SECRET_ENVS, *URL_ENVS)


# ----------------------------------------------------------------------------- text


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` without any secret in force, without any of ``extra`` (values computed for one request,
    like a signature), and without anything shaped like a secret."""
    if not text:
        return text
    forms: Iterable[str] = SECRETS.forms()
    extra = [e for e in extra if e]
    if extra:
        more: set[str] = set()
        for value in extra:
            more |= secret_forms(value)
        forms = sorted({*forms, *more}, key=len, reverse=True)
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without ``secrets`` (raw or URL-encoded) and without any other secret (:func:`redact`)."""
    return redact(text, secrets)


def redact_path(path: str) -> str:
    """A request path fit for logs: a private feed's token becomes ``<token>``."""
    return redact(path)


def redact_database_url(url: str) -> str:
    """A database URL with its password hidden (user, host and database stay: an admin needs them)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def redact_url(url: object) -> str:
    """``url`` with every query value, token-like path segment and user info replaced by ``***``:
    the way to show an endpoint whose credentials we do not even know."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    path = "/".join(REDACTED if _token_like(s) else s for s in parts.path.split("/"))
    query = "&".join(f"{k}={REDACTED}" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return redact(urlunsplit((parts.scheme, netloc, path, query, "")))


# ----------------------------------------------------------------------------- logging

_FORMATTER = logging.Formatter()


def _redact_arg(arg: object) -> object:
    if isinstance(arg, str):
        return redact(arg)
    if arg is None or isinstance(arg, int | float):
        return arg
    try:
        text = str(arg)
    except Exception:
        return "<unprintable>"
    clean = redact(text)
    return arg if clean == text else clean


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place so that no secret is left in it, however it is formatted.

    The arguments are redacted one by one when that gives the same text as redacting the whole
    message (formatters that read ``args``, like uvicorn's, keep working); otherwise the message
    is formatted here, redacted, and the arguments dropped.
    """
    try:
        full = record.getMessage()
    except Exception:  # a bad format string: logging would print msg and args raw; we print them redacted
        full = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(full), None
    else:
        clean = redact(full)
        if clean != full:
            args = record.args
            if isinstance(args, tuple):
                record.args = tuple(_redact_arg(a) for a in args)
            elif isinstance(args, Mapping):
                record.args = {k: _redact_arg(v) for k, v in args.items()}
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
            try:
                same = record.getMessage() == clean
            except Exception:
                same = False
            if not same:
                record.msg, record.args = clean, None
    if getattr(record, "message", None) is not None:
        record.message = record.getMessage()
    if record.exc_info:
        text = record.exc_text or _FORMATTER.formatException(record.exc_info)
        clean_text = redact(text)
        record.exc_text = clean_text
        if clean_text != text:
            record.exc_info = None  # nobody may format the original again
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Removes secrets from a record before any handler formats it; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            redact_record(record)
        except Exception:  # never let redaction break logging, and never let a secret through because of it
            record.msg, record.args, record.exc_info, record.exc_text = "<log record withheld: redaction failed>", \
                None, None, None
        record._redacted = True  # type: ignore[attr-defined]
        return True


FILTER = RedactingFilter()
_patch_lock = threading.Lock()
_original_handle = logging.Handler.handle


def _handle(self: logging.Handler, record: logging.LogRecord) -> Any:
    FILTER.filter(record)
    return _original_handle(self, record)


def _all_handlers() -> list[logging.Handler]:
    found: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            found.extend(logger.handlers)
    for ref in list(getattr(logging, "_handlerList", [])):
        handler = ref()
        if handler is not None:
            found.append(handler)
    if logging.lastResort is not None:
        found.append(logging.lastResort)
    return found


def install(values: Iterable[str] = (), envs: Iterable[str] = (), settings: Any = None) -> RedactingFilter:
    """Redact every log record from now on: register the given secrets, put the filter on every handler
    that exists, and make every handler created later apply it too (``logging.Handler.handle``)."""
    SECRETS.add(*values)
    SECRETS.add_env(*envs)
    if settings is not None:
        SECRETS.from_settings(settings)
    with _patch_lock:
        if logging.Handler.handle is not _handle:
            logging.Handler.handle = _handle  # type: ignore[method-assign]
        for handler in _all_handlers():
            if FILTER not in handler.filters:
                handler.addFilter(FILTER)
    return FILTER


def quiet(names: Iterable[str] = NOISY_LOGGERS, level: int = logging.WARNING) -> None:
    """Raise chatty libraries' loggers to ``level`` (they log every request or job run)."""
    for name in names:
        logging.getLogger(name).setLevel(level)


__all__ = [
    "FILTER",
    "NOISY_LOGGERS",
    "REDACTED",
    "SECRETS",
    "RedactingFilter",
    "Secrets",
    "install",
    "login_forms",
    "quiet",
    "redact",
    "redact_database_url",
    "redact_path",
    "redact_record",
    "redact_url",
    "scrub",
    "secret_forms",
]
