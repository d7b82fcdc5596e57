"""calendars.eventbytes writes exactly the bytes icalendar writes (issue 12: each duty text serialised once)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar.parser import Contentline

from calendars.eventbytes import EventWriter, fold
from calendars.ics import alarm_triggers, alarms_ical, calendar_head, calendar_shell, make_event
from scheduler.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_shipped_event_and_its_alarms_are_icalendars_bytes(lang: str) -> None:
    snapshot = load_snapshot(ROOT / "config.yaml", 1, NOW)
    expander = snapshot.expander()
    occurrences = expander.expand(dt.date(2024, 1, 1), dt.date(2026, 12, 31)).occurrences
    guessed = sorted(snapshot.calendar.guessed_years)
    writer = EventWriter(snapshot.rules, tz=snapshot.tz, lang=lang, guessed_years=guessed)
    for occ in occurrences:
        link = f"http://duties.test/obligation/{occ.obligation.id}"
        expected = make_event(occ, snapshot.rules, tz=snapshot.tz, lang=lang, guessed_years=guessed, link=link)
        assert writer.event(occ, link) == expected.to_ical(), occ.uid
        triggers = alarm_triggers(occ, snapshot.rules.reminders(occ.obligation), snapshot.tz,
                                  expander.calendar_for(occ).workdays_before)
        text = str(expected["SUMMARY"])
        assert writer.alarms(triggers, text) == alarms_ical(triggers, text), occ.uid
    assert len(occurrences) > 5000
    assert writer.serialised < len(occurrences) / 4  # lines serialised once per distinct value


_TEXT = st.text(st.sampled_from([*list("ab \\^;,:"), "中", "文", "é", "😀", "\u2028"]), max_size=300)


@given(name=st.sampled_from(["SUMMARY", "DESCRIPTION", "UID", "X"]), text=_TEXT)
def test_folding_cuts_where_icalendar_cuts(name: str, text: str) -> None:
    line = f"{name}:{text}"
    assert fold(line) == Contentline(line).to_ical()


def test_the_head_of_a_feed_is_its_shell_without_the_end() -> None:
    snapshot = load_snapshot(ROOT / "config.yaml", 1, NOW)
    for description in ("", "2027年节假日安排尚未公布"):
        shell = calendar_shell("名,称;x", snapshot.tz, refresh=dt.timedelta(minutes=90), description=description)
        head = calendar_head("名,称;x", snapshot.tz, refresh=dt.timedelta(minutes=90), description=description)
        assert head + b"END:VCALENDAR\r\n" == shell.to_ical()
