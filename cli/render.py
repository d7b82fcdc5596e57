"""Occurrences as text: an aligned table (CJK-wide characters count twice), JSON records and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable

from i18n import Language, tr
from i18n.shown import is_makeup_day, makeup_label
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence

CSV_FIELDS = ["date", "kind", "obligation", "title", "unit", "unit_name", "start", "end",
              "nominal_date", "window_start", "window_end", "due", "planned", "note", "doc", "clause", "quote",
              "uid"]


def _iso(day: object) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else None


def occurrence_record(occ: Occurrence, rules: RuleSet) -> dict[str, object]:
    """The JSON shape of one occurrence (documented in docs/cli.md)."""
    ob = occ.obligation
    return {
        "obligation": ob.id,
        "title": ob.title,
        "unit": occ.unit,
        "unit_name": rules.units[occ.unit].name if occ.unit else None,
        "date": occ.date.isoformat(),
        "start": occ.start.isoformat() if occ.start else None,
        "end": occ.end.isoformat() if occ.end else None,
        "kind": occ.kind,
        "uid": occ.uid,
        "nominal_date": _iso(occ.nominal),
        "window_start": _iso(occ.window_start),
        "window_end": _iso(occ.window_end),
        "due": _iso(occ.due),
        "planned": _iso(occ.planned),
        "note": occ.note or None,
        "source": {
            "doc": rules.document_of(ob).id,
            "clause": ob.source.clause,
            "quote": ob.source.quote,
        },
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` and spaces up to ``width`` columns (a CJK character is two)."""
    return _pad(text, width)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_table(occurrences: list[Occurrence], rules: RuleSet, lang: Language,
                 is_workday: Callable[[Occurrence], bool] | None = None) -> str:
    """The table; with ``is_workday`` (the occurrence's calendar) a weekend working day says 调休上班."""
    if not occurrences:
        return tr(lang, "term.no_occurrences") + "\n"

    def day(o: Occurrence) -> str:
        makeup = is_workday is not None and is_makeup_day(o.date, is_workday(o))
        return f"{o.date.isoformat()} {makeup_label(lang)}" if makeup else o.date.isoformat()

    head = [tr(lang, "label.date"), tr(lang, "label.kind"), tr(lang, "label.unit"), tr(lang, "label.title"),
            tr(lang, "label.duty")]
    rows = [
        [day(o), tr(lang, f"kind.{o.kind}"), rules.units[o.unit].name if o.unit else "-",
         o.obligation.title, o.obligation.id]
        for o in occurrences
    ]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
             for r in [head, *rows]]
    return "\n".join(lines) + "\n"


def render_csv(occurrences: list[Occurrence], rules: RuleSet) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for occ in occurrences:
        rec = occurrence_record(occ, rules)
        source = rec.pop("source")
        assert isinstance(source, dict)
        rec.update(source)
        writer.writerow({k: ("" if rec.get(k) is None else rec[k]) for k in CSV_FIELDS})
    return buf.getvalue()


__all__ = ["CSV_FIELDS", "occurrence_record", "pad", "render_csv", "render_table"]
