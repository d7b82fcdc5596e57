"""The pages people read: the home page (find your unit's feed, see what is due), a unit, a duty.

Plain server-rendered HTML (Jinja2, autoescaped, :mod:`web.render`) with a little CSS that reads
on a phone. Every query parameter and path segment goes through :mod:`web.params` first: a bad one
is a 4xx page in the reader's language, never an exception.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendars.feeds import FeedSet, Selection
from i18n import N_, Language, tr
from i18n.phrase import say
from obligations.diagnostics import closest
from obligations.errors import HolidayDataMissing
from obligations.model import Branch, Obligation, Origin, Selector, Unit
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.planner import urgency
from scheduler.reminder_time import last_reminder
from scheduler.warning import word
from service.feeds import FeedService
from store.reminders import ReminderStore
from store.waivers import Waivers
from web import params
from web.feed_links import feed_links
from web.render import error_lang, page_lang, render, service_of

DAYS = 30
_BRANCH = {Branch.government: N_("branch.government"), Branch.party: N_("branch.party"),
           Branch.congress: N_("branch.congress"), Branch.cppcc: N_("branch.cppcc"), Branch.court: N_("branch.court"),
           Branch.procuratorate: N_("branch.procuratorate"), Branch.vertical: N_("branch.vertical"),
           Branch.other: N_("branch.other")}
_ORIGIN = {Origin.document: N_("page.unit_from_document"), Origin.added: N_("page.unit_added")}


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


async def index(request: Request) -> Response:
    service = service_of(request)
    feeds = service.feeds
    today = service.today()
    soon = today + dt.timedelta(days=DAYS)
    recent_start = today - dt.timedelta(days=DAYS)
    done = ReminderStore(service.store).done_uids() | Waivers(service.store).waived_uids()  # waived: not owed
    upcoming = [o for o in feeds.occurrences if today <= o.date <= soon and o.uid not in done]
    recent = [o for o in feeds.occurrences
              if o.kind == "deadline" and recent_start <= o.date < today and o.uid not in done]
    rules = feeds.snapshot.rules
    base = service.public_url
    lang = page_lang(request, service)

    def node(uid: str) -> dict[str, Any]:
        unit = rules.units[uid]
        links = feed_links(base, Selection("unit", uid))
        return {"id": uid, "name": unit.name, "level": tr(lang, f"level.{unit.level.value}"),
                "webcal": links.webcal, "https": links.https, "qr": links.qr,
                "children": [node(c) for c in rules.children.get(uid, [])]}

    return render(
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
        lang = error_lang(request, service_of(request))
        raise HTTPException(400, tr(lang, "page.bad_year", example=today.year, value=repr(params.shown(raw))))
    return year


def _expand_year(service: FeedService, year: int, lang: Language, *, units: set[str] | None = None,
                 obligations: set[str] | None = None) -> tuple[list[Occurrence], list[str]]:
    expander = service.feeds.snapshot.expander()
    try:
        result = expander.expand(dt.date(year, 1, 1), dt.date(year, 12, 31), units=units, obligations=obligations)
    except HolidayDataMissing as exc:
        raise HTTPException(400, say(exc.args[0], lang)) from None  # in the page's language
    return result.occurrences, result.warnings


def _key_in(request: Request, known: Iterable[str], what: str) -> str:
    """The path's id when ``known`` has it; else a 404 naming the closest id."""
    raw: str = request.path_params["key"]
    key = params.key(raw)
    if key is None or key not in known:
        best = closest(key, known) if key is not None else None
        lang = error_lang(request, service_of(request))
        hint = tr(lang, "page.did_you_mean", id=best) if best else ""
        raise HTTPException(404, tr(lang, what, id=params.shown(raw)) + hint)
    return key


async def unit_page(request: Request) -> Response:
    service = service_of(request)
    feeds = service.feeds
    rules = feeds.snapshot.rules
    key = _key_in(request, rules.units, N_("page.no_such_unit"))
    lang = page_lang(request, service)
    unit = rules.units[key]
    today = service.today()
    year = _year(request, today)
    occurrences, warnings = _expand_year(service, year, lang, units={key})
    unscheduled = [ob for ob in rules.obligations.values()
                   if ob.schedule.type == "unscheduled" and key in rules.applies_to(ob)]
    children = [rules.units[c] for c in rules.children.get(key, [])]
    return render(
        request, "unit.html", lang=lang, unit=unit, level_name=tr(lang, f"level.{unit.level.value}"),
        facts=_facts(unit, lang), parent=rules.units.get(unit.parent or ""), children=children, year=year, today=today,
        today_minus=today - dt.timedelta(days=DAYS), occurrences=occurrences,
        warnings=[word(w, lang, lambda duty: _title(rules, duty)) for w in warnings],
        colour=functools.partial(_colour, expander=feeds.snapshot.expander(), today=today),
        unscheduled=unscheduled, done=ReminderStore(service.store).done_uids(),
        links=feed_links(service.public_url, Selection("unit", key)),
        links_children=feed_links(service.public_url, Selection("unit", key, True)),
    )


def _facts(unit: Unit, lang: Language) -> list[tuple[str, str]]:
    """What the tree says about the unit itself: its kind of body, where it comes from, its end."""
    origin = tr(lang, _ORIGIN[unit.origin])
    if unit.origin_note:
        origin = tr(lang, "page.unit_origin_with_note", origin=origin, note=unit.origin_note)
    facts = [(tr(lang, "page.unit_branch"), tr(lang, _BRANCH[unit.branch])), (tr(lang, "page.unit_origin"), origin)]
    if unit.until is not None:
        ended = tr(lang, "page.unit_ended_on", date=unit.until.isoformat())
        if unit.successor:
            ended = tr(lang, "page.unit_ended_successor", ended=ended, successor=unit.successor)
        facts.append((tr(lang, "page.unit_ended"), ended))
    return facts


def _title(rules: Any, duty: str) -> str:
    return rules.obligations[duty].title if duty in rules.obligations else duty


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
    service = service_of(request)
    feeds = service.feeds
    rules = feeds.snapshot.rules
    key = _key_in(request, rules.obligations, N_("page.no_such_duty"))
    lang = page_lang(request, service)
    ob = rules.obligations[key]
    year = _year(request, service.today())
    occurrences, _ = _expand_year(service, year, lang, obligations={key})
    return render(
        request, "obligation.html", lang=lang, ob=ob, doc=rules.document_of(ob), year=year,
        lead=[rules.units[u] for u in ob.lead if u in rules.units],
        participants=_participants(rules, ob, lang),
        applies=[u for u in rules.applies_to(ob) if u], reminders=rules.reminders(ob),
        by_day=by_day(occurrences, feeds),
        links=feed_links(service.public_url, Selection("obligation", key)),
    )


__all__ = ["DAYS", "Group", "by_day", "index", "obligation_page", "unit_page"]
