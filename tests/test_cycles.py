"""Schedule shapes documents brought in (issue 14): every N periods, ranges, hours, due working days,
fixed days with a shift and weekdays, expanded on the national calendar with hand-checked dates.

The dates come from the State Council notices: 2025 Spring Festival 28 Jan-4 Feb off with Sun 26 Jan
and Sat 8 Feb working; National Day 2025 1-8 Oct off with Sun 28 Sep and Sat 11 Oct working;
2026 Spring Festival 15-23 Feb off with Sat 14 Feb and Sat 28 Feb working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from calendars.windows import period_phrase, window_line
from obligations.ruleset import RuleSet
from obligations.schedules import Period, QuotaSchedule, WindowSchedule
from scheduler.cycles import groups_overlapping
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.periods import Span
from scheduler.workdays import WorkdayCalendar
from tests.conftest import SHANGHAI, d, obligation
from web.describe import describe

Expand = Callable[..., list[Occurrence]]


@pytest.fixture
def expand(rules_from: Callable[..., RuleSet]) -> Expand:
    def run(schedule: dict[str, Any], first: str = "2025-01-01", last: str = "2026-12-31") -> list[Occurrence]:
        rules = rules_from([obligation("t.one", schedule)])
        return Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d(first), d(last)).occurrences

    return run


def windows(occ: list[Occurrence]) -> list[tuple[str, dt.date | None, dt.date | None, dt.date | None]]:
    return [(o.slot, o.window_start, o.window_end, o.due) for o in occ]


def test_groups_start_at_the_anchors_period_before_and_after_it() -> None:
    weeks = list(groups_overlapping(Period.week, 2, d("2025-01-06"), d("2025-01-01"), d("2025-01-31")))
    assert weeks == [Span(d("2024-12-23"), d("2025-01-05")), Span(d("2025-01-06"), d("2025-01-19")),
                     Span(d("2025-01-20"), d("2025-02-02"))]
    years = list(groups_overlapping(Period.year, 3, d("2024-06-30"), d("2025-01-01"), d("2030-12-31")))
    assert years == [Span(d("2024-01-01"), d("2026-12-31")), Span(d("2027-01-01"), d("2029-12-31")),
                     Span(d("2030-01-01"), d("2032-12-31"))]
    assert list(groups_overlapping(Period.month, 1, None, d("2025-01-05"), d("2025-02-01"))) == [
        Span(d("2025-01-01"), d("2025-01-31")), Span(d("2025-02-01"), d("2025-02-28"))]


def test_every_two_weeks_is_one_window_a_fortnight_due_on_its_last_working_day(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 1, "per": "week", "every": 2, "anchor": "2025-01-06"},
                 "2025-01-06", "2025-02-16")
    assert windows(occ) == [
        ("2025-W02", d("2025-01-06"), d("2025-01-19"), d("2025-01-17")),  # Fri; the weekend is off
        ("2025-W04", d("2025-01-20"), d("2025-02-02"), d("2025-01-27")),  # Mon; 28 Jan-2 Feb Spring Festival
        ("2025-W06", d("2025-02-03"), d("2025-02-16"), d("2025-02-14")),
    ]


def test_every_three_years_is_due_at_the_end_of_the_third(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 1, "per": "year", "every": 3, "anchor": "2024-01-01"})
    assert windows(occ) == [("2024", d("2024-01-01"), d("2026-12-31"), d("2026-12-31"))]  # a Thursday


def test_a_window_every_two_years(expand: Expand) -> None:
    occ = expand({"type": "window", "period": "year", "every": 2, "anchor": "2025-03-01"})
    assert windows(occ) == [("2025", d("2025-01-01"), d("2026-12-31"), d("2026-12-31"))]


def test_a_window_due_on_the_fifth_working_day(expand: Expand) -> None:
    occ = expand({"type": "window", "period": "month", "working_day": 5}, "2025-01-01", "2025-10-31")
    by_slot = {o.slot: (o.window_start, o.window_end, o.due) for o in occ}
    assert by_slot["2025-01"] == (d("2025-01-01"), d("2025-01-08"), d("2025-01-08"))  # 2, 3, 6, 7, 8 Jan
    assert by_slot["2025-02"] == (d("2025-02-01"), d("2025-02-10"), d("2025-02-10"))  # 5, 6, 7, Sat 8, 10 Feb
    assert by_slot["2025-10"] == (d("2025-10-01"), d("2025-10-14"), d("2025-10-14"))  # 9, 10, Sat 11, 13, 14 Oct
    last = expand({"type": "window", "period": "month", "working_day": -1}, "2025-09-01", "2025-09-30")
    assert [o.due for o in last] == [d("2025-09-30")]


def test_hours_are_one_window_a_period_not_forty_sessions(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 40, "per": "year", "unit": "hour"})
    assert windows(occ) == [("2025", d("2025-01-01"), d("2025-12-31"), d("2025-12-31")),
                            ("2026", d("2026-01-01"), d("2026-12-31"), d("2026-12-31"))]


def test_a_range_places_the_minimum(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 1, "max": 2, "per": "year"}, "2025-01-01", "2025-12-31")
    assert windows(occ) == [("2025", d("2025-01-01"), d("2025-12-31"), d("2025-12-31"))]


def test_a_fixed_day_moves_by_its_shift(expand: Expand) -> None:
    nxt = expand({"type": "quota", "count": 1, "per": "month", "place": {"day": 15, "shift": "next"}},
                 "2026-02-01", "2026-02-28")
    assert [o.planned for o in nxt] == [d("2026-02-24")]  # Sun 15 Feb 2026 is in the Spring Festival break
    prev = expand({"type": "quota", "count": 1, "per": "month", "place": {"day": 20, "shift": "previous"}},
                  "2025-09-01", "2025-09-30")
    assert [o.planned for o in prev] == [d("2025-09-19")]  # Sat 20 Sep 2025 -> Fri 19 Sep


def test_weekday_rules(expand: Expand) -> None:
    mondays = expand({"type": "quota", "count": 1, "per": "week", "place": {"weekday": "mon"}},
                     "2025-09-29", "2025-10-12")
    assert [o.planned for o in mondays] == [d("2025-09-29"), d("2025-10-09")]  # 6 Oct off: the next working day
    first_friday = expand({"type": "quota", "count": 1, "per": "month", "place": {"weekday": "fri"}},
                          "2025-09-01", "2025-10-31")
    assert [o.planned for o in first_friday] == [d("2025-09-05"), d("2025-10-09")]  # 3 Oct off
    second_wednesday = expand({"type": "rrule", "rrule": "FREQ=MONTHLY;BYDAY=+2WE", "start": "2025-01-01"},
                              "2025-10-01", "2025-10-31")
    assert [o.date for o in second_wednesday] == [d("2025-10-09")]  # Wed 8 Oct off -> Thu 9 Oct


def test_last_working_day_of_the_month_is_a_window_of_the_month(expand: Expand) -> None:
    occ = expand({"type": "window", "period": "month"}, "2026-02-01", "2026-02-28")
    assert [o.due for o in occ] == [d("2026-02-28")]  # Sat 28 Feb 2026 is a make-up working day


def test_the_new_shapes_in_words() -> None:
    fortnight = QuotaSchedule(type="quota", count=1, per=Period.week, every=2, anchor=d("2025-01-06"))
    assert describe(fortnight) == "每周至少1次(每2个周期计,自2025-01-06所在周期起)"
    assert describe(fortnight, "en") == "at least 1 session(s) per week (counted every 2 periods, from the period of " \
        "2025-01-06)"
    assert describe(QuotaSchedule(type="quota", count=2, max=3, per=Period.year)) == "每年2至3次"
    assert describe(QuotaSchedule(type="quota", count=40, per=Period.year, unit="hour")) == "每年至少40学时"
    fifth = WindowSchedule(type="window", period=Period.month, working_day=5)
    assert describe(fifth) == "每月第5个工作日前"
    assert describe(fifth, "en") == "by the working day no. 5 of every month"


def test_a_feed_names_a_group_of_periods_this_cycle(expand: Expand) -> None:
    (occ,) = expand({"type": "quota", "count": 1, "per": "week", "every": 2, "anchor": "2025-01-06"},
                    "2025-01-06", "2025-01-19")
    assert period_phrase(occ, "zh-CN") == "本周期内"
    assert period_phrase(occ, "en") == "this cycle"
    assert window_line(occ, "zh-CN") == "期限:1月6日—1月19日内至少1次,最迟1月17日"
