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
import errno
import hashlib
import hmac
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from telegram import Update
from watchfiles import awatch

import notifiers
from bot.app import BotServices, build_application
from calendars.feeds import Feed, FeedKind, Selection
from i18n import Language
from notifiers.telegram import WEBHOOK_SECRET_ENV, TelegramNotifier
from obligations.diagnostics import did_you_mean
from obligations.errors import ConfigurationError, FatalError
from obligations.loader import load_config
from obligations.model import Level
from redaction import redact_path
from scheduler.planner import matches, subscription_from
from scheduler.snapshot import Clock
from service import logsetup
from service.engine import ReminderEngine
from service.feeds import FeedService
from service.runner import EngineRunner
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from web import pages, params

log = logging.getLogger(__name__)


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
        raise HTTPException(400, f"children must be 0 or 1, not {params.shown(raw)!r}")
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
        subs = [subscription_from({**s, "channel": person.channel, "address": person.address,
                                   "language": person.language, "quiet_hours": None, "mode": "each",
                                   "digest_at": None})
                for s in SubscriberStore(service.store).subscriptions_of(person.id)]
        rules = service.feeds.snapshot.rules
        feed = service.feeds.feed_for(("person", person.id, tuple(subs)), person.name,
                                      lambda occ: any(matches(sub, occ, rules) for sub in subs))
        return _feed_response(request, feed, "private", private=True)
    return PlainTextResponse("unknown feed link; ask your administrator for a new one\n", status_code=404)


def telegram_webhook(bot: Any) -> Callable[[Request], Awaitable[Response]]:
    """Telegram's webhook: updates are checked against the secret token, then handed to the bot.

    The secret header is compared as bytes (absent, wrong or non-ASCII: 403); the body must be a
    JSON object of at most :data:`params.MAX_BODY` bytes that parses as an Update (else 400 or 413).
    """


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


@dataclass
class Health:
    """What /healthz reports besides the rules: each channel's state and the engine's last failures.

    A channel is ``ready`` (built; it connects when it sends), ``starting``, ``running`` (the
    Telegram bot polls or has its webhook set) or ``failed`` (with the reason; the bot retries).
    """

    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: dict[str, str | None] = field(default_factory=dict)  # "plan"/"dispatch" -> last error, None once ok

    def channel(self, name: str, state: str, error: str | None = None) -> None:
        entry: dict[str, Any] = {"state": state, "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        if error:
            entry["error"] = redact_path(error)
        self.channels[name] = entry

    def reasons(self, service: FeedService) -> list[str]:
        out = []
        problems = service.live.problems
        if problems:
            out.append(f"rules: {len(problems)} problem(s) in the files on disk, still serving version "
                       f"{service.feeds.snapshot.version}; first: {redact_path(str(problems[0]))}")
        for name, entry in sorted(self.channels.items()):
            if entry["state"] == "failed":
                out.append(f"channel {name}: {entry.get('error', 'failed')}")
        for job, error in sorted(self.engine.items()):
            if error:
                out.append(f"reminders: the last {job} run failed: {error}")
        return out

    def watch(self, engine: ReminderEngine) -> None:
        """Record the outcome of every planning and dispatch run of ``engine``."""
        plan, dispatch = engine.plan, engine.dispatch

        def watched_plan() -> Any:
            try:
                report = plan()
            except Exception as exc:
                self.engine["plan"] = redact_path(f"{type(exc).__name__}: {exc}")
                raise
            self.engine["plan"] = None
            return report

        async def watched_dispatch() -> Any:
            try:
                report = await dispatch()
            except Exception as exc:
                self.engine["dispatch"] = redact_path(f"{type(exc).__name__}: {exc}")
                raise
            self.engine["dispatch"] = None
            return report

        engine.plan = watched_plan  # type: ignore[method-assign]
        engine.dispatch = watched_dispatch  # type: ignore[method-assign]


async def healthz(request: Request) -> Response:
    """Always 200 while the service answers: ``status`` is ``ok``, or ``degraded`` with ``reasons``."""
    service = _service(request)
    health: Health = request.app.state.health
    served = service.feeds.snapshot  # the version requests see, swapped in only once its feeds are built
    reasons = health.reasons(service)
    return JSONResponse({
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "rules_version": served.version,
        "rules_loaded_at": served.loaded_at.isoformat(),
        "rules_problems": len(service.live.problems),
        "rules_failed_at": service.live.failed_at.isoformat() if service.live.failed_at else None,
        "feeds_built_at": service.feeds.built_at.isoformat(),
        "events": len(service.feeds.events),
        "channels": health.channels,
        "reminders": {job: {"ok": error is None, "error": error} for job, error in sorted(health.engine.items())},
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
    """A path fit for logs: private feed tokens are secrets, in any spelling (redaction)."""
    return redact_path(path)


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
               bot: Any = None, health: Health | None = None) -> Starlette:
    """The ASGI app around ``service``; ``watch`` reloads rules when their files change;
    ``runner`` (the reminder engine on APScheduler) and ``bot`` (the Telegram conversation,
    long polling or webhook) start and stop with the app. A bot that cannot start does not stop
    the app: /healthz says ``degraded`` with the reason (``health``) and the bot tries again."""
    health = health or Health()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        if runner is not None:
            runner.start()
            service.on_reload.append(runner.rules_changed)
        if bot is not None:
            tasks.append(asyncio.create_task(_keep_bot_started(bot, health, stop)))
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
                await _stop_bot(bot)
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
    app.state.health = health
    return app


BOT_RETRY_FIRST = 5.0  # seconds before a bot that failed to start tries again; doubles up to BOT_RETRY_MAX
BOT_RETRY_MAX = 300.0


async def _start_bot(bot: Any) -> None:
    await bot.initialize()  # getMe: a wrong token or an unreachable Bot API fails here
    webhook = bot.bot_data.get("webhook")
    if webhook is not None:  # Telegram posts updates to /telegram/webhook
        await bot.bot.set_webhook(url=webhook["url"], secret_token=webhook["secret"])
    elif not bot.updater.running:
        await bot.updater.start_polling(drop_pending_updates=False)
    if not bot.running:
        await bot.start()


async def _stop_bot(bot: Any) -> None:
    with contextlib.suppress(Exception):
        if bot.updater is not None and bot.updater.running:
            await bot.updater.stop()
    with contextlib.suppress(Exception):
        if bot.running:
            await bot.stop()
    with contextlib.suppress(Exception):
        await bot.shutdown()


async def _keep_bot_started(bot: Any, health: Health, stop: asyncio.Event) -> None:
    """Start the Telegram bot; on failure, report it in /healthz and try again with a growing pause."""
    delay = BOT_RETRY_FIRST
    health.channel("telegram", "starting")
    while not stop.is_set():
        try:
            await _start_bot(bot)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = f"could not start ({type(exc).__name__}: {exc}); next try in {delay:g}s"
            health.channel("telegram", "failed", reason)
            log.error("telegram bot %s", reason)  # redacted by redaction like every log line
            await _stop_bot(bot)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, BOT_RETRY_MAX)
            continue
        mode = "webhook" if bot.bot_data.get("webhook") is not None else "polling"
        health.channel("telegram", "running")
        health.channels["telegram"]["mode"] = mode
        log.info("telegram bot running (%s)", mode)
        return


async def _watch(service: FeedService, stop: asyncio.Event) -> None:
    """Reload the rules (and rebuild the feeds) whenever a YAML file next to them changes."""

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


    config = service.live.current.loaded.config
    try:
        channels = notifiers.load(config.notifiers)
    except ValueError as exc:
        raise ConfigurationError(f"{service.live.current.loaded.path or 'config'}: {exc}") from None
    return ReminderEngine(lambda: service.feeds.snapshot, ReminderStore(service.store), channels, clock=clock,
                          instance=f"{socket.gethostname()}:{os.getpid()}", base_url=service.public_url)


def _bot(service: FeedService, engine: ReminderEngine, clock: Clock, *, health: Health | None = None) -> Any:
    """The Telegram conversation when the telegram channel is on (a token is set), else None.

    With ``health``, a bot that cannot be built (no webhook secret, an unusable Bot API URL) is
    reported there as a failed channel and the service runs without it; without, it raises."""
    channel = engine.notifiers.get("telegram")
    if channel is None:
        return None
    if health is None:
        return _build_bot(service, engine, clock, channel)
    try:
        return _build_bot(service, engine, clock, channel)
    except Exception as exc:  # the feeds must not go down with the bot
        health.channel("telegram", "failed", f"cannot start: {exc}")
        log.error("telegram bot not started: %s", exc)
        return None


def _build_bot(service: FeedService, engine: ReminderEngine, clock: Clock, channel: Any) -> Any:

    assert isinstance(channel, TelegramNotifier)

    def reload() -> tuple[bool, int, list[str]]:
        ok = service.reload()
        return ok, service.feeds.snapshot.version, [str(p) for p in service.live.problems]

    services = BotServices(snapshot=lambda: service.feeds.snapshot, subscribers=SubscriberStore(service.store),
                           reminders=engine.store, clock=clock, public_url=service.public_url,
                           admin_chats=set(channel.config.admin_chats), reload=reload)
    app = build_application(channel.bot, services)
    if channel.config.webhook_url:
        pass

        secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
        if not secret:
            raise ConfigurationError(f"notifiers.telegram.webhook_url is set: put a secret token (1-256 of "
                                     f"A-Z a-z 0-9 _ -) in {WEBHOOK_SECRET_ENV}")
        app.bot_data["webhook"] = {"url": channel.config.webhook_url, "secret": secret}
    return app


def listen(host: str, port: int, where: str = "config.yaml") -> socket.socket:
    """A socket bound to ``host:port`` before anything else starts, or one sentence saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no conflict
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise FatalError(f"port {port} on {host} is already in use (another server is listening there); "
                             f"stop it, or choose another port with --port N or server.port in {where}") from None
        if exc.errno == errno.EACCES:
            raise FatalError(f"port {port} on {host} needs more privileges than this user has; choose a port "
                             f"above 1023 with --port N or server.port in {where}") from None
        raise FatalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host or server.host "
                         f"in {where}") from None
    sock.set_inheritable(True)
    return sock


def serve(config_path: Path | None, *, host: str | None, port: int | None, lang: Language | None,
          clock: Clock = _system_clock, debug: bool = False) -> int:
    pass


    logsetup.configure(debug=debug)  # redaction on every handler before the first line is logged
    loaded = load_config(config_path)  # fail early, before the store is opened
    logsetup.register(notifiers=loaded.config.notifiers, database_url=loaded.database_url)
    host = host or loaded.config.server.host
    port = port or loaded.config.server.port
    sock = listen(host, port, str(config_path or "config.yaml"))  # a port in use: one line, before any work
    try:
        service = FeedService(config_path, clock, lang=lang, public_url=f"http://{host}:{port}")
        health = Health()
        engine = _engine(service, clock)
        health.watch(engine)
        for name in engine.notifiers:
            health.channel(name, "ready")
        runner = EngineRunner(engine)
        app = AccessLog(create_app(service, runner=runner, bot=_bot(service, engine, clock, health=health),
                                   health=health))
        log.info("serving on http://%s:%d (public URL %s)", host, port, service.public_url)
        server = uvicorn.Server(uvicorn.Config(app, access_log=False, log_config=None, lifespan="on",
                                               log_level="debug" if debug else "info"))
        try:
            server.run(sockets=[sock])
        finally:
            service.close()
    finally:
        sock.close()
    if not server.started:
        raise FatalError("the service did not start; the reason is in the log above")
    return 0


__all__ = ["AccessLog", "create_app", "redact", "serve"]
