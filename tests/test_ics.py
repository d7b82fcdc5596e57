"""iCalendar output, read back by two independent parsers (icalendar, recurring-ical-events).

vobject and ical read the same feeds in tests/test_vobject.py, ical.js in tests/test_icaljs.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import icalendar
import recurring_ical_events

from calendars.feeds import FeedSet, Selection, VersionSource, build_feed_set, content_hash, in_memory_versions
from calendars.ics import calendar_shell
from i18n import Language
from scheduler.snapshot import load_snapshot
from scheduler.workdays import WorkdayCalendar
from store import open_store
from store.event_versions import EventVersions
from tests.conftest import DATA, SHANGHAI, CliResult

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


# -- regressions found by parsing the served feeds with five parsers (issue 10, item 8) ------------

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)


def feed_set(first: dt.date, last: dt.date, *, base_url: str = "http://duties.test",
             versions: VersionSource | None = None, now: dt.datetime = NOW, lang: Language = "zh-CN") -> FeedSet:
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, NOW)
    return build_feed_set(snapshot, first, last, versions=versions or in_memory_versions(), now=now,
                          base_url=base_url, lang=lang, refresh=dt.timedelta(hours=1))


def history(body: bytes) -> dict[str, tuple[str, str, str]]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(ev["UID"]): (ev["SEQUENCE"], ev["DTSTAMP"].to_ical(), ev["LAST-MODIFIED"].to_ical())
            for ev in cal.walk("VEVENT")}


def unescape(text: str) -> str:
    """TEXT as RFC 5545 3.3.11 reads it (icalendar hands NAME and X- properties back raw)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def calname(body: bytes) -> str:
    cal = icalendar.Calendar.from_ical(body)
    name = unescape(cal["X-WR-CALNAME"].to_ical().decode())
    assert unescape(cal["NAME"].to_ical().decode()) == name
    return name


def test_links_with_another_host_do_not_bump_sequence_or_dtstamp(tmp_path: Path) -> None:
    """`serve` links to http://HOST:PORT, `ics` to the configured public_url; both share one store.

    The URL was hashed with the content, so each build by the other command bumped SEQUENCE and
    DTSTAMP of every event (clients re-fetched and re-alerted); a link is not content.
    """
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        sync = EventVersions(store).sync
        served = feed_set(dt.date(2025, 1, 1), dt.date(2025, 12, 31), base_url="http://127.0.0.1:8080",
                          versions=sync).feed(Selection("all")).body
        later = NOW + dt.timedelta(days=3)
        exported = feed_set(dt.date(2025, 1, 1), dt.date(2025, 12, 31), base_url="https://duties.example.gov.cn/",
                            versions=sync, now=later).feed(Selection("all")).body
    finally:
        store.close()
    assert b"URL:http://127.0.0.1:8080/obligation/" in served
    assert b"URL:https://duties.example.gov.cn/obligation/" in exported
    assert history(served) == history(exported)
    assert {seq for seq, _, _ in history(served).values()} == {0}


def test_content_hash_ignores_the_host_but_not_the_content() -> None:
    """The hash unfolds lines first, so a longer host that moves a fold does not change it."""
    versions = in_memory_versions()
    short = feed_set(dt.date(2025, 1, 1), dt.date(2025, 3, 31), base_url="http://h", versions=versions)
    long = feed_set(dt.date(2025, 1, 1), dt.date(2025, 3, 31), base_url="https://" + "long-host." * 6 + "cn",
                    versions=versions, now=NOW + dt.timedelta(hours=1))
    assert short.feed(Selection("all")).body != long.feed(Selection("all")).body
    assert history(short.feed(Selection("all")).body) == history(long.feed(Selection("all")).body)
    event = b"BEGIN:VEVENT\r\nSUMMARY:a\r\nURL:http://h/obligation/x\r\nEND:VEVENT\r\n"
    assert content_hash(event, "http://h") == content_hash(event.replace(b"http://h", b"https://other"),
                                                           "https://other/")
    assert content_hash(event, "http://h") != content_hash(event.replace(b"SUMMARY:a", b"SUMMARY:b"), "http://h")


def test_calendar_name_with_comma_and_semicolon_is_escaped() -> None:
    """NAME / X-WR-CALNAME / X-WR-CALDESC went out raw: vobject cut "A, B" at the comma."""
    shell = calendar_shell("库尔勒市, 值班; 夜班\\备份", SHANGHAI, refresh=dt.timedelta(hours=1),
                           description="注意, 2027; 预测").to_ical()
    assert b"NAME:\xe5\xba\x93" in shell
    assert "NAME:库尔勒市\\, 值班\\; 夜班\\\\备份\r\n" in shell.decode()
    assert "X-WR-CALNAME:库尔勒市\\, 值班\\; 夜班\\\\备份\r\n" in shell.decode()
    assert "X-WR-CALDESC:注意\\, 2027\\; 预测\r\n" in shell.decode()
    assert calname(shell) == "库尔勒市, 值班; 夜班\\备份"


def test_children_feed_has_its_own_name() -> None:
    """`?children=1` carried the unit feed's name: two subscribed calendars could not be told apart."""
    feeds = feed_set(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert calname(feeds.feed(Selection("unit", "cty")).body) == "法定职责日历 · 测试县人民政府"
    assert calname(feeds.feed(Selection("unit", "cty", True)).body) == "法定职责日历 · 测试县人民政府(含下级单位)"
    english = feed_set(dt.date(2025, 1, 1), dt.date(2025, 12, 31), lang="en")
    assert calname(english.feed(Selection("unit", "cty", True)).body).endswith("测试县人民政府 (with units below)")


def test_private_feed_has_its_own_name() -> None:
    """A private feed of a unit carried the unit feed's name (and shared its cache entry)."""
    feeds = feed_set(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    public = feeds.feed(Selection("unit", "cty"))
    private = feeds.feed(Selection("unit", "cty"), label="县司法局值班, 夜班")
    assert calname(private.body) == "法定职责日历 · 县司法局值班, 夜班"
    assert calname(feeds.feed(Selection("unit", "cty")).body) == "法定职责日历 · 测试县人民政府"
    assert private.events == public.events
    assert history(private.body) == history(public.body)


def test_year_without_data_warned_only_in_feeds_reaching_it() -> None:
    """A feed ending in 2027 warned about 2028: the calendar's list of guessed years is shared by
    every expansion (a page showing 2028, a date moved past New Year), not kept to the feed's range."""
    snapshot = dataclasses.replace(load_snapshot(DATA / "sample-config.yaml", 1, NOW),
                                   calendar=WorkdayCalendar(weekends_only_beyond_dataset=True))
    snapshot.expander().expand(dt.date(2028, 1, 1), dt.date(2028, 12, 31))  # e.g. the page for 2028
    assert 2028 in snapshot.calendar.guessed_years
    feeds = build_feed_set(snapshot, dt.date(2027, 1, 1), dt.date(2027, 12, 31), versions=in_memory_versions(),
                           now=NOW, base_url="http://duties.test", lang="zh-CN", refresh=dt.timedelta(hours=1))
    body = feeds.feed(Selection("all")).body.decode()
    unfolded = body.replace("\r\n ", "")
    # no word about 2028's holidays; 2028 itself may appear as a date: a session due Fri 31 Dec 2027
    # ends (DTEND, exclusive) on 1 Jan 2028, and the week of 27 Dec 2027 is a window up to 2 Jan 2028
    # (its description says 2027年12月27日—2028年1月2日)
    assert "2028年节假日" not in unfolded
    assert "国务院2028年" not in unfolded
    if 2027 in snapshot.calendar.guessed_years:
        caldesc = next(line for line in unfolded.split("\r\n") if line.startswith("X-WR-CALDESC:"))
        assert "2027" in caldesc
    reaching = build_feed_set(snapshot, dt.date(2027, 7, 1), dt.date(2028, 6, 30), versions=in_memory_versions(),
                              now=NOW, base_url="http://duties.test", lang="zh-CN", refresh=dt.timedelta(hours=1))
    caldesc = next(line for line in reaching.feed(Selection("all")).body.decode().replace("\r\n ", "").split("\r\n")
                   if line.startswith("X-WR-CALDESC:"))
    assert "2028" in caldesc
