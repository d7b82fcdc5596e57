"""iCalendar output, read back by two independent parsers (icalendar, recurring-ical-events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import icalendar
import recurring_ical_events

from tests.conftest import DATA, CliResult

CONFIG = str(DATA / "sample-config.yaml")
RANGE = ["--from", "2025-01-01", "--to", "2025-12-31"]


def feed(cli: Callable[..., CliResult], *args: str) -> bytes:
    result = cli("ics", "--config", CONFIG, *RANGE, *args)
    assert result.code == 0, result.err
    return result.out.encode("utf-8")


def test_parsers_agree_with_expand(cli: Callable[..., CliResult]) -> None:
    data = feed(cli, "--unit", "cty")
    expanded = cli("expand", "--config", CONFIG, *RANGE, "--unit", "cty", "--format", "json").json()
    want = sorted((f"{i['uid']}@obligation-calendar", i["date"]) for i in expanded)

    cal = icalendar.Calendar.from_ical(data)
    got = sorted((str(ev["UID"]), ev.decoded("DTSTART").isoformat()) for ev in cal.walk("VEVENT"))
    assert got == want

    events = recurring_ical_events.of(cal).between(dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    got = sorted((str(ev["UID"]), ev.decoded("DTSTART").isoformat()) for ev in events)
    assert got == want


def test_all_day_deadline_shape(cli: Callable[..., CliResult]) -> None:
    text = feed(cli, "--unit", "cty").decode()
    cal = icalendar.Calendar.from_ical(text)
    report = next(ev for ev in cal.walk("VEVENT") if str(ev["UID"]).startswith("t.report/cty/2025"))
    assert "DTSTART;VALUE=DATE:20250228" in text
    assert report.decoded("DTEND") == dt.date(2025, 3, 1)  # exclusive end
    assert str(report["SUMMARY"]) == "【截止】报告上一年度法治政府建设情况 · 测试县人民政府"
    description = str(report["DESCRIPTION"])
    assert "因节假日由 2025-03-01 调整" in description
    assert "依据:《测试工作要点》" in description
    assert "“每年3月1日前”" in description
    assert str(report["TRANSP"]) == "TRANSPARENT"


def test_calendar_properties_and_timezone(cli: Callable[..., CliResult]) -> None:
    cal = icalendar.Calendar.from_ical(feed(cli))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert str(cal["X-WR-CALNAME"]).startswith("法定职责日历")
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def test_output_is_byte_identical_across_runs(cli: Callable[..., CliResult]) -> None:
    assert feed(cli) == feed(cli)


def test_static_export_writes_every_feed(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("ics", "--config", CONFIG, *RANGE, "--out", str(tmp_path))
    assert result.code == 0, result.err
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ics"))
    assert written == [
        "all.ics",
        "level/county.ics", "level/department.ics", "level/prefecture.ics", "level/township.ics",
        "obligation/t.reception-prefecture.ics", "obligation/t.reception-township.ics", "obligation/t.report.ics",
        "unit/cty.ics", "unit/cty.town.ics", "unit/pref.ics", "unit/pref.justice.ics", "unit/pref.petition.ics",
    ]
    assert (tmp_path / "unit" / "cty.ics").read_bytes() == feed(cli, "--unit", "cty")
    empty = icalendar.Calendar.from_ical((tmp_path / "unit" / "pref.petition.ics").read_bytes())
    assert empty.walk("VEVENT") == []
