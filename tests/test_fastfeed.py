"""web.fastfeed answers a built unit feed exactly as the app does, and steps aside otherwise (issue 12)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message

from service.feeds import FeedService
from tests.liveserver import FrozenClock
from tests.test_feeds_on_demand import NOW, site
from web.app import create_app
from web.fastfeed import FeedFastPath

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def call(app: ASGIApp, path: str, headers: dict[str, str] | None = None, query: str = "") -> Answer:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], list(start["headers"]), body


@pytest.mark.slow
def test_the_fast_path_answers_built_unit_feeds_as_the_app_does(tmp_path: Path) -> None:
    service = FeedService(site(tmp_path), FrozenClock(NOW))
    try:
        app = create_app(service, watch=False)
        fast = FeedFastPath(app, service)
        path = "/feeds/unit/bz.korla.ics"
        cold = call(fast, path)  # not built yet: the app builds it
        assert fast.served == 0
        assert cold == call(app, path)
        etag = dict(cold[1])[b"etag"].decode()
        last_modified = dict(cold[1])[b"last-modified"].decode()
        later = (dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        for headers in ({}, {"Accept-Encoding": "gzip, deflate"}, {"Accept-Encoding": "gzip;q=0"},
                        {"If-None-Match": etag}, {"If-None-Match": '"other"'}, {"If-Modified-Since": last_modified},
                        {"If-Modified-Since": later}, {"Accept-Encoding": "gzip", "If-None-Match": etag[:-1] + '-gz"'}):
            assert call(fast, path, headers) == call(app, path, headers), headers
        assert fast.served == 8
        call(fast, path, {"Cookie": "oc_session=x"})  # a login may make the feed private: the app decides
        call(fast, path, query="windows=span")
        call(fast, "/feeds/unit/bz.luntai.ics")  # not built: the app builds it
        call(fast, "/feeds/unit/nope.ics")
        assert fast.served == 8
        assert call(fast, "/feeds/unit/bz.luntai.ics") == call(app, "/feeds/unit/bz.luntai.ics")
        assert fast.served == 9
    finally:
        service.close()
