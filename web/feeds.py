"""The iCalendar feeds over HTTP: public feeds, private feeds by token, conditional requests, gzip.

Feeds are served from memory (:class:`service.feeds.FeedService`) with strong ETags,
Last-Modified, 304s and a pre-compressed gzip body. Unknown ids are 404 with a suggestion,
malformed parameters 400.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from calendars.feeds import SHAPES, Feed, FeedKind, Selection, Shape
from calendars.ondemand import FeedTooLarge
from i18n import N_, Language, tr
from i18n.phrase import say
from obligations.config import PrivateFeed
from obligations.diagnostics import did_you_mean
from obligations.model import Level
from scheduler.planner import matches, subscription_from
from service.feeds import FeedService
from store.subscribers import SubscriberStore
from web import params
from web.guard import FEED_ALLOWED
from web.render import service_of

# what calendar apps show of a 404: in the config's language (they send no lang)
_UNKNOWN = {"unit": N_("feed.unknown_unit"), "level": N_("feed.unknown_level"), "obligation": N_("feed.unknown_duty")}
_GZIP = {"gzip", "x-gzip"}  # x-gzip is gzip (RFC 9110 8.4.1.3)
MEDIA_TYPE = "text/calendar; charset=utf-8"


def _lang(service: FeedService) -> Language:
    return service.live.current.loaded.config.language


def _gone(lang: Language, msgid: str) -> PlainTextResponse:
    return PlainTextResponse(tr(lang, msgid) + "\n", status_code=404)


def too_large(service: FeedService, exc: FeedTooLarge) -> PlainTextResponse:
    """403 for a feed over more than ``feeds.max_units`` units, naming a feed to use instead."""
    units = service.feeds.units_of(exc.selection) if not exc.selection.key.startswith("custom:") else None
    example = (units or list(service.feeds.snapshot.rules.units) or ["ID"])[0]
    base = service.public_url.rstrip("/")
    return PlainTextResponse(tr(_lang(service), N_("feed.too_large"), units=f"{exc.units:,}", cap=f"{exc.cap:,}",
                                example=f"{base}/feeds/unit/{example}.ics") + "\n", status_code=403)


def _not_found(lang: Language, kind: str, key: str, known: list[str]) -> PlainTextResponse:
    hint = did_you_mean(key, known) if params.key(key) is not None else ""
    return PlainTextResponse(tr(lang, _UNKNOWN[kind], key=repr(params.shown(key)), hint=say(hint, lang)) + "\n",
                             status_code=404)


def _qvalue(params: list[str]) -> float:
    """The ``q`` of one header element: 1 when absent, 0 when unreadable (a q we cannot read is no yes)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def codings(header: str) -> dict[str, float]:
    """Each content-coding an ``Accept-Encoding`` header names, lower-cased, with its q (the highest if repeated)."""
    out: dict[str, float] = {}
    for element in header.split(","):
        coding, *params = element.split(";")
        coding = coding.strip().lower()
        if coding:
            out[coding] = max(out.get(coding, 0.0), _qvalue(params))
    return out


def accepts_gzip(header: str | None) -> bool:
    """Whether the response may be gzip-coded for this ``Accept-Encoding`` (RFC 9110 12.5.3).

    gzip named (or ``x-gzip``): its q decides, ``gzip;q=0`` is a no. Not named:
    ``*`` decides (``*;q=0`` is a no). Neither, or no header: no. A client that
    rates ``identity`` above gzip gets identity.
    """
    if not header:
        return False
    offered = codings(header)
    named = [offered[c] for c in _GZIP if c in offered]
    q = max(named) if named else offered.get("*", 0.0)
    return q > 0 and q >= offered.get("identity", 0.0)


def feed_headers(feed: Feed, name: str, *, gzip_ok: bool, private: bool) -> tuple[str, dict[str, str]]:
    """The ETag of the coding sent, and the headers of a feed response (web.fastfeed sends the same)."""
    etag = feed.etag if not gzip_ok else feed.etag[:-1] + '-gz"'
    return etag, {
        "ETag": etag,
        "Last-Modified": feed.http_date,
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "Vary": "Accept-Encoding",
        "Content-Disposition": f'inline; filename="{name}.ics"',
    }


def _feed_response(request: Request, feed: Feed, name: str, *, private: bool) -> Response:
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding"))
    etag, headers = feed_headers(feed, name, gzip_ok=gzip_ok, private=private)
    if not_modified(request.headers.get("if-none-match"), request.headers.get("if-modified-since"), etag,
                    feed.last_modified):
        return Response(status_code=304, headers=headers)
    body = feed.gzipped if gzip_ok else feed.body
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, media_type=MEDIA_TYPE)


def not_modified(match: str | None, since: str | None, etag: str, last_modified: dt.datetime) -> bool:
    """Whether ``If-None-Match`` (``match``), else ``If-Modified-Since`` (``since``), makes this a 304."""
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return etag in tags or "*" in tags
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
        raise HTTPException(400, tr(_lang(service_of(request)), "feed.bad_children", value=repr(params.shown(raw))))
    return raw in {"1", "true"}


def _shape(request: Request) -> Shape:
    """``?windows=span``: unplaced windows as multi-day events; ``due`` (the default) on their due day."""
    raw = request.query_params.get("windows", "due")
    for shape in SHAPES:
        if raw == shape:
            return shape
    raise HTTPException(400, tr(_lang(service_of(request)), "feed.bad_windows", value=repr(params.shown(raw))))


def _allowed(request: Request) -> bool:
    """A logged-in account that may read this feed while feeds are not public (web.guard.private_feed)."""
    return bool(request.scope.get("state", {}).get(FEED_ALLOWED))


def _public_or_403(service: FeedService, request: Request) -> None:
    if not service.live.current.loaded.config.feeds.public and not _allowed(request):
        raise HTTPException(403, tr(_lang(service), N_("feed.not_public")))


def public_feed(kind: FeedKind) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one kind of public feed: all, unit (``?children=1``), level or duty."""

    async def endpoint(request: Request) -> Response:
        service = service_of(request)
        _public_or_403(service, request)
        feeds = service.feeds
        if kind == "all":
            selection = Selection("all")
        else:
            key = request.path_params["key"]
            rules = feeds.snapshot.rules
            known = {"unit": rules.units, "level": [level.value for level in Level],
                     "obligation": rules.obligations}[kind]
            if params.key(key) is None or key not in known:
                return _not_found(_lang(service), kind, key, list(known))
            selection = Selection(kind, key, _children(request) if kind == "unit" else False)
        name = "all" if kind == "all" else f"{kind}-{selection.key}"
        shape = _shape(request)
        feed = feeds.peek(selection, shape=shape)
        if feed is None:
            try:  # built in a worker thread: a national first request must not hold up the cached ones
                feed = await run_in_threadpool(feeds.feed, selection, shape=shape)
            except FeedTooLarge as exc:
                return too_large(service, exc)
        return _feed_response(request, feed, name, private=_allowed(request))

    return endpoint


def _selection_of(private: PrivateFeed) -> Selection:
    """What a configured private feed (``feeds.private``) shows."""
    if private.unit:
        return Selection("unit", private.unit, private.children)
    if private.level:
        return Selection("level", private.level.value)
    if private.obligation:
        return Selection("obligation", private.obligation)
    return Selection("all")


def _configured_feed(request: Request, service: FeedService, private: PrivateFeed) -> Response:
    """A feed of ``feeds.private``, named after its own ``name`` (not the unit feed it selects)."""
    selection = _selection_of(private)
    rules = service.feeds.snapshot.rules
    if (selection.kind == "unit" and selection.key not in rules.units) or (
            selection.kind == "obligation" and selection.key not in rules.obligations):
        return _gone(_lang(service), N_("feed.gone"))
    try:
        feed = service.feeds.feed(selection, private.name, _shape(request))
    except FeedTooLarge as exc:
        return too_large(service, exc)
    return _feed_response(request, feed, "private", private=True)


def _personal_feed(request: Request, service: FeedService, token: str) -> Response | None:
    """A personal link made by the bot's /feed: the person's subscriptions; None for an unknown token."""
    subscribers = SubscriberStore(service.store)
    person = subscribers.by_feed_token(token)
    if person is None:
        return None
    subs = [subscription_from({**s, "channel": person.channel, "address": person.address,
                               "language": person.language, "quiet_hours": None, "mode": "each",
                               "digest_at": None})
            for s in subscribers.subscriptions_of(person.id)]
    rules = service.feeds.snapshot.rules
    try:
        feed = service.feeds.feed_for(("person", person.id, tuple(subs)), service.feeds.titled(person.name),
                                      lambda occ: any(matches(sub, occ, rules) for sub in subs), _shape(request))
    except FeedTooLarge as exc:
        return too_large(service, exc)
    return _feed_response(request, feed, "private", private=True)


async def feed_token(request: Request) -> Response:
    """``/feeds/t/{token}.ics``: a private feed from ``feeds.private`` (by the token's SHA-256) or the bot."""
    service = service_of(request)
    token = params.key(request.path_params["token"])
    if token is None or not token.isascii():  # every token we make is ASCII and short
        return _gone(_lang(service), N_("feed.unknown_link"))
    digest = hashlib.sha256(token.encode()).hexdigest()
    for private in service.live.current.loaded.config.feeds.private:
        if hmac.compare_digest(private.token_sha256, digest):
            return _configured_feed(request, service, private)
    personal = _personal_feed(request, service, token)
    return personal if personal is not None else _gone(_lang(service), N_("feed.unknown_link"))


__all__ = ["accepts_gzip", "codings", "feed_token", "public_feed"]
