"""Our feeds read by a third parser, Mozilla's ical.js (Thunderbird's), through tests/js/expand.mjs.

Skipped with a reason when node or tests/js/node_modules is missing (``npm ci --prefix tests/js``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from calendars.feeds import Selection, build_feed_set, in_memory_versions
from calendars.windows import span_of
from scheduler.snapshot import load_snapshot
from tests.conftest import DATA, CliResult
from tests.icaljs import IcaljsError, icaljs_expand, require_icaljs

pytestmark = pytest.mark.slow

CONFIG = str(DATA / "sample-config.yaml")
RANGE = ["--from", "2025-01-01", "--to", "2025-12-31"]
YEAR = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))  # ical.js's END is exclusive
RECURRING = DATA / "calendars" / "recurring.ics"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _needs_icaljs() -> None:
    require_icaljs()


@pytest.mark.parametrize("scope", [["--unit", "cty"], []], ids=["unit-cty", "all"])
def test_icaljs_agrees_with_expand(cli: Callable[..., CliResult], scope: list[str]) -> None:
    result = cli("ics", "--config", CONFIG, *RANGE, *scope)
    assert result.code == 0, result.err
    expanded = cli("expand", "--config", CONFIG, *RANGE, *scope, "--format", "json").json()
    want = sorted((f"{i['uid']}@obligation-calendar", i["date"]) for i in expanded)
    assert want, "the sample config should produce occurrences"

    got = sorted((i["uid"], i["start"][:10]) for i in icaljs_expand(result.out.encode("utf-8"), *YEAR))
    assert got == want


def test_icaljs_reads_windows_as_multi_day_events() -> None:
    """``?windows=span`` (issue 10, item 2): ical.js reads each unplaced window from its first day to
    the day after its last, with its alarms at the reminders' own (absolute) times."""
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, NOW)
    feeds = build_feed_set(snapshot, YEAR[0], dt.date(2025, 12, 31), versions=in_memory_versions(), now=NOW,
                           base_url="http://duties.test", lang="zh-CN", refresh=dt.timedelta(hours=1))
    town = [o for o in feeds.occurrences if o.unit == "cty.town"]
    want = sorted((f"{o.uid}@obligation-calendar", *(d.isoformat() for d in span_of(o) or (o.date, o.date)))
                  for o in town)
    assert all(end > start for _, start, end in want)
    got = icaljs_expand(feeds.feed(Selection("unit", "cty.town"), shape="span").body, dt.date(2024, 12, 1), YEAR[1])
    assert sorted((i["uid"], i["start"], i["end"]) for i in got) == want
    national_day = next(i for i in got if i["uid"].endswith("/2025-W40@obligation-calendar"))
    assert (national_day["start"], national_day["end"]) == ("2025-09-29", "2025-10-06")
    assert national_day["summary"] == "【本周内】乡镇领导干部接访 · 测试镇"
    # reminders 7d and 1d before the due day, Tue 30 Sep: 09:00 Beijing time on 23 and 29 Sep
    assert national_day["alarms"] == ["2025-09-23T01:00:00Z", "2025-09-29T01:00:00Z"]


# -- the harness itself, on a hand-checked fixture -------------------------------------------------


def weekly(start: str, end: str, summary: str = "Weekly meeting", alarm: str = "-PT15M") -> dict[str, object]:
    return {"uid": "weekly@fixture", "start": f"{start}+08:00", "end": f"{end}+08:00",
            "summary": summary, "alarms": [alarm]}


def month_end(day: str, end: str) -> dict[str, object]:
    return {"uid": "month-end@fixture", "start": day, "end": end, "summary": "Month-end report", "alarms": ["-P7D"]}


def test_fixture_recurrence_expands_to_hand_checked_instances() -> None:
    # weekly@fixture: Thursdays from 2025-09-04 09:30 Asia/Shanghai, COUNT=6 (09-04 … 10-09),
    # EXDATE 10-02 (National Day), the 09-18 instance moved to Fri 09-19 14:00 with its own alarm.
    # month-end@fixture: all-day on the last day of each month from 08-31, no end,
    # EXDATE 10-31, RDATE 10-15.
    got = icaljs_expand(RECURRING.read_bytes(), dt.date(2025, 9, 1), dt.date(2025, 12, 1))
    assert got == [
        weekly("2025-09-04T09:30:00", "2025-09-04T10:30:00"),
        weekly("2025-09-11T09:30:00", "2025-09-11T10:30:00"),
        weekly("2025-09-19T14:00:00", "2025-09-19T15:30:00", "Weekly meeting (moved)", "2025-09-19T05:00:00Z"),
        weekly("2025-09-25T09:30:00", "2025-09-25T10:30:00"),
        month_end("2025-09-30", "2025-10-01"),
        weekly("2025-10-09T09:30:00", "2025-10-09T10:30:00"),
        month_end("2025-10-15", "2025-10-16"),
        month_end("2025-11-30", "2025-12-01"),
    ]


@pytest.mark.parametrize(
    ("start", "end", "want"),
    [
        ("2025-09-18", "2025-09-19", []),  # the moved instance's original slot is empty
        ("2025-09-19", "2025-09-20", ["2025-09-19T14:00:00+08:00"]),  # … it starts here instead
        ("2025-09-12", "2025-09-19", []),  # moved out of the range: not reported
        ("2025-10-02", "2025-10-03", []),  # EXDATE
        ("2025-08-01", "2025-09-04", ["2025-08-31"]),  # END is exclusive
        ("2026-02-01", "2026-03-01", ["2026-02-28"]),  # the open-ended rule goes on
    ],
)
def test_fixture_windows(start: str, end: str, want: list[str]) -> None:
    got = icaljs_expand(RECURRING.read_bytes(), dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert [i["start"] for i in got] == want


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("BEGIN:VCALENDAR", "BEGIN:VCALENDAR\r\nNOT A PROPERTY", 1), "invalid line"),
        (lambda s: s.replace("TZID:Asia/Shanghai\r\n", "TZID:Asia/Tokyo\r\n", 1),
         "TZID=Asia/Shanghai but no VTIMEZONE"),
        (lambda s: s.replace("RECURRENCE-ID;TZID=Asia/Shanghai:20250918", "RECURRENCE-ID;TZID=Asia/Shanghai:20250917"),
         "matches no instance"),
        (lambda s: s.replace("UID:month-end@fixture", "UID:weekly@fixture"), "two VEVENTs with UID weekly@fixture"),
    ],
    ids=["parse-error", "undefined-tzid", "dangling-recurrence-id", "duplicate-uid"],
)
def test_harness_rejects_broken_calendars(edit: Callable[[str], str], message: str) -> None:
    original = RECURRING.read_bytes().decode("utf-8")  # keeps the CRLF line ends
    text = edit(original)
    assert text != original
    with pytest.raises(IcaljsError, match=r"^ical\.js exited 2: expand\.mjs: ") as info:
        icaljs_expand(text.encode("utf-8"), dt.date(2025, 9, 1), dt.date(2025, 12, 1))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
