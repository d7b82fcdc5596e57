"""Who is asking: the signed session cookie, the CSRF token of every form, and the role checks.

The session is a cookie (``oc_session``: HttpOnly, SameSite=Lax, Secure behind https) holding the
account id, its session epoch, a random nonce and the time it was issued, signed with
itsdangerous. The key is ``SESSION_SECRET`` from the environment, else one made on first use and
kept in the store's ``secrets`` table (shared by every instance on the database, as the done
links' key is); either way it is registered with the redaction filter, so no log line shows it.
A session lasts ``accounts.session_hours`` from the login (the service's clock), and ends at once
when the account's password changes or it is disabled (the epoch).

Every form carries the hidden field ``csrf``: an HMAC of the session's nonce. A visitor without a
session gets an anonymous one (a nonce, no account) the first time a page prints a token, so the
login form is protected too; logging in makes a new nonce. :func:`checked_form` refuses a POST
whose token is missing or wrong with 403 before anything is read from it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as random_secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from i18n import tr
from redaction import SECRETS
from service.feeds import FeedService
from store.accounts import Account, Accounts, Role
from store.keys import shared_key

COOKIE = "oc_session"
SECRET_ENV = "SESSION_SECRET"
KEY_NAME = "session"  # the row of the store's secrets table when SESSION_SECRET is unset
SKEW = 300  # seconds a cookie may be issued "in the future" (clocks of two instances)
MAX_FORM_FIELDS = 30
SECRETS.add_env(SECRET_ENV)


@dataclass(frozen=True)
class Session:
    """A cookie's content: ``account`` None for an anonymous visitor (only the nonce, for CSRF)."""

    account: int | None
    epoch: int
    nonce: str
    issued: int


def _service(request: Request) -> FeedService:
    return request.app.state.service  # type: ignore[no-any-return]


def session_key(request: Request) -> str:
    """The signing key: SESSION_SECRET (registered as a secret at import), else the store's, registered once."""
    key = os.environ.get(SECRET_ENV) or getattr(request.app.state, "session_key", None)
    if not key:
        key = shared_key(_service(request).store, KEY_NAME)
        SECRETS.add(key)  # once per process: adding resets the redaction's cache of secret forms
        request.app.state.session_key = key
    return key


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(session_key(request), salt="oc-session")


def _now(request: Request) -> int:
    return int(_service(request).clock().timestamp())


def _lifetime(request: Request) -> int:
    return _service(request).live.current.loaded.config.accounts.session_hours * 3600


def _read_cookie(request: Request) -> Session | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 500:
        return None
    try:
        data = _serializer(request).loads(raw)
        session = Session(data["a"], int(data["e"]), str(data["n"]), int(data["t"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if session.account is not None and not isinstance(session.account, int):
        return None
    age = _now(request) - session.issued
    if not -SKEW <= age <= _lifetime(request):
        return None
    return session


def _session(request: Request) -> Session | None:
    """The request's session: a new one set on this response, else the cookie's (read once)."""
    state = request.scope.setdefault("state", {})
    if "oc_new_session" in state:
        return state["oc_new_session"]  # type: ignore[no-any-return]
    if "oc_session" not in state:
        state["oc_session"] = _read_cookie(request)
    return state["oc_session"]  # type: ignore[no-any-return]


def start_session(request: Request, account: Account | None) -> None:
    """Give the response a new session (a fresh nonce): for ``account`` after a login, anonymous otherwise."""
    epoch = 0
    if account is not None:
        epoch = Accounts(_service(request).store).epoch(account.id) or 0
    new = Session(account.id if account else None, epoch, random_secrets.token_hex(16), _now(request))
    state = request.scope.setdefault("state", {})
    state["oc_new_session"] = new
    state["oc_account"] = account


def end_session(request: Request) -> None:
    """Log out: the response clears the cookie (and the next form gets an anonymous session)."""
    state = request.scope.setdefault("state", {})
    state["oc_new_session"] = None
    state["oc_account"] = None


def current_account(request: Request) -> Account | None:
    """The logged-in account, or None (no cookie, a bad or expired one, a disabled account, a changed password)."""
    state = request.scope.setdefault("state", {})
    if "oc_account" not in state:
        session = _session(request)
        account = None
        if session is not None and session.account is not None:
            account = Accounts(_service(request).store).for_session(session.account, session.epoch)
        state["oc_account"] = account
    return state["oc_account"]  # type: ignore[no-any-return]


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(here, safe="")


def require_account(request: Request, *roles: Role) -> Account:
    """The logged-in account; else a redirect to the login page (303), or 403 when its role is not in ``roles``."""
    account = current_account(request)
    lang = _service(request).lang if request.query_params.get("lang") != "en" else "en"
    if account is None:
        raise HTTPException(303, tr(lang, "auth.login_needed"), headers={"Location": login_url(request)})
    if roles and account.role not in roles:
        raise HTTPException(403, tr(lang, "auth.not_allowed"))
    return account


def _mac(request: Request, nonce: str) -> str:
    return hmac.new(session_key(request).encode(), f"csrf|{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_token(request: Request) -> str:
    """The hidden ``csrf`` field of a form on this page (an anonymous session is started when there is none)."""
    session = _session(request)
    if session is None:
        start_session(request, None)
        session = _session(request)
        assert session is not None
    return _mac(request, session.nonce)


class LazyCsrf:
    """``{{ csrf }}`` in a template: the token, made (and a session started) only when a page prints it."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)


def csrf_ok(request: Request, given: object) -> bool:
    session = _session(request)
    if session is None or not isinstance(given, str) or len(given) != 32:
        return False
    return hmac.compare_digest(_mac(request, session.nonce), given)


async def checked_form(request: Request, *, max_bytes: int = 64 * 1024, max_files: int = 0) -> FormData:
    """The POSTed form, after its CSRF token is checked (403 when missing or wrong, 413 when too large)."""
    lang = _service(request).lang if request.query_params.get("lang") != "en" else "en"
    length = request.headers.get("content-length", "")
    if not length.isascii() or not length.isdigit():
        raise HTTPException(411, tr(lang, "auth.length_required"))
    if int(length) > max_bytes:
        raise HTTPException(413, tr(lang, "auth.too_large"))
    form = await request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS)
    if not csrf_ok(request, form.get("csrf")):
        await form.close()
        raise HTTPException(403, tr(lang, "auth.bad_csrf"))
    return form


def _cookie_header(request: Request, session: Session | None) -> bytes:
    secure = "; Secure" if _service(request).public_url.startswith("https://") or request.url.scheme == "https" else ""
    if session is None:
        return f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax{secure}".encode()
    value = _serializer(request).dumps({"a": session.account, "e": session.epoch, "n": session.nonce,
                                        "t": session.issued})
    return f"{COOKIE}={value}; Max-Age={_lifetime(request)}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()


class SessionCookies:
    """ASGI middleware: a response whose request started or ended a session sets the cookie (no-store)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            state: dict[str, Any] = scope.get("state", {})
            if message["type"] == "http.response.start" and "oc_new_session" in state:
                request = Request(scope)
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", _cookie_header(request, state["oc_new_session"])))
                headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


__all__ = ["COOKIE", "SECRET_ENV", "LazyCsrf", "SessionCookies", "checked_form", "csrf_ok", "csrf_token",
           "current_account", "end_session", "login_url", "require_account", "session_key", "start_session"]
