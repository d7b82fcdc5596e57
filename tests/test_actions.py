"""service.actions: every user action on a real store (SQLite, and PostgreSQL in the slow run), frozen times."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from i18n import tr
from scheduler.occurrence import Occurrence
from scheduler.planner import Planned, ReminderKind
from scheduler.reminder_time import REMIND_AT
from scheduler.snapshot import Snapshot, load_snapshot
from service import actions
from service.actions import Actor, Door, Marked, NoOccurrence, Refusal, Refused, Snoozed, Target
from store import Store
from store.reminders import ReminderStore
from store.subscribers import Subscriber, SubscriberStore
from tests.conftest import DATA, SHANGHAI

NOW = dt.datetime(2026, 2, 21, 1, 0, tzinfo=dt.UTC)  # Saturday 21 Feb 2026, 09:00 in Shanghai
REPORT_DAY = dt.date(2026, 2, 28)  # t.report for cty: due 1 March, moved back to a make-up Saturday
CLI = Actor("张三", Door.CLI)
TODAY = dt.date(2026, 2, 21)  # NOW's day in Shanghai


@pytest.fixture
def snapshot() -> Snapshot:
    return load_snapshot(DATA / "sample-config.yaml", 1, NOW)


@pytest.fixture
def reminders(store: Store) -> ReminderStore:
    return ReminderStore(store)


@pytest.fixture
def person(store: Store) -> Subscriber:
    subscribers = SubscriberStore(store)
    code = subscribers.create_invite(unit=None, admin=False, now=NOW)
    bound = subscribers.redeem(code, channel="telegram", address="4242", name="李四", language="zh-CN", now=NOW)
    assert bound is not None
    subscribers.subscribe(bound.id, unit="cty")
    return bound


def report(snapshot: Snapshot) -> Occurrence:
    found = actions.find_occurrence(snapshot, "t.report", "cty", REPORT_DAY)
    assert isinstance(found, Occurrence)
    return found


def remind(reminders: ReminderStore, occ: Occurrence, person: Subscriber, due: dt.datetime,
           kind: ReminderKind = ReminderKind.REMINDER) -> dict:
    key = f"{occ.uid}|s{person.id}|{due.isoformat()}"
    reminders.add([Planned(key, kind, occ.uid, occ.obligation.id, occ.unit, occ.date, person.id, person.channel,
                           person.address, "zh-CN", "1d", due, due)], NOW)
    row = next(r for r in reminders.listing("pending", "cancelled") if r["key"] == key)
    return row


def test_find_occurrence_by_its_date_or_its_date_as_written(snapshot: Snapshot) -> None:
    occ = report(snapshot)
    assert (occ.date, occ.nominal) == (REPORT_DAY, dt.date(2026, 3, 1))
    assert actions.find_occurrence(snapshot, "t.report", "cty", dt.date(2026, 3, 1)) == occ
    missing = actions.find_occurrence(snapshot, "t.report", "cty", dt.date(2026, 3, 5))  # after its window
    assert missing == NoOccurrence("t.report", "cty", dt.date(2026, 3, 5), (REPORT_DAY,))


def test_find_occurrence_by_any_day_of_its_window(snapshot: Snapshot) -> None:
    """Any day of a window names it: t.report's window runs from 1 January to 1 March 2026 (as written)."""
    occ = report(snapshot)
    assert (occ.window_start, occ.window_end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    for day in (dt.date(2026, 1, 1), dt.date(2026, 2, 20), dt.date(2026, 3, 1)):
        assert actions.find_occurrence(snapshot, "t.report", "cty", day) == occ
    assert isinstance(actions.find_occurrence(snapshot, "t.report", "cty", dt.date(2025, 12, 31)), NoOccurrence)


def test_mark_done_cancels_reminders_and_the_first_completion_stands(
        snapshot: Snapshot, reminders: ReminderStore, person: Subscriber) -> None:
    occ = report(snapshot)
    row = remind(reminders, occ, person, NOW + dt.timedelta(days=6))
    first = actions.mark_done(reminders, Target.of(occ), CLI, now=NOW, done_on=TODAY, today=TODAY, note="已报送")
    assert first.created
    assert first.completion.by == "张三"
    assert first.completion.note == "已报送"
    assert first.completion.at == NOW
    assert first.completion.target == Target.of(occ)
    assert reminders.get(row["id"])["status"] == "cancelled"
    later = actions.mark_done(reminders, Target.of(occ), Actor("王五", Door.WEB), now=NOW + dt.timedelta(hours=1),
                               done_on=TODAY, today=TODAY)
    assert later == Marked(first.completion, created=False)  # theirs stands
    assert occ.uid in reminders.done_uids()


def test_undo_done_lets_planning_plan_the_reminders_again(
        snapshot: Snapshot, reminders: ReminderStore, person: Subscriber) -> None:
    occ = report(snapshot)
    due = NOW + dt.timedelta(days=6)
    row = remind(reminders, occ, person, due)
    actions.mark_done(reminders, Target.of(occ), CLI, now=NOW, done_on=TODAY, today=TODAY)
    undone = actions.undo_done(reminders, Target.of(occ), CLI, now=NOW + dt.timedelta(hours=1))
    assert undone.removed is not None
    assert undone.removed.by == "张三"
    assert occ.uid not in reminders.done_uids()
    assert reminders.get(row["id"]) is None  # the cancelled reminder still to come is gone ...
    plan = [Planned(row["key"], ReminderKind.REMINDER, occ.uid, occ.obligation.id, occ.unit, occ.date, person.id,
                    person.channel, person.address, "zh-CN", "1d", due, due)]
    report_ = reminders.sync_plan(plan, now=NOW + dt.timedelta(hours=1), until=NOW + dt.timedelta(days=30))
    assert report_.inserted == 1  # ... so planning plans it again
    again = actions.undo_done(reminders, Target.of(occ), CLI, now=NOW)
    assert again.removed is None


def test_reminder_for_refuses_gone_and_other_peoples_reminders(
        snapshot: Snapshot, reminders: ReminderStore, person: Subscriber) -> None:
    occ = report(snapshot)
    row = remind(reminders, occ, person, NOW)
    assert actions.reminder_for(reminders, row["id"], person)["id"] == row["id"]
    assert actions.reminder_for(reminders, row["id"] + 1000, person) == Refused(Refusal.GONE)
    other = Subscriber(**{**person.__dict__, "address": "99"})
    assert actions.reminder_for(reminders, row["id"], other) == Refused(Refusal.NOT_YOURS)
    admin = remind(reminders, occ, person, NOW + dt.timedelta(hours=1), ReminderKind.ADMIN)
    assert actions.reminder_for(reminders, admin["id"], person) == Refused(Refusal.GONE)  # no buttons on it


def test_snooze_is_nine_on_the_next_working_day(
        snapshot: Snapshot, reminders: ReminderStore, person: Subscriber) -> None:
    occ = report(snapshot)
    row = remind(reminders, occ, person, NOW)
    snoozed = actions.snooze(reminders, snapshot, row, Actor("李四", Door.BOT, person), now=NOW)
    # Saturday 21 Feb 2026: Sunday and Monday 23 Feb are Spring Festival days off
    assert snoozed == Snoozed(row["id"], dt.datetime(2026, 2, 24, 9, 0, tzinfo=SHANGHAI))
    assert snoozed.at.time() == REMIND_AT
    copy = [r for r in reminders.listing("pending") if r["snoozed"]]
    assert len(copy) == 1
    assert copy[0]["occurrence_uid"] == occ.uid
    gone = {**row, "id": row["id"] + 1000}
    assert actions.snooze(reminders, snapshot, gone, Actor("李四", Door.BOT, person), now=NOW) == Refused(Refusal.GONE)


def test_reminder_ics(snapshot: Snapshot, reminders: ReminderStore, person: Subscriber) -> None:
    row = remind(reminders, report(snapshot), person, NOW)
    data = actions.reminder_ics(reminders, snapshot, row["id"], base_url="http://duties.test", lang="zh-CN")
    assert isinstance(data, bytes)
    assert b"BEGIN:VEVENT" in data
    assert actions.reminder_ics(reminders, snapshot, row["id"] + 1000, base_url="http://duties.test",
                                lang="en") == Refused(Refusal.GONE)


def test_upcoming_and_overdue_are_the_persons_duties_not_done(
        snapshot: Snapshot, reminders: ReminderStore, store: Store, person: Subscriber) -> None:
    subscribers = SubscriberStore(store)
    today = NOW.astimezone(SHANGHAI).date()
    coming = actions.upcoming(reminders, subscribers, snapshot, person, today=today, days=30)
    assert [(o.obligation.id, o.unit, o.date) for o in coming.occurrences] == [("t.report", "cty", REPORT_DAY)]
    assert (coming.first, coming.last) == (today, today + dt.timedelta(days=30))
    late = actions.overdue(reminders, subscribers, snapshot, person, today=dt.date(2026, 3, 2))
    assert [o.uid for o in late.occurrences] == [report(snapshot).uid]
    actions.mark_done(reminders, Target.of(report(snapshot)), CLI, now=NOW, done_on=TODAY, today=TODAY)
    assert actions.upcoming(reminders, subscribers, snapshot, person, today=today, days=30).occurrences == ()
    assert actions.overdue(reminders, subscribers, snapshot, person, today=dt.date(2026, 3, 2)).occurrences == ()


def test_the_done_command_marks_and_undoes(cli: Callable[..., Any]) -> None:
    config = str(DATA / "sample-config.yaml")
    marked = cli("done", "--config", config, "t.report", "cty", "2026-03-01", "--on", "2026-02-20", "--lang", "en")
    assert marked.out.startswith("marked done (done on 2026-02-20): t.report/cty/2026"), marked.err
    already = cli("done", "--config", config, "t.report", "cty", "2026-02-28")
    assert already.out.startswith("此前已标记完成(cli,记录于 "), already.out
    shown = re.escape(tr("zh-CN", "time.in_zone", time="TIME", zone="北京时间")).replace("TIME", r"[-\d: ]+")
    assert re.search(f"记录于 {shown},完成日期 2026-02-20", already.out), already.out
    assert cli("done", "--config", config, "t.report", "cty", "2026-02-28", "--undo").out.startswith(
        "已撤销完成标记:")
    assert cli("done", "--config", config, "t.report", "cty", "2026-02-28", "--undo", "--lang", "en").out.startswith(
        "was not done: ")
    missing = cli("done", "--config", config, "t.report", "cty", "2026-03-05")  # after the window
    assert missing.code == 1
    assert "附近的安排日期:2026-02-28" in missing.err
    english = cli("done", "--config", config, "t.report", "cty", "2026-03-05", "--lang", "en")
    assert "nearby occurrences: 2026-02-28" in english.err


def test_done_on_may_not_be_after_today_nor_a_year_before_the_duty(snapshot: Snapshot,
                                                                     reminders: ReminderStore) -> None:
    target = Target.of(report(snapshot))
    tomorrow = TODAY + dt.timedelta(days=1)
    assert actions.mark_done(reminders, target, CLI, now=NOW, done_on=tomorrow, today=TODAY) == Refused(
        Refusal.FUTURE_DAY)
    too_early = REPORT_DAY - actions.EARLIEST_DONE - dt.timedelta(days=1)
    assert actions.mark_done(reminders, target, CLI, now=NOW, done_on=too_early, today=TODAY) == Refused(
        Refusal.TOO_EARLY)
    assert reminders.completion(target.uid) is None
    assert actions.set_done_on(reminders, target, CLI, now=NOW, done_on=TODAY, today=TODAY) == Refused(
        Refusal.NOT_DONE)
    # the bot offers today and yesterday; the duty's date only once it is past
    assert actions.done_on_choices(target, TODAY) == (TODAY, TODAY - dt.timedelta(days=1))
    assert actions.done_on_choices(target, dt.date(2026, 3, 5)) == (dt.date(2026, 3, 5), dt.date(2026, 3, 4),
                                                                    REPORT_DAY)
    assert actions.done_on_choices(target, dt.date(2026, 3, 1)) == (dt.date(2026, 3, 1), REPORT_DAY)


def test_the_day_done_is_kept_apart_from_the_date_and_the_moment_recorded(
        snapshot: Snapshot, reminders: ReminderStore) -> None:
    target = Target.of(report(snapshot))
    marked = actions.mark_done(reminders, target, CLI, now=NOW, done_on=dt.date(2026, 2, 19), today=TODAY)
    assert isinstance(marked, Marked)
    assert (marked.completion.target.date, marked.completion.done_on, marked.completion.at) == (
        REPORT_DAY, dt.date(2026, 2, 19), NOW)
    corrected = actions.set_done_on(reminders, target, Actor("李四", Door.BOT), now=NOW, done_on=TODAY, today=TODAY)
    assert isinstance(corrected, actions.Completion)
    assert (corrected.done_on, corrected.by, corrected.at) == (TODAY, "张三", NOW)  # who marked it stays


def test_a_day_in_two_windows_names_the_one_due_next(tmp_path: Path) -> None:
    """With ``holiday_policy: next`` January 2025's window is due Wed 5 Feb (31 Jan is in the Spring
    Festival break, 28 Jan - 4 Feb) and so stretches over 1-5 Feb, which are February's too: a day
    there names January's window, due nearest on or after it; 6 Feb names February's (due Fri 28 Feb).
    """
    rules = {"version": 1, "document": {"id": "t-2025", "title": "测试", "date": "2025-01-01"},
             "units": [{"id": "cty", "name": "测试县人民政府", "level": "county"}],
             "obligations": [{"id": "t.month", "title": "月报", "applies_to": ["cty"], "source": {"quote": "每月内"},
                              "schedule": {"type": "window", "period": "month", "holiday_policy": "next"}}]}
    yaml = YAML()
    with (tmp_path / "rules.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(rules, fh)
    (tmp_path / "config.yaml").write_text("timezone: Asia/Shanghai\nrules: [rules.yaml]\n", encoding="utf-8")
    snap = load_snapshot(tmp_path / "config.yaml", 1, NOW)
    january = actions.find_occurrence(snap, "t.month", "cty", dt.date(2025, 1, 20))
    assert isinstance(january, Occurrence)
    assert (january.window_start, january.window_end, january.due) == (
        dt.date(2025, 1, 1), dt.date(2025, 2, 5), dt.date(2025, 2, 5))
    assert actions.find_occurrence(snap, "t.month", "cty", dt.date(2025, 2, 3)) == january
    february = actions.find_occurrence(snap, "t.month", "cty", dt.date(2025, 2, 6))
    assert isinstance(february, Occurrence)
    assert (february.window_start, february.due) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
