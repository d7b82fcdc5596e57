"""One reading of 前, 之前, 以前, 底前, 年内 (docs/rules.md, "Reading 前, 之前, 以前, 底前, 年内").

Every shipped rule whose quote holds one of these words is encoded as the reading says, and
``extract`` drafts the same schedule from the same words: a rules file or a pattern that drifts
(an ``exclusive: true`` on a 之前, a 2024年前 on 2024-12-31) fails here. The reading is a table of
word patterns, each giving the deadline the words mean, computed from the quote itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from extract.duties import extract
from extract.text import from_string, normalise
from obligations.loader import load_config, load_rules
from obligations.model import Obligation
from obligations.ruleset import RuleSet
from tests.conftest import ROOT

# What the schedule says about the deadline, before any holiday policy:
#   ("once", date)             a one-off deadline
#   ("yearly", (month, day))   every year (a yearly_deadline, or a year window: 12-31)
#   ("per_year",)              a quota counted per year (its period ends on 31 December)
#   ("other", type)            anything else
Due = tuple[Any, ...]


def due_of(schedule: dict[str, Any]) -> Due:
    kind = schedule["type"]
    if kind == "once":
        return ("once", schedule["date"])
    if kind == "yearly_deadline":
        return ("yearly", (schedule["month"], schedule["day"]))
    if kind == "window" and schedule["period"] == "year" and schedule.get("index") in (None, 1):
        return ("yearly", (12, 31))
    if kind == "quota" and schedule["per"] == "year":
        return ("per_year",)
    return ("other", kind)


@dataclass(frozen=True)
class Encoded:
    """A rule (or a drafted duty) as the reading sees it."""

    schedule: dict[str, Any]
    until: dt.date | None  # effective.until
    review: bool

    @property
    def due(self) -> Due:
        return due_of(self.schedule)


# A check gets the match and the plan's year, and returns what is wrong ("" when right).
Check = Callable[[re.Match[str], int, Encoded], str]


def _last(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def _int(m: re.Match[str], name: str) -> int:
    return int(m.group(name))


def once_on(date: Callable[[re.Match[str]], dt.date], review: bool = False) -> Check:
    def check(m: re.Match[str], plan_year: int, e: Encoded) -> str:
        want = ("once", date(m))
        if e.due != want:
            return f"expected once on {want[1]}, got {e.due}"
        return "" if e.review or not review else "this reading is always flagged review"
    return check


def yearly_on(month: Callable[[re.Match[str]], int], day: Callable[[re.Match[str]], int]) -> Check:
    def check(m: re.Match[str], plan_year: int, e: Encoded) -> str:
        want = ("yearly", (month(m), day(m)))
        return "" if e.due == want else f"expected every year on {want[1]}, got {e.due}"
    return check


def plan_year_or_yearly(month: Callable[[re.Match[str]], int], day: Callable[[re.Match[str]], int]) -> Check:
    """A month/day without a year: that day of the plan's year, or every year when it recurs."""
    def check(m: re.Match[str], plan_year: int, e: Encoded) -> str:
        mm, dd = month(m), day(m)
        ok = {("once", dt.date(plan_year, mm, dd)), ("yearly", (mm, dd))}
        return "" if e.due in ok else f"expected {plan_year}-{mm:02}-{dd:02} or every {mm}-{dd}, got {e.due}"
    return check


def plan_year_end(m: re.Match[str], plan_year: int, e: Encoded) -> str:
    """年底前 / 年内: 31 December of the plan's year (a once, or a yearly schedule ending with it)."""
    end = dt.date(plan_year, 12, 31)
    if e.due == ("once", end):
        return ""
    if e.due in {("yearly", (12, 31)), ("per_year",)} and e.until == end:
        return ""
    return f"expected by {end} (once, or a year window/quota with effective until {end}), got {e.due} until {e.until}"


def not_a_date(m: re.Match[str], plan_year: int, e: Encoded) -> str:
    kind = e.schedule["type"]
    return f"“{m.group(0)}” is before an event, not a date, but the rule is {kind}" if kind in ("once",
                                                                                         "yearly_deadline") else ""


_BEFORE = r"(?:之前|以前|前)"


@dataclass(frozen=True)
class Reading:
    name: str
    regex: re.Pattern[str]
    check: Check
    dated: bool = True  # False: the words give no date (决策前)


#: The reading, most specific first (a character is read by the first row that matches it).
#: Patterns run on the normalised quote (simplified, half-width digits).
READINGS: tuple[Reading, ...] = (
    Reading("full date", re.compile(rf"(?P<y>\d{{4}})年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日{_BEFORE}"),
            once_on(lambda m: dt.date(_int(m, "y"), _int(m, "m"), _int(m, "d")))),
    Reading("month end of a year", re.compile(rf"(?P<y>\d{{4}})年(?P<m>\d{{1,2}})月底{_BEFORE}"),
            once_on(lambda m: _last(_int(m, "y"), _int(m, "m")))),
    Reading("end of a named year", re.compile(rf"(?P<y>\d{{4}})年(?:年)?底{_BEFORE}"),
            once_on(lambda m: dt.date(_int(m, "y"), 12, 31))),
    Reading("before a named year", re.compile(rf"(?P<y>\d{{4}})年{_BEFORE}(?![一二三四五六七八九十两半\d])"),
            once_on(lambda m: dt.date(_int(m, "y") - 1, 12, 31), review=True)),
    Reading("every year, month and day", re.compile(rf"每年(?:的)?(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日{_BEFORE}"),
            yearly_on(lambda m: _int(m, "m"), lambda m: _int(m, "d"))),
    Reading("every year, month end", re.compile(rf"每年(?:的)?(?P<m>\d{{1,2}})月底{_BEFORE}"),
            yearly_on(lambda m: _int(m, "m"), lambda m: _last(2023, _int(m, "m")).day)),
    Reading("month and day", re.compile(rf"(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日{_BEFORE}"),
            plan_year_or_yearly(lambda m: _int(m, "m"), lambda m: _int(m, "d"))),
    Reading("month end", re.compile(rf"(?P<m>\d{{1,2}})月底{_BEFORE}"),
            plan_year_or_yearly(lambda m: _int(m, "m"), lambda m: _last(2023, _int(m, "m")).day)),
    Reading("every year end", re.compile(rf"每年(?:年底|年末){_BEFORE}"),
            yearly_on(lambda m: 12, lambda m: 31)),
    Reading("year end", re.compile(rf"(?:今|本)?(?:年底|年末){_BEFORE}"), plan_year_end),
    Reading("within the year", re.compile(r"(?<![一二两三四五六七八九十\d])(?:今|本)?年(?:度)?内"), plan_year_end),
    Reading("before an event", re.compile(r"(?:决策|会|任职)前"), not_a_date, dated=False),
)

#: Where these words stand, some reading must cover them.
WORDS = re.compile(r"前|年内|年度内")


def plan_year(title: str, date: dt.date | None) -> int:
    """The plan's year: the first year of its title (as ``extract`` takes it), else its date's."""
    m = re.search(r"(\d{4})", normalise(title))
    if m:
        return int(m.group(1))
    assert date is not None, f"{title}: no year in the title and no date"
    return date.year


def readings_of(quote: str) -> tuple[list[tuple[Reading, re.Match[str]]], list[int]]:
    """The readings of a (normalised) quote, and the positions of words no reading covers."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[Reading, re.Match[str]]] = []
    for reading in READINGS:
        for m in reading.regex.finditer(quote):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((reading, m))
    unread = [w.start() for w in WORDS.finditer(quote) if not any(s <= w.start() < e for s, e in taken)]
    return found, unread


def problems(quote: str, year: int, e: Encoded) -> list[str]:
    found, unread = readings_of(normalise(quote))
    out = [f"“{quote[i:i + 6]}…” has no reading in READINGS; decide one and add it (docs/rules.md)"
           for i in unread]
    if e.schedule.get("exclusive"):
        out.append("exclusive: true, but 前/之前/以前 include the day")
    dated = [(r, m) for r, m in found if r.dated]
    if dated:
        verdicts = [r.check(m, year, e) for r, m in dated]
        if all(verdicts):
            out.extend(f"{r.name} “{m.group(0)}”: {v}" for (r, m), v in zip(dated, verdicts, strict=True))
    else:
        out.extend(v for r, m in found if (v := r.check(m, year, e)))
    return out


# -- the shipped rules --------------------------------------------------------------------------


def _shipped() -> RuleSet:
    return load_rules(load_config(ROOT / "config.yaml").rules_paths())


SHIPPED = _shipped()
WORDED = [ob for ob in SHIPPED.obligations.values() if WORDS.search(normalise(ob.source.quote))]


def _encoded(ob: Obligation) -> Encoded:
    until = ob.effective.until if ob.effective else None
    return Encoded(ob.schedule.model_dump(mode="python"), until, ob.review)


@pytest.mark.parametrize("ob", WORDED, ids=[ob.id for ob in WORDED])
def test_every_shipped_rule_follows_the_reading(ob: Obligation) -> None:
    doc = SHIPPED.document_of(ob)
    year = plan_year(doc.title, doc.date)
    assert problems(ob.source.quote, year, _encoded(ob)) == [], ob.source.quote


def test_the_scan_finds_the_deadline_words_of_every_kind() -> None:
    """Guards the scan itself (a broken pattern or normaliser would check nothing): the rules
    behind issue 10's report are among those checked, and each kind of word is met."""
    ids = {ob.id for ob in WORDED}
    assert {"bz-2024.annual-report-submit", "dl-2020.annual-report-2020",
            "hs-2021.enforcement-supervision-system-2024", "bz-2024.case-file-review",
            "bz-2024.devolved-powers-evaluation", "bz-2024.enforcement-supervision-system"} <= ids
    names = {r.name for ob in WORDED for r, _ in readings_of(normalise(ob.source.quote))[0]}
    assert {"full date", "end of a named year", "before a named year", "every year, month and day",
            "month and day", "year end", "within the year", "before an event"} <= names
    assert len(WORDED) == 16  # the shipped rules with these words today; change with the rules


def test_no_shipped_rule_excludes_its_day() -> None:
    """`exclusive` is for a text that excludes the day in words (不含); no shipped quote does."""
    assert [ob.id for ob in SHIPPED.obligations.values()
            if getattr(ob.schedule, "exclusive", False) and "不含" not in ob.source.quote] == []


@pytest.mark.parametrize(("quote", "schedule", "until", "review", "wrong"), [
    ("2021年3月1日之前,按照要求報告2020年度法治政府建設情況。", {"type": "once", "date": dt.date(2021, 3, 1),
                                                      "exclusive": True}, None, False, "exclusive"),
    ("2024年前基本建成行政執法監督工作體系。", {"type": "once", "date": dt.date(2024, 12, 31)}, None, True,
     "expected once on 2023-12-31"),
    ("2024年前基本建成行政執法監督工作體系。", {"type": "once", "date": dt.date(2023, 12, 31)}, None, False,
     "always flagged review"),
    ("年内组织开展案卷评查不少于1次", {"type": "window", "period": "year"}, None, False, "effective until 2024-12-31"),
    ("每年3月1日前报告", {"type": "yearly_deadline", "month": 2, "day": 28}, None, False, "every year on (3, 1)"),
    ("重大行政决策前听取意见", {"type": "once", "date": dt.date(2024, 12, 31)}, None, False, "not a date"),
    ("重大事项提前报告", {"type": "unscheduled"}, None, False, "has no reading"),
])
def test_a_rule_that_drifts_fails(quote: str, schedule: dict[str, Any], until: dt.date | None,
                                  review: bool, wrong: str) -> None:
    found = problems(quote, 2024, Encoded(schedule, until, review))
    assert any(wrong in p for p in found), found


# -- extract reads the words the same way ------------------------------------------------------


@pytest.mark.parametrize("body", [
    "2021年3月1日之前,按照要求报告2020年度法治政府建设情况。",
    "2025年3月1日以前报送自查报告。",
    "2025年6月底前完成行政规范性文件清理。",
    "2024年底前对下放事项组织开展专项调研评估。",
    "2024年年底前基本建成行政执法协调监督工作体系。",
    "2024年前基本建成比较完善的行政执法监督工作体系。",
    "2025年以前完成执法人员信息化管理。",
    "县级以上各级政府于每年3月1日前报告上一年度法治政府建设情况。",
    "各级政府每年4月1日之前向社会公开法治政府建设报告。",
    "每年6月底前报送自查报告。",
    "4月30日前完成重大行政决策事项目录编制。",
    "6月底前完成权责清单调整。",
    "每年年底前向同级党委报告法治政府建设情况。",
    "年底前基本建成行政执法监督工作体系。",
    "年内完成行政执法监督平台建设。",
    "年内组织开展行政执法案卷质量评查不少于1次。",
    "今年内完成规范性文件清理。",
])
@pytest.mark.parametrize("title", ["测试县2023年法治政府建设工作要点", "测试县2024年法治政府建设工作要点"])
def test_extract_drafts_the_reading(title: str, body: str) -> None:
    """The drafter, on a plan of 2023 and of 2024, gives each phrase the shipped rules' reading."""
    duties = extract(from_string(f"{title}\n一、总体安排\n(一)测试条款。{body}\n")).duties
    assert len(duties) == 1, [d.quote for d in duties]
    duty = duties[0]
    until = (duty.effective or {}).get("until")
    assert problems(body, plan_year(title, None), Encoded(duty.schedule, until, duty.review)) == [], duty.schedule


def test_extract_dates_nothing_before_an_event() -> None:
    body = "作出重大行政决策前,应当听取法律顾问、公职律师的意见。"
    duties = extract(from_string(f"测试县2024年法治政府建设工作要点\n一、总体安排\n(一)测试条款。{body}\n")).duties
    assert [d.schedule["type"] for d in duties if d.schedule["type"] in ("once", "yearly_deadline")] == []
