"""Supervision reports: the board's rows as CSV, XLSX or HTML, in the reader's language.

Three tables, each a list of rows whose first is the header:

- **rows** (明细): one row per (unit, duty, window) with its period in words (``2025年第10周``,
  ``2025年3月``, ``2025年第一季度``; empty for a window that is a fixed day), its state, the day it
  was done, the lateness in working days, who, the note, the evidence and a waiver's reason;
- **summary** (汇总): one row per unit, the counts by state and the rates of the windows settled or
  due (service.board.Counts);
- **yearly** (年度): for each unit, year and recurring duty, the windows it had, the days it was done
  and its source clause with the quote: what the yearly report (法治政府建设情况报告) is written from.

CSV is UTF-8 with a byte order mark (Excel opens it as UTF-8 only then) and holds one table; XLSX
(openpyxl) holds all three as sheets with a frozen header row, a filter, column widths and real
dates; HTML is one page with the three tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from i18n import N_, Language, tr
from i18n.phrase import say
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence
from scheduler.periods import slot_words, span_words
from service.board import STATE_WORDS, Row, State, by_unit, percent

Cell = str | int | float | dt.date | None
Table = list[list[Cell]]
TABLES = ("rows", "summary", "yearly")
SHEET_NAMES = {"rows": N_("report.sheet.rows"), "summary": N_("report.sheet.summary"),
               "yearly": N_("report.sheet.yearly")}
_ROW_HEAD = (N_("report.col.unit"), N_("report.col.unit_id"), N_("report.col.duty"), N_("report.col.duty_id"),
             N_("report.col.document"), N_("report.col.period"), N_("report.col.window_start"),
             N_("report.col.window_end"), N_("report.col.due"), N_("report.col.state"), N_("report.col.done_on"),
             N_("report.col.lateness"), N_("report.col.by"), N_("report.col.note"), N_("report.col.evidence"),
             N_("report.col.waiver"))
_SUMMARY_HEAD = (N_("report.col.unit"), N_("report.col.unit_id"), N_("report.col.windows"),
                 N_("board.state.on_time"), N_("board.state.late"), N_("board.state.overdue"),
                 N_("board.state.waived"), N_("board.state.due_soon"), N_("board.state.open"),
                 N_("board.state.not_open"), N_("report.col.rate_on_time"), N_("report.col.rate_late"),
                 N_("report.col.rate_overdue"))
_YEARLY_HEAD = (N_("report.col.unit"), N_("report.col.year"), N_("report.col.duty"), N_("report.col.source"),
                N_("report.col.quote"), N_("report.col.windows"), N_("report.col.done_count"),
                N_("report.col.done_days"), N_("board.state.overdue"), N_("board.state.waived"))
_RATES = (State.ON_TIME, State.LATE, State.OVERDUE)
WIDTHS = {"rows": (24, 18, 36, 30, 28, 18, 12, 12, 12, 10, 12, 10, 12, 30, 30, 20),
          "summary": (24, 18, 10, 10, 10, 10, 10, 10, 10, 10, 12, 12, 12),
          "yearly": (24, 8, 36, 36, 60, 10, 10, 40, 10, 10)}


def _unit_name(rules: RuleSet, uid: str) -> str:
    unit = rules.units.get(uid)
    return unit.name if unit else uid


def period_of(occ: Occurrence, lang: Language) -> str | None:
    """The period of a window in words (``2025年第10周``, ``2025年上半年第2次``), from its slot; None for a
    window that is a fixed day, or a group of periods (``every: 2``), whose slot names only its first."""
    if getattr(occ.obligation.schedule, "every", 1) > 1:
        return None
    words = slot_words(occ.slot)
    return say(words, lang) if words is not None else None


def title_of(lang: Language, first: dt.date, last: dt.date) -> str:
    """``督查督办报表:2025年第一季度(2025-01-01 至 2025-03-31)`` for a range that is one period, else the dates."""
    words = span_words(first, last)
    if words is None:
        return tr(lang, "report.title_range", first=first.isoformat(), last=last.isoformat())
    return tr(lang, "report.title_period", period=say(words, lang), first=first.isoformat(), last=last.isoformat())


def rows_table(rows: Sequence[Row], rules: RuleSet, lang: Language) -> Table:
    out: Table = [[tr(lang, h) for h in _ROW_HEAD]]
    for r in rows:
        ob = r.occ.obligation
        done, waived = r.done, r.waived
        out.append([_unit_name(rules, r.unit), r.unit, ob.title, ob.id, rules.document_of(ob).title,
                    period_of(r.occ, lang), r.window_start, r.window_end, r.due, tr(lang, STATE_WORDS[r.state]),
                    done.done_on if done else None, r.lateness if r.state in (State.LATE, State.OVERDUE) else None,
                    done.by if done else (waived.by if waived else None), done.note if done else None,
                    done.evidence if done else None, waived.reason if waived else None])
    return out


def summary_table(rows: Sequence[Row], rules: RuleSet, lang: Language) -> Table:
    """One row per unit, in the rows' unit order; rates as fractions (None: nothing counted yet)."""
    out: Table = [[tr(lang, h) for h in _SUMMARY_HEAD]]
    for uid, c in sorted(by_unit(rows).items()):
        out.append([_unit_name(rules, uid), uid, c.total, c[State.ON_TIME], c[State.LATE], c[State.OVERDUE],
                    c[State.WAIVED], c[State.DUE_SOON], c[State.OPEN], c[State.NOT_OPEN],
                    *(c.rate(s) for s in _RATES)])
    return out


def yearly_table(rows: Sequence[Row], rules: RuleSet, lang: Language) -> Table:
    """Each unit's recurring duties per year of the due day: how often owed, the days done, the quote."""
    groups: dict[tuple[str, int, str], list[Row]] = {}
    for r in rows:
        if r.occ.obligation.schedule.type != "once":
            groups.setdefault((r.unit, r.due.year, r.obligation), []).append(r)
    out: Table = [[tr(lang, h) for h in _YEARLY_HEAD]]
    for (uid, year, _), group in sorted(groups.items()):
        ob = group[0].occ.obligation
        days = sorted(r.done.done_on for r in group if r.done)
        out.append([_unit_name(rules, uid), year, ob.title, f"《{rules.document_of(ob).title}》{ob.source.clause}",
                    ob.source.quote, len(group), len(days), "、".join(d.isoformat() for d in days),
                    sum(r.state == State.OVERDUE for r in group), sum(r.state == State.WAIVED for r in group)])
    return out


def tables(rows: Sequence[Row], rules: RuleSet, lang: Language) -> dict[str, Table]:
    return {"rows": rows_table(rows, rules, lang), "summary": summary_table(rows, rules, lang),
            "yearly": yearly_table(rows, rules, lang)}


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return percent(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _rate_columns(name: str) -> range:
    return range(10, 13) if name == "summary" else range(0)


def to_csv(table: Table) -> bytes:
    """One table as CSV, UTF-8 with a BOM; rates as ``87.5%``, dates as ``2025-03-31``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in table:
        writer.writerow([_text(v) for v in line])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(sheets: dict[str, Table], lang: Language) -> bytes:
    """Every table as a sheet: a bold frozen header row, a filter, column widths, dates and percentages."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, table in sheets.items():
        sheet = book.create_sheet(tr(lang, SHEET_NAMES[name]))
        for line in table:
            sheet.append(line)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table[0]))}{len(table)}"
        for i, width in enumerate(WIDTHS[name], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        for row in sheet.iter_rows(min_row=2):
            for i, cell in enumerate(row):
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif i in _rate_columns(name) and isinstance(cell.value, float):
                    cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(sheets: dict[str, Table], lang: Language, title: str) -> bytes:
    """The tables as one self-contained page (printable; no script)."""
    parts = [f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{html.escape(title)}</title>',
             "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:2em}"
             "td,th{border:1px solid #999;padding:2px 6px;font-size:13px}th{background:#eee}</style>",
             f"<h1>{html.escape(title)}</h1>"]
    for name, table in sheets.items():
        parts.append(f"<h2>{html.escape(tr(lang, SHEET_NAMES[name]))}</h2><table>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(_text(v))}</th>" for v in table[0]) + "</tr>")
        for line in table[1:]:
            parts.append("<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in line) + "</tr>")
        parts.append("</table>")
    return ("\n".join(parts) + "</html>\n").encode("utf-8")


def render(rows: Sequence[Row], rules: RuleSet, lang: Language, fmt: str, *, table: str = "rows",
           title: str = "") -> bytes:
    """The report in ``fmt`` (csv: the one ``table``; xlsx and html: all three)."""
    sheets = tables(rows, rules, lang)
    if fmt == "csv":
        return to_csv(sheets[table])
    if fmt == "xlsx":
        return to_xlsx(sheets, lang)
    return to_html(sheets, lang, title or tr(lang, "report.title"))


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "html": "text/html; charset=utf-8"}

__all__ = ["MEDIA_TYPES", "TABLES", "period_of", "render", "rows_table", "summary_table", "tables", "title_of",
           "to_csv", "to_html", "to_xlsx", "yearly_table"]
