"""Served feeds read by five independent parsers, each agreeing with our own expansion.

icalendar (Python), recurring-ical-events (Python, expands recurrences), vobject
(Python, Radicale's), ical (Python, Home Assistant's) and Mozilla's ical.js under
node (Thunderbird's parser) parse the bytes our server sends; each one's list of
(UID, date) over 2025 equals ``expand`` for the same unit and range, and each
reads the calendar's name whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import icalendar
import pytest
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream

from calendars.windows import span_of
from scheduler.occurrence import Occurrence
from tests.conftest import ROOT
from tests.icaljs import icaljs_expand, require_icaljs
from tests.liveserver import FrozenClock, Live, make_site, running

pytestmark = [pytest.mark.slow, pytest.mark.network]

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
FEEDS = {
    "unit bz.korla": ("/feeds/unit/bz.korla.ics", {"bz.korla"}, None),
    "unit bz.korla with children": ("/feeds/unit/bz.korla.ics?children=1", "korla+", None),
    "level township": ("/feeds/level/township.ics", "township", None),
    "duty": ("/feeds/obligation/bz-2024.annual-report-submit.ics", None, {"bz-2024.annual-report-submit"}),
    "all": ("/feeds/all.ics", None, None),
}
KORLA = "法定职责日历 · 库尔勒市人民政府"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    config = make_site(tmp_path_factory.mktemp("site"), [ROOT / "rules" / "000-bayingolin-2024.yaml"])
    with running(config, FrozenClock(NOW)) as server:
        yield server


def expected(live: Live, units: object, obligations: set[str] | None) -> list[tuple[str, str]]:
    snapshot = live.service.feeds.snapshot
    rules = snapshot.rules
    if units == "korla+":
        units = {"bz.korla", *rules.descendants("bz.korla")}
    elif units == "township":
        units = set(rules.units_of_level(rules.units["bz.korla.tuanjie"].level))
    result = snapshot.expander().expand(FIRST, LAST, units=units, obligations=obligations)  # type: ignore[arg-type]
    return sorted((f"{o.uid}@obligation-calendar", o.date.isoformat()) for o in result.occurrences)


def _date(value: object) -> str:
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("name", FEEDS)
def test_five_parsers_agree_with_expand(live: Live, name: str) -> None:
    path, units, obligations = FEEDS[name]
    body = httpx.get(live.url + path, timeout=30).content
    want = expected(live, units, obligations)
    assert want

    cal = icalendar.Calendar.from_ical(body)
    in_year = [ev for ev in cal.walk("VEVENT") if FIRST <= _as_date(ev.decoded("DTSTART")) <= LAST]
    assert sorted((str(ev["UID"]), _date(ev.decoded("DTSTART"))) for ev in in_year) == want

    instances = recurring_ical_events.of(cal).between(FIRST, LAST + dt.timedelta(days=1))
    assert sorted((str(ev["UID"]), _date(ev.decoded("DTSTART"))) for ev in instances) == want

    text = body.decode("utf-8")
    events = vobject.readOne(text).contents.get("vevent", [])
    in_year = [ev for ev in events if FIRST <= _as_date(ev.dtstart.value) <= LAST]
    assert sorted((ev.uid.value, _date(ev.dtstart.value)) for ev in in_year) == want

    in_year = [ev for ev in IcsCalendarStream.calendar_from_ics(text).events if FIRST <= _as_date(ev.dtstart) <= LAST]
    assert sorted((ev.uid, _date(ev.dtstart)) for ev in in_year) == want

    require_icaljs()
    got = icaljs_expand(body, FIRST, LAST + dt.timedelta(days=1))
    assert sorted((item["uid"], item["start"][:10]) for item in got) == want


def test_served_children_feed_has_its_own_name(live: Live) -> None:
    """``?children=1`` was served under the unit feed's name; vobject and ical read both names whole."""
    names = {}
    for path in ("/feeds/unit/bz.korla.ics", "/feeds/unit/bz.korla.ics?children=1"):
        text = httpx.get(live.url + path, timeout=30).content.decode("utf-8")
        cal = vobject.readOne(text)
        assert IcsCalendarStream.calendar_from_ics(text).name == [cal.x_wr_calname.value]
        names[path] = cal.x_wr_calname.value
    assert list(names.values()) == [KORLA, f"{KORLA}(含下级单位)"]


def _as_date(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def test_every_event_has_the_properties_clients_need(live: Live) -> None:
    cal = icalendar.Calendar.from_ical(httpx.get(live.url + "/feeds/all.ics", timeout=30).content)
    for ev in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "SEQUENCE",
                     "LAST-MODIFIED", "CATEGORIES", "URL"):
            assert prop in ev, (prop, str(ev.get("UID")))
    lines = httpx.get(live.url + "/feeds/all.ics", timeout=30).content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # folded (RFC 5545 3.1)


def test_gzip_with_q_zero_gets_the_plain_body(live: Live) -> None:
    """``Accept-Encoding: gzip;q=0`` (gzip refused) got a gzip body: the header was searched for "gzip"."""
    for header in ("gzip;q=0", "br, gzip;q=0", "*;q=0", "identity"):
        with httpx.stream("GET", live.url + "/feeds/all.ics", headers={"Accept-Encoding": header}, timeout=30) as r:
            raw = b"".join(r.iter_raw())
        assert "content-encoding" not in r.headers, header
        assert raw.startswith(b"BEGIN:VCALENDAR"), header
    with httpx.stream("GET", live.url + "/feeds/all.ics", headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"}) as r:
        assert r.headers["content-encoding"] == "gzip"


def test_private_feeds_have_their_own_name(tmp_path: Path) -> None:
    """A private feed of a unit was served under the unit feed's name (and from its cache entry)."""
    token = "private-feed-name-token"
    digest = hashlib.sha256(token.encode()).hexdigest()
    config = make_site(tmp_path, [ROOT / "rules" / "000-bayingolin-2024.yaml"], extra_config=(
        f"feeds:\n  private: [{{name: '库尔勒市司法局值班, 夜班; 周末', token_sha256: {digest}, unit: bz.korla}}]\n"))
    config.write_text(config.read_text(encoding="utf-8").replace("feeds: {months_back: 2, months_ahead: 10}\n", ""),
                      encoding="utf-8")
    with running(config, FrozenClock(NOW)) as server:
        private = httpx.get(f"{server.url}/feeds/t/{token}.ics", timeout=30).content.decode("utf-8")
        public = httpx.get(f"{server.url}/feeds/unit/bz.korla.ics", timeout=30).content.decode("utf-8")
    names = [vobject.readOne(text).x_wr_calname.value for text in (private, public)]
    assert names == ["法定职责日历 · 库尔勒市司法局值班, 夜班; 周末", KORLA]
    assert IcsCalendarStream.calendar_from_ics(private).name == [names[0]]


def _span(occ: Occurrence) -> tuple[str, str, str]:
    """What the span shape should hold for an all-day occurrence: its window, else its day."""
    start, end = span_of(occ) or (occ.date, occ.date + dt.timedelta(days=1))
    return f"{occ.uid}@obligation-calendar", start.isoformat(), end.isoformat()


def test_five_parsers_read_windows_as_multi_day_events(live: Live) -> None:
    """``?windows=span``: each unplaced window is one all-day event from its first day to the day
    after its last (DTEND exclusive); all five parsers read the same starts and ends."""
    rules = live.service.feeds.snapshot.rules
    units = {"bz.korla", *rules.descendants("bz.korla")}
    want = sorted(_span(o) for o in live.service.feeds.occurrences if o.unit in units and o.start is None)
    assert any(end > _next_day(start) for _, start, end in want)  # some windows do span days
    body = httpx.get(live.url + "/feeds/unit/bz.korla.ics?children=1&windows=span", timeout=30).content
    assert body != httpx.get(live.url + "/feeds/unit/bz.korla.ics?children=1", timeout=30).content

    def all_day(rows: list[tuple[str, object, object]]) -> list[tuple[str, str, str]]:
        return sorted((uid, s.isoformat(), e.isoformat()) for uid, s, e in rows  # type: ignore[attr-defined]
                      if not isinstance(s, dt.datetime))

    cal = icalendar.Calendar.from_ical(body)
    assert all_day([(str(ev["UID"]), ev.decoded("DTSTART"), ev.decoded("DTEND")) for ev in cal.walk("VEVENT")]) == want
    far = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    instances = recurring_ical_events.of(cal).between(*far)
    assert all_day([(str(ev["UID"]), ev.decoded("DTSTART"), ev.decoded("DTEND")) for ev in instances]) == want
    text = body.decode("utf-8")
    events = vobject.readOne(text).contents.get("vevent", [])
    assert all_day([(ev.uid.value, ev.dtstart.value, ev.dtend.value) for ev in events]) == want
    parsed = IcsCalendarStream.calendar_from_ics(text).events
    assert all_day([(ev.uid, ev.dtstart, ev.dtend) for ev in parsed]) == want
    require_icaljs()
    got = sorted((i["uid"], i["start"], i["end"]) for i in icaljs_expand(body, *far) if len(i["start"]) == 10)
    assert got == want


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("path", "alarms"), [
    ("/feeds/unit/bz.korla.ics", True), ("/feeds/unit/bz.korla.ics?children=1&windows=span", True),
    ("/feeds/level/township.ics", False), ("/feeds/obligation/bz-2024.annual-report-submit.ics", False),
    ("/feeds/all.ics", False), ("/feeds/all.ics?windows=span", False),
])
def test_served_alarms_only_in_unit_feeds(live: Live, path: str, alarms: bool) -> None:
    """Level, duty and all feeds carried every event's alarms: a burst for their subscribers."""
    text = httpx.get(live.url + path, timeout=30).content.decode("utf-8")
    events = vobject.readOne(text).contents.get("vevent", [])
    assert events
    assert any("valarm" in ev.contents for ev in events) is alarms


def test_unknown_windows_shape_is_400(live: Live) -> None:
    assert httpx.get(live.url + "/feeds/all.ics?windows=days", timeout=30).status_code == 400
