"""A drafted duty's schedule: from the time words of one part of a sentence to a schedule dict.

The dict is what :class:`~obligations.model.RulesFile` reads (``type: quota``, ``window``,
``yearly_deadline``, ``once``, ``rrule`` or ``unscheduled``), with the reasons a reviewer
should check; :func:`schedule_words` says it back in a few Chinese words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from extract.patterns import Trigger

PERIOD_ZH = {"week": "周", "month": "月", "two_months": "两个月", "quarter": "季度", "half_year": "半年", "year": "年"}


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _this_year(year: int) -> dict[str, dt.date]:
    return {"from": dt.date(year, 1, 1), "until": dt.date(year, 12, 31)}


@dataclass
class Built:
    schedule: dict[str, Any]
    reasons: list[str]
    effective: dict[str, dt.date] | None = None
    periodic: bool = False  # its schedule came from 每X (it absorbs a 定期 of the sentence)


def _unscheduled(reason: str, why: str) -> Built:
    return Built({"type": "unscheduled", "reason": reason}, [why])


def _quota(count: int, per: str, unit: str, reasons: list[str]) -> Built:
    if (per == "week" and count > 5) or (per == "month" and count > 16):
        return _unscheduled(f"{count} per {per}", f"{count} per {PERIOD_ZH[per]} cannot be placed on working days; "
                            "check the number")
    return Built({"type": "quota", "count": count, "per": per, "unit": unit}, reasons, periodic=True)


def _window(period: str, index: int | None, reasons: list[str]) -> Built:
    schedule: dict[str, Any] = {"type": "window", "period": period}
    if index is not None:
        schedule["index"] = index
    return Built(schedule, reasons, periodic=index is None)


def _monthly(d: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """每月10日前: an RRULE deadline, from the plan's year on."""
    if year is None:
        return _unscheduled("year unknown", f"“{d['text']}”: the plan's year is unknown, so the rule has no start")
    reasons = []
    if d["day"] > 28:
        reasons.append(f"day {d['day']} does not exist in every month; those months have no occurrence")
    return Built({"type": "rrule", "rrule": f"FREQ=MONTHLY;BYMONTHDAY={d['day']}", "start": dt.date(year, 1, 1),
                   "kind": "deadline", "holiday_policy": holiday or "keep"}, reasons, periodic=True)


def build_schedule(part: list[Trigger], inherited: Trigger | None, year: int | None,
           holiday: str | None) -> Built | None:
    """The schedule of one part of a sentence, from its triggers (None: no duty here)."""
    found: dict[str, list[Trigger]] = {}
    for t in part:
        found.setdefault(t.kind, []).append(t)
    periods = found.get("period", [])
    # A bare count (2次) counts only shortly after its period (每年2次, 每季度召开一次); else it
    # is a figure ("开展法治讲座2次").
    counts = [c for c in found.get("count", [])
              if c.data["minimum"] or any(0 <= c.start - p.end <= 8 for p in periods)]
    if counts:
        return _from_count(counts[0], found, inherited, year)
    if "deadline" in found:
        return _from_deadline(found["deadline"][0].data, year, holiday)
    if "window" in found:
        return _from_window(found["window"][0].data, year, holiday)
    if periods:
        per = periods[0].data["period"]
        if per == "week":
            return _quota(1, "week", "session", [f"“{periods[0].data['text']}” without a count: read as once a week"])
        return _window(per, None, [])
    strong = [t for t in found.get("this_year", []) if not t.data["weak"]]
    if strong:
        if year is None:
            return _window("year", None, [f"“{strong[0].data['text']}”: the plan's year is unknown"])
        return Built({"type": "once", "date": dt.date(year, 12, 31)}, [])
    if "vague" in found:
        word = found["vague"][0].data["word"]
        return _unscheduled(f"{word}: no period or date in the text",
                            f"{word}: the text gives no period or date; add one if the office has it")
    return None


def _count_period(c: Trigger, found: dict[str, list[Trigger]], inherited: Trigger | None,
                  year: int | None) -> tuple[str, list[str], dict[str, dt.date] | None] | Built:
    """The period a count is per (with reasons and a this-year effective range), or why there is none."""
    periods = found.get("period", [])
    this_year = found.get("this_year", [])
    before = [p for p in periods if p.end <= c.start] or periods
    if before:
        return before[-1].data["period"], [], None
    if this_year:
        if year is None:
            return "year", [f"“{this_year[0].data['text']}” is this year, but the plan's year is unknown: "
                            "it now counts every year"], None
        return "year", [], _this_year(year)
    if "term" in found:
        return _unscheduled("任期内", f"“{c.data['text']}” over a term of office (任期内), "
                            "not a calendar period; add a date if the office sets one")
    if inherited is not None:
        return inherited.data["period"], [f"the period ({inherited.data['text']}) is taken from earlier "
                                          "in the sentence"], None
    return _unscheduled("count without period", f"“{c.data['text']}” has no period; set one")


def _from_count(c: Trigger, found: dict[str, list[Trigger]], inherited: Trigger | None, year: int | None) -> Built:
    """每年不少于2次: a quota (or, for hours, a window) per the count's period."""
    period = _count_period(c, found, inherited, year)
    if isinstance(period, Built):
        return period
    per, reasons, effective = period
    if c.data["unit"] == "hours":
        built = _window(per, None, [*reasons, f"“{c.data['text']}” counts hours, not sessions: "
                                    "the duty is due by the end of each period"])
    else:
        built = _quota(c.data["count"], per, c.data["unit"], reasons)
    if built.effective is None:
        built.effective = effective
    return built


def _from_deadline(d: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """每年3月1日前, 2024年底前, 每月10日前: a yearly, one-off or monthly deadline."""
    reasons = [d["note"]] if "note" in d else []
    if d.get("monthly"):
        return _monthly(d, year, holiday)
    if d["yearly"]:
        if _date_or_none(2024, d["month"], d["day"]) is None:
            return _unscheduled("bad date", f"“{d['text']}” is not a real date; check it")
        schedule: dict[str, Any] = {"type": "yearly_deadline", "month": d["month"], "day": d["day"]}
    else:
        y = d["year"]
        if y is None:
            if year is None:
                return _unscheduled("year unknown", f"“{d['text']}” has no year and the plan's year is unknown")
            y = year
            if d["pattern"] == "month_day" or d["pattern"] == "month_end":
                reasons.append(f"“{d['text']}” has no year and no 每年: read as {y}; "
                               "make it a yearly_deadline if it recurs")
        date = _date_or_none(y, d["month"], d["day"])
        if date is None:
            return _unscheduled("bad date", f"“{d['text']}” is not a real date; check it")
        schedule = {"type": "once", "date": date}
    if holiday:
        schedule["holiday_policy"] = holiday
    return Built(schedule, reasons)


def _from_window(w: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """第一季度内, 年底前: a window, this year only unless 每年."""
    built = _window(w["period"], w["index"], [])
    if not w["yearly"]:
        if year is None:
            built.reasons.append(f"“{w['text']}” without 每年, and the plan's year is unknown: "
                                 "it now recurs every year")
        else:
            built.effective = _this_year(year)
    if holiday:
        built.schedule["holiday_policy"] = holiday
    return built


def schedule_key(schedule: dict[str, Any]) -> tuple[Any, ...]:
    kind = schedule["type"]
    if kind == "quota":
        return (kind, schedule["per"], schedule["count"])
    if kind == "yearly_deadline":
        return (kind, schedule["month"], schedule["day"])
    if kind == "window":
        return (kind, schedule["period"], schedule.get("index"))
    if kind == "once":
        date = schedule["date"]
        if schedule.get("exclusive"):
            date = date - dt.timedelta(days=1)
        return (kind, date)
    return (kind,)


def schedule_words(schedule: dict[str, Any], vague: str = "") -> str:
    """The schedule in a few Chinese words, for titles and the --against report."""
    kind = schedule["type"]
    if kind == "quota":
        unit = "天" if schedule.get("unit") == "day" else "次"
        return f"每{PERIOD_ZH[schedule['per']]}至少{schedule['count']}{unit}"
    strictly = "(不含当日)" if schedule.get("exclusive") else ""
    if kind == "yearly_deadline":
        return f"每年{schedule['month']}月{schedule['day']}日前{strictly}"
    if kind == "window":
        index = schedule.get("index")
        period = schedule["period"]
        if index is None:
            return f"每{PERIOD_ZH[period]}内"
        part = {"quarter": f"第{index}季度", "half_year": "上半年" if index == 1 else "下半年",
                "month": f"{index}月", "two_months": f"第{index}个双月"}.get(period, str(index))
        return f"{part}内"
    if kind == "once":
        d = schedule["date"]
        return f"{d.year}年{d.month}月{d.day}日前{strictly}"
    if kind == "rrule":
        rule = str(schedule.get("rrule", ""))
        m = re.fullmatch(r"FREQ=MONTHLY;BYMONTHDAY=(\d+)", rule)
        return f"每月{m.group(1)}日前" if m else rule
    if not vague:
        reason = str(schedule.get("reason", ""))
        vague = next((w for w in ("定期", "常态化", "及时", "适时") if w in reason), "")
    return f"{vague}·未定时间" if vague else "未定时间"


__all__ = ["PERIOD_ZH", "build_schedule", "schedule_key", "schedule_words"]
