"""The supervision states (service.board) and waivers (store.waivers, migration 0010), checked by hand.

A township (测试镇) with a weekly reception (每周至少1天, a quota) and a monthly report (每月内, a
window deadline) in Q4 2025: 1-8 October off, Saturday 11 October a make-up working day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from ruamel.yaml import YAML

from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot, load_snapshot
from service import actions, supervision
from service.actions import Actor, Door, Target
from service.board import Done, State, Waived, by_unit, counts, state_of, workdays_late
from service.engine import ReminderEngine
from service.simulate import CaptureNotifier, VirtualClock
from store import Store
from store.db import MIGRATIONS
from store.history import History
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from store.waivers import Waivers
from tests.test_window_scenario import CONFIG, RULES, TOWN

D = dt.date
ADMIN = Actor("督查室", Door.CLI)
NOW = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)  # Thu 9 Oct 2025, 10:00 in Shanghai


@pytest.fixture
def snapshot(tmp_path: Path) -> Snapshot:
    yaml = YAML()
    with (tmp_path / "rules.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(RULES, f)
    with (tmp_path / "config.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(CONFIG, f)
    return load_snapshot(tmp_path / "config.yaml", 1, NOW)


def window(snapshot: Snapshot, duty: str, day: D) -> Occurrence:
    found = actions.find_occurrence(snapshot, duty, TOWN, day)
    assert isinstance(found, Occurrence)
    return found


def test_lateness_counts_working_days_after_the_due_day(snapshot: Snapshot) -> None:
    cal = snapshot.calendar
    due = D(2025, 9, 30)  # Tue 30 Sep; 1-8 Oct off; Thu 9 Oct the first working day after it
    assert workdays_late(cal, due, D(2025, 9, 30)) == 0
    assert workdays_late(cal, due, D(2025, 10, 1)) == 1  # a holiday counts as the next working day
    assert workdays_late(cal, due, D(2025, 10, 9)) == 1
    assert workdays_late(cal, due, D(2025, 10, 11)) == 3  # 9, 10 and Sat 11 Oct (调休上班)
    assert workdays_late(cal, D(2025, 10, 17), D(2025, 10, 18)) == 1  # Saturday after a Friday due day


@pytest.mark.parametrize(("today", "done", "waived", "state", "lateness", "left"), [
    (D(2025, 10, 9), None, None, State.DUE_SOON, 0, 3),  # 9, 10, Sat 11 Oct left: 3 <= 3
    (D(2025, 10, 6), None, None, State.DUE_SOON, 0, 3),  # a holiday: the same three days left
    (D(2025, 10, 5), None, None, State.NOT_OPEN, 0, None),  # the week of 6 Oct has not begun
    (D(2025, 10, 12), None, None, State.OVERDUE, 1, None),  # Sun 12 Oct: as late as Monday
    (D(2025, 10, 14), None, None, State.OVERDUE, 2, None),
    (D(2025, 10, 14), Done(D(2025, 10, 11), "王五"), None, State.ON_TIME, 0, None),
    (D(2025, 10, 14), Done(D(2025, 10, 13), "王五"), None, State.LATE, 1, None),
    (D(2025, 10, 14), None, Waived("合并举办", "督查室", NOW), State.WAIVED, 0, None),
    (D(2025, 10, 14), Done(D(2025, 10, 10), "王五"), Waived("合并举办", "督查室", NOW), State.ON_TIME, 0, None),
])
def test_the_week_of_national_day_in_each_state(snapshot: Snapshot, today: D, done: Done | None,
                                                waived: Waived | None, state: State, lateness: int,
                                                left: int | None) -> None:
    occ = window(snapshot, "t.weekly", D(2025, 10, 7))  # Mon 6 - Sun 12 Oct, due Sat 11 Oct
    assert (occ.window_start, occ.due) == (D(2025, 10, 6), D(2025, 10, 11))
    row = state_of(occ, today=today, calendar=snapshot.calendar, due_soon=3, done=done, waived=waived)
    assert (row.state, row.lateness, row.left) == (state, lateness, left)


def test_an_open_month_is_open_until_its_last_days(snapshot: Snapshot) -> None:
    occ = window(snapshot, "t.monthly", D(2025, 10, 20))  # October, due Fri 31 Oct
    row = state_of(occ, today=D(2025, 10, 20), calendar=snapshot.calendar, due_soon=3)
    assert (row.state, row.left) == (State.OPEN, 10)  # 20-24, 27-31 Oct
    row = state_of(occ, today=D(2025, 10, 29), calendar=snapshot.calendar, due_soon=3)
    assert (row.state, row.left) == (State.DUE_SOON, 3)


def test_rates_count_only_windows_settled_or_due(store: Store, snapshot: Snapshot) -> None:
    reminders = ReminderStore(store)
    first = window(snapshot, "t.weekly", D(2025, 10, 14))  # due Fri 17 Oct: on time
    second = window(snapshot, "t.weekly", D(2025, 10, 21))  # due Fri 24 Oct: done late on Mon 27 Oct
    third = window(snapshot, "t.weekly", D(2025, 10, 29))  # due Fri 31 Oct: waived
    for occ, done_on in ((first, D(2025, 10, 16)), (second, D(2025, 10, 27))):
        marked = actions.mark_done(reminders, Target.of(occ), ADMIN, now=NOW, done_on=done_on, today=D(2025, 11, 5))
        assert isinstance(marked, actions.Marked)
    assert supervision.waive(store, Target.of(third), ADMIN, reason="上级统一组织", now=NOW)
    query = supervision.Query(D(2025, 10, 1), D(2025, 11, 9))
    rows = supervision.board(snapshot, store, query, today=D(2025, 11, 5), due_soon=3)
    got = [(r.obligation, r.due.isoformat(), r.state.value, r.lateness) for r in rows]
    assert got == [
        ("t.weekly", "2025-10-11", "overdue", 18),  # 13 Oct - 5 Nov: 18 working days
        ("t.weekly", "2025-10-17", "on_time", 0), ("t.weekly", "2025-10-24", "late", 1),
        ("t.monthly", "2025-10-31", "overdue", 3), ("t.weekly", "2025-10-31", "waived", 0),
        ("t.weekly", "2025-11-07", "due_soon", 0),
    ]
    c = by_unit(rows)[TOWN]
    assert (c.counted, c[State.ON_TIME], c[State.LATE], c[State.OVERDUE]) == (4, 1, 1, 2)
    assert (c.rate(State.ON_TIME), c.rate(State.OVERDUE)) == (0.25, 0.5)
    assert counts([]).rate(State.ON_TIME) is None
    only = supervision.board(snapshot, store, supervision.Query(D(2025, 10, 1), D(2025, 11, 9),
                                                                state=State.WAIVED), today=D(2025, 11, 5))
    assert [r.uid for r in only] == [third.uid]
    assert rows[4].waived is not None
    assert rows[4].waived.reason == "上级统一组织"


def test_a_waived_window_is_not_reminded_and_unwaiving_plans_it_again(store: Store, snapshot: Snapshot) -> None:
    reminders = ReminderStore(store)
    clock = VirtualClock(NOW)
    engine = ReminderEngine(lambda: snapshot, reminders, {"log": CaptureNotifier()}, clock=clock, instance="t",
                            base_url="http://duties.test")
    engine.sync_subscribers()
    engine.plan()
    occ = window(snapshot, "t.monthly", D(2025, 10, 20))  # October's report: 7d, 1d and an escalation
    pending = [r for r in reminders.listing("pending") if r["occurrence_uid"] == occ.uid]
    assert sorted(r["kind"] for r in pending) == ["escalation", "reminder", "reminder"]  # 24 Oct, 30 Oct, 1 Nov
    assert supervision.waive(store, Target.of(occ), ADMIN, reason="合并举办", now=NOW)
    assert not supervision.waive(store, Target.of(occ), ADMIN, reason="again", now=NOW)  # the first stands
    assert [r for r in reminders.listing("pending") if r["occurrence_uid"] == occ.uid] == []
    clock.now = dt.datetime(2025, 11, 1, 2, 0, tzinfo=dt.UTC)  # the morning after its due day
    engine.plan()
    assert [r for r in reminders.listing("pending") if r["occurrence_uid"] == occ.uid] == []  # no escalation
    clock.now = NOW
    assert supervision.unwaive(store, Target.of(occ), ADMIN, now=NOW)
    assert not supervision.unwaive(store, Target.of(occ), ADMIN, now=NOW)
    engine.plan()
    assert len([r for r in reminders.listing("pending") if r["occurrence_uid"] == occ.uid]) == 3
    entries = [(e["action"], e["note"], e["actor"]) for e in History(store).entries(uid=occ.uid)]
    assert entries == [("waive", "合并举办", "督查室"), ("unwaive", "合并举办", "督查室")]
    with pytest.raises(ValueError, match="reason"):
        supervision.waive(store, Target.of(occ), ADMIN, reason="  ", now=NOW)


def test_migration_0010_both_ways(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    assert "waivers" in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert "waivers" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    store = Store(engine)
    assert Waivers(store).waived_uids() == set()
    engine.dispose()


def test_a_waived_deadline_is_not_in_the_overdue_listing(store: Store, snapshot: Snapshot) -> None:
    """The bot's /overdue (service.actions.overdue) lists deadlines not done; a waived one is owed by nobody."""
    reminders = ReminderStore(store)
    ReminderEngine(lambda: snapshot, reminders, {}, clock=lambda: NOW, instance="t",
                   base_url="http://duties.test").sync_subscribers()
    person = SubscriberStore(store).get("log", "town")
    assert person is not None
    today = D(2025, 11, 5)
    people = SubscriberStore(store)
    before = [o.uid for o in actions.overdue(reminders, people, snapshot, person, today=today).occurrences]
    october = window(snapshot, "t.monthly", D(2025, 10, 20))
    assert october.uid in before
    assert supervision.waive(store, Target.of(october), ADMIN, reason="上级统一组织", now=NOW)
    after = [o.uid for o in actions.overdue(reminders, people, snapshot, person, today=today).occurrences]
    assert after == [uid for uid in before if uid != october.uid]
