"""Builders of the pattern rows issue 14 added (:data:`extract.patterns.PATTERNS`): every N periods,
period ends, the N-th working day, weekdays, fixed days, quarterly deadlines, relative deadlines."""

from __future__ import annotations

import re
from typing import Any

from extract import reasons as why
from extract.numerals import to_int

_WORKING_DAY_PERIODS = {"月": "month", "季度": "quarter", "半年": "half_year", "年": "year"}


def period_end(m: re.Match[str]) -> dict[str, Any] | None:
    period = {"月": "month", "季": "quarter", "季度": "quarter"}[m.group("p1") or m.group("p2")]
    out: dict[str, Any] = {"period": period, "index": None, "yearly": True}
    if not m.group("every"):
        out["note"] = why.period_end_every(m.group(0), period)
    return out


def working_day(m: re.Match[str]) -> dict[str, Any] | None:
    period = _WORKING_DAY_PERIODS[m.group("p")]
    n = to_int(m.group("n") or m.group("n2") or "")
    if (m.group("n") or m.group("n2")) and (n is None or n < 1):
        return None
    return {"period": period, "index": None, "yearly": True, "working_day": n}


_WEEKDAY = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}


def weekday(m: re.Match[str]) -> dict[str, Any] | None:
    return {"per": "week", "weekday": _WEEKDAY[m.group("w")], "nth": 1}


def nth_weekday(m: re.Match[str]) -> dict[str, Any] | None:
    nth = -1 if m.group("n") is None else to_int(m.group("n"))
    if nth is None or nth == 0 or nth > 5:
        return None
    return {"per": "month", "weekday": _WEEKDAY[m.group("w")], "nth": nth}


def fixed_day(m: re.Match[str]) -> dict[str, Any] | None:
    day = to_int(m.group("d"))
    if day is None or not 1 <= day <= 31:
        return None
    return {"day": day}


def quarter_month_day(m: re.Match[str]) -> dict[str, Any] | None:
    day = to_int(m.group("d"))
    if day is None or not 1 <= day <= 30:
        return None
    months = "1,4,7,10" if m.group("which") in ("首月", "第一个月") else "3,6,9,12"
    return {"year": None, "month": None, "day": day, "yearly": False, "quarterly": months}


def relative(m: re.Match[str]) -> dict[str, Any] | None:
    return {}


_MONTHS_PERIOD = {1: "month", 2: "two_months", 3: "quarter", 6: "half_year", 12: "year"}
_PERIOD_MONTHS = {"month": 1, "two_months": 2, "quarter": 3, "half_year": 6, "year": 12}


def period_every(m: re.Match[str], period_words: dict[str, str]) -> dict[str, Any] | None:
    """每季度; 每两周 / 每三年 / 每隔一周 (every N); 每两个月 as two months."""
    period = period_words[m.group("p")]
    if m.group("n") is None:
        return {"period": period, "every": 1}
    n = to_int(m.group("n"))
    if n is None or n < 1:
        return None
    out: dict[str, Any] = {"period": period, "every": n}
    if m.group("gap"):  # 每隔一周: one week between, so every two; 每隔两年 is read as every two (review)
        if n == 1:
            out["every"] = 2
        else:
            out["note"] = why.every_gap(m.group(0), n, period)
    months = _PERIOD_MONTHS.get(period, 0) * out["every"]
    if period != "year" and months in _MONTHS_PERIOD:  # 每两个月, 每三个月, 每六个月
        return {"period": _MONTHS_PERIOD[months], "every": 1}
    if out["every"] > 10:
        return None
    return out


def halves_each(m: re.Match[str]) -> dict[str, Any] | None:
    return {"period": "half_year", "every": 1}


__all__ = ["fixed_day", "halves_each", "nth_weekday", "period_end", "period_every", "quarter_month_day", "relative",
           "weekday", "working_day"]
