"""``serve``: the running service wired together and served by uvicorn.

It loads the configuration, binds the port first (a port in use is one sentence, before any work),
builds the feeds, the reminder engine with its channels and the Telegram bot, and serves
:func:`web.app.create_app` behind :class:`web.access_log.AccessLog`.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import socket
from pathlib import Path
from typing import Any

import uvicorn

import notifiers
from bot.app import BotServices, build_application
from i18n import N_, Language
from i18n.phrase import phrase
from notifiers.telegram import WEBHOOK_SECRET_ENV, TelegramNotifier
from obligations.errors import ConfigurationError, FatalError
from obligations.loader import load_config
from scheduler.snapshot import Clock
from service import logsetup
from service.engine import ReminderEngine
from service.feeds import FeedService
from service.runner import EngineRunner
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from web.access_log import AccessLog
from web.app import create_app
from web.fastfeed import FeedFastPath
from web.health import Health

log = logging.getLogger(__name__)


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _engine(service: FeedService, clock: Clock) -> ReminderEngine:
    """The reminder engine over the served rules, with the configured channels."""
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
        return ok, service.feeds.snapshot.version, [p.worded(service.lang) for p in service.live.problems]

    services = BotServices(snapshot=lambda: service.feeds.snapshot, subscribers=SubscriberStore(service.store),
                           reminders=engine.store, clock=clock, public_url=service.public_url,
                           admin_chats=set(channel.config.admin_chats), reload=reload)
    app = build_application(channel.bot, services)
    if channel.config.webhook_url:
        secret = os.environ.get(WEBHOOK_SECRET_ENV, "")
        if not secret:
            raise ConfigurationError(phrase(N_("serve.webhook_secret"), "notifiers.telegram.webhook_url is set: put a "
                                            "secret token (1-256 of A-Z a-z 0-9 _ -) in %(env)s",
                                            env=WEBHOOK_SECRET_ENV))
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
            raise FatalError(phrase(N_("serve.port_in_use"), "port %(port)s on %(host)s is already in use (another "
                                    "server is listening there); stop it, or choose another port with --port N or "
                                    "server.port in %(where)s", port=port, host=host, where=where)) from None
        if exc.errno == errno.EACCES:
            raise FatalError(phrase(N_("serve.port_privileged"), "port %(port)s on %(host)s needs more privileges "
                                    "than this user has; choose a port above 1023 with --port N or server.port in "
                                    "%(where)s", port=port, host=host, where=where)) from None
        raise FatalError(phrase(N_("serve.cannot_listen"), "cannot listen on %(host)s:%(port)s: %(reason)s; check "
                                "--host or server.host in %(where)s", host=host, port=port,
                                reason=str(exc.strerror or exc), where=where)) from None
    sock.set_inheritable(True)
    return sock


def _app(service: FeedService, clock: Clock) -> AccessLog:
    """The app with everything that runs beside it: the engine, its channels, the bot."""
    health = Health()
    engine = _engine(service, clock)
    health.watch(engine)
    for name in engine.notifiers:
        health.channel(name, "ready")
    runner = EngineRunner(engine)
    health.planner = lambda: runner.leading
    bot = _bot(service, engine, clock, health=health)
    return AccessLog(FeedFastPath(create_app(service, runner=runner, bot=bot, health=health), service))


def serve(config_path: Path | None, *, host: str | None, port: int | None, lang: Language | None,
          clock: Clock = _system_clock, debug: bool = False) -> int:
    """Serve until stopped (Ctrl-C, SIGTERM); 0, or :class:`FatalError` when the service cannot start."""
    logsetup.configure(debug=debug)  # redaction on every handler before the first line is logged
    loaded = load_config(config_path)  # fail early, before the store is opened
    logsetup.register(notifiers=loaded.config.notifiers, database_url=loaded.database_url)
    host = host or loaded.config.server.host
    port = port or loaded.config.server.port
    sock = listen(host, port, str(config_path or "config.yaml"))  # a port in use: one line, before any work
    try:
        service = FeedService(config_path, clock, lang=lang, public_url=f"http://{host}:{port}")
        try:
            app = _app(service, clock)
            log.info("serving on http://%s:%d (public URL %s)", host, port, service.public_url)
            server = uvicorn.Server(uvicorn.Config(app, access_log=False, log_config=None, lifespan="on",
                                                   log_level="debug" if debug else "info"))
            server.run(sockets=[sock])
        finally:
            service.close()
    finally:
        sock.close()
    if not server.started:
        raise FatalError(phrase(N_("serve.did_not_start"), "the service did not start; the reason is in the log above"))
    return 0


__all__ = ["listen", "serve"]
