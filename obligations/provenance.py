"""Is a rule's date, period and scope in its quote? If not, the rule must say so with ``review``.

docs/rules.md, "Reading a duty without a day": a date comes from the document's words. A rule
whose schedule puts a date, a period or a count on a duty that its quote does not carry (a day
taken from a section heading, the year's last day for a yearly product, a national rule the text
does not cite), or whose selector reaches bodies of several branches without saying which, is a
reading a person must check: it carries ``review: true`` and a ``review_reason``. :func:`unflagged`
lists the rules that break this. The suite runs it over the shipped files
(``tests/test_provenance.py``); ``validate`` does not, because in an administrator's own file an
unflagged reading is a choice, not an error.

The check reads words, not meaning: it accepts a date when the quote holds the words that give
it (``3月1日`` and ``每年`` for a yearly 1 March, ``每季度`` for a quarterly quota, ``年底`` for
31 December). A quote that holds them is trusted; one that does not needs the flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from obligations.model import Branch, Level, Obligation, Selector, UnitRef
from obligations.ruleset import RuleSet
from obligations.schedules import (
    OnceSchedule,
    Period,
    QuotaSchedule,
    UnscheduledSchedule,
    WindowSchedule,
    YearlyDeadlineSchedule,
)

# Words that name a period in the documents, simplified and traditional. 年度 is not one of them:
# it names the year a product covers (年度计划, 年度报告), not the period in which it is due.
PERIOD_WORDS: dict[Period, tuple[str, ...]] = {
    Period.year: ("每年", "年内", "年內", "全年", "年底", "年终", "年終"),
    Period.half_year: ("每半年",),
    Period.quarter: ("每季度", "每季"),
    Period.two_months: ("每两个月", "每兩個月"),
    Period.month: ("每月", "每个月", "每個月"),
    Period.week: ("每周", "每週", "每星期"),
}
_NUMERALS = "一二三四"
_END_OF_YEAR = ("年底", "年内", "年內", "年末")


@dataclass(frozen=True)
class Finding:
    """A rule that is not flagged although its quote does not carry what it encodes."""

    obligation: str
    what: str  # "date", "period", "scope" or "reason"
    detail: str

    def __str__(self) -> str:
        return f"{self.obligation}: {self.what}: {self.detail}"


def unflagged(rs: RuleSet) -> list[Finding]:
    """Every rule whose date, period or scope is not in its quote and that has no ``review: true``."""
    out: list[Finding] = []
    for ob in rs.obligations.values():
        if ob.review:
            if not ob.review_reason.strip():
                out.append(Finding(ob.id, "reason", "review: true without a review_reason"))
            continue
        plan_year = _plan_year(rs, ob)
        problem = schedule_problem(ob, plan_year)
        if problem:
            out.append(Finding(ob.id, problem[0], problem[1]))
        out += [Finding(ob.id, "scope", text) for text in scope_problems(rs, ob)]
    return out


def _plan_year(rs: RuleSet, ob: Obligation) -> int | None:
    date = rs.document_of(ob).date
    return date.year if date else None


def schedule_problem(ob: Obligation, plan_year: int | None) -> tuple[str, str] | None:
    """``(what, detail)`` when the schedule says more than the quote, else ``None``."""
    s, quote = ob.schedule, ob.source.quote
    if isinstance(s, UnscheduledSchedule):
        return None
    if isinstance(s, QuotaSchedule):
        return None if _has(quote, PERIOD_WORDS[s.per]) else ("period", f"no word for per: {s.per.value} "
                                                                         f"({'/'.join(PERIOD_WORDS[s.per])})")
    if isinstance(s, WindowSchedule):
        words = _window_words(s)
        return None if _has(quote, words) else ("period", f"no word for the {s.period.value} window "
                                                          f"({'/'.join(words) or 'none known'})")
    if isinstance(s, YearlyDeadlineSchedule):
        if "每年" not in quote:
            return ("period", "a yearly deadline but no 每年")
        return None if _has(quote, _day_words(s.month, s.day, 2001)) else ("date", f"no {s.month}月{s.day}日")
    if isinstance(s, OnceSchedule):
        return _once_problem(s.date, quote, plan_year)
    return ("date", f"a {s.type} schedule is never in the words of a quote")


def _once_problem(date: dt.date, quote: str, plan_year: int | None) -> tuple[str, str] | None:
    words = _day_words(date.month, date.day, date.year)
    if date.month == 12 and date.day == 31:
        words += _END_OF_YEAR
    if not _has(quote, words):
        return ("date", f"no words for {date.isoformat()} ({'/'.join(words)})")
    if f"{date.year}年" not in quote and date.year != plan_year:
        return ("date", f"{date.year} is neither in the quote nor the document's year")
    return None


def _window_words(s: WindowSchedule) -> tuple[str, ...]:
    if s.index is None:
        return PERIOD_WORDS[s.period]
    if s.period is Period.quarter:
        return (f"第{_NUMERALS[s.index - 1]}季度", f"{_NUMERALS[s.index - 1]}季度")
    if s.period is Period.half_year:
        return ("上半年",) if s.index == 1 else ("下半年",)
    if s.period is Period.month:
        return (f"{s.index}月",)
    if s.period is Period.year:
        return PERIOD_WORDS[Period.year]
    return ()


def _day_words(month: int, day: int, year: int) -> tuple[str, ...]:
    words = (f"{month}月{day}日",)
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    if day == last:
        words += (f"{month}月底", f"{month}月末")
    return words


def _has(quote: str, words: tuple[str, ...]) -> bool:
    return any(w in quote for w in words)


def scope_problems(rs: RuleSet, ob: Obligation) -> list[str]:
    """A department selector without ``branch`` that reaches bodies of more than the government."""
    refs: list[UnitRef] = list(ob.participants)
    if isinstance(ob.applies_to, Selector):
        refs.append(ob.applies_to)
    elif ob.applies_to is not None:
        refs += ob.applies_to
    out = []
    index = rs.obligation_file[ob.id]
    for ref in refs:
        if not isinstance(ref, Selector) or ref.level is not Level.department or ref.branch is not None:
            continue
        others = sorted({rs.units[u].branch.value for u in rs.select(ref, index)} - {Branch.government.value})
        if others:
            out.append(f"{{level: department, under: {ref.under}}} also reaches {', '.join(others)} bodies; "
                       "say which branch (branch: government for 政府有关部门)")
    return out


__all__ = ["PERIOD_WORDS", "Finding", "schedule_problem", "scope_problems", "unflagged"]
