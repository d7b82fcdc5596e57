"""The predicted calendar (beyond_dataset: predict) against the official data of 2004-2026.

Each year is predicted under the version of 《全国年节及纪念日放假办法》 in force that year; the
2027 prediction (the current version) is also applied to 2024-2026, where it holds for 2025 and
2026 and misses one day of 2024 (除夕, a working day under the 2013 version).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import chinese_calendar
import pytest
from icalendar import Calendar

from obligations.errors import HolidayDataMissing
from scheduler.prediction import CURRENT, LAWS, law_in_force, qingming, statutory_days
from scheduler.workdays import DATASET_YEARS, OfficialYear, WorkdayCalendar
from tests.conftest import DATA, CliResult, d

DATASET = range(DATASET_YEARS[0], DATASET_YEARS[1] + 1)


def test_every_predicted_day_of_2004_to_2026_is_an_official_day_off() -> None:
    checked = {}
    for year in DATASET:
        for day, festival in statutory_days(year).items():
            checked[day] = festival
            assert not chinese_calendar.is_workday(day), f"{day} ({festival}) was a working day"
    assert len(checked) == 251  # 23 years; 2004-2007 without 清明/端午/中秋


def test_the_current_law_applied_to_2024_2026_misses_only_the_2024_eve() -> None:
    """The 2027 prediction's rules: every fixed and lunar day off in 2025 and 2026; in 2024 (still
    under the 2013 version, 春节 初一-初三) 除夕, 9 February, was a working day."""
    working = [day for year in (2024, 2025, 2026) for day in statutory_days(year, CURRENT)
               if chinese_calendar.is_workday(day)]
    assert working == [d("2024-02-09")]
    assert law_in_force(2024) is LAWS[2]
    assert law_in_force(2025) is law_in_force(2027) is CURRENT


def test_the_2027_prediction_checked_by_hand() -> None:
    assert statutory_days(2027) == {
        d("2027-01-01"): "new_year",
        d("2027-02-05"): "spring_festival",  # 除夕, Friday
        d("2027-02-06"): "spring_festival",  # 正月初一, Saturday
        d("2027-02-07"): "spring_festival",
        d("2027-02-08"): "spring_festival",  # 初三, Monday
        d("2027-04-05"): "qingming",
        d("2027-05-01"): "labour_day",
        d("2027-05-02"): "labour_day",
        d("2027-06-09"): "dragon_boat",  # 五月初五
        d("2027-09-15"): "mid_autumn",  # 八月十五
        d("2027-10-01"): "national_day",
        d("2027-10-02"): "national_day",
        d("2027-10-03"): "national_day",
    }


@pytest.mark.parametrize("year", range(2008, DATASET_YEARS[1] + 1))
def test_lunar_and_solar_term_days_agree_with_the_dataset_names(year: int) -> None:
    """lunardate's 初一/端午/中秋 and the 清明 term are the days chinesecalendar names so."""
    named = {festival: [day for day, f in statutory_days(year).items() if f == festival]
             for festival in ("spring_festival", "dragon_boat", "mid_autumn", "qingming")}
    names = {"spring_festival": "Spring Festival", "dragon_boat": "Dragon Boat Festival",
             "mid_autumn": "Mid-autumn Festival", "qingming": "Tomb-sweeping Day"}
    for festival, days in named.items():
        for day in days:
            on, name = chinese_calendar.get_holiday_detail(day)
            unnamed = name is None and day.weekday() >= 5  # the dataset names few weekend days
            assert on, (day, festival)
            assert unnamed or name in (names[festival], "National Day"), (day, festival, name)
    assert qingming(year) in named["qingming"]


def test_a_predicted_year_has_statutory_days_and_weekends_off_and_no_make_up_days() -> None:
    cal = WorkdayCalendar(predict_beyond_dataset=True)
    assert cal.year_source(2027) == "predicted"
    assert cal.is_predicted(d("2027-03-01"))
    assert not cal.is_workday(d("2027-02-08"))  # Monday, 正月初三
    assert cal.is_workday(d("2027-02-09"))  # Tuesday: a bridging day only the notice can give
    assert not cal.is_workday(d("2027-02-20"))  # Saturday: no make-up day is invented
    assert cal.next_workday(d("2027-10-01")) == d("2027-10-04")
    assert cal.guessed_years == {2027}


def test_official_data_wins_over_the_prediction() -> None:
    notice = OfficialYear(frozenset({d("2027-02-09")}), frozenset({d("2027-02-20")}))
    cal = WorkdayCalendar(predict_beyond_dataset=True, official={2027: notice})
    assert cal.year_source(2027) == "official"
    assert not cal.is_predicted(d("2027-02-09"))
    assert not cal.is_workday(d("2027-02-09"))
    assert cal.is_workday(d("2027-02-20"))
    assert cal.year_source(2026) == "dataset"
    assert cal.guessed_years == set()


def test_years_beyond_the_lunar_table_still_stop() -> None:
    cal = WorkdayCalendar(predict_beyond_dataset=True)
    assert cal.year_source(2100) == "missing"
    with pytest.raises(HolidayDataMissing):
        cal.is_workday(d("2100-03-01"))


def _config(tmp_path: Path) -> str:
    config = tmp_path / "config.yaml"
    config.write_text(f"rules: [{DATA / 'rules' / 'sample.yaml'}]\ncalendar: {{beyond_dataset: predict}}\n",
                      encoding="utf-8")
    return str(config)


def test_the_cli_warning_says_predicted_in_chinese_and_english(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = cli("expand", "--config", config, "--from", "2027-01-01", "--to", "2027-01-31", "--format", "json")
    assert result.code == 0, result.err
    assert "警告:2027年:国务院节假日安排尚未发布,节假日按《全国年节及纪念日放假办法》预测" in result.err
    assert "调休上班日和连休安排在通知发布前未知" in result.err
    assert "2027-01-01" not in {o["date"] for o in result.json()}
    english = cli("expand", "--config", config, "--from", "2027-01-01", "--to", "2027-01-31", "--lang", "en")
    assert "holidays are predicted from the national holiday regulations" in english.err
    assert "make-up working days and bridging days are unknown" in english.err


def test_a_feed_event_in_2027_carries_the_prediction_note(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("ics", "--config", _config(tmp_path), "--from", "2026-12-01", "--to", "2027-03-31")
    assert result.code == 0, result.err
    feed = Calendar.from_ical(result.out)
    events = [(e.decoded("dtstart"), str(e["description"])) for e in feed.walk("VEVENT")]
    in_2027 = [text for start, text in events if start.year == 2027]
    in_2026 = [text for start, text in events if start.year == 2026]
    assert in_2027
    assert in_2026
    assert all("预测:国务院2027年节假日安排尚未发布" in text for text in in_2027)
    assert not any("预测" in text for text in in_2026)
    assert "预测" in str(feed["x-wr-caldesc"])
