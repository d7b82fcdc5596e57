"""The real feed server as a uvicorn factory, configured from the environment (for bench/feed_bench.py).

    BENCH_CONFIG=site/config.yaml BENCH_NOW=2025-03-15T01:00:00+00:00 BENCH_PUBLIC_URL=http://127.0.0.1:PORT \
    .venv/bin/python -m uvicorn bench.asgi_factory:create --factory --workers 2 ...

Each worker process builds its own FeedService (the store is shared, as in production with several
workers) with a frozen clock, wraps ``create_app(watch=False)`` in ``AccessLog`` like ``serve`` does,
and writes ``BENCH_READY_DIR/<pid>`` once its feeds are built, so the benchmark knows every worker
is ready. ``BENCH_ACCESS_LOG_LEVEL`` (default WARNING) is the level of the ``calendars.access``
logger: at WARNING its per-request INFO line is dropped by one level check.
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

from starlette.types import ASGIApp  # noqa: E402

from calendars.server import AccessLog, create_app  # noqa: E402
from calendars.service import FeedService  # noqa: E402
from tests.liveserver import FrozenClock  # noqa: E402


def build_app(config: Path, now: dt.datetime, public_url: str, access_log_level: str = "WARNING") -> ASGIApp:
    logging.getLogger("calendars.access").setLevel(access_log_level)
    service = FeedService(config, FrozenClock(now), public_url=public_url)
    return AccessLog(create_app(service, watch=False))


def create() -> ASGIApp:
    """uvicorn's factory: everything from BENCH_* environment variables."""
    app = build_app(Path(os.environ["BENCH_CONFIG"]), dt.datetime.fromisoformat(os.environ["BENCH_NOW"]),
                    os.environ["BENCH_PUBLIC_URL"], os.environ.get("BENCH_ACCESS_LOG_LEVEL", "WARNING"))
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        (Path(ready) / str(os.getpid())).write_text("ready\n", encoding="utf-8")
    return app
