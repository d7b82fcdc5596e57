"""The review page for administrators: draft rules from a document, check each duty, then download or save.

``GET /admin/extract`` shows the upload form. ``POST`` with ``action``:

- ``draft``: the uploaded document (``file``: text, ``.docx`` or ``.html``) or pasted ``text`` is drafted
  by ``extract``; the page shows the document with every drafted duty marked, and beside each its schedule
  in words, its units, why it is to be reviewed, a choice (accept, keep for review, drop) and its schedule
  as YAML to edit;
- ``download``: the rules file of the duties kept (an accepted one loses ``review``), as an attachment;
- ``diff``: the ``--against`` report of the draft against one rules file in force;
- ``save``: the rules file is validated together with the rules in force and only then written into the
  rules folder, never over an existing file; otherwise every problem is listed and nothing is written.

Review reasons are coded phrases in the draft (``extract.reasons``), worded in the page's language here and
in the file downloaded or saved (``?lang=en``: English; else Chinese).

Later actions re-draft the document from its text, which the page carries in a hidden field (drafting is
deterministic), and apply the choices. Admins only; every POST carries the CSRF token.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from extract.diff import compare
from extract.diff import render as render_diff
from extract.draft import build_rules, doc_id_from, header_lines, to_yaml, worded
from extract.duties import Extraction, extract
from extract.text import SourceText, UnreadableInput, from_string, read_document
from i18n import N_, Language, tr
from i18n.phrase import say
from obligations.errors import ValidationFailed
from obligations.loader import load_rules
from obligations.model import Obligation, RulesFile
from store.accounts import Role
from web.auth import csrf_ok, require_account
from web.describe import describe
from web.render import page_lang, render, service_of

MAX_MB = 5.0
# Two fields a duty (its choice and its schedule) and a few more: a year's plan drafts up to a few hundred
# duties, beyond web.auth.checked_form's limit of fields for ordinary forms.
MAX_FIELDS = 2_000
DECISION_WORDS = {"accept": N_("review.decision_accept"), "review": N_("review.decision_review"),
                  "drop": N_("review.decision_drop")}
DECISIONS = tuple(DECISION_WORDS)


async def _source(form: FormData) -> tuple[SourceText, str] | None:
    """The document of the form: an uploaded file, else the pasted (or carried) text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name = Path(upload.filename).name or "document.txt"
        with tempfile.TemporaryDirectory(prefix="oc-review-") as folder:
            path = Path(folder) / name
            path.write_bytes(await upload.read())
            return read_document(path, name=name, max_mb=MAX_MB), Path(name).stem
    text = str(form.get("text") or "").replace("\r\n", "\n")
    if text.strip():
        return from_string(text, "<text>"), str(form.get("source_name") or "document")
    return None


def _segments(extraction: Extraction) -> list[tuple[str, int | None]]:
    """The document as pieces of text, each marked with the drafted duty it quotes (or None)."""
    text = extraction.text.original
    out: list[tuple[str, int | None]] = []
    pos = 0
    for i, duty in sorted(enumerate(extraction.duties), key=lambda pair: pair[1].start):
        start = max(duty.start, pos)
        if start >= duty.end:
            continue
        out.append((text[pos:start], None))
        out.append((text[start:duty.end], i))
        pos = duty.end
    out.append((text[pos:], None))
    return out


def _cards(data: dict[str, Any], form: FormData, lang: Language) -> list[dict[str, Any]]:
    """Each drafted duty as the page shows it, with the choice and the edit the form made, if any."""
    names = {u["id"]: u["name"] for u in data["units"]}
    cards = []
    for i, ob in enumerate(worded(data["obligations"], lang)):
        model = Obligation.model_validate(ob)
        cards.append({
            "index": i, "id": ob["id"], "title": ob["title"], "clause": ob["source"].get("clause", ""),
            "schedule": describe(model.schedule, lang), "review": bool(ob.get("review")),
            "reason": ob.get("review_reason", ""),
            "lead": [names.get(u, u) for u in ob.get("lead", [])],
            "participants": [names.get(u, u) for u in ob.get("participants", []) if isinstance(u, str)],
            "yaml": str(form.get(f"schedule_{i}") or "").strip() or yaml.safe_dump(
                ob["schedule"], allow_unicode=True, sort_keys=False, default_flow_style=True, width=10_000).strip(),
        })
        chosen = form.get(f"decision_{i}")
        cards[-1]["decision"] = chosen if chosen in DECISIONS else ("review" if ob.get("review") else "accept")
    return cards


def _decide(data: dict[str, Any], form: FormData, lang: Language) -> list[str]:
    """Apply the page's choices to ``data`` (in place); the problems of edited schedules, if any."""
    kept, problems = [], []
    for i, ob in enumerate(data["obligations"]):
        decision = str(form.get(f"decision_{i}") or ("review" if ob.get("review") else "accept"))
        if decision == "drop":
            continue
        edited = form.get(f"schedule_{i}")
        if isinstance(edited, str) and edited.strip():
            try:
                schedule = yaml.safe_load(edited)
            except yaml.YAMLError as exc:
                problems.append(tr(lang, "review.yaml_problem", id=ob["id"], problem=str(exc).splitlines()[0]))
                continue
            if not isinstance(schedule, dict):
                problems.append(tr(lang, "review.yaml_problem", id=ob["id"], problem="{type: …}"))
                continue
            ob["schedule"] = schedule
        if decision == "accept":
            ob.pop("review", None)
            ob.pop("review_reason", None)
        kept.append(ob)
    data["obligations"] = kept
    try:
        RulesFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            where = data["obligations"][loc[1]]["id"] if len(loc) > 1 and loc[0] == "obligations" else "-"
            problems.append(tr(lang, "review.model_problem", id=where, field=".".join(map(str, loc[2:])),
                               problem=error["msg"]))
    return problems


def _save(request: Request, data: dict[str, Any], text: str, lang: Language) -> tuple[str | None, list[str]]:
    """Validate with the rules in force, then write into the rules folder: (the file written, problems)."""
    loaded = service_of(request).live.current.loaded
    paths = loaded.rules_paths()
    folder = paths[0].parent if paths else loaded.base_dir / "rules"
    target = folder / f"{data['document']['id']}.yaml"
    if target.exists():
        return None, [tr(lang, "review.exists", file=target.name)]
    with tempfile.TemporaryDirectory(prefix="oc-review-") as tmp:
        trial = Path(tmp) / target.name
        trial.write_text(text, encoding="utf-8")
        try:
            load_rules([*[p for p in paths if p.exists()], trial])
        except ValidationFailed as exc:
            return None, [p.worded(lang).replace(str(trial), target.name) for p in exc.problems]
    target.write_text(text, encoding="utf-8")
    return target.name, []


async def _checked_form(request: Request, lang: Language) -> FormData:
    """As :func:`web.auth.checked_form` (size, CSRF), with room for two fields a duty."""
    length = request.headers.get("content-length", "")
    if not length.isascii() or not length.isdigit():
        raise HTTPException(411, tr(lang, "auth.length_required"))
    if int(length) > MAX_MB * 4 * 1024 * 1024:
        raise HTTPException(413, tr(lang, "auth.too_large"))
    form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    if not csrf_ok(request, form.get("csrf")):
        await form.close()
        raise HTTPException(403, tr(lang, "auth.bad_csrf"))
    return form


async def review_page(request: Request) -> Response:
    account = require_account(request, Role.ADMIN)
    service = service_of(request)
    lang = page_lang(request, service)
    files = [p.name for p in service.live.current.loaded.rules_paths()]
    if request.method == "GET":
        return render(request, "review.html", lang=lang, account=account, files=files)
    form = await _checked_form(request, lang)
    try:
        return await _post(request, form, lang, files)
    finally:
        await form.close()


async def _post(request: Request, form: FormData, lang: Language, files: list[str]) -> Response:
    service = service_of(request)
    try:
        found = await _source(form)
    except UnreadableInput as exc:
        return render(request, "review.html", 400, lang=lang, files=files, problems=[say(exc.args[0], lang)])
    if found is None:
        return render(request, "review.html", 400, lang=lang, files=files, problems=[tr(lang, "review.no_document")])
    text, name = found
    extraction = extract(text)
    doc_name = str(form.get("doc_name") or "").strip() or name
    data = build_rules(extraction, doc_id_from(doc_name), doc_name)
    cards = _cards(data, form, lang)
    page = {"lang": lang, "files": files, "decision_words": DECISION_WORDS, "extraction": extraction,
            "segments": _segments(extraction),
            "cards": cards, "doc_name": doc_name, "source_name": name, "text": extraction.text.original}
    action = str(form.get("action") or "draft")
    if action not in ("draft", "download", "diff", "save"):
        return render(request, "review.html", 400, problems=[tr(lang, "review.no_action")], **page)
    if action == "draft":
        return render(request, "review.html", **page)
    problems = _decide(data, form, lang)
    if problems:
        return render(request, "review.html", 400, problems=problems, **page)
    yaml_text = to_yaml(data, header_lines(extraction, name, data, lang), lang)
    if action == "download":
        filename = f"{data['document']['id']}.yaml"
        return Response(yaml_text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    if action == "diff":
        against = next((p for p in service.live.current.loaded.rules_paths() if p.name == form.get("against")), None)
        if against is None:
            return render(request, "review.html", 400, problems=[tr(lang, "review.no_against")], **page)
        try:
            rules = load_rules([against])
        except ValidationFailed as exc:  # a file that names another file's units: read it with them
            return render(request, "review.html", 400, problems=[p.worded(lang) for p in exc.problems], **page)
        report = render_diff(compare(data, extraction, rules), against.name, lang)
        return render(request, "review.html", report=report, **page)
    saved, problems = _save(request, data, yaml_text, lang)
    return render(request, "review.html", 400 if problems else 200, saved=saved, problems=problems, **page)


__all__ = ["DECISIONS", "review_page"]
