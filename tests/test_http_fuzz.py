"""No HTTP input gives a 5xx: a seeded fuzz of every route, and the regressions it was built from.

The app runs in-process: each request is one ASGI call with a scope built by hand (raw path
bytes, raw header bytes), so the fuzz reaches the app exactly as uvicorn would hand it bytes
it accepted, without a socket. The routes are read from the app itself: a new route is
fuzzed without touching this file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from starlette.routing import Route

from service.engine import ReminderEngine
from service.feeds import FeedService
from store import links
from store.reminders import ReminderStore
from tests.conftest import DATA
from tests.liveserver import FrozenClock, make_site
from web.access_log import AccessLog
from web.app import create_app

SAMPLE = DATA / "rules" / "sample.yaml"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
PUBLIC = "http://duties.test"
TOKEN = "fuzz-private-token"
SECRET = "hook-secret_1"
SEED = 20250315
REQUESTS = 4000


# -- the app, in-process ----------------------------------------------------------------------------


class StubBot:
    """Just enough of a python-telegram-bot Application for /telegram/webhook to exist."""

    def __init__(self) -> None:
        self.bot_data = {"webhook": {"url": f"{PUBLIC}/telegram/webhook", "secret": SECRET}}
        self.bot = None
        self.update_queue: asyncio.Queue[Any] = asyncio.Queue()


@dataclass
class Reply:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Site:
    app: Any
    service: FeedService
    clock: FrozenClock
    reminder_id: int
    signature: str
    bot: StubBot
    routes: list[Route] = field(default_factory=list)

    def request(self, method: str, raw_path: bytes, query: bytes = b"",
                headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b"") -> Reply:
        return asyncio.run(call(self.app, method, raw_path, query, headers or [], body))


async def call(app: Any, method: str, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]],
               body: bytes) -> Reply:
    """One request as uvicorn hands it to the app: ``path`` is ``raw_path`` percent-decoded."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": method, "scheme": "http", "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 50000),
        "root_path": "", "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path,
        "query_string": query, "headers": [(b"host", b"127.0.0.1:8080"), *headers],
    }
    sent = False
    reply = Reply(0, {}, b"")

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a client that says nothing more (only a disconnect could follow)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = dict(message.get("headers", []))
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")

    try:
        await asyncio.wait_for(app(scope, receive, send), timeout=10)
    except Exception:  # an exception out of the app is what uvicorn answers with 500
        reply.status = reply.status or 500
    return reply


def build_site(tmp_path: Path) -> Site:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    extra = (f"feeds: {{months_back: 2, months_ahead: 10, private: [{{name: 值班, token_sha256: {digest}, "
             "unit: cty}]}\n"
             "subscribers: [{name: 县政府办公室, channel: log, address: cty-office, "
             "subscriptions: [{unit: cty.town, lead_times: [1d]}]}]\n")
    config = make_site(tmp_path, [SAMPLE], public_url=PUBLIC)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "feeds: {months_back: 2, months_ahead: 10}\n", extra), encoding="utf-8")
    clock = FrozenClock(NOW)
    service = FeedService(config, clock)
    reminder_id, address = _plan_a_reminder(service)
    signature = links.sign(links.signing_key(service.store), reminder_id, address)
    bot = StubBot()
    starlette = create_app(service, watch=False, bot=bot)
    return Site(AccessLog(starlette), service, clock, reminder_id, signature, bot,
                [r for r in starlette.routes if isinstance(r, Route)])


def _plan_a_reminder(service: FeedService) -> tuple[int, str]:
    """Plan the configured subscriber's reminders; the first one (a done link's target)."""

    engine = ReminderEngine(lambda: service.feeds.snapshot, ReminderStore(service.store), {}, clock=service.clock,
                            instance="fuzz", base_url=PUBLIC)
    engine.sync_subscribers()
    engine.plan()
    row = ReminderStore(service.store).listing("pending", limit=1)[0]
    return int(row["id"]), str(row["address"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    pass

    path = tmp_path_factory.mktemp("fuzz")
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = f"sqlite:///{path / 'store.db'}"  # one store for the module
    try:
        built = build_site(path)
        yield built
        built.service.close()
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


# -- the fuzz -----------------------------------------------------------------------------------------

ODD_SEGMENTS = [
    "", "²", "٣", "２０２５", "१२", "0", "-1", "1e9", "99999999999999999999999", "9" * 5000, "x" * 10_000,
    "..", ".", "%2e%2e", "%00", "%ff", "%fe%ff", "%c3%28", "%e2%82", "%", "%zz", "%%", "a%2fb", "%0d%0a",
    "\u202e", "𝟙𝟚", "ｃｔｙ", "cty\u0000", "cty ", " ", "<script>", "'\"", "null", "None", "NaN", "true",
    "../../etc/passwd", "%2e%2e%2fetc", "cty.ics", "all", "level", "unit", "obligation", "t.report",
    "cty.town", "province", "county", "bogus", "A" * 300, "😀" * 50, "\\", "~", "*", "?", "#",
]
QUERIES = [
    "", "year=²", "year=٣٠٢٥", "year=２０２５", "year=" + "9" * 5000, "year=-1", "year=2025", "year=2030",
    "year=1e3", "year=0x7e9", "year= 2025", "year=2025&year=²", "year=", "year", "lang=en", "lang=fr",
    "lang=zh-CN&lang=en", "lang=%ff", "children=1", "children=²", "children=maybe", "children=1&children=0",
    "s=x", "s=²", "s=" + "0" * 32, "s=" + "f" * 10_000, "s=%ff%fe", "s=%", "%", "%%", "%zz=1", "=", "&&&",
    "a=" + "b" * 10_000, "year=2025&" * 200, "\u00ff=\u00ff", "year=%c2%b2", "year=%ef%bc%92%ef%bc%90",
]
METHODS = ["GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW"]
HEADERS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"accept-encoding", b"gzip")],
    [(b"if-none-match", b"\xff\xfe")],
    [(b"if-modified-since", b"Sat, 99 Foo 99999 99:99:99 GMT")],
    [(b"if-modified-since", "²".encode())],
    [(b"x-telegram-bot-api-secret-token", "密钥".encode())],
    [(b"x-telegram-bot-api-secret-token", b"\xff" * 64)],
    [(b"x-telegram-bot-api-secret-token", SECRET.encode())],
    [(b"x-telegram-bot-api-secret-token", b"x" * 20_000)],
    [(b"content-type", b"application/json")],
    [(b"content-type", b"application/x-www-form-urlencoded")],
    [(b"content-type", b"multipart/form-data; boundary=xyz")],
    [(b"content-type", b"multipart/form-data")],
    [(b"content-type", b"text/plain; charset=\xff")],
    [(b"content-type", b"application/json; charset=utf-16")],
    [(b"content-length", b"-1")],
    [(b"content-length", b"99999999999999999999")],
    [(b"origin", b"http://evil.example")],
    [(b"origin", PUBLIC.encode())],
    [(b"origin", b"\xff\xfe")],
    [(b"origin", b"null")],
    [(b"referer", b"http://127.0.0.1:8080/done/1")],
    [(b"referer", b"\xe4\xb8\xad" * 3000)],
    [(b"cookie", b"a=\xff; b")],
    [(b"host", b"\xff")],
    [(b"accept-language", b"en")],
    [(b"x-forwarded-for", b"1" * 10_000)],
]
BODIES = [
    b"", b"[]", b"[1,2,3]", b"{}", b'{"update_id": 1}', b'{"update_id": "x", "message": "y"}', b"null", b"1",
    b'"text"', b"{", b"\xff\xfe\x00garbage", b"[" * 100_000, b'{"a":' * 5000, b"s=x&note=y",
    b"s=%ff&note=%", b"s=" + b"0" * 32 + b"&evidence=javascript:alert(1)", b"note=" + b"n" * 200_000,
    b"--xyz\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\nx\r\n--xyz--\r\n",
    b"--xyz\r\nContent-Disposition: form-data; name=\"s\"; filename=\"a.txt\"\r\n\r\nx\r\n--xyz--\r\n",
    b"--xyz\r\ngarbage", "中文".encode("gbk"), b"\x00" * 1000, b'{"update_id": 1, "message": {"chat": 1}}',
    b'{"update_id": 3, "message": {"message_id": 1, "date": 1700000000, "text": "/help", '
    b'"chat": {"id": 5, "type": "private"}}}',
    b'{"update_id": 4, "callback_query": {"id": "1", "chat_instance": "x", "data": "sv:bogus", '
    b'"from": {"id": 5, "is_bot": false, "first_name": "x"}}}',
]


def _good_values(site: Site, route: Route) -> dict[str, list[str]]:
    """Values each path parameter of ``route`` takes in a real request (the ids of the rules in force)."""
    rules = site.service.feeds.snapshot.rules
    units, duties, levels = sorted(rules.units), sorted(rules.obligations), ["county", "township", "prefecture"]
    keys = {"unit": units, "obligation": duties, "level": levels}
    kind = next((k for k in keys if f"/{k}/" in route.path), None)
    return {
        "key": keys[kind] if kind else [*units, *duties, *levels, "all"],
        "kind": [*keys, "all"],
        "id": [str(site.reminder_id)],
        "token": [TOKEN],
    }


def _segment(rng: random.Random, good: list[str]) -> str:
    """A raw (percent-encoded, ASCII) path segment: a good value, an odd one, or one of each glued."""
    choice = rng.random()
    if choice < 0.35 and good:
        text = rng.choice(good)
    elif choice < 0.9:
        text = rng.choice(ODD_SEGMENTS)
    else:
        text = rng.choice(good or ["x"]) + rng.choice(ODD_SEGMENTS)
    if "%" in text and re.search(r"%[0-9a-fA-F]{2}|%[^0-9a-fA-F]|%$", text):
        return quote(text, safe="%")  # keep the odd percent-encoding as it is
    return quote(text, safe="")


def _path(rng: random.Random, route: Route, good: dict[str, list[str]]) -> str:
    path = route.path
    for name in route.param_convertors:
        path = path.replace("{" + name + "}", _segment(rng, good.get(name, [])), 1)
    if rng.random() < 0.05:
        path = path.replace("/", "//", 1)
    if rng.random() < 0.03:
        path += "/"
    return path


def _query(rng: random.Random, site: Site) -> str:
    if rng.random() < 0.2:
        parts = [f"s={site.signature}"] + ([rng.choice(QUERIES)] if rng.random() < 0.5 else [])
    else:
        parts = [rng.choice(QUERIES) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    return quote("&".join(parts), safe="=&%")


ODD_FIELDS = ["", "²", "x" * 3000, "javascript:alert(1)", "https://" + "e" * 600, "https://ok.example/a.pdf",
              "http://\u0000", "https://例子.中国/报告", "\r\n", "%ff", "'\"<b>", "😀" * 100]


def _done_form(rng: random.Random, site: Site) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The page's own form for the module's reminder (valid signature and CSRF token, or a spoiled one),
    from our origin or another, with odd notes and evidence links."""
    key = links.signing_key(site.service.store)
    csrf = links.csrf_token(key, site.reminder_id, "cty-office", site.clock())
    fields = {"s": site.signature if rng.random() < 0.8 else rng.choice(ODD_SEGMENTS),
              "csrf": csrf if rng.random() < 0.8 else rng.choice([csrf[:-1], "", "²", "1." + "0" * 32]),
              "note": rng.choice(ODD_FIELDS),
              "evidence": rng.choice(ODD_FIELDS) if rng.random() < 0.4 else rng.choice(["", "https://ok.example/"])}
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items()).encode("ascii")
    origin = rng.choice([PUBLIC.encode(), b"http://127.0.0.1:8080", b"http://evil.example", b"null", b"\xff"])
    return [(b"content-type", b"application/x-www-form-urlencoded"), (b"origin", origin)], body


@pytest.mark.slow
def test_no_input_gives_a_5xx(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """4,000 seeded requests over every route: status < 500, no ERROR log line, none slower than 2 s,
    no error page longer than 8 KB (none echoes a huge input)."""
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED)
    goods = {route.path: _good_values(site, route) for route in site.routes}
    failures: list[str] = []
    by_route: dict[str, int] = {}
    statuses: dict[int, int] = {}
    seen: set[tuple[str, str, int]] = set()
    started = time.perf_counter()
    for n in range(REQUESTS):
        route = site.routes[n % len(site.routes)]  # every route gets its share
        method = rng.choice(sorted(route.methods or ["GET"])) if rng.random() < 0.7 else rng.choice(METHODS)
        path = _path(rng, route, goods[route.path])
        query = _query(rng, site)
        headers = list(rng.choice(HEADERS)) + (list(rng.choice(HEADERS)) if rng.random() < 0.3 else [])
        body = rng.choice(BODIES) if method in {"POST", "PUT", "PATCH", "DELETE"} or rng.random() < 0.05 else b""
        if route.path == "/telegram/webhook" and rng.random() < 0.5:
            headers.insert(0, (b"x-telegram-bot-api-secret-token", SECRET.encode()))  # past the door
        if route.path == "/done/{id}" and method == "POST" and rng.random() < 0.5:
            headers, body = _done_form(rng, site)  # the real form, with odd values in its fields
        t0 = time.perf_counter()
        reply = site.request(method, path.encode("ascii"), query.encode("ascii"), headers, body)
        took = time.perf_counter() - t0
        by_route[route.path] = by_route.get(route.path, 0) + 1
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
        seen.add((route.path, method, reply.status))
        if reply.status >= 500 or reply.status == 0 or took > 2:
            failures.append(f"{reply.status} {took:.1f}s {method} {path[:120]}?{query[:80]} "
                            f"{[h[:40] for pair in headers for h in pair]} {body[:40]!r}: {reply.text[:160]}")
        if "Traceback" in reply.text:
            failures.append(f"traceback in the body: {method} {path[:120]}")
        if reply.status >= 400 and len(reply.body) > 8000:  # an error page must not echo a 10 KB input
            failures.append(f"{len(reply.body)} bytes of error: {method} {path[:120]}?{query[:80]}")
    elapsed = time.perf_counter() - started
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    print(f"\n{REQUESTS} requests over {len(by_route)} routes in {elapsed:.1f}s; "
          f"{len(failures)} failures; {len(errors)} error log records; statuses {sorted(statuses.items())}")
    assert set(by_route) == {r.path for r in site.routes}
    assert len(site.routes) >= 11
    for ok in [("/done/{id}", "POST", 200), ("/done/{id}", "POST", 403), ("/done/{id}", "GET", 200),
               ("/unit/{key}", "GET", 200), ("/qr/{kind}/{key}.svg", "GET", 200), ("/telegram/webhook", "POST", 200),
               ("/feeds/t/{token}.ics", "GET", 200)]:
        assert ok in seen, f"the fuzz never reached {ok}: it only tests refusals there"
    assert failures == [], f"{len(failures)} of {REQUESTS}:\n" + "\n".join(failures[:40])
    assert [r.getMessage() for r in errors] == []


# -- the regressions of issue 9, item 4: each URL that once gave a 500 -----------------------------------


def get(site: Site, target: str, headers: list[tuple[bytes, bytes]] | None = None) -> Reply:
    path, _, query = target.partition("?")
    return site.request("GET", path.encode("ascii"), query.encode("ascii"), headers)


def test_year_with_a_superscript_two_is_a_400(site: Site) -> None:
    """``?year=²``: str.isdigit() said yes, int() raised ValueError, the page answered 500."""
    for page in ["/unit/cty", "/obligation/t.report"]:
        reply = get(site, page + "?year=" + quote("²"))
        assert reply.status == 400, page
        assert "年份应为四位数字,例如 2025,而不是 &#39;²&#39;" in reply.text


def test_year_of_5000_digits_is_a_400(site: Site) -> None:
    """``?year=`` + 5,000 digits: int() refuses more than 4,300 digits with ValueError, a 500."""
    reply = get(site, "/unit/cty?year=" + "9" * 5000)
    assert reply.status == 400
    assert len(reply.body) < 10_000  # the message shows the start of the value, not all of it


@pytest.mark.parametrize("digits", ["２０２５", "٢٠٢٥", "۲۰۲۵", "२०२५", "𝟐𝟎𝟐𝟓"])
def test_unicode_digits_are_not_a_year(site: Site, digits: str) -> None:
    """Full-width, Arabic-Indic, Devanagari and mathematical digits were accepted as the year 2025."""
    assert get(site, "/unit/cty?year=" + quote(digits)).status == 400
    assert get(site, "/unit/cty?year=2025").status == 200


def test_done_with_a_superscript_id_is_a_404(site: Site) -> None:
    """``/done/²?s=x``: the id passed isdigit() and int('²') raised, a 500."""
    reply = get(site, "/done/" + quote("²") + "?s=x")
    assert reply.status == 404
    assert "未找到" in reply.text


@pytest.mark.parametrize("reminder_id", ["99999999999999999999999", "9223372036854775808", "2147483648",
                                         quote("１"), quote("١"), "0", "-1", "1.0", "1e3"])
def test_done_with_an_id_out_of_range_is_a_404(site: Site, reminder_id: str) -> None:
    """``/done/99999999999999999999999?s=x``: the id overflowed SQLite's integer (OverflowError), a 500;
    a full-width or Arabic-Indic '1' was read as reminder 1."""
    assert get(site, f"/done/{reminder_id}?s={site.signature}").status == 404


@pytest.mark.parametrize("signature", ["²", "x", "%ff%fe", "0" * 10_000, "密钥" * 16])
def test_done_with_an_odd_signature_is_a_403(site: Site, signature: str) -> None:
    """A non-ASCII signature reached hmac.compare_digest(str, str), which raises TypeError: a 500."""
    reply = get(site, f"/done/{site.reminder_id}?s={quote(signature, safe='%')}")
    assert reply.status == 403
    assert "链接无效" in reply.text


def test_qr_of_a_10kb_level_is_a_404(site: Site) -> None:
    """``/qr/level/`` + 10 KB + ``.svg``: any level was accepted and its webcal URL did not fit a QR
    code (segno's DataOverflowError), a 500; a short unknown level answered 200 with a QR code."""
    assert get(site, "/qr/level/" + "x" * 10_000 + ".svg").status == 404
    assert get(site, "/qr/level/bogus.svg").status == 404
    assert get(site, "/qr/level/" + quote("²") + ".svg").status == 404
    good = get(site, "/qr/level/county.svg")
    assert good.status == 200
    assert good.headers[b"content-type"] == b"image/svg+xml"
    assert get(site, "/qr/unit/cty.svg?children=1").status == 200
    assert get(site, "/qr/all/all.svg").status == 200


def test_unknown_ids_are_404_pages_in_the_readers_language(site: Site) -> None:
    """Unknown units, duties and QR codes: a 404 page, Chinese by default, English with ?lang=en."""
    for target in ["/unit/nope", "/obligation/nope", "/qr/unit/nope.svg", "/unit/" + "x" * 10_000]:
        zh = get(site, target)
        assert zh.status == 404, target
        assert '<html lang="zh-CN">' in zh.text
        assert "未找到" in zh.text
        en = get(site, target + "?lang=en")
        assert en.status == 404, target
        assert '<html lang="en">' in en.text
        assert "Not found" in en.text
    assert len(get(site, "/unit/" + "x" * 10_000).body) < 10_000


def test_feed_ids_are_bounded(site: Site) -> None:
    """10 KB ids and tokens in feed URLs: a short 404, not a 10 KB echo or a slow suggestion."""
    for target in ["/feeds/unit/" + "x" * 10_000 + ".ics", "/feeds/level/" + quote("²") + ".ics",
                   "/feeds/t/" + "x" * 10_000 + ".ics", "/feeds/t/" + quote("密钥") + ".ics"]:
        reply = get(site, target)
        assert reply.status == 404, target
        assert len(reply.body) < 1000
    assert get(site, f"/feeds/t/{TOKEN}.ics").status == 200


def webhook(site: Site, body: bytes, secret: bytes | None = SECRET.encode()) -> Reply:
    headers = [(b"content-type", b"application/json")]
    if secret is not None:
        headers.append((b"x-telegram-bot-api-secret-token", secret))
    return site.request("POST", b"/telegram/webhook", b"", headers, body)


@pytest.mark.parametrize("secret", ["密钥".encode(), b"\xff\xfe", "hook-secret_1²".encode(), b"", None])
def test_webhook_with_a_non_ascii_or_absent_secret_is_a_403(site: Site, secret: bytes | None) -> None:
    """A non-ASCII secret header reached hmac.compare_digest(str, str), which raises TypeError: a 500."""
    reply = webhook(site, b'{"update_id": 1}', secret)
    assert reply.status == 403


@pytest.mark.parametrize("body", [b"[]", b"[1, 2]", b"null", b"1", b'"update"', b"{}", b'{"update_id": "1"}',
                                  b'{"update_id": 1, "message": "not a message"}', b"[" * 50_000, b"\xff\xfe",
                                  b"not json"])
def test_webhook_with_a_body_that_is_no_update_is_a_400(site: Site, body: bytes) -> None:
    """A JSON array reached Update.de_json, which raised: a 500. Anything but an update object is 400."""
    queued = site.bot.update_queue.qsize()
    reply = webhook(site, body)
    assert reply.status == 400, reply.text
    assert site.bot.update_queue.qsize() == queued  # nothing reaches the bot


def test_webhook_with_a_huge_body_is_a_413(site: Site) -> None:
    assert webhook(site, b'{"update_id": 1, "x": "' + b"y" * 100_000 + b'"}').status == 413


def test_webhook_with_an_update_queues_it(site: Site) -> None:
    update = {"update_id": 7, "message": {"message_id": 1, "date": 1_700_000_000, "text": "/help",
                                          "chat": {"id": 5, "type": "private"}}}
    queued = site.bot.update_queue.qsize()
    reply = webhook(site, json.dumps(update).encode())
    assert reply.status == 200
    assert site.bot.update_queue.qsize() == queued + 1
