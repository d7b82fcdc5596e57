"""The schedule patterns: every time expression the extractor understands, in one table.

Each :class:`PatternSpec` is a regex on the normalised (simplified, half-width) text and a
``build`` function that turns a match into a :class:`Trigger` (or rejects it). Patterns
run in table order and a character belongs to at most one trigger, so the longer,
more specific patterns come first: ``2024年3月1日前`` is a dated deadline before
``3月1日前`` could read it as a yearly one, and dates come before counts so that the
``1日`` of a date is never a count of days.

To teach the extractor a new expression, add a row to :data:`PATTERNS` (or a word to
:data:`VAGUE_WORDS`), with an ``example`` that the row matches: the unit tests check
every example, and docs/extract.md lists the table. :mod:`extract.duties`
combines the triggers of a sentence into schedules.

Deadline words follow the project's one reading (docs/rules.md, "Reading 前, 之前, 以前, 底前,
年内"), which tests/test_readings.py holds the shipped rules and these patterns to: 前, 之前 and
以前 include the day; 年底前 and 年内 end on 31 December of the year named or of the plan's
year; ``2024年前`` is by 31 December 2023, always for review.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extract import reasons as why
from extract.numerals import NUM, to_int
from extract.shapes import (
    fixed_day,
    halves_each,
    nth_weekday,
    period_end,
    period_every,
    quarter_month_day,
    relative,
    weekday,
    working_day,
)

# Trigger kinds, as duties.py combines them:
#   deadline      a date: once (year known or the plan's year) or yearly (每年)
#   window        a part of the year: quarter / half_year / month, yearly or this year only
#   this_year     年内 / 全年: the plan's own year
#   period        每年 / 每季度 / 每两个月 / 每月 / 每周 ...: the period of a quota or window
#   count         至少2次 / 不少于1次 / 2期以上 / (after a period) 2次
#   term          任期内: a count over a term of office, not a calendar period
#   holiday       遇节假日顺延: the holiday policy of the sentence's deadline
#   vague         定期 / 常态化 / 及时 / 适时: no schedule may be invented


@dataclass(frozen=True)
class Trigger:
    kind: str
    start: int
    end: int
    data: dict[str, Any] = field(default_factory=dict)


Builder = Callable[[re.Match[str]], dict[str, Any] | None]


@dataclass(frozen=True)
class PatternSpec:
    name: str
    kind: str
    regex: re.Pattern[str]
    build: Builder
    example: str
    meaning: str


def _last_day(month: int) -> int:
    return calendar.monthrange(2024, month)[1]  # a leap year: 2月29日 is a real yearly date


def _ymd(m: re.Match[str]) -> dict[str, Any] | None:
    year, month, day = to_int(m.group("y")), to_int(m.group("m")), to_int(m.group("d"))
    if year is None or month is None or day is None:
        return None
    return {"year": year, "month": month, "day": day, "yearly": False}


def _ym_end(m: re.Match[str]) -> dict[str, Any] | None:
    year, month = to_int(m.group("y")), to_int(m.group("m"))
    if year is None or month is None or not 1 <= month <= 12:
        return None
    return {"year": year, "month": month, "day": _last_day(month), "yearly": False}


def _year_end(m: re.Match[str]) -> dict[str, Any] | None:
    year = to_int(m.group("y"))
    return None if year is None else {"year": year, "month": 12, "day": 31, "yearly": False}


def _before_year(m: re.Match[str]) -> dict[str, Any] | None:
    year = to_int(m.group("y"))
    if year is None:
        return None
    return {"year": year - 1, "month": 12, "day": 31, "yearly": False,
            "note": why.year_before(m.group(0), year)}


def _month_day(m: re.Match[str]) -> dict[str, Any] | None:
    month, day = to_int(m.group("m")), to_int(m.group("d"))
    if month is None or day is None:
        return None
    return {"year": None, "month": month, "day": day, "yearly": bool(m.group("every"))}


def _monthly_day(m: re.Match[str]) -> dict[str, Any] | None:
    day = to_int(m.group("d"))
    if day is None or not 1 <= day <= 31:
        return None
    return {"year": None, "month": None, "day": day, "yearly": False, "monthly": True}


def _month_end(m: re.Match[str]) -> dict[str, Any] | None:
    month = to_int(m.group("m"))
    if month is None or not 1 <= month <= 12:
        return None
    return {"year": None, "month": month, "day": _last_day(month), "yearly": bool(m.group("every"))}


def _rel_year_end(m: re.Match[str]) -> dict[str, Any] | None:
    return {"year": None, "month": 12, "day": 31, "yearly": bool(m.group("every"))}


def _quarter(m: re.Match[str]) -> dict[str, Any] | None:
    before = m.string[m.start() - 1] if m.start() > 0 else ""
    if not m.group("every") and before in "前每":  # 前三季度 is a span, 每季度 a period
        return None
    index = to_int(m.group("q"))
    # 次年第一季度 / 下一年度第一季度: every year's quarter (for the year before)
    return {"period": "quarter", "index": index, "yearly": bool(m.group("every"))}


def _half(m: re.Match[str]) -> dict[str, Any] | None:
    return {"period": "half_year", "index": 1 if m.group("h") == "上" else 2, "yearly": bool(m.group("every"))}


def _yearly_month(m: re.Match[str]) -> dict[str, Any] | None:
    month = to_int(m.group("m"))
    if month is None or not 1 <= month <= 12:
        return None
    return {"period": "month", "index": month, "yearly": True}


def _this_year(m: re.Match[str]) -> dict[str, Any] | None:
    # 全年 alone ("全年常务会学法18次") is a report's total, not a schedule; it counts only
    # together with a minimum (全年至少举办一次), which duties.py checks.
    return {"weak": m.group(0) == "全年"}


PERIOD_WORDS: dict[str, str] = {
    "两个月": "two_months",
    "二个月": "two_months",
    "两月": "two_months",
    "双月": "two_months",
    "三个月": "quarter",
    "季度": "quarter",
    "季": "quarter",
    "六个月": "half_year",
    "半年": "half_year",
    "个月": "month",
    "月": "month",
    "周": "week",
    "星期": "week",
    "年度": "year",
    "年": "year",
}
_PERIOD_ALT = "|".join(sorted(PERIOD_WORDS, key=len, reverse=True))


COUNT_UNITS: dict[str, str] = {
    "个工作日": "day",
    "工作日": "day",
    "天": "day",
    "日": "day",
    "次": "session",
    "期": "session",
    "场": "session",
    "篇": "session",
    "轮": "session",
    "批": "session",
    "回": "session",
    "个学时": "hours",
    "个课时": "hours",
    "个小时": "hours",
    "学时": "hours",
    "课时": "hours",
    "小时": "hours",
}
_UNIT_ALT = "|".join(sorted(COUNT_UNITS, key=len, reverse=True))


_MIN_WORD = re.compile(r"至少|不少于|不低于|不得少于|最少")


def _period(m: re.Match[str]) -> dict[str, Any] | None:
    return period_every(m, PERIOD_WORDS)


def _count(m: re.Match[str]) -> dict[str, Any] | None:
    n = to_int(m.group("n"))
    most = to_int(m.group("hi")) if m.group("hi") else None
    # "至少组织开展1次": the minimum word may stand a few characters before the number.
    window = m.string[max(0, m.start() - 10):m.start()]
    window = re.split(r"[,;。:]", window)[-1]
    minimum = bool(m.group("min") or m.group("more") or _MIN_WORD.search(window))
    if n is None or n < 1:
        return None
    if m.group("u") == "日" and not minimum:
        return None  # a bare N日 is a day of the month
    if m.group("hi") and (most is None or most < n):
        return None
    return {"count": n, "unit": COUNT_UNITS[m.group("u")], "minimum": minimum or most is not None,
            "more": bool(m.group("more")), "max": most}


def _holiday(m: re.Match[str]) -> dict[str, Any] | None:
    return {"policy": "next" if m.group("dir") == "顺延" else "previous"}


def _plain(m: re.Match[str]) -> dict[str, Any] | None:
    return {}


_YEAR = r"(?P<y>[0-9]{4}|[〇零一二三四五六七八九]{4})"
_WEEK = r"(?:周|星期|礼拜)"
_WD = r"(?P<w>[一二三四五六日天])"
_NOT_A_COUNT = r"(?![0-9一二两三四五六七八九十]*\s*(?:次|天|个|期|场|日|回|轮|批|篇|学时|课时|小时))"
_BEFORE = r"(?:之前|以前|前)"
_EVERY_YEAR = r"(?P<every>每年(?:的)?(?:于|在)?)?"

#: The schedule patterns, most specific first. ``example`` must match ``regex`` (tested).
PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec("relative", "relative",
                re.compile(rf"(?:后|起|以后)(?P<n>{NUM})(?:个)?(?:工作日|日|天|个月|周)(?:内|以内)"), relative,
                "收到后15个工作日内", "a deadline counted from an event (会后7日内): unscheduled, with the reason"),
    PatternSpec("date_full", "deadline",
                re.compile(rf"{_YEAR}年(?P<m>{NUM})月(?P<d>{NUM})日{_BEFORE}"), _ymd,
                "2021年3月1日之前", "a one-off deadline on that date, the day included"),
    PatternSpec("month_end_full", "deadline",
                re.compile(rf"{_YEAR}年(?P<m>{NUM})月(?:底|末){_BEFORE}?"), _ym_end,
                "2024年6月底前", "a one-off deadline on the last day of that month"),
    PatternSpec("year_end_full", "deadline",
                re.compile(rf"{_YEAR}年(?:年)?(?:底|末){_BEFORE}?"), _year_end,
                "2024年年底前", "a one-off deadline on 31 December of that year (2024年底前, 2024年年底前)"),
    PatternSpec("before_year", "deadline",
                re.compile(rf"{_YEAR}年{_BEFORE}(?![一二三四五六七八九十两0-9半])"), _before_year,
                "2024年前", "a one-off deadline on 31 December of the year before (review)"),
    PatternSpec("month_day", "deadline",
                re.compile(rf"{_EVERY_YEAR}(?P<m>{NUM})月(?P<d>{NUM})日{_BEFORE}"), _month_day,
                "每年3月1日前", "that day included: yearly with 每年; else in the plan's year (review)"),
    PatternSpec("monthly_day", "deadline",
                re.compile(rf"每月(?:的)?(?P<d>{NUM})(?:日|号){_BEFORE}"), _monthly_day,
                "每月10日前", "a deadline on that day of every month (an RRULE)"),
    PatternSpec("quarter_month_day", "deadline",
                re.compile(rf"每(?:个)?季度?(?:的)?(?P<which>首月|第一个月|末月|最后一个月)(?P<d>{NUM})(?:日|号){_BEFORE}"),
                quarter_month_day, "每季度首月15日前",
                "a deadline on that day of each quarter's first (首月) or last (末月) month (an RRULE)"),
    PatternSpec("fixed_day", "fixed_day",
                re.compile(rf"每月(?:的)?(?P<d>{NUM})(?:日|号)(?!{_BEFORE}|内|以内|至)"), fixed_day,
                "每月15日", "a fixed day of every month (接访日): a monthly quota placed on that day"),
    PatternSpec("nth_weekday", "weekday",
                re.compile(rf"每(?:个)?月(?:的)?(?:第(?P<n>{NUM})个|最后一个){_WEEK}{_WD}"), nth_weekday,
                "每月第一个周五", "the N-th (or last) weekday of every month"),
    PatternSpec("working_day", "window",
                re.compile(rf"每(?:个)?(?P<p>月|季度|半年|年)(?:的)?(?:最后一个工作日|第(?P<n>{NUM})个工作日|"
                           rf"前(?P<n2>{NUM})个工作日)(?:前|之前|以前|内)?"), working_day,
                "每月第5个工作日前", "a window of every period due on its N-th (or last) working day"),
    PatternSpec("period_end", "window",
                re.compile(r"(?:(?P<every>每)(?:个)?(?P<p1>月|季度|季)(?:的)?(?:月|季)?|(?<![0-9一二三四五六七八九十年])"
                           r"(?P<p2>月|季))(?:底|末)(?:前|之前|以前)?"),
                period_end, "每季度末", "the end of every month or quarter: a window of it"),
    PatternSpec("month_end", "deadline",
                re.compile(rf"{_EVERY_YEAR}(?P<m>{NUM})月(?:底|末){_BEFORE}?"), _month_end,
                "每年6月底前", "the last day of that month, yearly with 每年"),
    PatternSpec("year_end", "deadline",
                re.compile(rf"(?P<every>每年)?(?:今|本)?(?:年底|年末){_BEFORE}"), _rel_year_end,
                "年底前", "31 December: yearly with 每年, else of the plan's year"),
    PatternSpec("quarter", "window",
                re.compile(r"(?P<every>每年(?:的)?|次年|翌年|下一?年度?)?第?(?P<q>[一二三四1-4])季度"), _quarter,
                "每年第一季度", "a quarter of the year: every year with 每年, else of the plan's year"),
    PatternSpec("halves_each", "period",
                re.compile(r"上半年(?:和|、|与|及)?下半年各"), halves_each,
                "上半年、下半年各", "one count for each half of the year: the period of a half-year quota"),
    PatternSpec("half_year", "window",
                re.compile(r"(?P<every>每年(?:的)?)?(?P<h>上|下)半年"), _half,
                "上半年", "the first or second half of the year"),
    PatternSpec("yearly_month", "window",
                re.compile(rf"每年(?:的)?(?P<m>{NUM})月(?:份)?(?![0-9一二三四五六七八九十]*日|底|末)"), _yearly_month,
                "每年3月", "that month, every year (每年…月)"),
    PatternSpec("this_year", "this_year",
                re.compile(r"(?<![一二两三四五六七八九十0-9])(?:今年内|年度内|年内|全年)"), _this_year,
                "年内", "within the plan's year (全年 only with a minimum count)"),
    PatternSpec("weekday", "weekday",
                re.compile(rf"每{_WEEK}{_WD}{_NOT_A_COUNT}"), weekday,
                "每周一", "a weekday of every week: a weekly quota placed on it"),
    PatternSpec("period", "period",
                re.compile(rf"每(?P<gap>隔)?(?:(?P<n>{NUM})(?:个)?)?(?P<p>{_PERIOD_ALT})"), _period,
                "每两个月", "the period of a quota (with a count) or window (without)"),
    PatternSpec("count", "count",
                re.compile(rf"(?P<min>至少|不少于|不低于|不得少于|最少)?\s*(?P<n>{NUM})"
                           rf"(?:\s*(?:—|–|-|~|～|至|到)\s*(?P<hi>{NUM}))?\s*(?P<u>{_UNIT_ALT})"
                           rf"(?P<more>以上|及以上|或以上)?(?!性)"), _count,
                "不少于1次", "a minimum count; N以上 = at least N; 学时/小时 are hours, not sessions"),
    PatternSpec("term", "term", re.compile(r"任期内"), _plain,
                "任期内", "a term of office: not a calendar period"),
    PatternSpec("holiday", "holiday",
                re.compile(r"遇(?:法定)?(?:节假日|节日|假日|休息日)(?:则|的)?(?P<dir>顺延|提前)"), _holiday,
                "遇节假日顺延", "holiday_policy next (顺延) or previous (提前)"),
)

#: Vague periodic words: the duty is drafted as ``unscheduled`` with review, never dated.
VAGUE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("定期", re.compile(r"(?<![规约限])定期(?![限存])")),  # not 规定期限, 定期存款
    ("常态化", re.compile(r"常态化")),
    ("及时", re.compile(r"及时(?!性)")),
    ("适时", re.compile(r"适时")),
)

# Text whose time words are not the duty's schedule: titles of other documents, quoted
# names, and the condition of a sanction ("对…应当及时作出决策而久拖不决…的,倒查责任").
_PROTECTED = (
    re.compile(r"《[^》]*》"),
    re.compile(r"〈[^〉]*〉"),
    re.compile(r"<[^>]*>"),
    re.compile(r"“[^”]*”"),
    re.compile(r"(?:对|凡|未经)[^。;,]{0,80}?(?:,[^。;,]{0,80}?){0,2}的(?=,)"),
    re.compile(r"对[^。;,]{1,40}?的"),
)


def protected_spans(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for pattern in _PROTECTED:
        spans.extend((m.start(), m.end()) for m in pattern.finditer(norm, start, end))
    return spans


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in spans)


def find_triggers(norm: str, start: int, end: int) -> list[Trigger]:
    """Every time expression in ``norm[start:end]``, in text order, none overlapping."""
    taken = protected_spans(norm, start, end)
    guarded = list(taken)
    found: list[Trigger] = []
    for spec in PATTERNS:
        for m in spec.regex.finditer(norm, start, end):
            if _overlaps(m.start(), m.end(), taken):
                continue
            data = spec.build(m)
            if data is None:
                continue
            found.append(Trigger(spec.kind, m.start(), m.end(), {"pattern": spec.name, "text": m.group(0), **data}))
            taken.append((m.start(), m.end()))
    for word, pattern in VAGUE_WORDS:
        for m in pattern.finditer(norm, start, end):
            if not _overlaps(m.start(), m.end(), guarded):
                found.append(Trigger("vague", m.start(), m.end(), {"word": word, "text": m.group(0)}))
    found.sort(key=lambda t: (t.start, t.end))
    return found


__all__ = [
    "COUNT_UNITS",
    "PATTERNS",
    "PERIOD_WORDS",
    "VAGUE_WORDS",
    "PatternSpec",
    "Trigger",
    "find_triggers",
    "protected_spans",
]
