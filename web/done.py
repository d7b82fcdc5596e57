"""The "mark done" form, opened from a signed link in a reminder.

GET shows the occurrence and a form; POST records it done through :func:`service.actions.mark_done`,
as the command line and the bot do, on the day the form gives (``done_on``: a date input, default
today in the configured time zone, not after today nor more than a year before the duty's date).
Once done, the page offers undo: a POST with ``action=undo`` (:func:`service.actions.undo_done`).
The link is signed for one reminder and its address (:mod:`store.links`) and works until
:func:`link_expires` (410 after). A POST must come from this service's page (:func:`same_origin`)
and carry the page's CSRF token for this reminder; otherwise 403 and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from i18n import N_, Language, tr
from service import actions
from service.feeds import FeedService
from store import links
from store.reminders import ReminderStore
from web import params
from web.render import error_page, page_lang, render_private, service_of

MAX_REMINDER_ID = 2**31 - 1  # the store's ids are 32-bit integers on PostgreSQL
MAX_EVIDENCE = 500  # the store's column
DONE_ON_REFUSALS = {actions.Refusal.FUTURE_DAY: N_("done.future_day"), actions.Refusal.TOO_EARLY: N_("done.too_early")}


def _reminder_for(request: Request, signature: str, lang: Language) -> dict[str, Any]:
    """The reminder of a signed link; 404 for an id that is no number, 403 for a wrong or unknown link."""
    service = service_of(request)
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


def day_done(text: str, today: dt.date) -> dt.date | None:
    """A form's ``done_on`` (``YYYY-MM-DD`` as a date input sends it; empty: today), or None when it is no date."""
    text = text.strip()
    if not text:
        return today
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _mark_done(request: Request, form: dict[str, str], reminder: dict[str, Any], *, who: str, key: bytes,
               lang: Language) -> Response | None:
    """Record the POSTed completion (or with ``action=undo`` take it back); an error page (and nothing
    recorded) when the form is refused."""
    service = service_of(request)
    if not same_origin(request, service.public_url):
        return error_page(request, 403, tr(lang, "done.cross_site"))
    if not links.verify_csrf(key, reminder["id"], reminder["address"], form.get("csrf", ""), service.clock()):
        return error_page(request, 403, tr(lang, "done.stale_form"))
    store, target, actor = (ReminderStore(service.store), actions.Target.of_reminder(reminder),
                            actions.Actor(who, actions.Door.WEB))
    if form.get("action") == "undo":
        actions.undo_done(store, target, actor, now=service.clock())  # not done (any more): nothing to undo
        return None
    evidence = form.get("evidence", "").strip() or None
    if evidence and (not evidence.startswith(("http://", "https://")) or len(evidence) > MAX_EVIDENCE
                     or not evidence.isprintable()):
        return error_page(request, 400, tr(lang, "done.bad_evidence"))
    today = service.today()
    done_on = day_done(form.get("done_on", ""), today)
    if done_on is None:
        return error_page(request, 400, tr(lang, "done.bad_day"))
    # already marked done by someone else: their completion stands, and the page shows it
    marked = actions.mark_done(store, target, actor, now=service.clock(), done_on=done_on, today=today,
                               note=form.get("note", ""), evidence_url=evidence)
    if isinstance(marked, actions.Refused):
        return error_page(request, 400, tr(lang, DONE_ON_REFUSALS[marked.reason], day=done_on.isoformat(),
                                           today=today.isoformat(),
                                           earliest=actions.earliest_done_on(target).isoformat()))
    return None


async def done_page(request: Request) -> Response:
    """``/done/{id}?s=<signature>``. GET: the occurrence and a form; POST: mark it done."""
    service = service_of(request)
    lang = page_lang(request, service)
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
    if form is not None:
        refused = _mark_done(request, form, reminder, who=who, key=key, lang=lang)
        if refused is not None:
            return refused
    completion = store.completion(reminder["occurrence_uid"])
    if completion:
        completion["done_at_text"] = completion["done_at"].strftime("%Y-%m-%d %H:%M")
    rules = service.feeds.snapshot.rules
    ob = rules.obligations.get(reminder["obligation"])
    today = service.today()
    # it carries the link's signature and a CSRF token
    return render_private(
        request, "done.html", lang=lang, reminder=reminder, signature=signature, who=who, completion=completion,
        today=today.isoformat(), earliest=actions.earliest_done_on(actions.Target.of_reminder(reminder)).isoformat(),
        undone=form is not None and form.get("action") == "undo" and completion is None,
        csrf=links.csrf_token(key, reminder["id"], reminder["address"], service.clock()),
        expires=expires.isoformat(),
        title=ob.title if ob else reminder["obligation"],
        unit_name=rules.units[reminder["unit"]].name if reminder["unit"] in rules.units else "",
        quote=ob.source.quote if ob else "",
    )


__all__ = ["MAX_EVIDENCE", "MAX_REMINDER_ID", "day_done", "done_page", "link_expires", "same_origin"]
