"""Extracted duties as a rules file: the dict a :class:`~obligations.model.RulesFile` reads, and its YAML.

Every obligation is checked against the model before it is written; one the model
refuses (an impossible date the patterns let through, say) is written ``unscheduled``
with the model's message as its review reason, so the draft always validates.

The data keeps every review reason (and an unscheduled schedule's reason) as a coded phrase
(:mod:`extract.reasons`); :func:`worded` says them in the reader's language, and :func:`to_yaml`
writes them so: the command line in ``--lang``, the review page in the page's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import yaml
from pydantic import ValidationError

from extract import reasons as why
from extract.clauses import Path
from extract.duties import Duty, Extraction
from extract.units import UnitTree
from i18n import DEFAULT, Language, tr
from i18n.phrase import Phrase, say
from obligations.model import Obligation, RulesFile

_ID_BAD = re.compile(r"[^a-z0-9_.-]+")
_TRAILING_YEAR = re.compile(r"[-_.]?(?:19|20)[0-9]{2}(?:[-_](?:19|20)[0-9]{2})?$")


def doc_id_from(name: str) -> str:
    """A document id from --doc-name or the file name: bz-2024 stays, 大连2020 -> 2020-<hash>."""
    lowered = name.strip().lower()
    slug = _ID_BAD.sub("-", lowered).strip("-._")
    if lowered.isascii() and slug:
        return slug
    # Chinese characters were dropped: a short hash keeps two such names apart.
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


def jurisdiction_from(doc_id: str) -> str:
    """The prefix of unit ids: the document id without a trailing year (bz-2024 -> bz)."""
    return _TRAILING_YEAR.sub("", doc_id) or doc_id


def _units_of(extraction: Extraction, path: Path) -> dict[str, list[str]]:
    for k in range(len(path), -1, -1):
        found = extraction.structure.units.get(path[:k])
        if found:
            return found
    return {}


def _effective(duty: Duty, issued: dt.date | None) -> dict[str, dt.date]:
    """In force from the document's date (a one-off date needs no period: it is its own)."""
    effective = dict(duty.effective or {})
    if issued is not None and duty.kind != "once":
        start = max(effective.get("from", issued), issued)
        if "until" not in effective or start <= effective["until"]:
            effective["from"] = start
    return effective


def _obligation(duty: Duty, ob_id: str, extraction: Extraction, tree: UnitTree) -> dict[str, Any]:
    text = extraction.text
    units = _units_of(extraction, duty.path)
    lead, lead_groups = tree.resolve(units.get("lead", []))
    participants, part_groups = tree.resolve(units.get("participants", []))
    sentence = text.original[duty.sentence[0]:duty.sentence[1]].strip()
    lines = [f"原文: {sentence}"]
    if units.get("lead"):
        lines.append("牵头/责任单位: " + "、".join(units["lead"]))
    if units.get("participants"):
        lines.append("参加单位: " + "、".join(units["participants"]))
    reasons = list(duty.reasons)
    issued = extraction.info.date
    if duty.kind == "once" and issued is not None and duty.schedule["date"] < issued:
        reasons.append(why.before_document(issued))
    if lead_groups or part_groups:
        # Groups (各县市人民政府, 州人民政府有关部门) are not units; the administrator turns them
        # into applies_to or participants selectors, as for every duty's applies_to.
        lines.append("未建为单位的单位类别: " + "、".join(lead_groups + part_groups))
    ob: dict[str, Any] = {"id": ob_id, "title": duty.title, "description": "\n".join(lines)}
    if duty.actor:
        ob["actor"] = duty.actor
    if lead:
        ob["lead"] = lead
    if participants:
        ob["participants"] = participants
    source: dict[str, Any] = {"quote": duty.quote}
    if duty.clause:
        source = {"clause": duty.clause, **source}
    ob["source"] = source
    ob["schedule"] = dict(duty.schedule)
    effective = _effective(duty, extraction.info.date)
    if effective:
        ob["effective"] = effective
    if reasons:
        ob["review"] = True
        ob["review_reason"] = why.joined(reasons)
    try:
        Obligation.model_validate(ob)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        ob["schedule"] = {"type": "unscheduled", "reason": why.unscheduled_refused()}
        ob.pop("effective", None)
        ob["review"] = True
        ob["review_reason"] = why.joined([*reasons, why.model_refused(problem)])
    return ob


def build_rules(extraction: Extraction, doc_id: str, doc_name: str) -> dict[str, Any]:
    """The draft rules file as plain data (the shape of :class:`RulesFile`)."""
    info = extraction.info
    jurisdiction = jurisdiction_from(doc_id)
    tree = UnitTree.create(jurisdiction, info.place)
    document: dict[str, Any] = {"id": doc_id, "title": info.title or doc_name}
    if info.issuer:
        document["issuer"] = info.issuer
    if info.date:
        document["date"] = info.date
    obligations: list[dict[str, Any]] = []
    running: dict[str, int] = {}
    for duty in extraction.duties:
        running[duty.clause_slug] = running.get(duty.clause_slug, 0) + 1
        ob_id = f"{doc_id}.{duty.clause_slug}-{running[duty.clause_slug]}"
        obligations.append(_obligation(duty, ob_id, extraction, tree))
    data: dict[str, Any] = {"version": 1, "document": document, "units": tree.as_dicts(), "obligations": obligations}
    RulesFile.model_validate(data)  # a bug here must not write a file that validate refuses
    return data


class _Dumper(yaml.SafeDumper):
    """Safe dumper writing multi-line text (descriptions) as literal blocks, and no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def worded(data: Any, lang: Language) -> Any:
    """A copy of ``data`` with every phrase (a review reason, an unscheduled reason) said in ``lang``."""
    if isinstance(data, Phrase):
        return say(data, lang)
    if isinstance(data, dict):
        return {k: worded(v, lang) for k, v in data.items()}
    if isinstance(data, list):
        return [worded(v, lang) for v in data]
    return data


def to_yaml(data: dict[str, Any], header: list[str], lang: Language = DEFAULT) -> str:
    """Deterministic YAML (no timestamps, keys in model order) with a comment header, reasons in ``lang``."""
    body = yaml.dump(worded(data, lang), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000,
                     default_flow_style=False)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    return comments + "\n" + body


def header_lines(extraction: Extraction, source_name: str, data: dict[str, Any],
                 lang: Language = DEFAULT) -> list[str]:
    """The comment at the top of the draft, in ``lang``: what it is, its counts, what to do next."""
    obligations = data["obligations"]
    to_review = sum(1 for ob in obligations if ob.get("review"))
    kinds: dict[str, int] = {}
    for ob in obligations:
        kinds[ob["schedule"]["type"]] = kinds.get(ob["schedule"]["type"], 0) + 1
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    lines = [
        tr(lang, "extract.header.draft", source=source_name, encoding=extraction.text.encoding),
        tr(lang, "extract.header.counts", duties=len(obligations), kinds=counts or tr(lang, "extract.header.none"),
           review=to_review),
        *tr(lang, "extract.header.next").splitlines(),
    ]
    if extraction.structure.dropped:
        lines.append(tr(lang, "extract.header.dropped", count=len(extraction.structure.dropped)))
    if extraction.past:
        lines.append(tr(lang, "extract.header.past", count=len(extraction.past)))
    return lines


__all__ = ["build_rules", "doc_id_from", "header_lines", "jurisdiction_from", "to_yaml", "worded"]
