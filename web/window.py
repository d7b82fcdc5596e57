"""One window of one unit's duty, for logged-in accounts: its state, evidence and history; mark done or undo.

``GET /supervision/window/{uid}`` shows the window (duty, unit, window days, due day), its
completion (the day done, who, note, evidence link), the evidence files, and its history; an
account that may act for the unit (service.access.may_act: an admin, or a unit user for its
subtree) also gets the forms. ``POST`` with ``action``:

- ``done``: the day it was done (``done_on``, default today in the configured time zone; not
  after today, not more than a year before the duty's date), a note, a link (``evidence``) and/or
  a file (``file``): through :func:`service.actions.mark_done`, as the command line and the bot do;
- ``undo``: :func:`service.actions.undo_done`;
- ``redate``: correct the day a window already done was done (:func:`service.actions.set_done_on`);
- ``upload``: one more evidence file for a window already done.

Every POST carries the CSRF token (:func:`web.auth.checked_form`); a window the account may not
see is 404 whatever the method (no other unit's window is told to exist), one it may see but not
act on 403, and nothing is recorded. ``GET /supervision/evidence/{id}`` sends a file, as an
attachment, to accounts that may see its unit (404 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from i18n import N_, Language, tr
from scheduler.occurrence import Occurrence
from service import actions, report
from service.access import may_act, may_see
from service.windows import ACTION_WORDS, DOOR_WORDS, Accepted, Unaccepted, accept, find_window, max_bytes
from store.accounts import Account
from store.evidence import EvidenceStore, evidence_link
from store.history import History
from store.reminders import ReminderStore
from store.waivers import Waivers
from web import params
from web.auth import checked_form, require_account
from web.done import DONE_ON_REFUSALS, MAX_EVIDENCE, day_done
from web.render import page_lang, render_private, service_of

MAX_EVIDENCE_ID = 2**31 - 1
UNACCEPTED = {Unaccepted.EMPTY: N_("act.file_empty"), Unaccepted.TOO_LARGE: N_("act.file_too_large"),
              Unaccepted.TYPE: N_("act.file_type"), Unaccepted.CONTENT: N_("act.file_content")}


def evidence_folder(request: Request) -> EvidenceStore:
    service = service_of(request)
    loaded = service.live.current.loaded
    return EvidenceStore(service.store, loaded.base_dir / loaded.config.evidence.folder)


def _window(request: Request, account: Account, lang: Language) -> Occurrence:
    """The window of the path's uid that ``account`` may see; 404 otherwise (unknown and hidden alike)."""
    snapshot = service_of(request).live.current
    occ = find_window(snapshot, request.path_params["uid"])
    if occ is None or not may_see(account, occ.unit, snapshot.rules):
        raise HTTPException(404, tr(lang, "act.not_found"))
    return occ


async def _file(request: Request, form: FormData, lang: Language) -> tuple[Accepted, bytes] | None:
    """The form's uploaded file, checked (400 when refused); None when there is none."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    config = service_of(request).live.current.loaded.config.evidence
    data = await upload.read(max_bytes(config) + 1)
    checked = accept(config, upload.filename, data)
    if isinstance(checked, Unaccepted):
        raise HTTPException(413 if checked == Unaccepted.TOO_LARGE else 400,
                            tr(lang, UNACCEPTED[checked], mb=f"{config.max_mb:g}", types=", ".join(config.types)))
    return checked, data


def _keep(request: Request, occ: Occurrence, account: Account, file: tuple[Accepted, bytes] | None) -> None:
    if file is None:
        return
    accepted, data = file
    evidence_folder(request).add(uid=occ.uid, obligation=occ.obligation.id, unit=occ.unit, date=occ.date,
                                 filename=accepted.filename, content_type=accepted.content_type, data=data,
                                 by=account.name, at=service_of(request).clock())


def _link(form: FormData, lang: Language) -> str | None:
    link = str(form.get("evidence", "")).strip() or None
    if link and (not link.startswith(("http://", "https://")) or len(link) > MAX_EVIDENCE or not link.isprintable()):
        raise HTTPException(400, tr(lang, "done.bad_evidence"))
    return link


def _checked_day(form: FormData, target: actions.Target, today: dt.date, lang: Language) -> dt.date:
    """The form's ``done_on`` (default today), refused with 400 when it is no date, after today or too early."""
    done_on = day_done(str(form.get("done_on", "")), today)
    if done_on is None:
        raise HTTPException(400, tr(lang, "done.bad_day"))
    refused = actions.done_on_refusal(target, done_on, today)
    if refused is not None:
        raise HTTPException(400, tr(lang, DONE_ON_REFUSALS[refused], day=done_on.isoformat(), today=today.isoformat(),
                                    earliest=actions.earliest_done_on(target).isoformat()))
    return done_on


async def _act(request: Request, occ: Occurrence, account: Account, form: FormData, lang: Language) -> None:
    """Carry out the POSTed action (every check before any change)."""
    service = service_of(request)
    store, target = ReminderStore(service.store), actions.Target.of(occ)
    actor = actions.Actor(account.name, actions.Door.WEB)
    what = form.get("action")
    if what == "undo":
        actions.undo_done(store, target, actor, now=service.clock())
        return
    if what == "upload":
        file = await _file(request, form, lang)
        if file is None or store.completion(occ.uid) is None:
            raise HTTPException(400, tr(lang, "act.nothing_to_upload"))
        _keep(request, occ, account, file)
        return
    if what not in ("done", "redate"):
        raise HTTPException(400, tr(lang, "act.bad_action"))
    today = service.today()
    done_on = _checked_day(form, target, today, lang)
    if what == "redate":
        redated = actions.set_done_on(store, target, actor, now=service.clock(), done_on=done_on, today=today)
        if isinstance(redated, actions.Refused):
            raise HTTPException(400, tr(lang, "act.redate_not_done"))
        return
    link, file = _link(form, lang), await _file(request, form, lang)
    marked = actions.mark_done(store, target, actor, now=service.clock(), done_on=done_on, today=today,
                               note=str(form.get("note", ""))[:2000], evidence_url=link)
    if isinstance(marked, actions.Marked) and marked.created:
        _keep(request, occ, account, file)


def _view(request: Request, occ: Occurrence, account: Account, lang: Language) -> Response:
    service = service_of(request)
    snapshot = service.live.current
    completion = ReminderStore(service.store).completion(occ.uid)
    files = evidence_folder(request).of_occurrence(occ.uid)
    entries: list[dict[str, Any]] = [
        {**e, "door": tr(lang, DOOR_WORDS.get(e["door"], e["door"])),
         "action": tr(lang, ACTION_WORDS[e["action"]]) if e["action"] in ACTION_WORDS else e["action"]}
        for e in History(service.store).entries(uid=occ.uid)]
    target = actions.Target.of(occ)
    unit = snapshot.rules.units.get(occ.unit) if occ.unit else None
    return render_private(request, "window.html", lang=lang, occ=occ, unit=unit, completion=completion, files=files,
                          entries=entries, waiver=Waivers(service.store).waiver(occ.uid),
                          may_act=may_act(account, occ.unit, snapshot.rules),
                          today=service.today().isoformat(), earliest=actions.earliest_done_on(target).isoformat(),
                          evidence_link=evidence_link, config=snapshot.loaded.config.evidence,
                          title=occ.obligation.title, quote=occ.obligation.source.quote,
                          period=report.period_of(occ, lang))  # 2025年第10周, beside the window's days


async def window_page(request: Request) -> Response:
    """``/supervision/window/{uid}``: GET the window; POST done, undo or upload (then back to GET)."""
    service = service_of(request)
    lang = page_lang(request, service)
    account = require_account(request)
    occ = _window(request, account, lang)
    if request.method == "GET":
        return _view(request, occ, account, lang)
    config = service.live.current.loaded.config.evidence
    form = await checked_form(request, max_bytes=max_bytes(config) + 64 * 1024, max_files=1)
    try:
        if not may_act(account, occ.unit, service.live.current.rules):
            raise HTTPException(403, tr(lang, "auth.not_allowed"))
        await _act(request, occ, account, form, lang)
    finally:
        await form.close()
    return RedirectResponse(request.url.path + ("?lang=en" if lang == "en" else ""), status_code=303)


async def evidence_file(request: Request) -> Response:
    """``/supervision/evidence/{id}``: the file, as an attachment, for accounts that may see its unit."""
    service = service_of(request)
    lang = page_lang(request, service)
    account = require_account(request)
    evidence_id = params.ascii_int(request.path_params["id"], 1, MAX_EVIDENCE_ID)
    store = evidence_folder(request)
    item = store.get(evidence_id) if evidence_id is not None else None
    if item is None or not may_see(account, item.unit, service.live.current.rules):
        raise HTTPException(404, tr(lang, "act.file_not_found"))
    path = store.path(item)
    if not path.is_file():
        raise HTTPException(404, tr(lang, "act.file_not_found"))
    return FileResponse(path, media_type=item.content_type, filename=item.filename,
                        content_disposition_type="attachment",
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "sandbox; default-src 'none'"})


__all__ = ["evidence_file", "evidence_folder", "window_page"]
