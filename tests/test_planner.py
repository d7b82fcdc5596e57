"""The planner is a pure function: checked here without a store or a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from obligations.offset import Offset, OffsetUnit
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.planner import (
    Contact,
    Subscription,
    SubscriptionIndex,
    escalations,
    in_quiet_hours,
    matches,
    plan,
    release_time,
    urgency,
)
from scheduler.reminder_time import last_reminder, reminder_time
from scheduler.workdays import WorkdayCalendar
from tests.conftest import SHANGHAI, d, obligation

NOW = dt.datetime(2025, 9, 1, 0, 0, tzinfo=dt.UTC)
UNTIL = dt.datetime(2025, 12, 31, 0, 0, tzinfo=dt.UTC)


# Placed on each month's first working day (1 Sep, 9 Oct after the 1-8 October break, 3 Nov 2025):
# these tests are about counting reminders back from a date across a holiday, so the date is fixed
# by the rule; an unplaced session would be due on the month's last working day instead.
MONTHLY_ON_THE_FIRST = {"type": "quota", "count": 1, "per": "month", "place": {"nth_working_day": 1}}


def rules_and_occurrences(rules_from: Callable[..., RuleSet], **fields: object) -> tuple[RuleSet, list, Expander]:
    rules = rules_from([obligation("t.m", MONTHLY_ON_THE_FIRST, applies_to=["cty", "cty.town"],
                                   tags=["信访"], reminders=["7d", "3wd", "1d"], **fields)])
    exp = Expander(rules, WorkdayCalendar(), SHANGHAI)
    return rules, exp.expand(d("2025-09-01"), d("2025-11-30")).occurrences, exp


def run(rules: RuleSet, occurrences: list, exp: Expander, *subs: Subscription, done: frozenset[str] = frozenset()
        ) -> list:
    return plan(occurrences, subs, rules=rules, tz=SHANGHAI,
                workdays_before=lambda o: exp.calendar_for(o).workdays_before,
                done=done, now=NOW, until=UNTIL)


def test_what_a_subscription_selects(rules_from: Callable[..., RuleSet]) -> None:
    rules, occ, exp = rules_and_occurrences(rules_from)
    units = {
        "unit": Subscription(1, "log", "a", unit="cty"),
        "children": Subscription(1, "log", "a", unit="cty", children=True),
        "level": Subscription(1, "log", "a", level="township"),
        "tag": Subscription(1, "log", "a", tag="信访"),
        "other tag": Subscription(1, "log", "a", tag="报告"),
    }
    got = {name: sorted({p.unit for p in run(rules, occ, exp, sub)}) for name, sub in units.items()}
    assert got == {"unit": ["cty"], "children": ["cty", "cty.town"], "level": ["cty.town"],
                   "tag": ["cty", "cty.town"], "other tag": []}


def test_lead_times_on_the_working_day_calendar(rules_from: Callable[..., RuleSet]) -> None:
    rules, occ, exp = rules_and_occurrences(rules_from)
    october = [p for p in run(rules, occ, exp, Subscription(1, "log", "a", unit="cty"))
               if p.occurrence_date == d("2025-10-09")]  # 1-8 October are off
    got = {p.lead_time: p.due_at.astimezone(SHANGHAI).isoformat() for p in october}
    assert got == {
        "7d": "2025-10-02T09:00:00+08:00",
        "3wd": "2025-09-28T09:00:00+08:00",  # 30 Sep, 29 Sep, 28 Sep (a make-up Sunday): three working days back
        "1d": "2025-10-08T09:00:00+08:00",
    }
    assert {p.key for p in october} == {f"t.m/cty/2025-10|s1|{lt}|2025-10-09" for lt in got}


def test_done_occurrences_and_empty_lead_times_plan_nothing(rules_from: Callable[..., RuleSet]) -> None:
    rules, occ, exp = rules_and_occurrences(rules_from)
    sub = Subscription(1, "log", "a", unit="cty")
    # September's session (1 Sep) had its reminders before NOW; October's is done
    assert {p.occurrence_uid for p in run(rules, occ, exp, sub, done=frozenset({"t.m/cty/2025-10"}))} == {
        "t.m/cty/2025-11"}
    assert run(rules, occ, exp, Subscription(1, "log", "a", unit="cty", lead_times=())) == []


def test_quiet_hours_and_digest_move_the_send_time(rules_from: Callable[..., RuleSet]) -> None:
    rules, occ, exp = rules_and_occurrences(rules_from)
    one_day = (Offset.parse("1d"),)
    quiet = Subscription(1, "log", "a", unit="cty", lead_times=one_day, quiet_hours=(dt.time(8), dt.time(9, 30)))
    digest = Subscription(2, "log", "b", unit="cty", lead_times=one_day, digest_at=dt.time(7, 45))
    first = {p.subscriber_id: p.send_after.astimezone(SHANGHAI).time() for p in run(rules, occ, exp, quiet, digest)
             if p.occurrence_date == d("2025-10-09")}
    assert first == {1: dt.time(9, 30), 2: dt.time(7, 45)}


def test_quiet_hours_across_midnight() -> None:
    night = (dt.time(22), dt.time(7, 30))
    assert in_quiet_hours(dt.datetime(2025, 1, 1, 23, 0), night)
    assert in_quiet_hours(dt.datetime(2025, 1, 1, 6, 0), night)
    assert not in_quiet_hours(dt.datetime(2025, 1, 1, 12, 0), night)
    assert release_time(dt.datetime(2025, 1, 1, 23, 0), night) == dt.datetime(2025, 1, 2, 7, 30)
    assert release_time(dt.datetime(2025, 1, 2, 6, 0), night) == dt.datetime(2025, 1, 2, 7, 30)
    assert release_time(dt.datetime(2025, 1, 2, 12, 0), night) == dt.datetime(2025, 1, 2, 12, 0)


def test_day_offsets_keep_wall_time_across_dst(rules_from: Callable[..., RuleSet]) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # placed on the week's first working day, Mon 27 Oct 2025 (unplaced, it would be due Fri 31 Oct)
    rules = rules_from([obligation("t.s", {"type": "quota", "count": 1, "per": "week", "place": {"nth_working_day": 1},
                                           "time": {"start": "09:00", "end": "10:00"}})])
    exp = Expander(rules, WorkdayCalendar(), berlin)
    occ = next(o for o in exp.expand(d("2025-10-27"), d("2025-10-27")).occurrences)
    when = reminder_time(occ, Offset.parse("1d"), berlin, exp.calendar_for(occ).workdays_before)
    assert when.isoformat() == "2025-10-26T09:00:00+01:00"  # the day before, 09:00, after the change
    assert (occ.start - when) == dt.timedelta(days=1, hours=0)  # wall-clock day (25 real hours)


def test_urgency_colours(rules_from: Callable[..., RuleSet]) -> None:
    pass

    _, occ, _ = rules_and_occurrences(rules_from)
    o = occ[0]  # 1 Sep 2025
    assert urgency(o, done=False, today=d("2025-08-20"), last_reminder=d("2025-08-31")) == "normal"
    assert urgency(o, done=False, today=d("2025-08-31"), last_reminder=d("2025-08-31")) == "yellow"
    assert urgency(o, done=False, today=d("2025-09-02"), last_reminder=d("2025-08-31")) == "red"
    assert urgency(o, done=True, today=d("2025-09-02"), last_reminder=d("2025-08-31")) == "done"


def test_the_index_selects_exactly_what_matches_does(rules_from: Callable[..., RuleSet]) -> None:
    pass

    rules, occ, _ = rules_and_occurrences(rules_from)
    subs = [Subscription(1, "log", "a", unit="cty"), Subscription(2, "log", "b", unit="cty", children=True),
            Subscription(3, "log", "c", level="township"), Subscription(4, "log", "d", tag="信访"),
            Subscription(5, "log", "e", obligation="t.m"), Subscription(6, "log", "f"),
            Subscription(7, "log", "g", tag="报告"), Subscription(8, "log", "h", unit="pref", children=True)]
    index = SubscriptionIndex(subs, rules)
    for o in occ:
        assert sorted(s.subscriber_id for s in index.for_occurrence(o)) == sorted(
            s.subscriber_id for s in subs if matches(s, o, rules))


@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("7d", 7, OffsetUnit.days), ("3wd", 3, OffsetUnit.working_days), ("2h", 2, OffsetUnit.hours),
    ("1w", 1, OffsetUnit.weeks), (" 0d ", 0, OffsetUnit.days),
])
def test_an_offset_is_parsed_once_and_written_back(text: str, amount: int, unit: OffsetUnit) -> None:
    offset = Offset.parse(text)
    assert (offset.amount, offset.unit) == (amount, unit)
    assert str(offset) == text.strip()
    assert Offset.parse(str(offset)) == offset


@pytest.mark.parametrize("text", ["", "3", "d", "3x", "3 wd", "-1d", "1.5d", "3dw"])
def test_a_bad_offset_names_the_valid_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"use a number and d \(days\), wd \(working days\)"):
        Offset.parse(text)


def test_the_last_reminder_counts_working_days_and_hours_as_the_engine_does(
        rules_from: Callable[..., RuleSet]) -> None:
    """The page's yellow starts at :func:`last_reminder`: it must be the latest reminder the engine plans."""
    rules, occ, exp = rules_and_occurrences(rules_from)
    october = next(o for o in occ if o.unit == "cty" and o.date == d("2025-10-09"))  # after 1-8 October off
    workdays_before = exp.calendar_for(october).workdays_before
    three = last_reminder(october, [Offset.parse("3wd")], SHANGHAI, workdays_before)
    assert three == dt.datetime(2025, 9, 28, 9, 0, tzinfo=SHANGHAI)  # a make-up Sunday
    hours = last_reminder(october, [Offset.parse("7d"), Offset.parse("2h")], SHANGHAI, workdays_before)
    assert hours == dt.datetime(2025, 10, 9, 7, 0, tzinfo=SHANGHAI)
    assert last_reminder(october, [], SHANGHAI, workdays_before) is None
    planned = run(rules, occ, exp, Subscription(1, "log", "a", unit="cty"))
    engine_last = max(p.due_at for p in planned if p.occurrence_uid == october.uid)
    assert last_reminder(october, rules.reminders(october.obligation), SHANGHAI, workdays_before) == engine_last


# -- windows: an opening notice, lead times counted to the due day, escalation after it ------------------


def unplaced(rules_from: Callable[..., RuleSet], schedule: dict) -> tuple[RuleSet, list, Expander]:
    rules = rules_from([obligation("t.w", schedule, applies_to=["cty"], reminders=["7d", "1d"])])
    exp = Expander(rules, WorkdayCalendar(), SHANGHAI)
    return rules, exp.expand(d("2025-09-01"), d("2025-11-30")).occurrences, exp


def run_windows(rules: RuleSet, occurrences: list, exp: Expander, *subs: Subscription,
                done: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
    planned = plan(occurrences, subs, rules=rules, tz=SHANGHAI,
                   workdays_before=lambda o: exp.calendar_for(o).workdays_before,
                   next_workday=lambda o: exp.calendar_for(o).next_workday, done=done, now=NOW, until=UNTIL)
    return [(p.kind.value, p.lead_time, p.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")) for p in planned]


def test_an_unplaced_window_opens_then_counts_to_its_due_day(rules_from: Callable[..., RuleSet]) -> None:
    """A monthly quota without place: an opening notice on the month's first working day, 7d and 1d before due.

    September 2025: 1 Sep (Mon) to due Tue 30 Sep. October: 1-8 Oct off, so it opens Thu 9 Oct; due
    Fri 31 Oct. November: opens Mon 3 Nov, due Fri 28 Nov (29-30 Nov a weekend). No reminder counts
    to a day inside the window nobody chose.
    """
    rules, occ, exp = unplaced(rules_from, {"type": "quota", "count": 1, "per": "month"})
    assert [(o.window_start, o.due, o.planned) for o in occ] == [
        (d("2025-09-01"), d("2025-09-30"), None), (d("2025-10-01"), d("2025-10-31"), None),
        (d("2025-11-01"), d("2025-11-28"), None)]
    sub = Subscription(1, "log", "a", unit="cty")
    assert run_windows(rules, occ, exp, sub) == [
        ("opening", "", "09-01 09:00"), ("reminder", "7d", "09-23 09:00"), ("reminder", "1d", "09-29 09:00"),
        ("opening", "", "10-09 09:00"), ("reminder", "7d", "10-24 09:00"), ("reminder", "1d", "10-30 09:00"),
        ("opening", "", "11-03 09:00"), ("reminder", "7d", "11-21 09:00"), ("reminder", "1d", "11-27 09:00"),
    ]
    # a window done hears nothing more; a subscriber without lead times hears nothing at all
    assert [r for r in run_windows(rules, occ, exp, sub, done=frozenset({"t.w/cty/2025-10"}))
            if r[2].startswith("10-")] == []
    assert run_windows(rules, occ, exp, Subscription(1, "log", "a", unit="cty", lead_times=())) == []
    # a subscriber's own lead times replace the duty's, and keep the opening notice
    own = run_windows(rules, occ, exp, Subscription(1, "log", "a", unit="cty", lead_times=(Offset.parse("2wd"),)))
    # 2wd before Tue 30 Sep: 29 Sep, then Sun 28 Sep (a make-up working day before National Day)
    assert own[:2] == [("opening", "", "09-01 09:00"), ("reminder", "2wd", "09-28 09:00")]


def test_no_opening_notice_for_a_placed_window_or_a_yearly_deadline(rules_from: Callable[..., RuleSet]) -> None:
    placed = unplaced(rules_from, MONTHLY_ON_THE_FIRST)
    deadline = unplaced(rules_from, {"type": "yearly_deadline", "month": 11, "day": 15})
    for rules, occ, exp in (placed, deadline):
        kinds = {k for k, _, _ in run_windows(rules, occ, exp, Subscription(1, "log", "a", unit="cty"))}
        assert kinds == {"reminder"}


def test_a_window_escalates_the_morning_after_its_due_day(rules_from: Callable[..., RuleSet]) -> None:
    """The third quarter (1 Jul - 30 Sep 2025) is due Tue 30 Sep: escalated 1 Oct 09:00 + 1d, not from 1 Jul."""
    rules, occ, _ = unplaced(rules_from, {"type": "window", "period": "quarter", "index": 3})
    found = escalations(occ, [(Offset.parse("1d"), "admins", "log")], rules=rules, tz=SHANGHAI,
                        admins=[Contact("log", "admin")], done=set(), now=NOW, until=UNTIL)
    assert [(p.kind.value, p.due_at.astimezone(SHANGHAI).isoformat()) for p in found] == [
        ("escalation", "2025-10-02T09:00:00+08:00")]
