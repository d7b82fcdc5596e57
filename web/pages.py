"""The web page: find your unit's feed, see what is due, read the duty's source.

Plain server-rendered HTML (Jinja2, autoescaped) with a little CSS that reads
on a phone. Text is Chinese by default; ``?lang=en`` switches to English.

Every query parameter and path segment goes through :mod:`web.params` first:
a bad one is a 4xx page in the reader's language, never an exception.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import segno
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from calendars.feeds import FeedSet, Selection
from i18n import Language, text, tr
from obligations.diagnostics import did_you_mean
from obligations.errors import HolidayDataMissing
from obligations.model import Level, Obligation, Selector, Unit
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.planner import urgency
from scheduler.reminder_time import last_reminder
from service.feeds import FeedService
from store import links
from store.reminders import ReminderStore
from web import params
from web.describe import describe

DAYS = 30
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


@pass_context
def _gettext(context: Context, msgid: str) -> str:
    """``_('page.next_days', days=30)`` in a template: the catalog of the rendering's ``lang``."""
    return text(context["lang"], msgid)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    raise NotImplementedError(f"the catalog has no plural entries yet ({singular!r})")


_ENV.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def _lang(request: Request, service: FeedService) -> Language:
    asked = request.query_params.get("lang")
    if asked in ("zh-CN", "en"):
        return asked  # type: ignore[return-value]
    if asked is not None:
        raise HTTPException(400, f"lang must be zh-CN or en, not {params.shown(asked)!r}")
    return service.lang


def _render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    service: FeedService = request.app.state.service
    lang = _lang(request, service) if "lang" not in values else values.pop("lang")
    live = service.live
    served = service.feeds.snapshot
    context = {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "lang_query": "?lang=en" if lang == "en" else "",
        "lang_amp": "&lang=en" if lang == "en" else "",
        "weekday": lambda day: tr(lang, f"weekday.{day.isoweekday()}"),
        "describe": lambda schedule: describe(schedule, lang),
        "problems": [str(p) for p in live.problems],
        "rules_version": served.version,
        "public": served.loaded.config.feeds.public,  # private-only services show no public feed links
        "rules_loaded_at": served.loaded_at.astimezone(served.tz).strftime("%Y-%m-%d %H:%M"),
        **values,
    }
    return HTMLResponse(_ENV.get_template(template).render(context), status_code=status)


@dataclass(frozen=True)
class Links:
    webcal: str
    https: str
    qr: str


def feed_links(base_url: str, selection: Selection) -> Links:
    query = "?children=1" if selection.children else ""
    https = f"{base_url}/feeds/{selection.path}{query}"
    webcal = "webcal://" + https.split("://", 1)[1]
    qr_path = f"/qr/{selection.kind}/{selection.key or 'all'}.svg{query}"
    return Links(webcal, https, qr_path)


@dataclass(frozen=True)
class Group:
    """One duty on one day, with the units it is due for."""

    obligation: Obligation
    kind: str
    units: list[Unit]


def by_day(occurrences: Iterable[Occurrence], feeds: FeedSet) -> list[tuple[dt.date, list[Group]]]:
    days: dict[dt.date, dict[str, Group]] = {}
    units = feeds.snapshot.rules.units
    for occ in occurrences:
        groups = days.setdefault(occ.date, {})
        group = groups.get(occ.obligation.id)
        if group is None:
            group = groups[occ.obligation.id] = Group(occ.obligation, occ.kind, [])
        if occ.unit:
            group.units.append(units[occ.unit])
    return [(day, list(groups.values())) for day, groups in sorted(days.items())]


# -- pages ------------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    service: FeedService = request.app.state.service
    feeds = service.feeds
    today = service.today()
    soon = today + dt.timedelta(days=DAYS)
    recent_start = today - dt.timedelta(days=DAYS)
    done = ReminderStore(service.store).done_uids()
    upcoming = [o for o in feeds.occurrences if today <= o.date <= soon and o.uid not in done]
    recent = [o for o in feeds.occurrences
              if o.kind == "deadline" and recent_start <= o.date < today and o.uid not in done]
    rules = feeds.snapshot.rules
    base = service.public_url
    lang = _lang(request, service)

    def node(uid: str) -> dict[str, Any]:
        unit = rules.units[uid]
        links = feed_links(base, Selection("unit", uid))
        return {"id": uid, "name": unit.name, "level": tr(lang, f"level.{unit.level.value}"),
                "webcal": links.webcal, "https": links.https, "qr": links.qr,
                "children": [node(c) for c in rules.children.get(uid, [])]}

    return _render(
        request, "index.html", lang=lang, today=today, days=DAYS,
        upcoming=by_day(upcoming, feeds), recent=by_day(recent, feeds),
        tree=[node(uid) for uid in rules.roots()],
        feed_links={"all": feed_links(base, Selection("all"))},
    )


def _year(request: Request, today: dt.date) -> int:
    """``?year=``: four ASCII digits, 2000-2100 (never '２０２５', '²' or 5,000 digits); default this year."""
    raw = request.query_params.get("year")
    if raw is None:
        return today.year
    year = params.ascii_int(raw, 2000, 2100)
    if year is None:
        raise HTTPException(400, f"year must be a year such as {today.year}, not {params.shown(raw)!r}")
    return year


def _expand_year(service: FeedService, year: int, *, units: set[str] | None = None,
                 obligations: set[str] | None = None) -> tuple[list[Occurrence], list[str]]:
    expander = service.feeds.snapshot.expander()
    try:
        result = expander.expand(dt.date(year, 1, 1), dt.date(year, 12, 31), units=units, obligations=obligations)
    except HolidayDataMissing as exc:
        raise HTTPException(400, str(exc)) from None
    return result.occurrences, result.warnings


def _key_in(request: Request, known: Iterable[str], what: str) -> str:
    """The path's id when ``known`` has it; else a 404 naming the closest id."""
    service: FeedService = request.app.state.service
    raw: str = request.path_params["key"]
    key = params.key(raw)
    if key is None or key not in known:
        hint = did_you_mean(key, known) if key is not None else ""
        lang = _error_lang(request, service)
        raise HTTPException(404, f"{tr(lang, 'page.not_found')}: {what} {params.shown(raw)!r}{hint}")
    return key


def _error_lang(request: Request, service: FeedService) -> Language:
    """The language of an error: ?lang=en when asked for (even among bad parameters), else the service's."""
    return "en" if request.query_params.get("lang") == "en" else service.lang


async def unit_page(request: Request) -> Response:
    service: FeedService = request.app.state.service
    feeds = service.feeds
    rules = feeds.snapshot.rules
    key = _key_in(request, rules.units, "unit")
    lang = _lang(request, service)
    unit = rules.units[key]
    today = service.today()
    year = _year(request, today)
    occurrences, warnings = _expand_year(service, year, units={key})
    unscheduled = [ob for ob in rules.obligations.values()
                   if ob.schedule.type == "unscheduled" and key in rules.applies_to(ob)]
    children = [rules.units[c] for c in rules.children.get(key, [])]
    return _render(
        request, "unit.html", lang=lang, unit=unit, level_name=tr(lang, f"level.{unit.level.value}"),
        parent=rules.units.get(unit.parent or ""), children=children, year=year, today=today,
        today_minus=today - dt.timedelta(days=DAYS), occurrences=occurrences, warnings=warnings,
        colour=functools.partial(_colour, expander=feeds.snapshot.expander(), today=today),
        unscheduled=unscheduled, done=ReminderStore(service.store).done_uids(),
        links=feed_links(service.public_url, Selection("unit", key)),
        links_children=feed_links(service.public_url, Selection("unit", key, True)),
    )


def _colour(occ: Occurrence, done: set[str], *, expander: Expander, today: dt.date) -> str:
    """normal, yellow (from the day of its last reminder), red (overdue) or done: the engine's urgency.

    The last reminder is computed as the engine computes it: working days on the unit's
    calendar, hours and days from the same anchor.
    """
    if occ.kind != "deadline":
        return "done" if occ.uid in done else "normal"
    offsets = expander.rules.reminders(occ.obligation)
    last = last_reminder(occ, offsets, expander.tz, expander.calendar_for(occ).workdays_before)
    return urgency(occ, done=occ.uid in done, today=today, last_reminder=last.date() if last else None)


def _participants(rules: Any, ob: Obligation, lang: Language) -> list[str]:
    names = []
    for ref in ob.participants:
        if isinstance(ref, Selector):
            under = f"{rules.units[ref.under].name}" if ref.under and ref.under in rules.units else ""
            names.append(f"{under}{tr(lang, f'level.{ref.level.value}')}")
        elif ref in rules.units:
            names.append(rules.units[ref].name)
    return names


async def obligation_page(request: Request) -> Response:
    service: FeedService = request.app.state.service
    feeds = service.feeds
    rules = feeds.snapshot.rules
    key = _key_in(request, rules.obligations, "duty")
    lang = _lang(request, service)
    ob = rules.obligations[key]
    year = _year(request, service.today())
    occurrences, _ = _expand_year(service, year, obligations={key})
    return _render(
        request, "obligation.html", lang=lang, ob=ob, doc=rules.document_of(ob), year=year,
        lead=[rules.units[u] for u in ob.lead if u in rules.units],
        participants=_participants(rules, ob, lang),
        applies=[u for u in rules.applies_to(ob) if u], reminders=rules.reminders(ob),
        by_day=by_day(occurrences, feeds),
        links=feed_links(service.public_url, Selection("obligation", key)),
    )


async def qr_code(request: Request) -> Response:
    service: FeedService = request.app.state.service
    rules = service.feeds.snapshot.rules
    kind, key = request.path_params["kind"], request.path_params["key"]
    known: dict[str, Iterable[str]] = {"unit": rules.units, "obligation": rules.obligations,
                                       "level": [level.value for level in Level], "all": ["all"]}
    if kind not in known or key not in known[kind]:  # only the codes of real feeds: never of any text
        lang = _error_lang(request, service)
        raise HTTPException(404, f"{tr(lang, 'page.not_found')}: {params.shown(kind)}/{params.shown(key)}")
    children = kind == "unit" and request.query_params.get("children") == "1"
    selection = Selection("all") if kind == "all" else Selection(kind, key, children)  # type: ignore[arg-type]
    return Response(_qr_svg(feed_links(service.public_url, selection).webcal), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@functools.lru_cache(maxsize=4096)
def _qr_svg(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return buffer.getvalue()


# -- "mark done" links ------------------------------------------------------------------------------

MAX_REMINDER_ID = 2**31 - 1  # the store's ids are 32-bit integers on PostgreSQL
MAX_EVIDENCE = 500  # the store's column
def _reminder_for(request: Request, signature: str, lang: Language) -> dict[str, Any]:
    """The reminder of a signed link; 404 for an id that is no number, 403 for a wrong or unknown link."""
    service: FeedService = request.app.state.service
    reminder_id = params.ascii_int(request.path_params["id"], 1, MAX_REMINDER_ID)
    if reminder_id is None:
        raise HTTPException(404, f"{tr(lang, 'page.not_found')}: {tr(lang, 'done.bad_link')}")
    reminder = ReminderStore(service.store).get(reminder_id)
    if reminder is None or not links.verify(links.signing_key(service.store), reminder["id"], reminder["address"],
                                            signature):
        raise HTTPException(403, tr(lang, "done.bad_link"))
    return reminder


def link_expires(service: FeedService, reminder: dict[str, Any]) -> dt.date:
    """The last day a reminder's done link works: ``reminders.done_link_days`` after the duty's date."""
    days = service.feeds.snapshot.loaded.config.reminders.done_link_days
    occurred: dt.date = reminder["occurrence_date"]
    return occurred + dt.timedelta(days=days)


def _origin(value: str) -> str | None:
    """``scheme://host[:port]`` of an Origin or Referer header, lower case, default ports dropped."""
    try:
        parts = urlsplit(value.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or ""), parts.port
    except ValueError:
        return None
    if scheme not in {"http", "https"} or not host:
        return None
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(request: Request, public_url: str) -> bool:
    """True when the POST names this service as where it came from: its Origin header (or, without one,
    its Referer) is the public URL's origin or the host the request was sent to. Neither header, or
    ``Origin: null``, is refused: browsers send Origin with every form POST."""
    given = request.headers.get("origin")
    if given is None:
        given = request.headers.get("referer")
    origin = _origin(given) if given else None
    if origin is None:
        return False
    allowed = {_origin(public_url)}
    host = request.headers.get("host")
    if host:
        allowed |= {_origin(f"http://{host}"), _origin(f"https://{host}")}
    return origin in allowed - {None}


async def _form(request: Request, lang: Language) -> dict[str, str]:
    """The POSTed form (URL-encoded, as the page sends it), read up to :data:`params.MAX_BODY` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, tr(lang, "done.form_type"))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > params.MAX_BODY:
            raise HTTPException(413, tr(lang, "done.too_large"))
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise HTTPException(400, tr(lang, "done.form_type")) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)  # the first of repeated fields, as the page has each once
    return form


async def done_page(request: Request) -> Response:
    """GET: the occurrence and a form; POST: mark it done (a signed link from a reminder).

    The link works until :func:`link_expires` (410 after). The POST must come from this service's
    page (Origin/Referer) and carry the page's CSRF token for this reminder; otherwise 403 and
    nothing is recorded.
    """
    service: FeedService = request.app.state.service
    lang = _lang(request, service)
    form = await _form(request, lang) if request.method == "POST" else None
    signature = form.get("s", "") if form is not None else request.query_params.get("s", "")
    reminder = _reminder_for(request, signature, lang)
    expires = link_expires(service, reminder)
    if service.today() > expires:
        days = service.feeds.snapshot.loaded.config.reminders.done_link_days
        return error_page(request, 410, tr(lang, "done.expired", date=expires.isoformat(), days=days))
    store = ReminderStore(service.store)
    key = links.signing_key(service.store)
    who = store.subscriber_name(reminder["subscriber_id"]) or reminder["address"]
    rules = service.feeds.snapshot.rules
    ob = rules.obligations.get(reminder["obligation"])
    if form is not None:
        if not same_origin(request, service.public_url):
            return error_page(request, 403, tr(lang, "done.cross_site"))
        if not links.verify_csrf(key, reminder["id"], reminder["address"], form.get("csrf", ""), service.clock()):
            return error_page(request, 403, tr(lang, "done.stale_form"))
        evidence = form.get("evidence", "").strip() or None
        if evidence and (not evidence.startswith(("http://", "https://")) or len(evidence) > MAX_EVIDENCE
                         or not evidence.isprintable()):
            return error_page(request, 400, tr(lang, "done.bad_evidence"))
        with contextlib.suppress(IntegrityError):  # marked done by someone else meanwhile: theirs stands
            store.mark_done(uid=reminder["occurrence_uid"], obligation=reminder["obligation"],
                            unit=reminder["unit"], date=reminder["occurrence_date"], by=who[:200],
                            at=service.clock(), note=form.get("note", "")[:2000], evidence_url=evidence)
    completion = store.completion(reminder["occurrence_uid"])
    if completion:
        completion["done_at_text"] = completion["done_at"].strftime("%Y-%m-%d %H:%M")
    response = _render(
        request, "done.html", lang=lang, reminder=reminder, signature=signature, who=who, completion=completion,
        csrf=links.csrf_token(key, reminder["id"], reminder["address"], service.clock()),
        expires=expires.isoformat(),
        title=ob.title if ob else reminder["obligation"],
        unit_name=rules.units[reminder["unit"]].name if reminder["unit"] in rules.units else "",
        quote=ob.source.quote if ob else "",
    )
    response.headers["Cache-Control"] = "no-store"  # it carries the link's signature and a CSRF token
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    service: FeedService = request.app.state.service
    asked = request.query_params.get("lang")
    lang: Language = "en" if asked == "en" else service.lang
    return _render(request, "error.html", status=status, lang=lang, code=status, message=message)


__all__ = ["by_day", "done_page", "error_page", "feed_links", "index", "obligation_page", "qr_code", "unit_page"]
