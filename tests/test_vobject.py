"""Our feeds read by a fourth and a fifth parser: vobject (Radicale's) and ical (Home Assistant's).

Both read what we build: the calendar's name with its commas and semicolons whole, and the same
(UID, date) list as ``expand``. tests/test_feed_parsers.py has both read the served feeds too.
"""

from __future__ import annotations

import datetime as dt

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from calendars.feeds import FeedSet, Selection, build_feed_set, in_memory_versions
from calendars.ics import calendar_shell
from calendars.windows import span_of
from scheduler.snapshot import load_snapshot
from tests.conftest import DATA, SHANGHAI

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
COUNTY = "测试县人民政府, 司法局; 值班\\夜班"  # TEXT's three special characters (RFC 5545 3.3.11)
LABEL = "县司法局值班, 夜班; 周末"


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> FeedSet:
    root = tmp_path_factory.mktemp("site")
    rules = (DATA / "rules" / "sample.yaml").read_text(encoding="utf-8")
    assert "name: 测试县人民政府," in rules
    quoted = '"' + COUNTY.replace("\\", "\\\\") + '"'  # a YAML double-quoted scalar
    (root / "rules.yaml").write_text(rules.replace("name: 测试县人民政府,", f"name: {quoted},", 1), encoding="utf-8")
    (root / "config.yaml").write_text("timezone: Asia/Shanghai\nrules: [rules.yaml]\n", encoding="utf-8")
    snapshot = load_snapshot(root / "config.yaml", 1, NOW)
    assert snapshot.rules.units["cty"].name == COUNTY
    return build_feed_set(snapshot, FIRST, LAST, versions=in_memory_versions(), now=NOW,
                          base_url="http://duties.test", lang="zh-CN", refresh=dt.timedelta(hours=1))


NAMES = {
    "unit": (Selection("unit", "cty"), None, f"法定职责日历 · {COUNTY}"),
    "children": (Selection("unit", "cty", True), None, f"法定职责日历 · {COUNTY}(含下级单位)"),
    "private": (Selection("unit", "cty"), LABEL, f"法定职责日历 · {LABEL}"),
}


def expected(feeds: FeedSet, selection: Selection) -> list[tuple[str, str]]:
    units = feeds.units_of(selection)
    result = feeds.snapshot.expander().expand(FIRST, LAST, units=units)
    return sorted((f"{o.uid}@obligation-calendar", o.date.isoformat()) for o in result.occurrences)


def _day(value: object) -> str:
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("which", NAMES)
def test_vobject_reads_names_with_commas_whole(feeds: FeedSet, which: str) -> None:
    """vobject read ``X-WR-CALNAME:A, B`` as "A": NAME and the X-WR- properties went out unescaped."""
    selection, label, name = NAMES[which]
    cal = vobject.readOne(feeds.feed(selection, label).body.decode("utf-8"))
    assert cal.x_wr_calname.value == name
    assert cal.contents["name"][0].value == name
    events = cal.contents.get("vevent", [])
    assert sorted((ev.uid.value, _day(ev.dtstart.value)) for ev in events) == expected(feeds, selection)
    assert any(COUNTY in ev.summary.value for ev in events)


@pytest.mark.parametrize("which", NAMES)
def test_ical_reads_names_with_commas_whole(feeds: FeedSet, which: str) -> None:
    """The same feeds through ical (a strict, pydantic-typed RFC 5545 parser)."""
    selection, label, name = NAMES[which]
    cal = IcsCalendarStream.calendar_from_ics(feeds.feed(selection, label).body.decode("utf-8"))
    assert cal.name == [name]
    assert sorted((ev.uid, _day(ev.dtstart)) for ev in cal.events) == expected(feeds, selection)
    assert any(COUNTY in (ev.summary or "") for ev in cal.events)


def test_vobject_and_ical_read_the_calendar_description_whole() -> None:
    """X-WR-CALDESC (the warning for a year without official data) is TEXT too: it came back cut."""
    warning = "注意:2027年节假日安排尚未收录, 工作日按预测推算; 请以国务院通知为准"
    body = calendar_shell(LABEL, SHANGHAI, refresh=dt.timedelta(hours=1), description=warning).to_ical()
    cal = vobject.readOne(body.decode("utf-8"))
    assert cal.x_wr_caldesc.value == cal.description.value == warning
    assert cal.x_wr_calname.value == LABEL
    parsed = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    assert parsed.description == [warning]
    assert parsed.name == [LABEL]


def test_vobject_and_ical_read_windows_as_multi_day_events(feeds: FeedSet) -> None:
    """``?windows=span`` (issue 10, item 2): each unplaced window from its first day to the day after
    its last; both parsers read the starts and exclusive ends the expansion gives."""
    selection = Selection("unit", "cty", True)
    units = feeds.units_of(selection)
    want = []
    for occ in feeds.occurrences:
        if units is None or occ.unit in units:
            start, end = span_of(occ) or (occ.date, occ.date + dt.timedelta(days=1))
            want.append((f"{occ.uid}@obligation-calendar", start.isoformat(), end.isoformat()))
    assert any(end != (dt.date.fromisoformat(start) + dt.timedelta(days=1)).isoformat() for _, start, end in want)
    text = feeds.feed(selection, shape="span").body.decode("utf-8")
    events = vobject.readOne(text).contents.get("vevent", [])
    assert sorted((ev.uid.value, _day(ev.dtstart.value), _day(ev.dtend.value)) for ev in events) == sorted(want)
    parsed = IcsCalendarStream.calendar_from_ics(text).events
    assert sorted((ev.uid, _day(ev.dtstart), _day(ev.dtend)) for ev in parsed) == sorted(want)
