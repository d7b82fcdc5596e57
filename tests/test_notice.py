"""The State Council's notice as published: read, compared with the prediction, imported by the CLI.

tests/data/notices/2025.txt and 2026.txt are the notices' text as published (full-width
punctuation); importing them must reproduce chinesecalendar's data for those years exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import chinese_calendar
import pytest

from obligations.loader import load_config
from scheduler.notice import NoticeError, compare, parse_notice
from scheduler.prediction import predicted_days_off
from scheduler.workdays import OfficialYear, WorkdayCalendar
from tests.conftest import DATA, ROOT, CliResult, d

NOTICES = DATA / "notices"


def _text(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_published_notice_reproduces_chinesecalendar_exactly(year: int) -> None:
    notice = parse_notice(_text(year))
    assert notice.year == year
    assert notice.outside == []
    assert set(notice.holidays) == {day for day in chinese_calendar.holidays if day.year == year}
    assert set(notice.workdays) == {day for day in chinese_calendar.workdays if day.year == year}
    # and day by day, through the calendar that uses the notice instead of the dataset
    cal = WorkdayCalendar().with_year(year, OfficialYear(frozenset(notice.holidays), frozenset(notice.workdays)))
    assert cal.year_source(year) == "official"
    assert [day for day in _days(year) if cal.is_workday(day) != chinese_calendar.is_workday(day)] == []


def test_ascii_punctuation_reads_the_same() -> None:
    ascii_text = _text(2025).translate(str.maketrans("：，（）", ":,()"))
    assert ascii_text != _text(2025)
    assert parse_notice(ascii_text) == parse_notice(_text(2025))


def test_the_festivals_of_each_day() -> None:
    notice = parse_notice(_text(2025))
    assert notice.holidays[d("2025-10-06")] == ("national_day", "mid_autumn")
    assert notice.holidays[d("2025-01-28")] == ("spring_festival",)
    assert notice.workdays[d("2025-04-27")] == ("labour_day",)


def test_the_2026_notice_against_the_prediction() -> None:
    diff = compare(parse_notice(_text(2026)), set(predicted_days_off(2026)))
    assert diff.added_off == [d(x) for x in ("2026-01-02", "2026-02-20", "2026-02-23", "2026-04-06", "2026-05-04",
                                             "2026-05-05", "2026-10-05", "2026-10-06", "2026-10-07")]
    assert diff.makeup == [d(x) for x in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                                          "2026-10-10")]
    assert diff.missing == []


@pytest.mark.parametrize(
    ("line", "year", "off", "on"),
    [
        ("一、元旦:1月1日(周五)放假,与周末连休。", 2027, ["2027-01-01"], []),
        ("一、元旦：1月1日（周三）放假1天，不调休。", 2025, ["2025-01-01"], []),
        # the older wording: no weekdays, 星期 for 周, and an encouragement that is no arrangement
        ("二、春节:2月10日至17日放假调休,共8天。2月4日(星期日)、2月18日(星期日)上班。"
         "鼓励各单位结合带薪年休假等制度落实,安排职工在除夕(2月9日)休息。", 2024,
         [f"2024-02-{n}" for n in range(10, 18)], ["2024-02-04", "2024-02-18"]),
        ("五、端午节:5月31日(周六)至6月2日(周一)放假,共3天。", 2025, ["2025-05-31", "2025-06-01", "2025-06-02"], []),
    ],
)
def test_wordings(line: str, year: int, off: list[str], on: list[str]) -> None:
    notice = parse_notice(line, year)
    assert list(notice.holidays) == [d(x) for x in off]
    assert list(notice.workdays) == [d(x) for x in on]


def test_days_of_another_year_are_left_out() -> None:
    notice = parse_notice("一、元旦:2022年12月31日至2023年1月2日放假调休,共3天。", 2023)
    assert list(notice.holidays) == [d("2023-01-01"), d("2023-01-02")]
    assert notice.outside == [d("2022-12-31")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("一、元旦:1月1日(周四)放假1天。", "line 1: 2027-01-01 is a Friday, not 周四"),
        ("一、元旦:1月1日至3日放假,共4天。", "共4天, but 2027-01-01–2027-01-03 is 3 days"),
        ("一、元宵节:2月20日放假。", "unknown festival '元宵节'; known: 元旦、春节"),
        ("一、元旦:2月30日放假。", "2月30日 is not a date"),
        ("今年不放假。", "no arrangement found"),
    ],
)
def test_unreadable_notices_name_the_line(text: str, message: str) -> None:
    with pytest.raises(NoticeError, match=message):
        parse_notice(text, 2027)


def test_a_notice_without_a_year_asks_for_one() -> None:
    with pytest.raises(NoticeError, match="--year"):
        parse_notice("一、元旦:1月1日放假。")


# -- the command -----------------------------------------------------------------------------------

NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）放假，与周末连休。
二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。2月20日（周六）上班。
"""  # not a real notice: two lines in the standard wording, for a year after the dataset


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the shipped config.yaml whose rules glob points back at the shipped rules."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(text.replace("  - rules/*.yaml", f"  - {ROOT / 'rules'}/*.yaml"), encoding="utf-8")
    return path


def test_import_shows_the_difference_and_writes_nothing_without_write(
    cli: Callable[..., CliResult], config: Path
) -> None:
    before = config.read_text(encoding="utf-8")
    result = cli("holidays", "import", str(NOTICES / "2026.txt"), "--config", str(config))
    assert result.code == 0, result.err
    assert "国务院2026年节假日安排:放假33天(含假期中的周末),调休上班6天。" in result.out
    assert "  新增休息日9天:2026-01-02(周五,元旦)、2026-02-20(周五,春节)" in result.out
    assert "  调休上班6天:2026-01-04(周日,元旦)、" in result.out
    assert "chinesecalendar 已收录2026年数据,与通知逐日一致(365天)" in result.out
    assert "导入后日期变动的安排" in result.out
    assert "未写入配置;加 --write 写入" in result.out
    assert config.read_text(encoding="utf-8") == before


@pytest.mark.slow  # expands a year twice and round-trips the config
def test_import_write_puts_the_notice_into_the_config_and_keeps_its_comments(
    cli: Callable[..., CliResult], config: Path, tmp_path: Path
) -> None:
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    before = config.read_text(encoding="utf-8")
    result = cli("holidays", "import", str(notice), "--config", str(config), "--write", "--lang", "en")
    assert result.code == 0, result.err
    assert "  4 more days off: 2027-02-09 (Tue, Spring Festival), 2027-02-10 (Wed, Spring Festival)" in result.out
    assert "  1 make-up working days: 2027-02-20 (Sat, Spring Festival)" in result.out
    # the lines the text leaves out (清明 ... 国庆) are predicted days it does not give
    assert "  4 predicted statutory days off that the notice does not give: 2027-04-05 (Mon)" in result.out
    assert "occurrences move (predicted → notice):" in result.out
    # weekly sessions are due on the week's last working day. 国庆 is not in this text: Fri 1 Oct 2027,
    # predicted off, is a working day again and the last of its week (Thu 30 Sep under the prediction)
    assert ": 2027-09-30 → 2027-10-01" in result.out
    # the week of 8 Feb 2027: predicted 9-12 Feb working (due Fri 12 Feb); the notice gives 5-12 Feb off
    assert ": 2027-02-12 → -" in result.out
    assert f"Written under calendar.official.2027 of {config}." in result.out

    after = config.read_text(encoding="utf-8")
    assert after.startswith("# yaml-language-server: $schema=schema/config.schema.json\n")
    kept = [line for line in before.splitlines() if line.strip().startswith("#") or "quiet_hours" in line]
    assert all(line in after.splitlines() for line in kept)
    assert "    # 国务院办公厅关于2027年部分节假日安排的通知 (main.py holidays import)\n    2027:\n" in after
    assert "        - 2027-02-09  # 春节\n" in after
    assert "        - 2027-02-20  # 春节调休上班\n" in after
    official = load_config(config).config.calendar.official[2027]
    assert d("2027-02-12") in official.holidays
    assert official.workdays == [d("2027-02-20")]

    again = cli("holidays", "import", str(notice), "--config", str(config), "--write")
    assert "已替换" in again.out
    assert config.read_text(encoding="utf-8") == after
    expanded = cli("expand", "--config", str(config), "--from", "2027-02-01", "--to", "2027-02-28")
    assert "2027年:" not in expanded.err  # official now: no prediction warning for 2027
    assert "2027年第6周(2027-02-08至2027-02-14)没有工作日" in expanded.err  # the Spring Festival week


def test_unreadable_or_missing_notices_exit_with_a_reason(cli: Callable[..., CliResult], config: Path,
                                                          tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("关于2027年部分节假日安排的通知\n一、元旦:1月1日(周四)放假1天。\n", encoding="utf-8")
    result = cli("holidays", "import", str(bad), "--config", str(config))
    assert result.code == 2
    assert "第2行:2027-01-01 是周五,不是周四" in result.err
    english = cli("holidays", "import", str(bad), "--config", str(config), "--lang", "en")
    assert "line 2: 2027-01-01 is a Fri, not 周四" in english.err
    missing = cli("holidays", "import", str(tmp_path / "nope.txt"), "--config", str(config))
    assert missing.code == 1
    assert "nope.txt:找不到文件" in missing.err
    assert "no such file" in cli("holidays", "import", str(tmp_path / "nope.txt"), "--config", str(config),
                                 "--lang", "en").err
