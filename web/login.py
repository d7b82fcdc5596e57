"""The login form and logout.

``GET /login?next=/path`` shows the form (zh-CN, ``?lang=en`` English); ``POST /login`` checks the
name and password (:meth:`store.accounts.Accounts.login`, in a worker thread: an argon2 check
takes a tenth of a second) and answers an unknown name, a disabled account and a wrong password
with the same page and status. After ``accounts.max_failed_logins`` wrong passwords for one name
the name is locked out (429, also for the right password) and the admins are told once, like an
invite lockout (:func:`service.engine.tell_admins`, notice ``login lockout``). ``POST /logout``
ends the session. Both forms carry the CSRF token; every attempt and logout is in the history.
"""

from __future__ import annotations

import datetime as dt
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from i18n import Language, tr
from i18n.shown import local_time
from service.engine import tell_admins
from store.accounts import Accounts, LoginLimits
from store.lifecycle import Notice
from store.reminders import ReminderStore
from web.auth import checked_form, current_account, end_session, start_session
from web.render import page_lang, render_private, service_of

log = logging.getLogger(__name__)

MAX_NEXT = 500


def safe_next(value: object) -> str:
    """Where to go after logging in: a path of this site (``/…``, never ``//host`` or a scheme), else ``/``."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > MAX_NEXT:
        return "/"
    if "\\" in value or any(not c.isprintable() or c.isspace() for c in value):
        return "/"
    return value


def limits_of(request: Request) -> LoginLimits:
    cfg = service_of(request).live.current.loaded.config.accounts
    return LoginLimits(cfg.max_failed_logins, dt.timedelta(minutes=cfg.window_minutes),
                       dt.timedelta(minutes=cfg.lockout_minutes))


def _page(request: Request, lang: Language, nxt: str, status: int = 200, error: str = "", name: str = "") -> Response:
    return render_private(request, "login.html", status=status, lang=lang, next=nxt, error=error, name=name,
                          title=tr(lang, "login.title"))


def _tell_admins(request: Request, name: str, until: dt.datetime, count: int, now: dt.datetime) -> None:
    service = service_of(request)
    snapshot = service.live.current
    lang = snapshot.loaded.config.language  # the administrators read the configured language
    log.warning("login name locked out until %s after %d wrong passwords", until.isoformat(), count)
    text = tr(lang, "login.admin_locked_out", name=name, count=count, until=local_time(lang, until, snapshot.tz))
    tell_admins(ReminderStore(service.store), snapshot.loaded.config.reminders.admins,
                key=f"login-lockout|{name}|{until.isoformat()}", what=Notice.LOGIN_LOCKOUT, title=text, now=now,
                day=now.astimezone(snapshot.tz).date())


async def login_page(request: Request) -> Response:
    """``/login``: GET the form, POST a name and password."""
    service = service_of(request)
    lang = page_lang(request, service)
    if request.method == "GET":
        nxt = safe_next(request.query_params.get("next", "/"))
        return _page(request, lang, nxt)
    form = await checked_form(request)
    name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))
    nxt = safe_next(form.get("next", "/"))
    now = service.clock()
    address = request.client.host if request.client else None
    result = await run_in_threadpool(Accounts(service.store).login, name, password, now=now, limits=limits_of(request),
                                     address=address)
    if result.account is not None:
        start_session(request, result.account)
        log.info("account %s logged in", result.account.name)
        return RedirectResponse(nxt, status_code=303)
    if result.locked_until is not None:
        if result.lockout_began:
            _tell_admins(request, name.strip(), result.locked_until, result.failures, now)
        until = local_time(lang, result.locked_until, service.live.current.tz)
        return _page(request, lang, nxt, 429, tr(lang, "login.locked_out", until=until), name)
    return _page(request, lang, nxt, 401, tr(lang, "login.wrong"), name)


async def logout(request: Request) -> Response:
    """``POST /logout``: end the session (recorded in the history), back to the front page."""
    service = service_of(request)
    await checked_form(request)
    account = current_account(request)
    if account is not None:
        Accounts(service.store).logout(account, now=service.clock())
    end_session(request)
    lang = page_lang(request, service)
    return RedirectResponse("/?lang=en" if lang == "en" else "/", status_code=303)


__all__ = ["limits_of", "login_page", "logout", "safe_next"]
