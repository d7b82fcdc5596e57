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

from extract import reasons as why
from extract.patterns import Trigger
from i18n.phrase import Phrase

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
    reasons: list[Phrase]
    effective: dict[str, dt.date] | None = None
    periodic: bool = False  # its schedule came from 每X (it absorbs a 定期 of the sentence)


def _unscheduled(reason: Phrase, review: Phrase) -> Built:
    return Built({"type": "unscheduled", "reason": reason}, [review])


def _quota(count: int, per: str, unit: str, reasons: list[Phrase], **extra: Any) -> Built:
    every = int(extra.get("every", 1))
    if unit != "hour" and ((per == "week" and count > 5 * every) or (per == "month" and count > 16 * every)):
        return _unscheduled(why.unscheduled_too_many(count, per), why.too_many(count, per))
    schedule = {"type": "quota", "count": count, "per": per, "unit": unit}
    schedule.update({k: v for k, v in extra.items() if v is not None and not (k == "every" and v == 1)})
    return Built(schedule, reasons, periodic=True)


def _cycle(period: Trigger, year: int | None, reasons: list[Phrase]) -> dict[str, Any] | Built:
    """every/anchor for 每两周, 每三年: the groups start with the plan's year (a guess, for review)."""
    every = int(period.data.get("every", 1))
    if every == 1:
        return {}
    if "note" in period.data:
        reasons.append(period.data["note"])
    if year is None:
        return _unscheduled(why.unscheduled_no_start(), why.cycle_without_year(period.data["text"]))
    reasons.append(why.anchor_guessed(period.data["text"], year))
    return {"every": every, "anchor": dt.date(year, 1, 1)}


def _window(period: str, index: int | None, reasons: list[Phrase], **extra: Any) -> Built:
    schedule: dict[str, Any] = {"type": "window", "period": period}
    if index is not None:
        schedule["index"] = index
    schedule.update({k: v for k, v in extra.items() if v is not None and not (k == "every" and v == 1)})
    return Built(schedule, reasons, periodic=index is None)


_BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}


def _from_weekday(w: dict[str, Any], year: int | None) -> Built:
    """每周一: a weekly quota on Mondays; 每月第一个周五: a monthly one; 第二个星期三: an RRULE."""
    if w["per"] == "week" or w["nth"] == 1:
        return Built({"type": "quota", "count": 1, "per": w["per"], "unit": "session",
                      "place": {"weekday": w["weekday"]}}, [], periodic=True)
    reasons: list[Phrase] = []
    start = _start(year, w["text"], reasons)
    nth = f"{w['nth']:+d}"
    return Built({"type": "rrule", "rrule": f"FREQ=MONTHLY;BYDAY={nth}{_BYDAY[w['weekday']]}",
                  "start": start, "kind": "session", "holiday_policy": "next"}, reasons, periodic=True)


def _from_fixed_day(f: dict[str, Any], holiday: str | None) -> Built:
    """每月15日为接访日,遇节假日顺延: a monthly session placed on the 15th, moved by the shift."""
    reasons: list[Phrase] = []
    if holiday is None:
        reasons.append(why.no_shift_words(f["text"]))
    if f["day"] > 28:
        reasons.append(why.last_day_used(f["day"]))
    return Built({"type": "quota", "count": 1, "per": "month", "unit": "session",
                  "place": {"day": f["day"], "shift": holiday or "next"}}, reasons, periodic=True)


# The start of a monthly rule in a document that names no year at all (a standing 制度): any early
# first day gives the same dates; the reviewer sets effective.from to when the rules took effect.
NO_YEAR_START = dt.date(2000, 1, 1)


def _start(year: int | None, text: str, reasons: list[Phrase]) -> dt.date:
    if year is not None:
        return dt.date(year, 1, 1)
    reasons.append(why.no_year_start(text, NO_YEAR_START))
    return NO_YEAR_START


def _monthly(d: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """每月10日前: an RRULE deadline, from the plan's year on."""
    reasons: list[Phrase] = []
    start = _start(year, d["text"], reasons)
    if d["day"] > 28:
        reasons.append(why.months_skipped(d["day"]))
    return Built({"type": "rrule", "rrule": f"FREQ=MONTHLY;BYMONTHDAY={d['day']}", "start": start,
                   "kind": "deadline", "holiday_policy": holiday or "keep"}, reasons, periodic=True)


def build_schedule(part: list[Trigger], inherited: Trigger | None, year: int | None,
           holiday: str | None) -> Built | None:
    """The schedule of one part of a sentence, from its triggers (None: no duty here)."""
    found: dict[str, list[Trigger]] = {}
    for t in part:
        found.setdefault(t.kind, []).append(t)
    if "relative" in found:
        text = found["relative"][0].data["text"]
        return _unscheduled(why.unscheduled_relative(text), why.relative(text))
    if "weekday" in found:
        return _from_weekday(found["weekday"][0].data, year)
    if "fixed_day" in found:
        return _from_fixed_day(found["fixed_day"][0].data, holiday)
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
        reasons: list[Phrase] = []
        cycle = _cycle(periods[0], year, reasons)
        if isinstance(cycle, Built):
            return cycle
        if per == "week":
            reasons.append(why.week_without_count(periods[0].data["text"]))
            return _quota(1, "week", "session", reasons, **cycle)
        return _window(per, None, reasons, **cycle)
    strong = [t for t in found.get("this_year", []) if not t.data["weak"]]
    if strong:
        if year is None:
            return _window("year", None, [why.year_unknown(strong[0].data["text"])])
        return Built({"type": "once", "date": dt.date(year, 12, 31)}, [])
    if "vague" in found:
        word = found["vague"][0].data["word"]
        return _unscheduled(why.unscheduled_vague(word), why.vague(word))
    return None


def _count_period(c: Trigger, found: dict[str, list[Trigger]], inherited: Trigger | None,
                  year: int | None) -> tuple[Trigger | str, list[Phrase], dict[str, dt.date] | None] | Built:
    """The period a count is per (with reasons and a this-year effective range), or why there is none."""
    periods = found.get("period", [])
    this_year = found.get("this_year", [])
    before = [p for p in periods if p.end <= c.start] or periods
    if before:
        return before[-1], [], None
    if this_year:
        if year is None:
            return "year", [why.this_year_unknown(this_year[0].data["text"])], None
        return "year", [], _this_year(year)
    if "term" in found:
        return _unscheduled(why.unscheduled_term(), why.term_of_office(c.data["text"]))
    if inherited is not None:
        return inherited, [why.period_from_before(inherited.data["text"])], None
    return _unscheduled(why.unscheduled_no_period(), why.count_without_period(c.data["text"]))


def _from_count(c: Trigger, found: dict[str, list[Trigger]], inherited: Trigger | None, year: int | None) -> Built:
    """每年不少于2次: a quota (or, for hours, a window) per the count's period."""
    period = _count_period(c, found, inherited, year)
    if isinstance(period, Built):
        return period
    trigger, reasons, effective = period
    cycle: dict[str, Any] | Built = {}
    if isinstance(trigger, Trigger):
        per = trigger.data["period"]
        cycle = _cycle(trigger, year, reasons)
        if isinstance(cycle, Built):
            return cycle
    else:
        per = trigger
    unit = "hour" if c.data["unit"] == "hours" else c.data["unit"]
    built = _quota(c.data["count"], per, unit, reasons, max=c.data.get("max"), **cycle)
    if built.effective is None:
        built.effective = effective
    return built


def _from_deadline(d: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """每年3月1日前, 2024年底前, 每月10日前: a yearly, one-off or monthly deadline."""
    reasons: list[Phrase] = [d["note"]] if "note" in d else []
    if d.get("monthly"):
        return _monthly(d, year, holiday)
    if d.get("quarterly"):
        start = _start(year, d["text"], reasons)
        return Built({"type": "rrule", "rrule": f"FREQ=YEARLY;BYMONTH={d['quarterly']};BYMONTHDAY={d['day']}",
                      "start": start, "kind": "deadline", "holiday_policy": holiday or "keep"},
                     reasons, periodic=True)
    if d["yearly"]:
        if _date_or_none(2024, d["month"], d["day"]) is None:
            return _unscheduled(why.unscheduled_bad_date(), why.bad_date(d["text"]))
        schedule: dict[str, Any] = {"type": "yearly_deadline", "month": d["month"], "day": d["day"]}
    else:
        y = d["year"]
        if y is None:
            if year is None:
                return _unscheduled(why.unscheduled_no_year(), why.deadline_without_year(d["text"]))
            y = year
            if d["pattern"] == "month_day" or d["pattern"] == "month_end":
                reasons.append(why.plan_year(d["text"], y))
        date = _date_or_none(y, d["month"], d["day"])
        if date is None:
            return _unscheduled(why.unscheduled_bad_date(), why.bad_date(d["text"]))
        schedule = {"type": "once", "date": date}
    if holiday:
        schedule["holiday_policy"] = holiday
    return Built(schedule, reasons)


def _from_window(w: dict[str, Any], year: int | None, holiday: str | None) -> Built:
    """第一季度内, 年底前: a window, this year only unless 每年."""
    built = _window(w["period"], w["index"], [w["note"]] if "note" in w else [], working_day=w.get("working_day"))
    if not w["yearly"]:
        if year is None:
            built.reasons.append(why.window_every_year(w["text"]))
        else:
            built.effective = _this_year(year)
    if holiday:
        built.schedule["holiday_policy"] = holiday
    return built


def schedule_key(schedule: dict[str, Any]) -> tuple[Any, ...]:
    kind = schedule["type"]
    extra = tuple((k, schedule[k]) for k in ("every", "max", "working_day") if schedule.get(k) not in (None, 1))
    if kind == "quota":
        hours = (("unit", "hour"),) if schedule.get("unit") == "hour" else ()
        return (kind, schedule["per"], schedule["count"], *extra, *hours)
    if kind == "yearly_deadline":
        return (kind, schedule["month"], schedule["day"])
    if kind == "window":
        return (kind, schedule["period"], schedule.get("index"), *extra)
    if kind == "once":
        date = schedule["date"]
        if schedule.get("exclusive"):
            date = date - dt.timedelta(days=1)
        return (kind, date)
    if kind == "rrule":
        return (kind, schedule.get("rrule"))
    return (kind,)


_WEEKDAY_ZH = {"mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六", "sun": "日"}
_EVERY_ZH = {2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}


def _every(period: str, every: int) -> str:
    if every == 1:
        return f"每{PERIOD_ZH[period]}"
    return f"每{_EVERY_ZH.get(every, str(every))}{'个' * (period == 'month')}{PERIOD_ZH[period]}"


def _quota_words(schedule: dict[str, Any]) -> str:
    every = _every(schedule["per"], int(schedule.get("every", 1)))
    place = schedule.get("place") or {}
    if "weekday" in place:
        first = "第一个" if schedule["per"] != "week" else ""
        return f"{every}{first}周{_WEEKDAY_ZH[place['weekday']]}"
    if "day" in place:
        shift = "顺延" if place.get("shift", "next") == "next" else "提前"
        return f"{every}{place['day']}日(遇节假日{shift})"
    if schedule.get("unit") == "hour":
        return f"{every}不少于{schedule['count']}学时"
    unit = "天" if schedule.get("unit") == "day" else "次"
    if schedule.get("max"):
        return f"{every}{schedule['count']}至{schedule['max']}{unit}"
    return f"{every}至少{schedule['count']}{unit}"


def _rrule_words(rule: str) -> str:
    m = re.fullmatch(r"FREQ=MONTHLY;BYMONTHDAY=(\d+)", rule)
    if m:
        return f"每月{m.group(1)}日前"
    m = re.fullmatch(r"FREQ=MONTHLY;BYDAY=([+-]\d)(MO|TU|WE|TH|FR|SA|SU)", rule)
    if m:
        day = {v: _WEEKDAY_ZH[k] for k, v in _BYDAY.items()}[m.group(2)]
        nth = "最后一" if m.group(1) == "-1" else str(int(m.group(1)))
        return f"每月最后一个周{day}" if nth == "最后一" else f"每月第{nth}个周{day}"
    m = re.fullmatch(r"FREQ=YEARLY;BYMONTH=(1,4,7,10|3,6,9,12);BYMONTHDAY=(\d+)", rule)
    if m:
        return f"每季度{'首月' if m.group(1).startswith('1') else '末月'}{m.group(2)}日前"
    return rule


def schedule_words(schedule: dict[str, Any], vague: str = "") -> str:
    """The schedule in a few Chinese words, for titles and the --against report."""
    kind = schedule["type"]
    if kind == "quota":
        return _quota_words(schedule)
    strictly = "(不含当日)" if schedule.get("exclusive") else ""
    if kind == "yearly_deadline":
        return f"每年{schedule['month']}月{schedule['day']}日前{strictly}"
    if kind == "window":
        index = schedule.get("index")
        period = schedule["period"]
        if schedule.get("working_day"):
            nth = "最后一" if schedule["working_day"] == -1 else str(schedule["working_day"])
            return f"{_every(period, int(schedule.get('every', 1)))}第{nth}个工作日前"
        if index is None:
            return f"{_every(period, int(schedule.get('every', 1)))}内"
        part = {"quarter": f"第{index}季度", "half_year": "上半年" if index == 1 else "下半年",
                "month": f"{index}月", "two_months": f"第{index}个双月"}.get(period, str(index))
        return f"{part}内"
    if kind == "once":
        d = schedule["date"]
        return f"{d.year}年{d.month}月{d.day}日前{strictly}"
    if kind == "rrule":
        return _rrule_words(str(schedule.get("rrule", "")))
    if not vague:
        reason = str(schedule.get("reason", ""))
        vague = next((w for w in ("定期", "常态化", "及时", "适时") if w in reason), "")
    return f"{vague}·未定时间" if vague else "未定时间"


__all__ = ["PERIOD_ZH", "build_schedule", "schedule_key", "schedule_words"]
