"""Every schedule kind against dates checked by hand with the State Council notices (2024-2026)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import scheduler.expand
from obligations.errors import HolidayDataMissing
from obligations.loader import load_rules
from obligations.ruleset import RuleSet
from obligations.schedules import QuotaSchedule, RRuleSchedule
from scheduler.expand import Expander
from scheduler.slots import quota_slots, rrule_slots
from scheduler.workdays import WorkdayCalendar
from tests.conftest import SHANGHAI, d, obligation, write_rules

Dates = Callable[..., list[dt.date]]


def ds(*texts: str) -> list[dt.date]:
    return [d(t) for t in texts]


# -- quotas -------------------------------------------------------------------------------------


def test_quarterly_is_due_once_in_each_quarter_on_its_last_working_day(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "quarter", "unit": "day"}, "2024-01-01", "2026-12-31")
    # an unplaced session is due on the last working day of its window (here the quarter)
    assert got == ds(
        "2024-03-29", "2024-06-28",  # 31 Mar 2024 and 30 Jun 2024 are Sundays: the Fridays before
        "2024-09-30", "2024-12-31",  # a Monday and a Tuesday
        "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31",  # Mon, Mon, Tue, Wed
        "2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31",  # Tue, Tue, Wed, Thu
    )


def test_weekly_never_falls_in_the_2025_national_day_break(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "week", "unit": "day"}, "2025-09-15", "2025-10-19")
    # due on each week's last working day: Fri 19 Sep; Sun 28 Sep (a make-up working day);
    # Tue 30 Sep (1-5 Oct are off); Sat 11 Oct (6-8 Oct off, 11 Oct a make-up working day); Fri 17 Oct
    assert got == ds("2025-09-19", "2025-09-28", "2025-09-30", "2025-10-11", "2025-10-17")
    assert not [x for x in got if d("2025-10-01") <= x <= d("2025-10-08")]


def test_weekly_preferred_weekday_moves_within_its_week(dates_of: Dates) -> None:
    place = {"weekday": "wed"}
    got = dates_of({"type": "quota", "count": 1, "per": "week", "place": place}, "2025-09-22", "2025-10-12")
    # 1 Oct (Wed) is off and the rest of that week too, so the previous working day;
    # 8 Oct (Wed) is off, so the next working day of that week
    assert got == ds("2025-09-24", "2025-09-30", "2025-10-09")


def test_week_without_working_days_gets_no_session_and_a_warning(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.weekly", {"type": "quota", "count": 1, "per": "week"})])
    result = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2026-02-09"), d("2026-03-01"))
    # W07: Sat 14 Feb is a make-up working day, the week's last; W08 (16-22 Feb) is all off;
    # W09: 23 Feb is off, Sat 28 Feb is a make-up working day, the week's last
    assert [o.date for o in result.occurrences] == ds("2026-02-14", "2026-02-28")
    assert any("2026-W08" in w and "no working day" in w for w in result.warnings)


def test_monthly_due_on_the_last_working_day(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "month"}, "2025-01-01", "2025-06-30")
    # January: 28-31 Jan are Spring Festival, Mon 27 Jan is the last working day; Fri 28 Feb;
    # Mon 31 Mar; Wed 30 Apr; May: 31 May is a Saturday, so Fri 30 May; Mon 30 Jun
    assert got == ds("2025-01-27", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-30", "2025-06-30")


def test_every_two_months(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "two_months"}, "2025-01-01", "2025-12-31")
    # Fri 28 Feb, Wed 30 Apr, Mon 30 Jun; 31 Aug is a Sunday, so Fri 29 Aug; Fri 31 Oct, Wed 31 Dec
    assert got == ds("2025-02-28", "2025-04-30", "2025-06-30", "2025-08-29", "2025-10-31", "2025-12-31")


def test_half_year(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "half_year"}, "2024-01-01", "2025-12-31")
    # 30 Jun 2024 is a Sunday, so Fri 28 Jun; Tue 31 Dec 2024; Mon 30 Jun 2025; Wed 31 Dec 2025
    assert got == ds("2024-06-28", "2024-12-31", "2025-06-30", "2025-12-31")


def test_two_per_year_spread_over_the_halves(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 2, "per": "year"}, "2025-01-01", "2025-12-31")
    assert got == ds("2025-06-30", "2025-12-31")  # each half's last working day: Mon 30 Jun, Wed 31 Dec


def test_two_days_per_week_split_the_working_days(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 2, "per": "week", "unit": "day"}, "2025-09-22", "2025-10-05")
    # week of 22 Sep has six working days (28 Sep is a make-up Sunday): runs of 3 + 3, 22-24 and
    # 25-28 Sep, due on their last days; week of 29 Sep has two: 29 and 30 Sep, one run each
    assert got == ds("2025-09-24", "2025-09-28", "2025-09-29", "2025-09-30")


def test_first_working_day_of_the_second_month_of_the_quarter(dates_of: Dates) -> None:
    place = {"month": 2, "nth_working_day": 1}
    got = dates_of({"type": "quota", "count": 1, "per": "quarter", "place": place}, "2025-01-01", "2025-12-31")
    # 1-4 Feb 2025 are Spring Festival; 1-5 May are Labour Day
    assert got == ds("2025-02-05", "2025-05-06", "2025-08-01", "2025-11-03")


def test_last_working_day_of_the_quarter(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "quarter", "place": {"nth_working_day": -1}},
                   "2025-01-01", "2025-12-31")
    assert got == ds("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31")


@pytest.mark.parametrize(("shift", "expected"), [
    ("next", ["2025-01-15", "2025-02-17", "2025-03-17", "2025-04-15", "2025-05-15", "2025-06-16"]),
    ("previous", ["2025-01-15", "2025-02-14", "2025-03-14", "2025-04-15", "2025-05-15", "2025-06-13"]),
])
def test_fixed_day_of_month_shifts_when_off(dates_of: Dates, shift: str, expected: list[str]) -> None:
    place = {"day": 15, "shift": shift}
    got = dates_of({"type": "quota", "count": 1, "per": "month", "place": place}, "2025-01-01", "2025-06-30")
    assert got == ds(*expected)


def test_session_time_gives_start_and_end_in_the_zone(rules_from: Callable[..., RuleSet]) -> None:
    sched = {"type": "quota", "count": 1, "per": "month", "time": {"start": "09:30", "end": "12:00"}}
    rules = rules_from([obligation("t.timed", sched)])
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-10-01"), d("2025-10-31")).occurrences[0]
    # due on October's last working day, Fri 31 Oct
    assert occ.start == dt.datetime(2025, 10, 31, 9, 30, tzinfo=SHANGHAI)
    assert occ.end == dt.datetime(2025, 10, 31, 12, 0, tzinfo=SHANGHAI)
    assert occ.start.isoformat() == "2025-10-31T09:30:00+08:00"


def test_plan_issued_mid_year_fills_the_yearly_quota_after_its_date(dates_of: Dates) -> None:
    """Regression: a plan issued on 2024-03-31 placed its 2024 lecture on 2 January and dropped it."""
    got = dates_of({"type": "quota", "count": 2, "per": "year"}, "2024-01-01", "2024-12-31",
                   effective={"from": "2024-03-31"})
    assert len(got) == 2
    assert all(x >= d("2024-03-31") for x in got)
    # H1 is cut to 31 Mar - 30 Jun; 30 Jun 2024 is a Sunday, so due Fri 28 Jun
    assert got == ds("2024-06-28", "2024-12-31")


# -- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "expected"), [
    ("keep", "2025-03-01"),  # a Saturday, kept as written
    ("previous", "2025-02-28"),
    ("next", "2025-03-03"),
])
def test_before_1_march_2025_under_each_policy(dates_of: Dates, policy: str, expected: str) -> None:
    got = dates_of({"type": "yearly_deadline", "month": 3, "day": 1, "holiday_policy": policy},
                   "2025-01-01", "2025-12-31")
    assert got == [d(expected)]


def test_yearly_deadlines_2024_to_2026(dates_of: Dates) -> None:
    got = dates_of({"type": "yearly_deadline", "month": 4, "day": 30, "holiday_policy": "previous"},
                   "2024-01-01", "2026-12-31")
    assert got == ds("2024-04-30", "2025-04-30", "2026-04-30")


def test_strictly_before_1_april(dates_of: Dates) -> None:
    """The `exclusive` option, for a text that says 4月1日(不含)前; 4月1日前 itself is 1 April."""
    got = dates_of({"type": "yearly_deadline", "month": 4, "day": 1, "exclusive": True}, "2025-01-01", "2025-12-31")
    assert got == ds("2025-03-31")


def test_29_february_in_a_common_year(dates_of: Dates) -> None:
    got = dates_of({"type": "yearly_deadline", "month": 2, "day": 29}, "2024-01-01", "2025-12-31")
    assert got == ds("2024-02-29", "2025-02-28")


def test_holiday_move_can_cross_new_year(dates_of: Dates) -> None:
    got = dates_of({"type": "yearly_deadline", "month": 1, "day": 1, "holiday_policy": "previous"},
                   "2024-12-01", "2025-01-31")
    assert got == ds("2024-12-31")


def test_window_first_quarter_and_year_end(dates_of: Dates) -> None:
    # due on the window's last working day: 31 Mar 2024 is a Sunday (keep names no day to keep)
    assert dates_of({"type": "window", "period": "quarter", "index": 1}, "2024-01-01", "2026-12-31") == ds(
        "2024-03-29", "2025-03-31", "2026-03-31")
    assert dates_of({"type": "window", "period": "year", "holiday_policy": "previous"},
                    "2024-01-01", "2026-12-31") == ds("2024-12-31", "2025-12-31", "2026-12-31")
    # 31 March 2024 is a Sunday
    assert dates_of({"type": "window", "period": "quarter", "index": 1, "holiday_policy": "previous"},
                    "2024-01-01", "2024-12-31") == ds("2024-03-29")


def test_window_carries_its_first_day(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.w", {"type": "window", "period": "quarter", "index": 1})])
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-01-01"), d("2025-12-31")).occurrences
    assert [(o.window_start, o.window_end, o.due, o.planned, o.date, o.kind) for o in occ] == [
        (d("2025-01-01"), d("2025-03-31"), d("2025-03-31"), None, d("2025-03-31"), "deadline")]


def test_one_off_deadlines(dates_of: Dates) -> None:
    assert dates_of({"type": "once", "date": "2020-06-15"}, "2020-01-01", "2020-12-31") == ds("2020-06-15")
    assert dates_of({"type": "once", "date": "2024-12-31"}, "2024-01-01", "2026-12-31") == ds("2024-12-31")
    # 2021年3月1日之前 includes 1 March (docs/rules.md, "Reading 前, 之前, 以前, 底前, 年内"): a Monday
    assert dates_of({"type": "once", "date": "2021-03-01"}, "2021-01-01", "2021-12-31") == ds("2021-03-01")
    # exclusive is only for a text that excludes the day in words (3月1日(不含)前)
    assert dates_of({"type": "once", "date": "2021-03-01", "exclusive": True}, "2021-01-01", "2021-12-31") == ds(
        "2021-02-28")
    assert dates_of({"type": "once", "date": "2024-12-31"}, "2025-01-01", "2025-12-31") == []


# -- RRULE and exceptions -----------------------------------------------------------------------


def test_rrule_moved_to_next_working_day(dates_of: Dates) -> None:
    sched = {"type": "rrule", "rrule": "FREQ=MONTHLY;BYMONTHDAY=1", "start": "2025-01-01"}
    got = dates_of(sched, "2025-09-01", "2026-01-31")
    assert got == ds("2025-09-01", "2025-10-09", "2025-11-03", "2025-12-01", "2026-01-04")


def test_rrule_skip_drops_days_off(dates_of: Dates) -> None:
    sched = {"type": "rrule", "rrule": "FREQ=WEEKLY;BYDAY=WE", "start": "2025-01-01", "holiday_policy": "skip"}
    assert dates_of(sched, "2025-09-22", "2025-10-12") == ds("2025-09-24")


def test_exceptions_skip_move_and_add(rules_from: Callable[..., RuleSet]) -> None:
    # the quarters of 2025 are due on Mon 31 Mar, Mon 30 Jun, Tue 30 Sep, Wed 31 Dec
    exceptions = [
        {"skip": "2025-06-30"},
        {"move": "2025-09-30", "to": "2025-09-26"},
        {"add": "2025-08-15", "units": ["cty"]},
    ]
    rules = rules_from([obligation("t.q", {"type": "quota", "count": 1, "per": "quarter"},
                                   applies_to=["cty", "cty2"], exceptions=exceptions)])
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-01-01"), d("2025-12-31")).occurrences
    assert [(o.unit, o.date.isoformat()) for o in occ] == [
        ("cty", "2025-03-31"), ("cty2", "2025-03-31"),
        ("cty", "2025-08-15"),
        ("cty", "2025-09-26"), ("cty2", "2025-09-26"),
        ("cty", "2025-12-31"), ("cty2", "2025-12-31"),
    ]
    moved = next(o for o in occ if o.date == d("2025-09-26"))
    assert moved.slot == "2025-Q3"  # same identity as before the move
    assert moved.nominal == d("2025-09-30")
    # an unplaced session moved by the rule is due on the new day; its window stays the quarter
    assert (moved.window_start, moved.window_end, moved.due, moved.planned) == (
        d("2025-07-01"), d("2025-09-30"), d("2025-09-26"), None)
    added = next(o for o in occ if o.date == d("2025-08-15"))
    assert (added.window_start, added.window_end, added.due, added.planned) == (d("2025-08-15"),) * 4


def test_exception_on_a_date_without_occurrence_warns(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.q", {"type": "quota", "count": 1, "per": "quarter"},
                                   exceptions=[{"skip": "2025-04-02"}])])
    result = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-01-01"), d("2025-12-31"))
    assert len(result.occurrences) == 4
    assert any("2025-04-02" in w for w in result.warnings)


# -- units and effective periods ----------------------------------------------------------------


def test_one_obligation_yields_occurrences_for_every_unit(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.m", {"type": "quota", "count": 1, "per": "month"},
                                   applies_to={"level": "township"})])
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-03-01"), d("2025-03-31")).occurrences
    # due on March's last working day, Mon 31 Mar
    assert [(o.unit, o.date) for o in occ] == [("cty.town", d("2025-03-31")), ("cty2.town", d("2025-03-31"))]
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-03-01"), d("2025-03-31"),
                                                                 units={"cty2.town"}).occurrences
    assert [o.unit for o in occ] == ["cty2.town"]


def test_selector_under_limits_to_a_subtree(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.m", {"type": "quota", "count": 1, "per": "month"},
                                   applies_to={"level": "township", "under": "cty2"})])
    assert rules.applies_to(rules.obligations["t.m"]) == ["cty2.town"]


def test_effective_period_bounds_occurrences(dates_of: Dates) -> None:
    got = dates_of({"type": "quota", "count": 1, "per": "month"}, "2024-01-01", "2026-12-31",
                   effective={"from": "2025-11-15", "until": "2026-02-10"})
    # November and February are cut by the effective period: each is due inside the part in force.
    # 15-30 Nov: 29-30 Nov are a weekend, so Fri 28 Nov; Wed 31 Dec; 31 Jan 2026 is a Saturday, so
    # Fri 30 Jan; 1-10 Feb: Tue 10 Feb, the last day in force
    assert got == ds("2025-11-28", "2025-12-31", "2026-01-30", "2026-02-10")


def test_local_holiday_in_rules_file_moves_sessions(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.m", {"type": "quota", "count": 1, "per": "month"})],
                       calendar={"holidays": [{"date": "2025-06-30", "name": "地方节日"}]})
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-06-01"), d("2025-06-30")).occurrences
    # Mon 30 Jun is off locally, 28-29 Jun are a weekend: due Fri 27 Jun
    assert [o.date for o in occ] == [d("2025-06-27")]


def test_range_does_not_change_placement(dates_of: Dates) -> None:
    sched = {"type": "quota", "count": 3, "per": "month"}
    whole = dates_of(sched, "2025-03-01", "2025-03-31")
    part = dates_of(sched, "2025-03-10", "2025-03-31")
    assert part == [x for x in whole if x >= d("2025-03-10")]


def test_level_selector_stays_in_its_own_rules_file(tmp_path: Path) -> None:
    """Regression: `{level: county}` in one document's file also selected other documents' counties."""

    (tmp_path / "a").mkdir()
    first = write_rules(tmp_path / "a", [obligation("t.m", {"type": "quota", "count": 1, "per": "month"},
                                                    applies_to={"level": "county"})])
    other = tmp_path / "other.yaml"
    other.write_text(
        "document: {id: o-2024, title: 其他}\nunits:\n  - {id: o, name: 其他县, level: county}\n",
        encoding="utf-8",
    )
    rules = load_rules([first, other])
    assert rules.applies_to(rules.obligations["t.m"]) == ["cty", "cty2"]


def test_range_ending_new_years_eve_needs_no_next_year_data(rules_from: Callable[..., RuleSet]) -> None:
    """Regression: a range ending 31 Dec 2026 asked for 2027 holidays (not in the dataset) and failed."""
    rules = rules_from([
        obligation("t.weekly", {"type": "quota", "count": 1, "per": "week"}),
        obligation("t.rrule", {"type": "rrule", "rrule": "FREQ=WEEKLY;BYDAY=MO", "start": "2026-01-05",
                               "holiday_policy": "next"}),
        # 20 Jan 2027 is beyond the two-week margin in which "previous" could bring it back into 2026
        obligation("t.yearly", {"type": "yearly_deadline", "month": 1, "day": 20, "holiday_policy": "previous"}),
    ])
    result = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2026-12-01"), d("2026-12-31"))
    weekly = [o.date for o in result.occurrences if o.obligation.id == "t.weekly"]
    assert weekly[-1] == d("2026-12-31")  # the week of 28 Dec runs into 2027: due within 2026, Thu 31 Dec
    assert any("2026-W53 runs into 2027" in w for w in result.warnings)
    assert [o.date for o in result.occurrences if o.obligation.id == "t.yearly"] == []


def test_month_placement_counts_from_the_period_when_effective_cuts_it(dates_of: Dates) -> None:
    # the second month of Q1 2024 is out of force: the first working day in force instead
    got = dates_of({"type": "quota", "count": 1, "per": "quarter", "place": {"month": 2, "nth_working_day": 1}},
                   "2024-01-01", "2024-06-30", effective={"from": "2024-03-15"})
    assert got == ds("2024-03-15", "2024-05-06")
    # 15 March of the year is out of force (plan of 31 March): the next working day in force
    got = dates_of({"type": "quota", "count": 1, "per": "year", "place": {"month": 3, "day": 15}},
                   "2024-01-01", "2025-12-31", effective={"from": "2024-03-31"})
    assert got == ds("2024-04-01", "2025-03-17")  # 15 March 2025 is a Saturday


def test_exception_notes_reach_the_occurrence(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.q", {"type": "quota", "count": 1, "per": "quarter"}, exceptions=[
        {"move": "2025-09-30", "to": "2025-08-28", "note": "州委全会"}, {"add": "2025-08-15"}])])
    # Q3 2025 is due Tue 30 Sep, outside the range; the move brings it in
    occ = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-07-01"), d("2025-08-31")).occurrences
    assert [(o.date, o.nominal, o.note) for o in occ] == [
        (d("2025-08-15"), None, "added"), (d("2025-08-28"), d("2025-09-30"), "州委全会")]


def test_a_deadline_that_next_years_holidays_could_move_back_needs_that_data(
        rules_from: Callable[..., RuleSet]) -> None:
    """5 Jan 2027 with holiday_policy previous lands on 31 Dec 2026 if 1-5 Jan are off: not a guess."""

    rules = rules_from([obligation("t.y", {"type": "yearly_deadline", "month": 1, "day": 5,
                                           "holiday_policy": "previous"})])
    with pytest.raises(HolidayDataMissing):
        Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2026-12-01"), d("2026-12-31"))


# -- bounds: no rule can make expansion eat memory or time ---------------------------------------------


def test_the_yearly_cap_keeps_the_first_occurrences_and_names_the_rule(rules_from: Callable[..., RuleSet],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pass

    rules = rules_from([obligation("t.daily", {"type": "rrule", "rrule": "FREQ=DAILY", "start": "2025-01-01",
                                               "holiday_policy": "keep"})])
    monkeypatch.setattr(scheduler.expand, "MAX_OCCURRENCES_PER_YEAR", 100)
    result = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(d("2025-01-01"), d("2026-12-31"))
    assert len(result.occurrences) == 200
    assert result.occurrences[99].date == d("2025-04-10")
    assert result.occurrences[100].date == d("2026-01-01")
    assert [w for w in result.warnings if w.startswith("t.daily: more than 100 occurrences in 2025")]


def test_a_sub_daily_rule_that_slipped_past_validate_is_not_expanded() -> None:

    warnings: list[str] = []
    for text in ("FREQ=SECONDLY", "FREQ=DAILY;BYMINUTE=0,30", "FREQ=DAILY;INTERVAL=0"):
        schedule = RRuleSchedule(type="rrule", rrule=text, start=d("2025-01-01"))
        assert rrule_slots(schedule, WorkdayCalendar(), d("2025-01-01"), d("2025-12-31"), warnings.append) == []
    assert len(warnings) == 3
    assert all(w.startswith("not expanded: rrule:") for w in warnings)


def test_a_huge_quota_that_slipped_past_validate_stays_bounded() -> None:
    pass


    start = time.perf_counter()
    slots = quota_slots(QuotaSchedule(type="quota", count=99_999_999, per="year"), WorkdayCalendar(),
                        d("2025-01-01"), d("2025-12-31"))
    assert len(slots) <= 366
    assert time.perf_counter() - start < 2
