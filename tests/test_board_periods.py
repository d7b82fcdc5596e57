"""Periods in words on the supervision board and in its reports (issue 10, item 7: the last English).

The board's grid was headed ``2025-01`` / ``25-W08``, its range and the report's title were dates only:
now ``2025年1月``, ``2025年第8周``, ``2025年第一季度`` (``January 2025``, ``week 8 of 2025``, ``Q1 2025``
in English), and each window's period is a column of the reports. The period filter still takes the
ISO forms (``2025-Q1``, ``2025-01``, ``2025-W08``). Over real HTTP on the sample rules (tests/accountsite.py:
a weekly and a quarterly quota, a yearly deadline; 15 March 2025).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from i18n.phrase import say
from scheduler.periods import label_words, slot_words, span_words
from service.supervision import period_range
from tests.accountsite import login
from tests.liveserver import Live
from web.supervision import heads

pytestmark = pytest.mark.network

SLANTED = re.compile(r'<text [^>]*transform="rotate[^>]*>([^<]*)<title>([^<]*)</title></text>')
LEVEL = re.compile(r'<text x="\d+" y="30" font-size="11" text-anchor="middle" fill="#5b6775">([^<]*)</text>')


def _grid(page: str) -> str:
    found = re.search(r'<svg[^>]*id="grid-chart".*?</svg>', page, re.S)
    assert found
    return found.group(0)


@pytest.mark.parametrize(("lang", "query", "range_words", "months", "cell"), [
    ("zh-CN", "", "2025年第一季度(2025-01-01 至 2025-03-31)", ["2025年1月", "2025年2月", "2025年3月"],
     "测试县人民政府 · 2025年1月: "),
    ("en", "&lang=en", "Q1 2025 (2025-01-01 to 2025-03-31)", ["January 2025", "February 2025", "March 2025"],
     "测试县人民政府 · January 2025: "),
])
def test_the_board_says_its_period_and_its_months_in_words(web: Live, lang: str, query: str, range_words: str,
                                                           months: list[str], cell: str) -> None:
    page = login(web, "admin").get(f"/supervision?period=2025-Q1{query}")
    assert page.status_code == 200
    assert f'id="board-range">{range_words}</span>' in page.text
    grid = _grid(page.text)
    assert LEVEL.findall(grid) == months
    assert cell in grid
    assert not re.search(r">\d{2,4}-(W?\d\d)\b", grid), "an ISO label is left in the grid"
    assert 'value="2025-Q1"' in page.text  # the filter keeps what was typed


@pytest.mark.parametrize(("lang", "query", "first", "second", "title"), [
    ("zh-CN", "", "2025年第1周", "第2周", "2025年第2周"),
    ("en", "&lang=en", "week 1 of 2025", "week 2", "week 2 of 2025"),
])
def test_the_week_grid_heads_its_weeks_in_words(web: Live, lang: str, query: str, first: str, second: str,
                                                title: str) -> None:
    """``grid=week``: slanted short labels, the year said where it begins, the full words in each <title>."""
    page = login(web, "admin").get(f"/supervision?period=2025-Q1&grid=week{query}")
    labels = SLANTED.findall(_grid(page.text))
    assert len(labels) == 14  # the quarter's ISO weeks, 2025-W01 .. W14 (31 March is a Monday)
    assert labels[0] == (first, first)
    assert labels[1] == (second, title)
    assert "W0" not in _grid(page.text)


def test_the_period_filter_takes_weeks_and_halves_and_says_them(web: Live) -> None:
    admin = login(web, "admin")
    week = admin.get("/supervision?period=2025-W08")
    assert week.status_code == 200
    assert 'id="board-range">2025年第8周(2025-02-17 至 2025-02-23)</span>' in week.text
    half = admin.get("/supervision?period=2025-H1&lang=en")
    assert 'id="board-range">the first half of 2025 (2025-01-01 to 2025-06-30)</span>' in half.text
    dates = admin.get("/supervision?from=2025-01-02&to=2025-01-30")
    assert 'id="board-range">2025-01-02 至 2025-01-30</span>' in dates.text  # no period: the dates
    assert admin.get("/supervision?period=2025-W54").status_code == 400


def test_the_board_rows_and_reports_name_each_windows_period(web: Live) -> None:
    admin = login(web, "admin")
    page = admin.get("/supervision?period=2025-Q1&unit=cty.town")
    assert "2025年第10周 · 2025-03-03 — 2025-03-09" in page.text
    rows = list(csv.reader(io.StringIO(admin.get("/supervision/report.csv?period=2025-Q1").content
                                       .decode("utf-8-sig"))))
    assert rows[0][5:8] == ["期间", "期间开始", "期间结束"]
    periods = {r[5] for r in rows[1:]}
    assert {"2025年第1周", "2025年第13周", "2025年第一季度"} <= periods
    assert not any(re.fullmatch(r"\d{4}-(W\d\d|Q\d|\d\d)", p) for p in periods)
    en = list(csv.reader(io.StringIO(admin.get("/supervision/report.csv?period=2025-Q1&lang=en").content
                                     .decode("utf-8-sig"))))
    assert en[0][5] == "Period"
    assert {"week 1 of 2025", "Q1 2025"} <= {r[5] for r in en[1:]}
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/supervision/report.xlsx?period=2025-Q1").content))
    assert {r[5] for r in book["明细"].iter_rows(min_row=2, values_only=True)} == periods
    html = admin.get("/supervision/report.html?period=2025-Q1").text
    assert "<title>督查督办报表:2025年第一季度(2025-01-01 至 2025-03-31)</title>" in html
    assert "<td>2025年第一季度</td>" in html
    html_en = admin.get("/supervision/report.html?period=2025-01&lang=en").text
    assert "<h1>Supervision report: January 2025 (2025-01-01 to 2025-01-31)</h1>" in html_en


@pytest.mark.parametrize(("label", "zh", "en"), [
    ("2026-W08", "2026年第8周", "week 8 of 2026"),
    ("2025-01", "2025年1月", "January 2025"),
    ("2025-Q1", "2025年第一季度", "Q1 2025"),
    ("2025-H2", "2025年下半年", "the second half of 2025"),
    ("2025-B2", "2025年3月—4月", "March–April 2025"),
    ("2025", "2025年", "2025"),
])
def test_a_label_in_words(label: str, zh: str, en: str) -> None:
    words = label_words(label)
    assert words is not None
    assert (say(words, "zh-CN"), say(words, "en")) == (zh, en)
    found = period_range(label)
    assert found is not None
    assert span_words(*found) is None or say(span_words(*found), "en") == en  # type: ignore[arg-type]


def test_slots_and_spans_that_are_no_period() -> None:
    assert slot_words("2025-03-01") is None  # a fixed day
    assert slot_words("extra-2025-05-06") is None
    session = slot_words("2025-H1.2")
    assert session is not None
    assert (say(session, "zh-CN"), say(session, "en")) == ("2025年上半年第2次", "the first half of 2025, session 2")
    assert label_words("2025-W53") is None  # 2025 has 52 ISO weeks
    assert span_words(dt.date(2025, 1, 1), dt.date(2025, 3, 30)) is None
    assert period_range("２０２５") is None


def test_the_years_first_column_says_its_year() -> None:
    said = heads(["2025-12", "2026-01", "2026-02"], "zh-CN")
    assert [short for _, short in said.values()] == ["2025年12月", "2026年1月", "2月"]
    assert heads(["2025-W52", "2026-W01", "2026-W02"], "en")["2026-W02"] == ("week 2 of 2026", "week 2")


def test_a_windows_page_says_its_period(web: Live) -> None:
    admin = login(web, "admin")
    uid = "t.reception-township/cty.town/2025-W10"
    assert f'data-uid="{uid}"' in admin.get("/supervision?period=2025-W10&unit=cty.town").text
    page = admin.get(f"/supervision/window/{uid}")
    assert page.status_code == 200
    assert '<dd id="window-days">2025年第10周 · 2025-03-03 至 2025-03-09</dd>' in page.text
    assert '<dd id="window-days">week 10 of 2025 · ' in admin.get(f"/supervision/window/{uid}?lang=en").text
    report = admin.get("/supervision/window/t.report/cty/2025").text  # a yearly deadline: its year
    assert '<dd id="window-days">2025年 · ' in report
