"""The web page: find your unit's feed, see what is due, read the duty's source.

Plain server-rendered HTML (Jinja2, autoescaped) with a little CSS that reads
on a phone. Text is Chinese by default; ``?lang=en`` switches to English.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from calendars.describe import describe
from calendars.feeds import FeedSet, Selection
from calendars.service import FeedService
from obligations.diagnostics import did_you_mean
from obligations.errors import HolidayDataMissing
from obligations.i18n import Language, t
from obligations.model import Obligation, Selector, Unit, parse_offset
from scheduler.occurrence import Occurrence
from scheduler.planner import urgency
from store import links
from store.reminders import ReminderStore

DAYS = 30
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _lang(request: Request, service: FeedService) -> Language:
    asked = request.query_params.get("lang")
    if asked in ("zh-CN", "en"):
        return asked  # type: ignore[return-value]
    if asked is not None:
        raise HTTPException(400, f"lang must be zh-CN or en, not {asked!r}")
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
        "t": functools.partial(_t, lang=lang),
        "weekday": lambda day: t(f"weekday_{day.weekday()}", lang),
        "describe": lambda schedule: describe(schedule, lang),
        "problems": [str(p) for p in live.problems],
        "rules_version": served.version,
        "public": served.loaded.config.feeds.public,  # private-only services show no public feed links
        "rules_loaded_at": served.loaded_at.astimezone(served.tz).strftime("%Y-%m-%d %H:%M"),
        **values,
    }
    return HTMLResponse(_ENV.get_template(template).render(context), status_code=status)


def _t(key: str, lang: Language = "zh-CN", **values: object) -> str:
    return t(key, lang, **values)


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
        return {"id": uid, "name": unit.name, "level": t(f"level_{unit.level.value}", lang),
                "webcal": links.webcal, "https": links.https, "qr": links.qr,
                "children": [node(c) for c in rules.children.get(uid, [])]}

    return _render(
        request, "index.html", lang=lang, today=today, days=DAYS,
        upcoming=by_day(upcoming, feeds), recent=by_day(recent, feeds),
        tree=[node(uid) for uid in rules.roots()],
        feed_links={"all": feed_links(base, Selection("all"))},
    )


def _year(request: Request, today: dt.date) -> int:
    raw = request.query_params.get("year", str(today.year))
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise HTTPException(400, f"year must be a year such as {today.year}, not {raw!r}")
    return int(raw)


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
    key: str = request.path_params["key"]
    if key not in known:
        raise HTTPException(404, f"{t('not_found', service.lang)}: {what} {key!r}{did_you_mean(key, known)}")
    return key


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
        request, "unit.html", lang=lang, unit=unit, level_name=t(f"level_{unit.level.value}", lang),
        parent=rules.units.get(unit.parent or ""), children=children, year=year, today=today,
        today_minus=today - dt.timedelta(days=DAYS), occurrences=occurrences, warnings=warnings,
        colour=functools.partial(_colour, rules=rules, today=today),
        unscheduled=unscheduled, done=ReminderStore(service.store).done_uids(),
        links=feed_links(service.public_url, Selection("unit", key)),
        links_children=feed_links(service.public_url, Selection("unit", key, True)),
    )


def _colour(occ: Occurrence, done: set[str], *, rules: Any, today: dt.date) -> str:
    """normal, yellow (from its last reminder on), red (overdue) or done: the engine's urgency."""
    if occ.kind != "deadline":
        return "done" if occ.uid in done else "normal"
    offsets = [parse_offset(o) for o in rules.reminders(occ.obligation)]
    days = [n * (7 if unit == "w" else 1) for n, unit in offsets if unit in {"d", "w", "wd"}]
    last_reminder = occ.date - dt.timedelta(days=min(days)) if days else None
    return urgency(occ, done=occ.uid in done, today=today, last_reminder=last_reminder)


def _participants(rules: Any, ob: Obligation, lang: Language) -> list[str]:
    names = []
    for ref in ob.participants:
        if isinstance(ref, Selector):
            under = f"{rules.units[ref.under].name}" if ref.under and ref.under in rules.units else ""
            names.append(f"{under}{t('level_' + ref.level.value, lang)}")
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
    known = {"unit": rules.units, "obligation": rules.obligations, "level": {}, "all": {"all": None}}
    if kind not in known or (kind in {"unit", "obligation", "all"} and key not in known[kind]):
        raise HTTPException(404, f"no feed {kind}/{key}")
    children = request.query_params.get("children") == "1"
    selection = Selection("all") if kind == "all" else Selection(kind, key, children)  # type: ignore[arg-type]
    return Response(_qr_svg(feed_links(service.public_url, selection).webcal), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@functools.lru_cache(maxsize=4096)
def _qr_svg(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return buffer.getvalue()


def _reminder_for(request: Request, signature: str) -> tuple[dict[str, Any], ReminderStore]:
    service: FeedService = request.app.state.service
    raw = request.path_params["id"]
    store = ReminderStore(service.store)
    reminder = store.get(int(raw)) if raw.isdigit() else None
    lang = _lang(request, service)
    if reminder is None or not links.verify(links.signing_key(service.store), reminder["id"], reminder["address"],
                                            signature):
        raise HTTPException(403, t("bad_link", lang))
    return reminder, store


async def done_page(request: Request) -> Response:
    """GET: the occurrence and a form; POST: mark it done (a signed link from a reminder)."""
    service: FeedService = request.app.state.service
    lang = _lang(request, service)
    if request.method == "POST":
        form = await request.form()
        signature = str(form.get("s", ""))
    else:
        form = None
        signature = request.query_params.get("s", "")
    reminder, store = _reminder_for(request, signature)
    who = store.subscriber_name(reminder["subscriber_id"]) or reminder["address"]
    rules = service.feeds.snapshot.rules
    ob = rules.obligations.get(reminder["obligation"])
    if form is not None:
        evidence = str(form.get("evidence", "")).strip() or None
        if evidence and not evidence.startswith(("http://", "https://")):
            raise HTTPException(400, "evidence must be an http:// or https:// link")
        store.mark_done(uid=reminder["occurrence_uid"], obligation=reminder["obligation"], unit=reminder["unit"],
                        date=reminder["occurrence_date"], by=who, at=service.clock(),
                        note=str(form.get("note", ""))[:2000], evidence_url=evidence)
    completion = store.completion(reminder["occurrence_uid"])
    if completion:
        completion["done_at_text"] = completion["done_at"].strftime("%Y-%m-%d %H:%M")
    return _render(
        request, "done.html", lang=lang, reminder=reminder, signature=signature, who=who, completion=completion,
        title=ob.title if ob else reminder["obligation"],
        unit_name=rules.units[reminder["unit"]].name if reminder["unit"] in rules.units else "",
        quote=ob.source.quote if ob else "",
    )


def error_page(request: Request, status: int, message: str) -> Response:
    service: FeedService = request.app.state.service
    asked = request.query_params.get("lang")
    lang: Language = "en" if asked == "en" else service.lang
    return _render(request, "error.html", status=status, lang=lang, code=status, message=message)


__all__ = ["by_day", "done_page", "error_page", "feed_links", "index", "obligation_page", "qr_code", "unit_page"]
