"""Feeds that say what the duty is (issue 10, item 2): the period in the summary, the window in the
description, all-day duties free, windows as multi-day events on request, alarms only where wanted.

The parsers (tests/test_feed_parsers.py, test_icaljs.py, test_vobject.py) read the span shape too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import icalendar
import pytest

from calendars.feeds import FeedSet, Selection, build_feed_set, in_memory_versions
from calendars.ics import alarm_triggers, description, make_event, summary
from i18n import Language
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.occurrence import Occurrence
from scheduler.snapshot import load_snapshot
from scheduler.workdays import WorkdayCalendar
from tests.conftest import DATA, SHANGHAI, obligation

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
W40 = "t.reception-township/cty.town/2025-W40@obligation-calendar"  # Mon 29 Sep - Sun 5 Oct 2025
W39 = "t.reception-township/cty.town/2025-W39@obligation-calendar"  # Mon 22 - Sun 28 Sep (28th: 调休上班)


@pytest.fixture(scope="module")
def feeds() -> FeedSet:
    return feed_set("zh-CN")


def feed_set(lang: Language) -> FeedSet:
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, NOW)
    return build_feed_set(snapshot, dt.date(2025, 1, 1), dt.date(2025, 12, 31), versions=in_memory_versions(),
                          now=NOW, base_url="http://duties.test", lang=lang, refresh=dt.timedelta(hours=1))


def events(body: bytes) -> dict[str, icalendar.Event]:
    return {str(ev["UID"]): ev for ev in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def occurrence(feeds: FeedSet, uid: str) -> Occurrence:
    return next(o for o in feeds.occurrences if f"{o.uid}@obligation-calendar" == uid)


def test_weekly_reception_across_national_day_says_this_week_and_its_window(feeds: FeedSet) -> None:
    """The feed said `办理期间:2025-09-22 – 2025-09-22` for a weekly reception, as if the day were chosen.

    The week of National Day 2025 (window Mon 29 Sep - Sun 5 Oct, due Tue 30 Sep: 1-8 Oct are off)
    is one event on its due day, its summary saying it is owed this week and its description the
    window in dates with the rule's count and the last day it may be done.
    """
    occ = occurrence(feeds, W40)
    assert (occ.window_start, occ.window_end, occ.due, occ.planned) == (
        dt.date(2025, 9, 29), dt.date(2025, 10, 5), dt.date(2025, 9, 30), None)
    ev = events(feeds.feed(Selection("unit", "cty.town")).body)[W40]
    assert ev.decoded("DTSTART") == dt.date(2025, 9, 30)
    assert ev.decoded("DTEND") == dt.date(2025, 10, 1)
    assert str(ev["SUMMARY"]) == "【本周内】乡镇领导干部接访 · 测试镇"
    assert "期限:9月29日—10月5日内至少1天,最迟9月30日" in str(ev["DESCRIPTION"]).split("\n")
    # the week before ends on Sunday 28 Sep, a make-up working day: due on the window's last day
    before = events(feeds.feed(Selection("unit", "cty.town")).body)[W39]
    assert before.decoded("DTSTART") == dt.date(2025, 9, 28)
    assert "期限:9月22日—9月28日内至少1天" in str(before["DESCRIPTION"]).split("\n")
    english = events(feed_set("en").feed(Selection("unit", "cty.town")).body)[W40]
    assert str(english["SUMMARY"]) == "【this week】乡镇领导干部接访 · 测试镇"
    assert ("Due: at least 1 day(s) within 29 September – 5 October; 30 September at the latest"
            in str(english["DESCRIPTION"]).split("\n"))


def test_all_day_duties_are_transparent(feeds: FeedSet) -> None:
    """An all-day session (a reception owed this week) was `TRANSP:OPAQUE`: the whole day showed busy."""
    all_day = [ev for ev in events(feeds.feed(Selection("all")).body).values()
               if not isinstance(ev.decoded("DTSTART"), dt.datetime)]
    assert {ev["SUMMARY"].split("】")[0] for ev in all_day} >= {"【本周内", "【本季度内", "【截止"}
    assert {str(ev["TRANSP"]) for ev in all_day} == {"TRANSPARENT"}


def test_no_single_day_window_text(feeds: FeedSet) -> None:
    """`办理期间:2025-09-22 – 2025-09-22` named a one-day window: a day is the event's own date."""
    body = feeds.feed(Selection("all")).body.decode().replace("\r\n ", "")
    assert "办理期间" not in body
    assert "Window:" not in feed_set("en").feed(Selection("all")).body.decode()
    occ = occurrence(feeds, W40)
    one_day = dataclasses.replace(occ, window_start=occ.date, window_end=occ.date, planned=occ.date)
    rules = feeds.snapshot.rules
    assert "期限" not in description(one_day, rules)
    assert summary(one_day, rules) == "乡镇领导干部接访 · 测试镇"


def test_planned_day_with_its_window_in_the_description(feeds: FeedSet) -> None:
    """A placed session is on its planned day; its description gives the day and the window."""
    occ = dataclasses.replace(occurrence(feeds, W40), date=dt.date(2025, 9, 29), planned=dt.date(2025, 9, 29))
    rules = feeds.snapshot.rules
    ev = make_event(occ, rules, tz=SHANGHAI)
    assert ev.decoded("DTSTART") == dt.date(2025, 9, 29)
    assert str(ev["SUMMARY"]) == "乡镇领导干部接访 · 测试镇"
    assert "办理日:9月29日;期限:9月29日—10月5日内至少1天,最迟9月30日" in description(occ, rules).split("\n")
    assert str(ev["TRANSP"]) == "TRANSPARENT"


PERIODS: list[tuple[dict[str, Any], str, str, str]] = [
    # schedule, a day of its window, the summary's period, the description's window line
    ({"type": "quota", "count": 1, "per": "month", "unit": "day"}, "2025-09-10", "本月内",
     "期限:9月1日—9月30日内至少1天"),
    ({"type": "quota", "count": 1, "per": "two_months"}, "2025-09-10", "9月—10月内", "期限:9月1日—10月31日内至少1次"),
    ({"type": "quota", "count": 1, "per": "quarter"}, "2025-09-10", "本季度内", "期限:7月1日—9月30日内至少1次"),
    ({"type": "quota", "count": 1, "per": "half_year"}, "2025-09-10", "下半年内",
     "期限:7月1日—12月31日内至少1次"),
    ({"type": "quota", "count": 2, "per": "year"}, "2025-03-10", "上半年内",
     "期限:1月1日—6月30日内第1次(每年至少2次)"),
    ({"type": "quota", "count": 2, "per": "year"}, "2025-09-10", "下半年内",
     "期限:7月1日—12月31日内第2次(每年至少2次)"),
    ({"type": "quota", "count": 4, "per": "year"}, "2025-05-10", "本季度内",
     "期限:4月1日—6月30日内第2次(每年至少4次)"),
    ({"type": "quota", "count": 3, "per": "year"}, "2025-05-10", "5月—8月内",
     "期限:5月1日—8月31日内第2次(每年至少3次),最迟8月29日"),
    ({"type": "quota", "count": 1, "per": "year"}, "2025-05-10", "本年内", "期限:1月1日—12月31日内至少1次"),
    ({"type": "window", "period": "quarter", "index": 3}, "2025-09-10", "本季度内", "期限:7月1日—9月30日内"),
    ({"type": "window", "period": "year"}, "2025-09-10", "本年内", "期限:1月1日—12月31日内"),
]


@pytest.mark.parametrize(("schedule", "day", "period", "line"), PERIODS,
                         ids=[f"{s['type']}-{s.get('count', '')}-{s.get('per', s.get('period'))}-{d}"
                              for s, d, _, _ in PERIODS])
def test_summary_names_the_period_or_its_part(rules_from: Callable[..., RuleSet], schedule: dict[str, Any],
                                               day: str, period: str, line: str) -> None:
    """Twice a year is 上半年内 / 下半年内, four times 本季度内; the count comes from the rule."""
    rules = rules_from([obligation("t.one", schedule)])
    expansion = Expander(rules, WorkdayCalendar(), SHANGHAI).expand(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    when = dt.date.fromisoformat(day)
    occ = next(o for o in expansion.occurrences if o.window_start and o.window_start <= when <= o.window_end)
    assert summary(occ, rules) == f"【{period}】测试 t.one"
    assert line in description(occ, rules).split("\n")


def test_span_shape_covers_the_window_and_keeps_the_history(feeds: FeedSet) -> None:
    """`?windows=span`: an unplaced window is a multi-day event (DTEND exclusive), same UID and SEQUENCE.

    Its alarms ring at the same times as in the default shape, now absolute: relative to the
    window's first day they would ring days early.
    """
    due = events(feeds.feed(Selection("unit", "cty.town")).body)
    span = events(feeds.feed(Selection("unit", "cty.town"), shape="span").body)
    assert set(span) == set(due)
    ev = span[W40]
    assert (ev.decoded("DTSTART"), ev.decoded("DTEND")) == (dt.date(2025, 9, 29), dt.date(2025, 10, 6))
    for uid in due:  # one history for both shapes
        assert (span[uid]["SEQUENCE"], span[uid]["DTSTAMP"].to_ical()) == (
            due[uid]["SEQUENCE"], due[uid]["DTSTAMP"].to_ical())
        assert str(span[uid]["DESCRIPTION"]) == str(due[uid]["DESCRIPTION"])
    occ = occurrence(feeds, W40)
    relative = [a.decoded("TRIGGER") for a in due[W40].walk("VALARM")]
    midnight = dt.datetime.combine(occ.date, dt.time(), SHANGHAI)
    assert [a.decoded("TRIGGER") for a in ev.walk("VALARM")] == [midnight + t for t in relative]
    # the bytes spliced by the feed equal make_event's own span shape
    triggers = alarm_triggers(occ, feeds.snapshot.rules.reminders(occ.obligation), SHANGHAI,
                              feeds.snapshot.expander().calendar_for(occ).workdays_before)
    made = make_event(occ, feeds.snapshot.rules, tz=SHANGHAI, link="http://duties.test/obligation/"
                      + occ.obligation.id, triggers=triggers, span=True)
    assert made.to_ical() in feeds.event(feeds.occurrences.index(occ), alarms=True, shape="span").replace(
        b"DTSTAMP:20250315T010000Z\r\nLAST-MODIFIED:20250315T010000Z\r\nSEQUENCE:0\r\n", b"")
    town = Selection("unit", "cty.town")
    assert feeds.feed(town, shape="span").etag != feeds.feed(town).etag


def test_deadline_spans_from_the_window_start(feeds: FeedSet) -> None:
    """A yearly deadline's window spans 1 January to the written day (每年3月1日前: 1 March, a Saturday,
    so due Friday 28 February); the default shape keeps it on its due day."""
    span = events(feeds.feed(Selection("unit", "cty"), shape="span").body)
    report = span["t.report/cty/2025@obligation-calendar"]
    assert (report.decoded("DTSTART"), report.decoded("DTEND")) == (dt.date(2025, 1, 1), dt.date(2025, 3, 2))
    assert "期限:1月1日—3月1日内,最迟2月28日" in str(report["DESCRIPTION"]).split("\n")


@pytest.mark.parametrize(("selection", "label", "alarms"), [
    (Selection("unit", "cty.town"), None, True),
    (Selection("unit", "cty", True), None, True),
    (Selection("level", "township"), "我的乡镇日历", True),  # a private feed (feeds.private)
    (Selection("level", "township"), None, False),
    (Selection("obligation", "t.reception-township"), None, False),
    (Selection("all"), None, False),
], ids=["unit", "unit-children", "private-level", "level", "duty", "all"])
@pytest.mark.parametrize("shape", ["due", "span"])
def test_alarms_only_in_unit_and_private_feeds(feeds: FeedSet, selection: Selection, label: str | None,
                                               alarms: bool, shape: str) -> None:
    """Every feed carried every event's VALARMs: a subscriber to a level, a duty or all duties got a
    burst of alarms for hundreds of units at once."""
    body = feeds.feed(selection, label, shape).body  # type: ignore[arg-type]
    assert events(body)
    assert (b"BEGIN:VALARM" in body) is alarms
    assert feeds.feed_for(("person", 1), "某人", lambda o: o.unit == "cty.town").body.count(b"BEGIN:VALARM") > 0
