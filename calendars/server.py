"""The HTTP service (Starlette under uvicorn): feeds, the page, health.

Feeds are served from memory with strong ETags, Last-Modified, 304s and a
pre-compressed gzip body. Unknown ids are 404 with a suggestion, malformed
parameters 400; no response ever carries a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendars import pages, params
from calendars.feeds import Feed, FeedKind, Selection
from calendars.service import FeedService
from obligations.diagnostics import did_you_mean
from obligations.errors import ConfigurationError
from obligations.i18n import Language
from obligations.live import Clock
from obligations.loader import load_config
from obligations.model import Level
from scheduler.engine import ReminderEngine
from scheduler.planner import matches, subscription_from
from scheduler.runner import EngineRunner
from store.subscribers import SubscriberStore

log = logging.getLogger(__name__)
_TOKEN_PATH = re.compile(r"^/feeds/t/[^/]+")


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- feeds ----------------------------------------------------------------------------------------


def _not_found(what: str, key: str, known: list[str]) -> PlainTextResponse:
    hint = did_you_mean(key, known) if params.key(key) is not None else ""
    return PlainTextResponse(f"unknown {what} {params.shown(key)!r}{hint}. The list of feeds is on the home "
                             "page: /\n", status_code=404)


def _feed_response(request: Request, feed: Feed, name: str, *, private: bool) -> Response:
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = feed.etag if not gzip_ok else feed.etag[:-1] + '-gz"'
    headers = {
        "ETag": etag,
        "Last-Modified": feed.http_date,
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "Vary": "Accept-Encoding",
        "Content-Disposition": f'inline; filename="{name}.ics"',
    }
    if _not_modified(request, etag, feed.last_modified):
        return Response(status_code=304, headers=headers)
    body = feed.gzipped if gzip_ok else feed.body
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, media_type="text/calendar; charset=utf-8")


def _not_modified(request: Request, etag: str, last_modified: dt.datetime) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            parsed = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return last_modified.replace(microsecond=0) <= parsed
    return False


def _children(request: Request) -> bool:
    raw = request.query_params.get("children", "0")
    if raw not in {"0", "1", "true", "false"}:
        raise HTTPException(400, f"children must be 0 or 1, not {raw!r}")
    return raw in {"1", "true"}


def _service(request: Request) -> FeedService:
    return request.app.state.service  # type: ignore[no-any-return]


def _public_or_403(service: FeedService) -> None:
    if not service.live.current.loaded.config.feeds.public:
        raise HTTPException(403, "this feed is not public; ask your administrator for a personal feed link")


def public_feed(kind: FeedKind) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one kind of public feed: all, unit (``?children=1``), level or duty."""

    async def endpoint(request: Request) -> Response:
        service = _service(request)
        _public_or_403(service)
        feeds = service.feeds
        if kind == "all":
            selection = Selection("all")
        else:
            key = request.path_params["key"]
            rules = feeds.snapshot.rules
            known = {"unit": rules.units, "level": [level.value for level in Level],
                     "obligation": rules.obligations}[kind]
            if params.key(key) is None or key not in known:
                return _not_found("duty" if kind == "obligation" else kind, key, list(known))
            selection = Selection(kind, key, _children(request) if kind == "unit" else False)
        name = "all" if kind == "all" else f"{kind}-{selection.key}"
        return _feed_response(request, feeds.feed(selection), name, private=False)

    return endpoint


async def feed_token(request: Request) -> Response:
    service = _service(request)
    token = params.key(request.path_params["token"])
    if token is None or not token.isascii():  # every token we make is ASCII and short
        return PlainTextResponse("unknown feed link; ask your administrator for a new one\n", status_code=404)
    digest = hashlib.sha256(token.encode()).hexdigest()
    for private in service.live.current.loaded.config.feeds.private:
        if hmac.compare_digest(private.token_sha256, digest):
            if private.unit:
                selection = Selection("unit", private.unit, private.children)
            elif private.level:
                selection = Selection("level", private.level.value)
            elif private.obligation:
                selection = Selection("obligation", private.obligation)
            else:
                selection = Selection("all")
            rules = service.feeds.snapshot.rules
            if (selection.kind == "unit" and selection.key not in rules.units) or (
                    selection.kind == "obligation" and selection.key not in rules.obligations):
                return PlainTextResponse("this feed's unit or duty no longer exists; ask your administrator\n",
                                         status_code=404)
            return _feed_response(request, service.feeds.feed(selection), "private", private=True)
    person = SubscriberStore(service.store).by_feed_token(token)
    if person is not None:  # a personal link made by the bot's /feed: the person's subscriptions
        subs = [subscription_from({**s, "channel": person["channel"], "address": person["address"],
                                   "language": person["language"], "quiet_hours": None, "mode": "each",
                                   "digest_at": None})
                for s in SubscriberStore(service.store).subscriptions_of(person["id"])]
        rules = service.feeds.snapshot.rules
        feed = service.feeds.feed_for(("person", person["id"], tuple(subs)), person["name"],
                                      lambda occ: any(matches(sub, occ, rules) for sub in subs))
        return _feed_response(request, feed, "private", private=True)
    return PlainTextResponse("unknown feed link; ask your administrator for a new one\n", status_code=404)


def telegram_webhook(bot: Any) -> Callable[[Request], Awaitable[Response]]:
    """Telegram's webhook: updates are checked against the secret token, then handed to the bot.

    The secret header is compared as bytes (absent, wrong or non-ASCII: 403); the body must be a
    JSON object of at most :data:`params.MAX_BODY` bytes that parses as an Update (else 400 or 413).
    """
    import json

    from telegram import Update

    secret = bot.bot_data["webhook"]["secret"].encode()

    async def endpoint(request: Request) -> Response:
        given = dict(request.scope["headers"]).get(b"x-telegram-bot-api-secret-token", b"")
        if not hmac.compare_digest(given, secret):
            return PlainTextResponse("wrong secret token\n", status_code=403)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > params.MAX_BODY:
                return PlainTextResponse("update too large\n", status_code=413)
        try:
            data = json.loads(bytes(body))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the parser's depth
            return PlainTextResponse("not JSON\n", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return PlainTextResponse("not a Telegram update: a JSON object with an update_id\n", status_code=400)
        try:
            update = Update.de_json(data, bot.bot)
        except Exception as exc:  # the library's parse of foreign data fails in many ways
            log.warning("webhook: an update that does not parse (%s)", type(exc).__name__)
            return PlainTextResponse("not a Telegram update\n", status_code=400)
        await bot.update_queue.put(update)
        return PlainTextResponse("ok\n")

    return endpoint


# -- health, errors, logging ------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    service = _service(request)
    served = service.feeds.snapshot  # the version requests see, swapped in only once its feeds are built
    return JSONResponse({
        "status": "ok",
        "rules_version": served.version,
        "rules_loaded_at": served.loaded_at.isoformat(),
        "rules_problems": len(service.live.problems),
        "feeds_built_at": service.feeds.built_at.isoformat(),
        "events": len(service.feeds.events),
    })


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.scope["path"]
    if path.startswith(("/feeds/", "/telegram/")) or path == "/healthz":
        response: Response = PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code)
    else:
        response = pages.error_page(request, exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})  # Allow on a 405
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("error serving %s", redact(request.url.path), exc_info=exc)
    return PlainTextResponse("internal error; it has been logged\n", status_code=500)


def redact(path: str) -> str:
    """A path fit for logs: private feed tokens are secrets."""
    return _TOKEN_PATH.sub("/feeds/t/<token>", path)


class AccessLog:
    """One log line per request, with tokens redacted (uvicorn's own access log would print them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("calendars.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            self.log.info("%s %s %d %.1fms", scope["method"], redact(scope["path"]), status,
                          (time.perf_counter() - started) * 1000)


# -- the app ------------------------------------------------------------------------------------------


def create_app(service: FeedService, *, watch: bool = True, runner: EngineRunner | None = None,
               bot: Any = None) -> Starlette:
    """The ASGI app around ``service``; ``watch`` reloads rules when their files change;
    ``runner`` (the reminder engine on APScheduler) and ``bot`` (the Telegram conversation,
    long polling) start and stop with the app."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        if runner is not None:
            runner.start()
            service.on_reload.append(runner.rules_changed)
        if bot is not None:
            await bot.initialize()
            await bot.start()
            webhook = bot.bot_data.get("webhook")
            if webhook is not None:  # Telegram posts updates to /telegram/webhook
                await bot.bot.set_webhook(url=webhook["url"], secret_token=webhook["secret"])
            else:
                await bot.updater.start_polling(drop_pending_updates=False)
        if watch:
            tasks.append(asyncio.create_task(_watch(service, stop)))
        tasks.append(asyncio.create_task(_daily(service, stop)))
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if bot is not None:
                if bot.updater.running:
                    await bot.updater.stop()
                await bot.stop()
                await bot.shutdown()
            if runner is not None:
                await runner.stop()

    routes = [
        # feeds first: calendar apps poll them far more often than people open pages
        Route("/feeds/unit/{key}.ics", public_feed("unit")),
        Route("/feeds/all.ics", public_feed("all")),
        Route("/feeds/level/{key}.ics", public_feed("level")),
        Route("/feeds/obligation/{key}.ics", public_feed("obligation")),
        Route("/feeds/t/{token}.ics", feed_token),
        Route("/", pages.index),
        Route("/unit/{key}", pages.unit_page),
        Route("/obligation/{key}", pages.obligation_page),
        Route("/qr/{kind}/{key}.svg", pages.qr_code),
        Route("/done/{id}", pages.done_page, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ]
    if bot is not None and bot.bot_data.get("webhook") is not None:
        routes.append(Route("/telegram/webhook", telegram_webhook(bot), methods=["POST"]))
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: http_error, Exception: server_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.state.service = service
    return app


async def _watch(service: FeedService, stop: asyncio.Event) -> None:
    """Reload the rules (and rebuild the feeds) whenever a YAML file next to them changes."""
    from watchfiles import awatch

    def is_yaml(_change: object, path: str) -> bool:
        return path.endswith((".yaml", ".yml"))

    async for _ in awatch(*service.live.watched_paths(), watch_filter=is_yaml, stop_event=stop, debounce=300):
        await asyncio.to_thread(service.reload)


async def _daily(service: FeedService, stop: asyncio.Event) -> None:
    """Move the feeds' range forward when the day changes (checked every ten minutes)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=600)
        if not stop.is_set():
            await asyncio.to_thread(service.roll_over)


def _engine(service: FeedService, clock: Clock) -> ReminderEngine:
    import os
    import socket

    import notifiers
    from store.reminders import ReminderStore

    config = service.live.current.loaded.config
    try:
        channels = notifiers.load(config.notifiers)
    except ValueError as exc:
        raise ConfigurationError(f"{service.live.current.loaded.path or 'config'}: {exc}") from None
    return ReminderEngine(lambda: service.feeds.snapshot, ReminderStore(service.store), channels, clock=clock,
                          instance=f"{socket.gethostname()}:{os.getpid()}", base_url=service.public_url)


def _bot(service: FeedService, engine: ReminderEngine, clock: Clock) -> Any:
    """The Telegram conversation when the telegram channel is on (a token is set), else None."""
    channel = engine.notifiers.get("telegram")
    if channel is None:
        return None
    from bot.app import BotServices, build_application
    from notifiers.telegram import TelegramNotifier

    assert isinstance(channel, TelegramNotifier)

    def reload() -> tuple[bool, int, list[str]]:
        ok = service.reload()
        return ok, service.feeds.snapshot.version, [str(p) for p in service.live.problems]

    services = BotServices(snapshot=lambda: service.feeds.snapshot, subscribers=SubscriberStore(service.store),
                           reminders=engine.store, clock=clock, public_url=service.public_url,
                           admin_chats=set(channel.config.admin_chats), reload=reload)
    app = build_application(channel.bot, services)
    if channel.config.webhook_url:
        from notifiers.telegram import WEBHOOK_SECRET_ENV

        secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
        if not secret:
            raise ConfigurationError(f"notifiers.telegram.webhook_url is set: put a secret token (1-256 of "
                                     f"A-Z a-z 0-9 _ -) in {WEBHOOK_SECRET_ENV}")
        app.bot_data["webhook"] = {"url": channel.config.webhook_url, "secret": secret}
    return app


def serve(config_path: Path | None, *, host: str | None, port: int | None, lang: Language | None,
          clock: Clock = _system_clock) -> int:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run of every job at INFO
    loaded = load_config(config_path)  # fail early, before the store is opened
    host = host or loaded.config.server.host
    port = port or loaded.config.server.port
    service = FeedService(config_path, clock, lang=lang, public_url=f"http://{host}:{port}")
    engine = _engine(service, clock)
    runner = EngineRunner(engine)
    app = AccessLog(create_app(service, runner=runner, bot=_bot(service, engine, clock)))
    log.info("serving on http://%s:%d (public URL %s)", host, port, service.public_url)
    try:
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", lifespan="on")
    finally:
        service.close()
    return 0


__all__ = ["AccessLog", "create_app", "redact", "serve"]
