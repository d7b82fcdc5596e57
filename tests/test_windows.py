"""Every occurrence is a window: windows tile their period, ``due`` is a working day inside it,
``planned`` only where the rule places the duty, ``date`` is ``planned`` or else ``due``.

Checked for every schedule kind over 2024-2026 on the national calendar, then on the hand-checked
examples of docs/rules.md ("Windows"), worked out from the State Council notices: National Day
2025 (1-8 Oct off, Sun 28 Sep and Sat 11 Oct working) and Spring Festival 2026 (15-23 Feb off,
Sat 14 Feb and Sat 28 Feb working).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from obligations.loader import load_config, load_rules
from obligations.ruleset import RuleSet
from obligations.schedules import Period
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.periods import Span, period_containing
from scheduler.workdays import WorkdayCalendar, calendar_from_config
from tests.conftest import ROOT, SHANGHAI, d, obligation

FIRST, LAST = d("2024-01-01"), d("2026-12-31")
ONE_DAY = dt.timedelta(days=1)
Expand = Callable[..., list[Occurrence]]

QUOTAS: list[dict[str, Any]] = [
    {"type": "quota", "count": count, "per": per}
    for per, counts in [("week", (1, 2, 3, 5)), ("month", (1, 2, 3)), ("two_months", (1, 2, 3)),
                        ("quarter", (1, 2, 3)), ("half_year", (1, 2, 5)), ("year", (1, 2, 3, 4, 5))]
    for count in counts
]
PLACED: list[dict[str, Any]] = [
    {"type": "quota", "count": 1, "per": "week", "place": {"weekday": "wed"}},
    {"type": "quota", "count": 2, "per": "week", "place": {"nth_working_day": 1}},
    {"type": "quota", "count": 1, "per": "month", "place": {"day": 15}},
    {"type": "quota", "count": 1, "per": "quarter", "place": {"month": 2, "nth_working_day": 1}},
    {"type": "quota", "count": 2, "per": "year", "place": {"month": 3, "day": 15, "shift": "previous"}},
]
WINDOWS: list[dict[str, Any]] = [
    {"type": "window", "period": period, **extra}
    for period in ("month", "two_months", "quarter", "half_year", "year")
    for extra in ({}, {"holiday_policy": "previous"}, {"index": 1})
]
DEADLINES: list[dict[str, Any]] = [
    {"type": "yearly_deadline", "month": 3, "day": 1, "holiday_policy": policy}
    for policy in ("keep", "previous", "next")
] + [
    {"type": "yearly_deadline", "month": 4, "day": 1, "exclusive": True},
    {"type": "once", "date": "2025-10-01", "holiday_policy": "next"},
    {"type": "once", "date": "2024-12-31"},
]
RRULES: list[dict[str, Any]] = [
    # the 20th: "previous" would look 15 days into 2027 (no data) for an earlier day
    {"type": "rrule", "rrule": "FREQ=MONTHLY;BYMONTHDAY=20", "start": "2024-01-20", "holiday_policy": policy}
    for policy in ("keep", "previous", "next", "skip")
]


@pytest.fixture
def expand(rules_from: Callable[..., RuleSet]) -> Expand:
    def run(schedule: dict[str, Any], **fields: Any) -> list[Occurrence]:
        rules = rules_from([obligation("t.one", schedule, **fields)])
        return Expander(rules, WorkdayCalendar(), SHANGHAI).expand(FIRST, LAST).occurrences

    return run


def assert_tiles(windows: list[tuple[dt.date, dt.date]], span: Span) -> None:
    """``windows`` (sorted) cover ``span`` exactly: no gap, no overlap."""
    assert windows, span
    assert windows[0][0] == span.first
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start == end + ONE_DAY, windows
    assert windows[-1][1] == span.last


def assert_window_facts(occ: Occurrence, cal: WorkdayCalendar, *, due_may_be_off: bool = False) -> None:
    assert occ.window_start is not None
    assert occ.window_end is not None
    assert occ.due is not None
    assert occ.window_start <= occ.due <= occ.window_end, occ
    assert due_may_be_off or cal.is_workday(occ.due), occ
    if occ.planned is not None:
        assert occ.window_start <= occ.planned <= occ.window_end, occ
        assert cal.is_workday(occ.planned), occ
    assert occ.date == (occ.planned or occ.due)


@pytest.mark.parametrize("schedule", QUOTAS + PLACED,
                         ids=lambda s: f"{s['count']}/{s['per']}{'+place' * ('place' in s)}")
def test_quota_windows_tile_each_period(expand: Expand, schedule: dict[str, Any]) -> None:
    cal = WorkdayCalendar()
    occ = expand(schedule)
    by_period: dict[Span, list[tuple[dt.date, dt.date]]] = {}
    for o in occ:
        assert_window_facts(o, cal)
        assert o.due == max(cal.workdays_between(o.window_start, o.window_end))  # its last working day
        assert (o.planned is not None) == ("place" in schedule)
        assert o.window_start is not None
        assert o.window_end is not None
        period = period_containing(Period(schedule["per"]), o.window_start)
        by_period.setdefault(period, []).append((o.window_start, o.window_end))
    for period, windows in by_period.items():
        # the week of 28 Dec 2026 runs into 2027, whose holidays are unknown: it is cut to 31 Dec
        assert_tiles(sorted(windows), Span(period.first, min(period.last, LAST)))
    assert len(by_period) == {"week": 157, "month": 36, "two_months": 18, "quarter": 12, "half_year": 6,
                              "year": 3}[schedule["per"]] - (schedule["per"] == "week")  # 2026-W08: all off


def test_quota_windows_tile_the_part_in_force(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 2, "per": "year"}, effective={"from": "2024-03-31"})
    windows = [(o.window_start, o.window_end) for o in occ if o.date.year == 2024]
    assert windows == [(d("2024-03-31"), d("2024-06-30")), (d("2024-07-01"), d("2024-12-31"))]
    occ = expand({"type": "quota", "count": 2, "per": "week"}, effective={"until": "2025-10-10"})
    last = [(o.window_start, o.window_end, o.due) for o in occ if o.date >= d("2025-10-06")]
    # the week of 6 Oct has three working days, 9, 10 and 11 Oct: runs 9-10 and 11 Oct; in force until 10 Oct
    assert last == [(d("2025-10-06"), d("2025-10-10"), d("2025-10-10"))]


@pytest.mark.parametrize("schedule", WINDOWS,
                         ids=lambda s: f"{s['period']}-{s.get('index', '')}{s.get('holiday_policy', '')}")
def test_window_schedules_are_their_period(expand: Expand, schedule: dict[str, Any]) -> None:
    cal = WorkdayCalendar()
    occ = expand(schedule)
    for o in occ:
        assert_window_facts(o, cal)
        assert o.planned is None
        assert o.due == max(cal.workdays_between(o.window_start, o.window_end))
        assert (o.window_start, o.window_end) == astuple(period_containing(Period(schedule["period"]), o.due))
    windows = [(o.window_start, o.window_end) for o in occ]
    if "index" in schedule:
        assert len(windows) == 3
    else:
        assert_tiles(windows, Span(FIRST, LAST))


def test_a_window_due_next_ends_on_its_due_day(expand: Expand) -> None:
    occ = expand({"type": "window", "period": "quarter", "index": 2, "holiday_policy": "next"})
    # 30 Jun 2024 is a Sunday: due Mon 1 Jul, and the window reaches it; 2025 and 2026 end on a Monday and a Tuesday
    assert [(o.window_start, o.window_end, o.due, o.nominal) for o in occ] == [
        (d("2024-04-01"), d("2024-07-01"), d("2024-07-01"), d("2024-06-30")),
        (d("2025-04-01"), d("2025-06-30"), d("2025-06-30"), None),
        (d("2026-04-01"), d("2026-06-30"), d("2026-06-30"), None),
    ]


@pytest.mark.parametrize("schedule", DEADLINES, ids=lambda s: f"{s['type']}-{s.get('holiday_policy', 'keep')}")
def test_deadline_windows_run_from_the_year_start_to_the_deadline(expand: Expand, schedule: dict[str, Any]) -> None:
    cal = WorkdayCalendar()
    occ = expand(schedule)
    keep = schedule.get("holiday_policy", "keep") == "keep"
    for o in occ:
        assert_window_facts(o, cal, due_may_be_off=keep)  # keep: the day as written, even a day off
        assert o.planned is None
        assert o.window_start == dt.date(o.due.year, 1, 1)
        assert o.window_end == max(o.nominal or o.due, o.due)
    assert occ  # each schedule falls at least once in 2024-2026


def test_deadline_windows_open_on_the_first_day_in_force(expand: Expand) -> None:
    yearly = expand({"type": "yearly_deadline", "month": 4, "day": 30}, effective={"from": "2024-03-31"})
    assert [(o.window_start, o.window_end) for o in yearly] == [
        (d("2024-03-31"), d("2024-04-30")), (d("2025-01-01"), d("2025-04-30")), (d("2026-01-01"), d("2026-04-30"))]
    once = expand({"type": "once", "date": "2024-12-31"}, effective={"from": "2021-11-12"})
    assert [(o.window_start, o.window_end, o.due) for o in once] == [
        (d("2021-11-12"), d("2024-12-31"), d("2024-12-31"))]
    window = expand({"type": "window", "period": "year"}, effective={"from": "2024-03-31"})
    assert next((o.window_start, o.window_end) for o in window) == (d("2024-03-31"), d("2024-12-31"))


@pytest.mark.parametrize("schedule", RRULES, ids=lambda s: s["holiday_policy"])
def test_an_rrule_date_is_a_one_day_window(expand: Expand, schedule: dict[str, Any]) -> None:
    occ = expand(schedule)
    assert len(occ) >= 20  # 36 months; skip drops the 20ths that are days off
    for o in occ:
        assert o.window_start == o.window_end == o.due == o.planned == o.date


def test_uids_do_not_depend_on_where_a_session_falls(expand: Expand) -> None:
    occ = expand({"type": "quota", "count": 2, "per": "quarter"})
    assert [o.slot for o in occ[:3]] == ["2024-Q1.1", "2024-Q1.2", "2024-Q2.1"]


# -- the hand-checked examples of docs/rules.md ("Windows") -------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Expander:
    loaded = load_config(ROOT / "config.yaml")
    return Expander(load_rules(loaded.rules_paths()), calendar_from_config(loaded.config.calendar), SHANGHAI)


def rows(occ: list[Occurrence], duty: str) -> list[tuple[str, str, str, str]]:
    return [(o.slot, o.window_start.isoformat(), o.window_end.isoformat(), o.due.isoformat())  # type: ignore[union-attr]
            for o in occ if o.obligation.id == duty]


def test_township_weekly_reception_across_national_day_2025(shipped: Expander) -> None:
    occ = shipped.expand(d("2025-09-22"), d("2025-10-19"), units={"bz.korla.tuanjie"}).occurrences
    assert rows(occ, "bz-2024.petition-reception-township") == [
        ("2025-W39", "2025-09-22", "2025-09-28", "2025-09-28"),  # Sun 28 Sep is a make-up working day
        ("2025-W40", "2025-09-29", "2025-10-05", "2025-09-30"),  # 1-5 Oct off
        ("2025-W41", "2025-10-06", "2025-10-12", "2025-10-11"),  # 6-8 Oct off, Sat 11 Oct working
        ("2025-W42", "2025-10-13", "2025-10-19", "2025-10-17"),
    ]


def test_township_weekly_reception_across_spring_festival_2026(shipped: Expander) -> None:
    result = shipped.expand(d("2026-02-09"), d("2026-03-01"), units={"bz.korla.tuanjie"})
    assert rows(result.occurrences, "bz-2024.petition-reception-township") == [
        ("2026-W07", "2026-02-09", "2026-02-15", "2026-02-14"),  # Sat 14 Feb is a make-up working day
        # 2026-W08 (16-22 Feb) has no working day: no session, a warning
        ("2026-W09", "2026-02-23", "2026-03-01", "2026-02-28"),  # 23 Feb off, Sat 28 Feb working
    ]
    assert any("2026-W08" in w and "no working day" in w for w in result.warnings)


def test_twice_yearly_lecture(shipped: Expander) -> None:
    occ = shipped.expand(FIRST, LAST, units={"bz"}).occurrences
    assert rows(occ, "bz-2024.law-lectures") == [
        ("2024.1", "2024-03-31", "2024-06-30", "2024-06-28"),  # in force from 31 Mar; 29-30 Jun a weekend
        ("2024.2", "2024-07-01", "2024-12-31", "2024-12-31"),
        ("2025.1", "2025-01-01", "2025-06-30", "2025-06-30"),
        ("2025.2", "2025-07-01", "2025-12-31", "2025-12-31"),
        ("2026.1", "2026-01-01", "2026-06-30", "2026-06-30"),
        ("2026.2", "2026-07-01", "2026-12-31", "2026-12-31"),
    ]


def test_quarterly_prefecture_reception(shipped: Expander) -> None:
    occ = shipped.expand(FIRST, LAST, units={"bz"}).occurrences
    # 2024-Q1 is in force only on Sunday 31 March: no working day, no session
    assert rows(occ, "bz-2024.petition-reception-prefecture") == [
        ("2024-Q2", "2024-04-01", "2024-06-30", "2024-06-28"),  # 29-30 Jun a weekend
        ("2024-Q3", "2024-07-01", "2024-09-30", "2024-09-30"),
        ("2024-Q4", "2024-10-01", "2024-12-31", "2024-12-31"),
        ("2025-Q1", "2025-01-01", "2025-03-31", "2025-03-31"),
        ("2025-Q2", "2025-04-01", "2025-06-30", "2025-06-30"),
        ("2025-Q3", "2025-07-01", "2025-09-30", "2025-09-30"),
        ("2025-Q4", "2025-10-01", "2025-12-31", "2025-12-31"),
        ("2026-Q1", "2026-01-01", "2026-03-31", "2026-03-31"),
        ("2026-Q2", "2026-04-01", "2026-06-30", "2026-06-30"),
        ("2026-Q3", "2026-07-01", "2026-09-30", "2026-09-30"),
        ("2026-Q4", "2026-10-01", "2026-12-31", "2026-12-31"),
    ]
    assert all(o.planned is None for o in occ if o.obligation.id == "bz-2024.petition-reception-prefecture")


def astuple(span: Span) -> tuple[dt.date, dt.date]:
    return span.first, span.last
