"""Our real server on a loopback port, for tests: uvicorn in a thread, a frozen clock, a scratch store."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from service.feeds import FeedService
from web.access_log import AccessLog
from web.app import create_app
from web.fastfeed import FeedFastPath


class FrozenClock:
    """A clock that moves only when a test says so."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Live:
    url: str
    service: FeedService
    clock: FrozenClock
    root: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_site(root: Path, rules: list[Path], extra_config: str = "",
              public_url: str | None = "http://duties.test") -> Path:
    """A config folder with copies of ``rules`` (tests edit them) and a SQLite store.

    ``public_url`` is fixed by default so links (part of each event) do not change with the
    port; None makes links point at the running test server itself.
    """
    (root / "rules").mkdir(parents=True, exist_ok=True)
    for path in rules:
        shutil.copy(path, root / "rules" / path.name)
    config = root / "config.yaml"
    config.write_text(
        "timezone: Asia/Shanghai\nrules: [rules/*.yaml]\ndatabase_url: sqlite:///store.db\n"
        "feeds: {months_back: 2, months_ahead: 10}\n"
        + (f"server: {{public_url: '{public_url}'}}\n" if public_url else "") + extra_config,
        encoding="utf-8",
    )
    return config


@contextmanager
def running(config: Path, clock: FrozenClock, *, watch: bool = False,
            bot_factory: Callable[[FeedService], Any] | None = None) -> Iterator[Live]:
    port = free_port()
    service = FeedService(config, clock, public_url=f"http://127.0.0.1:{port}")
    bot = bot_factory(service) if bot_factory else None
    app = AccessLog(FeedFastPath(create_app(service, watch=watch, bot=bot), service))  # as serve wraps it
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # a condition, not a guess: uvicorn sets it once it listens
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield Live(f"http://127.0.0.1:{port}", service, clock, config.parent)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        service.close()
