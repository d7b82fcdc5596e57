"""The supervision board (``/supervision``), its downloads and the waiver form, for logged-in accounts.

- ``GET /supervision``: every (duty, unit, window) dated in a period (``?period=2025``, ``2025-H1``,
  ``2025-Q1``, ``2025-03``, ``2025-W08``; default this quarter; or ``?from=&to=``; shown in words:
  ``2025年第一季度``, the grid's columns ``2025年3月`` / ``第12周``, never ``2025-03``) that the query selects —
  ``unit`` (its subtree), ``obligation``, ``document``, ``level``, ``state`` — sorted (``sort``),
  with the counts by state, each unit's rates, and two SVG pictures (``grid=month|week``). Only the
  units :func:`service.access.visible_units` allows are ever read; a unit the reader may not see is
  404, as an unknown one.
- ``GET /supervision/report.{csv,xlsx,html}``: the same rows as a report (service.report; CSV
  ``table=rows|summary|yearly``), recorded in the history (``export``).
- ``GET|POST /supervision/waive/{uid}``: admins only; waive the window with a reason, or take the
  waiver back (service.supervision), every POST with its CSRF token.

A window's own page (its completion, evidence and history; marking done) is web.window's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from i18n import N_, Language, tr
from i18n.phrase import MONTHS, say
from obligations.model import Level
from obligations.schedules import Period
from scheduler.periods import label_span, period_words, span_words
from scheduler.snapshot import Snapshot
from service import report, supervision
from service.access import visible_units
from service.actions import Actor, Door, Target
from service.board import STATE_WORDS, Row, State, by_unit, counts, grid, month_of, percent, week_of
from service.windows import find_window
from store.accounts import Account, Role
from store.ledger import record_export
from store.waivers import MAX_REASON, Waivers
from web import params
from web.auth import checked_form, require_account
from web.charts import COLOURS, bars_svg, grid_svg
from web.render import page_lang, render_private, service_of

MAX_SHOWN = 300  # rows listed on the page; the downloads have them all
SORT_WORDS = {"due": N_("board.sort.due"), "unit": N_("board.sort.unit"), "duty": N_("board.sort.duty"),
              "state": N_("board.sort.state"), "lateness": N_("board.sort.lateness")}
FILTERS = ("period", "from", "to", "unit", "obligation", "document", "level", "state", "sort", "grid")


def _bad(lang: Language, name: str, value: str) -> HTTPException:
    return HTTPException(400, tr(lang, "board.bad_param", name=name, value=repr(params.shown(value))))


def _date(request: Request, name: str, lang: Language) -> dt.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    if len(raw) != 10 or not raw.isascii():
        raise _bad(lang, name, raw)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _bad(lang, name, raw) from None


def _choice(request: Request, name: str, known: Any, lang: Language) -> str | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    if params.key(raw) is None or raw not in known:
        raise _bad(lang, name, raw)
    return raw


def this_quarter(today: dt.date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def query_of(request: Request, snapshot: Snapshot, account: Account, today: dt.date,
             lang: Language) -> tuple[supervision.Query, str]:
    """The board's query from the URL (400 for a bad value, 404 for a unit the account may not see)."""
    rules = snapshot.rules
    visible = visible_units(account, rules)
    period = request.query_params.get("period") or this_quarter(today)
    span = supervision.period_range(period)
    if span is None:
        raise _bad(lang, "period", period)
    first, last = _date(request, "from", lang) or span[0], _date(request, "to", lang) or span[1]
    if last < first or (last - first).days > 366 * 3:
        raise _bad(lang, "to", last.isoformat())
    unit = _choice(request, "unit", rules.units, lang)
    if unit is not None and visible is not None and unit not in visible:
        raise HTTPException(404, tr(lang, "page.no_such_unit", id=unit))
    state = _choice(request, "state", {s.value for s in State}, lang)
    return supervision.Query(
        first, last, unit=unit, obligation=_choice(request, "obligation", rules.obligations, lang),
        document=_choice(request, "document", rules.documents, lang),
        level=_choice(request, "level", {lv.value for lv in Level}, lang),
        state=State(state) if state else None, visible=visible,
        sort=_choice(request, "sort", supervision.SORTS, lang) or "due"), period


def _columns(rows: list[Row], by_week: bool, first: dt.date, last: dt.date) -> list[str]:
    """Every month (or week) from ``first`` to ``last``, so an empty one shows as a gap."""
    out: dict[str, None] = {}
    day = first
    while day <= last:
        out.setdefault(day.strftime("%G-W%V") if by_week else day.strftime("%Y-%m"), None)  # ISO year, as week_of
        day += dt.timedelta(days=7 if by_week else 28)
    out.setdefault(last.strftime("%G-W%V") if by_week else last.strftime("%Y-%m"), None)
    for row in rows:
        out.setdefault(week_of(row) if by_week else month_of(row), None)
    return sorted(out)


def heads(columns: list[str], lang: Language) -> dict[str, tuple[str, str]]:
    """Each grid column in words: in full (``2025年3月``, ``2025年第12周``) and short for a slanted label
    (``3月``, ``第12周``; in full where a year begins, so that the year is always said)."""
    out: dict[str, tuple[str, str]] = {}
    year = None
    for column in columns:
        found = label_span(column)
        if found is None:
            out[column] = (column, column)
            continue
        period, span = found
        full = say(period_words(period, span), lang)
        iso = span.first.isocalendar()
        starts = (iso.year if period is Period.week else span.first.year) != year
        year = iso.year if period is Period.week else span.first.year
        if starts or period not in (Period.week, Period.month):
            out[column] = (full, full)
        elif period is Period.week:
            out[column] = (full, tr(lang, "period.week_short", number=iso.week))
        else:
            out[column] = (full, tr(lang, MONTHS[span.first.month - 1]))
    return out


def _unit_order(snapshot: Snapshot, units: set[str]) -> list[str]:
    """``units`` in the tree's order (a parent before its children), for the tables and pictures."""
    rules = snapshot.rules
    out: list[str] = []

    def walk(uid: str) -> None:
        if uid in units:
            out.append(uid)
        for child in rules.children.get(uid, []):
            walk(child)

    for root in rules.roots():
        walk(root)
    return out + sorted(units - set(out))


def _links(request: Request, lang: Language) -> dict[str, str]:
    """The query string of the current filters, for the downloads and the sort links."""
    kept = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
    if lang == "en":
        kept["lang"] = "en"
    return {"query": urlencode(kept), "without_sort": urlencode({k: v for k, v in kept.items() if k != "sort"}),
            "without_state": urlencode({k: v for k, v in kept.items() if k != "state"})}


async def board_page(request: Request) -> Response:
    service = service_of(request)
    lang = page_lang(request, service)
    account = require_account(request)
    snapshot = service.live.current
    today = service.today()
    query, period = query_of(request, snapshot, account, today, lang)
    all_rows = supervision.board(snapshot, service.store, replace(query, state=None), today=today)
    rows = [r for r in all_rows if query.state is None or r.state == query.state]
    rules = snapshot.rules
    names = {uid: u.name for uid, u in rules.units.items()}
    order = _unit_order(snapshot, {r.unit for r in rows})
    per_unit = by_unit(rows)
    per_unit = {uid: per_unit[uid] for uid in order}
    by_week = request.query_params.get("grid") == "week"
    cells = grid(rows, week_of if by_week else month_of)
    cells = {uid: cells[uid] for uid in order}
    columns = _columns(rows, by_week, query.first, query.last)
    in_words = span_words(query.first, query.last)

    def word(state: State) -> str:
        return tr(lang, STATE_WORDS[state])

    visible = query.visible
    units = [(uid, names[uid]) for uid in _unit_order(snapshot, set(rules.units) if visible is None
                                                      else visible & set(rules.units))]
    return render_private(
        request, "supervision.html", lang=lang, rows=rows[:MAX_SHOWN], shown=min(len(rows), MAX_SHOWN),
        total=len(rows), query=query, period=period, all_counts=counts(all_rows), counts=counts(rows),
        per_unit=per_unit, names=names, states=list(State), word=word, percent=percent, colours=COLOURS,
        grid_svg=grid_svg(cells, columns, names, word, title=tr(lang, "board.grid_title"), heads=heads(columns, lang)),
        bars_svg=bars_svg(per_unit, names, word, title=tr(lang, "board.bars_title"), none=tr(lang, "board.no_rate")),
        units=units, obligations=sorted(rules.obligations.values(), key=lambda o: o.id),
        documents=list(rules.documents.values()), levels=[lv.value for lv in Level], sorts=supervision.SORTS,
        sort_words={k: tr(lang, v) for k, v in SORT_WORDS.items()},
        links=_links(request, lang), by_week=by_week, is_admin=account.role == Role.ADMIN, today=today,
        period_words=say(in_words, lang) if in_words is not None else None,
        period_of=lambda row: report.period_of(row.occ, lang))


async def report_download(request: Request) -> Response:
    """``/supervision/report.{fmt}``: the board's rows (its filters) as a file, recorded as an export."""
    service = service_of(request)
    lang = page_lang(request, service)
    account = require_account(request)
    fmt = request.path_params["fmt"]
    if fmt not in report.MEDIA_TYPES:
        raise HTTPException(404, tr(lang, "board.no_such_format"))
    table = _choice(request, "table", report.TABLES, lang) or "rows"
    snapshot = service.live.current
    today = service.today()
    query, _ = query_of(request, snapshot, account, today, lang)
    rows = supervision.board(snapshot, service.store, replace(query, sort=query.sort or "unit"), today=today)
    title = report.title_of(lang, query.first, query.last)
    data = report.render(rows, snapshot.rules, lang, fmt, table=table, title=title)
    record_export(service.store, at=service.clock(), actor=account.name, door=Door.WEB.value, unit=query.unit,
                  what=f"{fmt} {table if fmt == 'csv' else 'all'} {query.first}..{query.last}: {len(rows)} rows")
    name = f"supervision-{query.first}-{query.last}{'-' + table if fmt == 'csv' else ''}.{fmt}"
    return Response(data, media_type=report.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


async def waive_page(request: Request) -> Response:
    """``/supervision/waive/{uid}``: an admin waives the window with a reason, or takes the waiver back."""
    service = service_of(request)
    lang = page_lang(request, service)
    account = require_account(request, Role.ADMIN)
    snapshot = service.live.current
    occ = find_window(snapshot, request.path_params["uid"])
    if occ is None or occ.unit is None:
        raise HTTPException(404, tr(lang, "act.not_found"))
    if request.method == "POST":
        form = await checked_form(request)
        target, actor, now = Target.of(occ), Actor(account.name, Door.WEB), service.clock()
        if form.get("action") == "unwaive":
            supervision.unwaive(service.store, target, actor, now=now)
        else:
            reason = str(form.get("reason", "")).strip()
            if not reason or len(reason) > MAX_REASON or not reason.isprintable():
                raise HTTPException(400, tr(lang, "board.bad_reason", limit=MAX_REASON))
            supervision.waive(service.store, target, actor, reason=reason, now=now)
        return RedirectResponse(request.url.path + ("?lang=en" if lang == "en" else ""), status_code=303)
    unit = snapshot.rules.units.get(occ.unit)
    waiver = Waivers(service.store).waiver(occ.uid)
    return render_private(request, "waive.html", lang=lang, occ=occ, unit=unit, waiver=waiver,
                          reasons=[tr(lang, r) for r in REASONS], max_reason=MAX_REASON)


REASONS = (N_("board.reason.combined"), N_("board.reason.above"), N_("board.reason.not_applicable"))

__all__ = ["board_page", "heads", "query_of", "report_download", "this_quarter", "waive_page"]
