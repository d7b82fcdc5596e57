"""The working-day calendar against the State Council notices, checked by hand."""

from __future__ import annotations

import pytest

from obligations.errors import HolidayDataMissing
from scheduler.workdays import DATASET_YEARS, OfficialYear, WorkdayCalendar
from tests.conftest import d


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-09-28", True),  # Sunday, make-up day for National Day 2025
        ("2025-10-11", True),  # Saturday, make-up day
        ("2025-10-01", False),
        ("2025-10-08", False),  # the eighth day of the 2025 National Day + Mid-Autumn break
        ("2025-10-09", True),
        ("2025-03-01", False),  # an ordinary Saturday
        ("2026-01-04", True),  # Sunday, make-up day for New Year 2026
        ("2026-02-14", True),  # Saturday, make-up day for Spring Festival 2026
        ("2026-02-16", False),
        ("2026-02-24", True),
        ("2024-02-04", True),  # Sunday, make-up day for Spring Festival 2024
        ("2024-10-12", True),
    ],
)
def test_national_days(national: WorkdayCalendar, day: str, working: bool) -> None:
    assert national.is_workday(d(day)) is working


def test_next_and_previous_cross_the_national_day_break(national: WorkdayCalendar) -> None:
    assert national.next_workday(d("2025-10-01")) == d("2025-10-09")
    assert national.previous_workday(d("2025-10-08")) == d("2025-09-30")
    assert national.next_workday(d("2025-10-09")) == d("2025-10-09")


def test_workdays_between_counts_make_up_days(national: WorkdayCalendar) -> None:
    # week of 2025-09-22: Mon-Fri plus Sunday the 28th
    assert len(national.workdays_between(d("2025-09-22"), d("2025-09-28"))) == 6
    # the Spring Festival week of 2026 has none
    assert national.workdays_between(d("2026-02-16"), d("2026-02-22")) == []


def test_beyond_the_dataset_is_an_error_not_a_guess(national: WorkdayCalendar) -> None:
    year = DATASET_YEARS[1] + 1
    with pytest.raises(HolidayDataMissing) as info:
        national.is_workday(d(f"{year}-03-01"))
    assert str(year) in str(info.value)
    assert "calendar.official" in str(info.value)
    assert "calendar.beyond_dataset: predict" in str(info.value)
    assert "weekends_only" in str(info.value)
    assert national.year_source(year) == "missing"
    assert national.year_source(DATASET_YEARS[1]) == "dataset"


def test_weekends_only_is_opt_in_and_reported() -> None:
    cal = WorkdayCalendar(weekends_only_beyond_dataset=True)
    year = DATASET_YEARS[1] + 1
    assert cal.is_workday(d(f"{year}-01-01")) is (d(f"{year}-01-01").weekday() < 5)
    assert cal.guessed_years == {year}


def test_official_notice_from_config_covers_a_year() -> None:
    year = DATASET_YEARS[1] + 1
    notice = OfficialYear(frozenset({d(f"{year}-01-01")}), frozenset({d(f"{year}-01-03")}))
    cal = WorkdayCalendar(official={year: notice})
    assert not cal.is_workday(d(f"{year}-01-01"))
    assert cal.is_workday(d(f"{year}-01-03")) is True
    assert cal.guessed_years == set()


def test_local_days_override_national(national: WorkdayCalendar) -> None:
    local = national.with_local([d("2025-06-06")], [d("2025-06-07")])
    assert not local.is_workday(d("2025-06-06"))
    assert local.is_workday(d("2025-06-07"))
    assert national.is_workday(d("2025-06-06"))  # the national calendar is unchanged
