"""A quarter of windows, simulated: what is sent when some are done early, some late, some never.

The real planner and dispatcher (service.engine) run on a virtual clock over Q4 2025, planning at
every local midnight and after each action, dispatching at each moment something falls due; marks
and undos go through service.actions, naming each window by a day inside it. Every message sent is
compared with a table written by hand from the 2025 calendar (issue 10, proof of item 3).

The 2025 calendar around the quarter (国务院办公厅 2025 notice): 1-8 October off, Sat 11 October a
make-up working day; 1-3 January 2026 off, Sun 4 January 2026 a make-up working day.

The duties, for one township (测试镇):
- t.weekly: 每周至少1天 (a quota, one day a week, unplaced): each Monday-Sunday week is a window, due
  its last working day; reminded 1d before due. A session: never escalated.
- t.monthly: 每月内 (a window schedule, a deadline): each month is a window, due its last working
  day; reminded 7d and 1d before due; the admins are told the morning after an undone due day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot, load_snapshot
from service import actions
from service.actions import Actor, Door, Target
from service.engine import ReminderEngine
from service.simulate import CaptureNotifier, VirtualClock
from store import open_store
from store.reminders import ReminderStore

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")
FIRST, LAST = dt.date(2025, 10, 1), dt.date(2025, 12, 31)
TOWN = "cty.town"
CLERK = Actor("王五", Door.CLI)

RULES = {
    "version": 1,
    "document": {"id": "t-2025", "title": "测试工作要点", "date": "2025-01-01"},
    "units": [{"id": "cty", "name": "测试县人民政府", "level": "county"},
              {"id": TOWN, "name": "测试镇", "level": "township", "parent": "cty"}],
    "obligations": [
        {"id": "t.weekly", "title": "乡镇领导干部接访", "applies_to": [TOWN], "reminders": ["1d"],
         "source": {"quote": "乡镇领导干部每周至少1天到信访接待场所接待群众来访"},
         "schedule": {"type": "quota", "count": 1, "per": "week", "unit": "day"}},
        {"id": "t.monthly", "title": "报送信访工作月报", "applies_to": [TOWN], "reminders": ["7d", "1d"],
         "source": {"quote": "每月内报送信访工作情况"},
         "schedule": {"type": "window", "period": "month"}},
    ],
}
CONFIG = {
    "timezone": "Asia/Shanghai",
    "rules": ["rules.yaml"],
    "reminders": {"admins": [{"channel": "log", "address": "admin"}],
                  "escalation": [{"after": "0d", "to": "admins", "channel": "log"}]},
    "subscribers": [{"name": "测试镇党政办", "channel": "log", "address": "town",
                     "subscriptions": [{"unit": TOWN}]}],
}


@dataclass(frozen=True)
class Act:
    """At ``at`` (local), ``what`` ("done" or "undo") the window of ``duty`` holding ``window_day``."""

    at: dt.datetime
    what: str
    duty: str
    window_day: dt.date
    done_on: dt.date | None = None


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=TZ)


D = dt.date
ACTS = [
    # early: October's report done on Fri 10 Oct, three weeks before its due day (Fri 31 Oct)
    Act(at(10, 10), "done", "t.monthly", D(2025, 10, 10), D(2025, 10, 10)),
    # early: the week of 13 Oct received on its Monday, four days before its due day (Fri 17 Oct)
    Act(at(10, 13), "done", "t.weekly", D(2025, 10, 13), D(2025, 10, 13)),
    # undone, then redone: the week of 10 Nov marked on Monday, taken back on Wednesday (a mistake),
    # marked again on Friday 14 Nov, its due day
    Act(at(11, 10), "done", "t.weekly", D(2025, 11, 10), D(2025, 11, 10)),
    Act(at(11, 12), "undo", "t.weekly", D(2025, 11, 12)),
    Act(at(11, 14), "done", "t.weekly", D(2025, 11, 14), D(2025, 11, 14)),
    # late: November's report (due Fri 28 Nov) and the week of 24 Nov (due Fri 28 Nov) recorded on
    # Mon 1 Dec, each named by its own due day, after the escalation had gone out
    Act(at(12, 1), "done", "t.monthly", D(2025, 11, 28), D(2025, 12, 1)),
    Act(at(12, 1, 10, 5), "done", "t.weekly", D(2025, 11, 28), D(2025, 11, 28)),
    # undone: September's report (before the quarter, escalated on 1 Oct), December's report (its
    # escalation, the morning of 1 January, is after the quarter) and the other weeks
]

# (local time sent, recipient, kind, duty, the window's due day): every message row of the quarter
EXPECTED = [
    # September's report, due Tue 30 Sep, never done: the admins, the morning after its due day
    ("10-01 09:00", "admin", "escalation", "t.monthly", "2025-09-30"),
    # the first working day after the National Day break: the week of 6 Oct (due Sat 11 Oct, a
    # make-up working day) and October (due Fri 31 Oct) open; the week of 29 Sep was due 30 Sep
    ("10-09 09:00", "town", "opening", "t.monthly", "2025-10-31"),
    ("10-09 09:00", "town", "opening", "t.weekly", "2025-10-11"),
    ("10-10 09:00", "town", "reminder", "t.weekly", "2025-10-11"),  # 1d before Sat 11 Oct
    # October's report done 10 Oct: its 7d (24 Oct) and 1d (30 Oct) never come, nor an escalation
    ("10-13 09:00", "town", "opening", "t.weekly", "2025-10-17"),
    # the week of 13 Oct done that morning: its 1d (Thu 16 Oct) never comes
    ("10-20 09:00", "town", "opening", "t.weekly", "2025-10-24"),
    ("10-23 09:00", "town", "reminder", "t.weekly", "2025-10-24"),
    ("10-27 09:00", "town", "opening", "t.weekly", "2025-10-31"),
    ("10-30 09:00", "town", "reminder", "t.weekly", "2025-10-31"),
    # Mon 3 Nov: November's first working day (1-2 Nov a weekend) and a Monday; November is due
    # Fri 28 Nov (29-30 Nov a weekend)
    ("11-03 09:00", "town", "opening", "t.monthly", "2025-11-28"),
    ("11-03 09:00", "town", "opening", "t.weekly", "2025-11-07"),
    ("11-06 09:00", "town", "reminder", "t.weekly", "2025-11-07"),
    ("11-10 09:00", "town", "opening", "t.weekly", "2025-11-14"),
    # done on 10 Nov, undone on 12 Nov: its 1d reminder is planned again and comes on Thu 13 Nov
    ("11-13 09:00", "town", "reminder", "t.weekly", "2025-11-14"),
    ("11-17 09:00", "town", "opening", "t.weekly", "2025-11-21"),
    ("11-20 09:00", "town", "reminder", "t.weekly", "2025-11-21"),
    ("11-21 09:00", "town", "reminder", "t.monthly", "2025-11-28"),  # 7d before Fri 28 Nov
    ("11-24 09:00", "town", "opening", "t.weekly", "2025-11-28"),
    ("11-27 09:00", "town", "reminder", "t.monthly", "2025-11-28"),  # 1d
    ("11-27 09:00", "town", "reminder", "t.weekly", "2025-11-28"),
    # November's report not done by Fri 28 Nov: the admins, Saturday morning (the week is a
    # session, never escalated)
    ("11-29 09:00", "admin", "escalation", "t.monthly", "2025-11-28"),
    # both marked late on Mon 1 Dec: nothing more is sent for them
    ("12-01 09:00", "town", "opening", "t.monthly", "2025-12-31"),
    ("12-01 09:00", "town", "opening", "t.weekly", "2025-12-05"),
    ("12-04 09:00", "town", "reminder", "t.weekly", "2025-12-05"),
    ("12-08 09:00", "town", "opening", "t.weekly", "2025-12-12"),
    ("12-11 09:00", "town", "reminder", "t.weekly", "2025-12-12"),
    ("12-15 09:00", "town", "opening", "t.weekly", "2025-12-19"),
    ("12-18 09:00", "town", "reminder", "t.weekly", "2025-12-19"),
    ("12-22 09:00", "town", "opening", "t.weekly", "2025-12-26"),
    ("12-24 09:00", "town", "reminder", "t.monthly", "2025-12-31"),  # 7d before Wed 31 Dec
    ("12-25 09:00", "town", "reminder", "t.weekly", "2025-12-26"),
    # the week of 29 Dec - 4 Jan: 1-3 Jan off, so due Sun 4 Jan 2026 (a make-up working day); its
    # 1d reminder (Sat 3 Jan) is after the quarter
    ("12-29 09:00", "town", "opening", "t.weekly", "2026-01-04"),
    ("12-30 09:00", "town", "reminder", "t.monthly", "2025-12-31"),  # 1d
]


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.UTC)


def window_of(snapshot: Snapshot, duty: str, day: dt.date) -> Occurrence:
    found = actions.find_occurrence(snapshot, duty, TOWN, day)  # any day of the window names it
    assert isinstance(found, Occurrence), found
    return found


def apply(act: Act, snapshot: Snapshot, store: ReminderStore) -> None:
    now = act.at.astimezone(dt.UTC)
    target = Target.of(window_of(snapshot, act.duty, act.window_day))
    if act.what == "undo":
        assert actions.undo_done(store, target, CLERK, now=now).removed is not None
        return
    assert act.done_on is not None
    marked = actions.mark_done(store, target, CLERK, now=now, done_on=act.done_on, today=act.at.date())
    assert isinstance(marked, actions.Marked), marked
    assert marked.created


async def dispatch_day(engine: ReminderEngine, clock: VirtualClock, snapshot: Snapshot, store: ReminderStore,
                       day: dt.date, acts: list[Act]) -> list[tuple[str, str, str, str, str]]:
    """Dispatch ``day`` in time order, applying ``acts`` at their moments (planning after each)."""
    sent: list[tuple[str, str, str, str, str]] = []
    end = midnight(day + dt.timedelta(days=1))
    todo = sorted((a for a in acts if a.at.date() == day), key=lambda a: a.at)
    while True:
        due = store.next_due(before=end - dt.timedelta(microseconds=1))
        if todo and (due is None or todo[0].at <= due):
            act = todo.pop(0)
            clock.now = act.at.astimezone(dt.UTC)
            apply(act, snapshot, store)
            engine.plan()
            continue
        if due is None:
            return sent
        clock.now = max(clock.now, due)
        report = await engine.dispatch()
        for _, rows, _ in report.messages:
            sent += [(row.send_after.astimezone(TZ).strftime("%m-%d %H:%M"), row.address, row.kind,
                      row.obligation, row.occurrence_date.isoformat()) for row in rows]
        if not report.claimed:
            return sent


async def run_quarter(snapshot: Snapshot, workdir: Path) -> list[tuple[str, str, str, str, str]]:
    store = open_store(f"sqlite:///{workdir / 'scenario.db'}")
    try:
        reminders = ReminderStore(store)
        clock = VirtualClock(midnight(FIRST))
        engine = ReminderEngine(lambda: snapshot, reminders, {"log": CaptureNotifier()}, clock=clock,
                                instance="scenario", base_url="http://127.0.0.1:8080")
        engine.sync_subscribers()
        sent: list[tuple[str, str, str, str, str]] = []
        day = FIRST
        while day <= LAST:
            clock.now = midnight(day)
            engine.plan()
            sent += await dispatch_day(engine, clock, snapshot, reminders, day, ACTS)
            day += dt.timedelta(days=1)
        return sent
    finally:
        store.close()


@pytest.fixture
def snapshot(tmp_path: Path) -> Snapshot:
    yaml = YAML()
    with (tmp_path / "rules.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(RULES, fh)
    with (tmp_path / "config.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(CONFIG, fh)
    return load_snapshot(tmp_path / "config.yaml", 1, midnight(FIRST))


def test_the_windows_name_their_days(snapshot: Snapshot) -> None:
    """The table's premises: the windows and due days it was written from."""
    week = window_of(snapshot, "t.weekly", D(2025, 10, 9))
    assert (week.window_start, week.window_end, week.due, week.planned) == (
        D(2025, 10, 6), D(2025, 10, 12), D(2025, 10, 11), None)
    new_year = window_of(snapshot, "t.weekly", D(2025, 12, 31))
    assert (new_year.window_start, new_year.window_end, new_year.due) == (D(2025, 12, 29), D(2026, 1, 4),
                                                                         D(2026, 1, 4))
    november = window_of(snapshot, "t.monthly", D(2025, 11, 5))
    assert (november.window_start, november.window_end, november.due, november.kind) == (
        D(2025, 11, 1), D(2025, 11, 30), D(2025, 11, 28), "deadline")


def test_a_quarter_of_windows_sends_exactly_the_hand_written_table(snapshot: Snapshot, tmp_path: Path) -> None:
    sent = asyncio.run(run_quarter(snapshot, tmp_path))
    assert sorted(sent) == sorted(EXPECTED)
    assert len(sent) == 33


def test_an_opening_notice_after_its_due_day_is_missed_not_sent(snapshot: Snapshot, tmp_path: Path) -> None:
    """A window's opening notice ("本周需完成…,截止…") was sent after the window's due day when the
    service had been down for the whole window. Planned at midnight on 1 October, down until Monday
    13 October: the week of 6 October (opening Thu 9 Oct, due Sat 11 Oct) is over, so its opening
    notice and its 1d reminder are missed and reported to the admins; October's report (opening
    Thu 9 Oct, due Fri 31 Oct) is still ahead, so its opening notice goes out, late.
    """
    store = open_store(f"sqlite:///{tmp_path / 'late.db'}")
    try:
        reminders = ReminderStore(store)
        clock = VirtualClock(midnight(FIRST))
        capture = CaptureNotifier()
        engine = ReminderEngine(lambda: snapshot, reminders, {"log": capture}, clock=clock, instance="late",
                                base_url="http://127.0.0.1:8080")
        engine.sync_subscribers()
        engine.plan()
        clock.now = at(10, 13, 9).astimezone(dt.UTC)
        report = asyncio.run(engine.dispatch())
        missed = {(r["kind"], r["obligation"], r["occurrence_date"].isoformat()) for r in reminders.listing("missed")}
        sent = {(r["kind"], r["obligation"], r["occurrence_date"].isoformat(), r["late"])
                for r in reminders.listing("sent")}
        admins = [r for r in reminders.listing("pending") if r["kind"] == "admin"]
    finally:
        store.close()
    assert ("opening", "t.weekly", "2025-10-11") in missed
    assert ("reminder", "t.weekly", "2025-10-11") in missed
    assert not any(kind == "opening" and day <= "2025-10-12" for kind, _, day, _ in sent)
    assert ("opening", "t.monthly", "2025-10-31", True) in sent
    assert report.missed == len(missed)
    assert {(r["notice"], r["obligation"], r["occurrence_date"].isoformat()) for r in admins} >= {
        ("missed", "t.weekly", "2025-10-11")}
    texts = "\n".join(m.text for m in capture.sent)
    assert "2025-10-11" not in texts
    assert "10月11日" not in texts
