"""The ASGI app (Starlette): the routes, the error handlers and what runs beside it.

No response ever carries a traceback: an HTTP error is a plain line on feeds, the webhook and
/healthz, a page elsewhere; anything else is logged and answered with a 500 line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from i18n import DEFAULT, N_, tr
from redaction import redact_path
from service.feeds import FeedService
from service.runner import EngineRunner
from web import pages
from web.auth import SessionCookies
from web.done import done_page
from web.feeds import feed_token, public_feed
from web.guard import private_feed, private_page
from web.health import Health, healthz
from web.lifespan import lifespan
from web.login import login_page, logout
from web.qr import qr_code
from web.render import error_lang, error_page, service_of
from web.review import review_page
from web.supervision import board_page, report_download, waive_page
from web.webhook import telegram_webhook
from web.window import evidence_file, window_page

# what Starlette says itself (no route for the path, none for the method), by status
_STARLETTE = {404: N_("page.not_found"), 405: N_("page.method_not_allowed")}
_ANY_STATUS = N_("page.http_error")
log = logging.getLogger(__name__)


def create_app(service: FeedService, *, watch: bool = True, runner: EngineRunner | None = None,
               bot: Any = None, health: Health | None = None) -> Starlette:
    """The ASGI app around ``service``; ``watch`` reloads rules when their files change;
    ``runner`` (the reminder engine on APScheduler) and ``bot`` (the Telegram conversation,
    long polling or webhook) start and stop with the app. A bot that cannot start does not stop
    the app: /healthz says ``degraded`` with the reason (``health``) and the bot tries again."""
    health = health or Health()
    routes = [
        # feeds first: calendar apps poll them far more often than people open pages
        # feeds.public: false puts the pages and public feeds behind a login (web.guard)
        Route("/feeds/unit/{key}.ics", private_feed(public_feed("unit"), "unit")),
        Route("/feeds/all.ics", private_feed(public_feed("all"), "all")),
        Route("/feeds/level/{key}.ics", private_feed(public_feed("level"), "level")),
        Route("/feeds/obligation/{key}.ics", private_feed(public_feed("obligation"), "obligation")),
        Route("/feeds/t/{token}.ics", feed_token),
        Route("/", private_page(pages.index, "index")),
        Route("/unit/{key}", private_page(pages.unit_page, "unit")),
        Route("/obligation/{key}", private_page(pages.obligation_page, "obligation")),
        Route("/qr/{kind}/{key}.svg", qr_code),
        Route("/done/{id}", done_page, methods=["GET", "POST"]),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/supervision/window/{uid:path}", window_page, methods=["GET", "POST"]),
        Route("/supervision", board_page),
        Route("/admin/extract", review_page, methods=["GET", "POST"]),
        Route("/supervision/report.{fmt}", report_download),
        Route("/supervision/waive/{uid:path}", waive_page, methods=["GET", "POST"]),
        Route("/supervision/evidence/{id}", evidence_file),
        Route("/healthz", healthz),
    ]
    if bot is not None and bot.bot_data.get("webhook") is not None:
        routes.append(Route("/telegram/webhook", telegram_webhook(bot), methods=["POST"]))
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: http_error, Exception: server_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers, middleware=[Middleware(SessionCookies)],
                    lifespan=lifespan(service, watch=watch, runner=runner, bot=bot, health=health))
    app.state.service = service
    app.state.health = health
    return app


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.scope["path"]
    detail = _detail(request, exc)
    if path.startswith(("/feeds/", "/telegram/")) or path == "/healthz":
        response: Response = PlainTextResponse(f"{detail}\n", status_code=exc.status_code)
    else:
        response = error_page(request, exc.status_code, detail)
    response.headers.update(exc.headers or {})  # Allow on a 405
    return response


def _detail(request: Request, exc: HTTPException) -> str:
    """The error's text; Starlette's own English phrase (``Not Found``, ``Method Not Allowed`` for a
    path or method no route has) in the reader's language instead."""
    if exc.detail != HTTPStatus(exc.status_code).phrase:
        return str(exc.detail)
    lang = error_lang(request, service_of(request))
    return tr(lang, _STARLETTE.get(exc.status_code, _ANY_STATUS), code=exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("error serving %s", redact_path(request.url.path), exc_info=exc)
    try:
        lang = error_lang(request, service_of(request))
    except Exception:  # the error page of an error must not fail: the default language
        lang = DEFAULT
    return PlainTextResponse(tr(lang, "page.internal_error") + "\n", status_code=500)


__all__ = ["create_app"]
