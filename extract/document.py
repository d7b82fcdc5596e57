"""What a document says about itself: its title, issuer, date, the plan's year and its place."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from extract.clauses import Structure
from extract.text import SourceText
from extract.units import place_of


@dataclass(frozen=True)
class DocumentInfo:
    title: str  # in the document's script; "" when none is printed
    issuer: str
    date: dt.date | None
    year: int | None  # the plan's year (its title's), for 年底前 / 年内 / 3月1日前 without a year
    is_report: bool  # a year-end report: its sections about the past year hold no duties
    place: str  # 柳州市柳江区, for the root unit's name


_TITLE_END = re.compile(r"(?:要点|方案|计划|报告|意见|办法|规定|通知|纲要|规划|细则|安排)$")
_DATE_LINE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
_PAGE_DATE = re.compile(r"(?:发布|生成|印发|成文)?日期\s*[::]\s*\|?\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_ISSUER_END = re.compile(r"(?:政府|办公室|办公厅|小组|委员会|局|厅|部|院)$")
YEAR = re.compile(r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})年")


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


_IN_FORCE = re.compile(r"自(?P<y>\d{4})年[^。;,]{0,8}?起(?:施行|实施|执行|试行)")


def document_info(text: SourceText, structure: Structure) -> DocumentInfo:
    lines = [(p.start, p.end) for p in structure.paragraphs]
    title_span = (0, 0)
    for start, end in lines[:40]:
        line = text.norm[start:end]
        if 6 <= len(line) <= 60 and not re.search(r"[《》]", line) and _TITLE_END.search(line):
            title_span = (start, end)
            break
    date: dt.date | None = None
    issuer_span = (0, 0)
    for k in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
        m = _DATE_LINE.match(text.norm[lines[k][0]:lines[k][1]].replace(" ", ""))
        if m:
            date = _date(m["y"], m["m"], m["d"])
            before = text.norm[lines[k - 1][0]:lines[k - 1][1]] if k > 0 else ""
            if before and len(before) <= 40 and _ISSUER_END.search(before):
                issuer_span = lines[k - 1]
            break
    if date is None:
        m = _PAGE_DATE.search(text.norm)
        if m:
            date = _date(m["y"], m["m"], m["d"])
    norm_title = text.norm[title_span[0]:title_span[1]]
    year_m = YEAR.search(norm_title)
    # A standing 制度 names no year in its title: the year it takes effect (自2025年3月1日起施行), or
    # of its date, is the plan's year (the start of its monthly rules and every-N groups).
    year_m = year_m or _IN_FORCE.search(text.norm) or (date and YEAR.search(f"{date.year}年"))
    # The title's place (柳州市柳江区2017年…) or the signature's (巴音郭楞蒙古自治州人民政府办公室),
    # whichever is longer: "2024年自治州…" names only 自治州.
    places = [place_of(re.sub(r"^\d{4}年度?", "", norm_title)), place_of(text.norm[issuer_span[0]:issuer_span[1]])]
    return DocumentInfo(
        title=text.original[title_span[0]:title_span[1]],
        issuer=text.original[issuer_span[0]:issuer_span[1]],
        date=date,
        year=int(year_m["y"]) if year_m else None,
        is_report="报告" in norm_title and "要点" not in norm_title,
        place=max(places, key=len),
    )


__all__ = ["YEAR", "DocumentInfo", "document_info"]
