"""The real feed server as a uvicorn factory, configured from the environment (for bench/feed_bench.py).

    BENCH_CONFIG=site/config.yaml BENCH_NOW=2025-03-15T01:00:00+00:00 BENCH_PUBLIC_URL=http://127.0.0.1:PORT \
    .venv/bin/python -m uvicorn bench.asgi_factory:create --factory --workers 2 ...

Each worker process builds its own FeedService (the store is shared, as in production with several
workers) with a frozen clock, wraps ``create_app(watch=False)`` in ``FeedFastPath`` and ``AccessLog``
like ``serve`` does,
and writes ``BENCH_READY_DIR/<pid>`` once its feeds are built, so the benchmark knows every worker
is ready. ``BENCH_ACCESS_LOG_LEVEL`` (default WARNING) is the level of the ``calendars.access``
logger: at WARNING its per-request INFO line is dropped by one level check.

``bench.asgi_factory:raw`` is the floor: a bare ASGI app sending the bytes of BENCH_RAW_BODY with
a similar set of headers, to tell uvicorn's own per-request cost from the app's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from starlette.types import ASGIApp, Receive, Scope, Send  # noqa: E402

from service.feeds import FeedService  # noqa: E402
from tests.liveserver import FrozenClock  # noqa: E402
from web.access_log import AccessLog  # noqa: E402
from web.app import create_app  # noqa: E402
from web.fastfeed import FeedFastPath  # noqa: E402


def build_app(config: Path, now: dt.datetime, public_url: str,
              access_log_level: str = "WARNING") -> tuple[ASGIApp, FeedService]:
    """The app as ``serve`` wraps it (without the file watcher), and its service (to close)."""
    logging.getLogger("calendars.access").setLevel(access_log_level)
    service = FeedService(config, FrozenClock(now), public_url=public_url)
    return AccessLog(FeedFastPath(create_app(service, watch=False), service)), service


def create() -> ASGIApp:
    """uvicorn's factory: everything from BENCH_* environment variables."""
    app, _ = build_app(Path(os.environ["BENCH_CONFIG"]), dt.datetime.fromisoformat(os.environ["BENCH_NOW"]),
                    os.environ["BENCH_PUBLIC_URL"], os.environ.get("BENCH_ACCESS_LOG_LEVEL", "WARNING"))
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        (Path(ready) / str(os.getpid())).write_text("ready\n", encoding="utf-8")
    return app


def raw() -> ASGIApp:
    """The floor: a bare ASGI app answering every request with the bytes of BENCH_RAW_BODY (no Starlette)."""
    body = Path(os.environ["BENCH_RAW_BODY"]).read_bytes()
    headers = [(b"content-type", b"text/calendar; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"etag", b'"' + b"0" * 32 + b'"'), (b"last-modified", b"Sat, 15 Mar 2025 01:00:00 GMT"),
               (b"cache-control", b"public, max-age=300"), (b"vary", b"Accept-Encoding")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        (Path(ready) / str(os.getpid())).write_text("ready\n", encoding="utf-8")
    return app
