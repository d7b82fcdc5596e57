"""A fast path for the requests calendar apps make most: a unit's public feed, already built.

Under load, Starlette's routing, Request objects and header dicts cost about two thirds of
a cached feed request (docs/benchmarks.md). :class:`FeedFastPath` answers ``GET
/feeds/unit/{id}.ics`` itself when the answer cannot depend on anything else: feeds are
public, the request has no query and no cookie (no login that could make it private), and
the feed is already held in memory. Its status, headers and body are those of
:func:`web.feeds.public_feed` (the same helpers make them; a test compares both paths);
every other request goes on to the app.
"""

from __future__ import annotations

import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

from calendars.feeds import Feed, Selection
from service.feeds import FeedService
from web.feeds import MEDIA_TYPE, accepts_gzip, feed_headers, not_modified

_PREFIX, _SUFFIX = "/feeds/unit/", ".ics"
_CONTENT_TYPE = (b"content-type", MEDIA_TYPE.encode())


class FeedFastPath:
    """ASGI middleware in front of the app (inside the access log, which still logs every request)."""

    def __init__(self, app: ASGIApp, service: FeedService) -> None:
        self.app = app
        self.service = service
        self.served = 0  # requests answered here, for tests
        # each built feed's encoded headers, made once; the feed weakly held, so eviction still frees it
        self._made: dict[tuple[int, bool], tuple[weakref.ref[Feed], str, list[tuple[bytes, bytes]]]] = {}

    def _headers(self, feed: Feed, key: str, gzip_ok: bool) -> tuple[str, list[tuple[bytes, bytes]]]:
        made = self._made.get((id(feed), gzip_ok))
        if made is None or made[0]() is not feed:  # an id is reused once its feed is gone
            if len(self._made) > 10_000:
                self._made.clear()
            etag, named = feed_headers(feed, f"unit-{key}", gzip_ok=gzip_ok, private=False)
            made = self._made[(id(feed), gzip_ok)] = (weakref.ref(feed), etag, _raw(named))
        return made[1], made[2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            path: str = scope["path"]
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX) and await self._answer(scope, send, path):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, path: str) -> bool:
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers[name.lower()] = value  # a repeated header: web.feeds reads the first; we then step aside
        if b"cookie" in headers or len(headers) != len(scope["headers"]):
            return False
        service = self.service
        if not service.live.current.loaded.config.feeds.public:
            return False
        key = path[len(_PREFIX):-len(_SUFFIX)]
        feed = service.feeds.peek(Selection("unit", key))
        if feed is None:
            return False
        encoding = headers.get(b"accept-encoding")
        gzip_ok = encoding is not None and accepts_gzip(encoding.decode("latin-1"))
        etag, raw = self._headers(feed, key, gzip_ok)
        match, since = headers.get(b"if-none-match"), headers.get(b"if-modified-since")
        if (match is not None or since is not None) and not_modified(_text(match), _text(since), etag,
                                                                     feed.last_modified):
            await send({"type": "http.response.start", "status": 304, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
        else:
            body = feed.gzipped if gzip_ok else feed.body
            extra = [(b"content-encoding", b"gzip")] if gzip_ok else []
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*raw, *extra, (b"content-length", str(len(body)).encode()), _CONTENT_TYPE]})
            await send({"type": "http.response.body", "body": body})
        self.served += 1
        return True


def _raw(named: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in named.items()]


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


__all__ = ["FeedFastPath"]
