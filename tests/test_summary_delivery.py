"""The weekly summary delivered like a reminder (issue 11, item 5): planned into the reminder store
once per (recipient, week, part), however many instances plan it; sent by the dispatcher's claims;
retried with the reminders' backoff; listed with its status. Real stores (SQLite and PostgreSQL),
injected clocks.

The township and county of tests/test_summary.py, the weekly reception owed by both, on Monday 13
October 2025, 08:30 in Shanghai: each unit has one window overdue and one due soon. With the log
channel's limit lowered to fit one unit a part, each recipient's summary is two parts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from ruamel.yaml import YAML

from notifiers.base import Message, Notifier, PermanentError, TransientError
from notifiers.robots.text import utf8_size
from scheduler.planner import Planned, ReminderKind
from scheduler.snapshot import Snapshot, load_snapshot
from service import summary
from service.engine import ReminderEngine
from service.runner import EngineRunner
from service.simulate import CaptureNotifier, VirtualClock
from store import Store, open_store
from store.db import MIGRATIONS
from store.reminders import ReminderStore
from store.tables import reminders
from tests.conftest import CliResult
from tests.test_window_scenario import CONFIG, RULES, TOWN, TZ

MONDAY = dt.datetime(2025, 10, 13, 8, 30, tzinfo=TZ)
SUPERVISOR = {"name": "督查室", "channel": "log", "address": "duban", "unit": "cty", "language": "en"}


@pytest.fixture
def snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Snapshot:
    """Two units with windows in the summary, two recipients (the admin, a supervisor), two parts each."""
    yaml = YAML()
    in_force = {"effective": {"from": dt.date(2025, 10, 1)}}
    obligations = [{**ob, **in_force, "applies_to": ["cty", TOWN]} for ob in RULES["obligations"]]
    with (tmp_path / "rules.yaml").open("w", encoding="utf-8") as f:
        yaml.dump({**RULES, "obligations": obligations}, f)
    config = {**CONFIG, "supervision": {"due_soon_workdays": 5, "summary_recipients": [SUPERVISOR]}}
    with (tmp_path / "config.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(config, f)
    monkeypatch.setitem(summary.LIMITS, "log", (utf8_size, 330))
    return load_snapshot(tmp_path / "config.yaml", 1, MONDAY)


@dataclass
class FailsFirst(Notifier):
    """Refuses the first message (a transient failure: the platform was busy), then takes every one."""

    channel = "log"
    sent: list[Message] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    async def send(self, message: Message) -> str | None:
        if not self.refused:
            self.refused.append(message.key)
            raise TransientError("busy, try again")
        self.sent.append(message)
        return None


def _engine(snapshot: Snapshot, store: Store, notifier: Notifier, clock: VirtualClock, instance: str) -> ReminderEngine:
    return ReminderEngine(lambda: snapshot, ReminderStore(store), {"log": notifier}, clock=clock, instance=instance,
                          base_url="http://duties.test")


def _rows(store: Store) -> list[tuple[str, str, int]]:
    with store.engine.connect() as conn:
        query = sa.select(reminders.c.key, reminders.c.status, reminders.c.attempts).where(
            reminders.c.kind == "summary").order_by(reminders.c.id)
        return [(r.key, r.status, r.attempts) for r in conn.execute(query)]


KEYS = [f"summary|2025-W42|log:{who}|{part}" for who in ("admin", "duban") for part in (1, 2)]


@pytest.fixture
def two(url: str) -> Iterator[tuple[Store, Store]]:
    """Two instances' stores on one database."""
    first, second = open_store(url), open_store(url)
    yield first, second
    first.close()
    second.close()


@pytest.mark.slow  # two threads on two connection pools, at the same instant
def test_two_instances_at_the_summary_time_send_each_part_once(snapshot: Snapshot, two: tuple[Store, Store]) -> None:
    """Both instances run the summary job at 08:30 (as every instance did before): each plans and
    dispatches, and each recipient gets each part once, from one of them."""
    captures = [CaptureNotifier(), CaptureNotifier()]
    engines = [_engine(snapshot, s, c, VirtualClock(MONDAY.astimezone(dt.UTC)), f"i{n}")
               for n, (s, c) in enumerate(zip(two, captures, strict=True))]
    start = threading.Barrier(2)
    planned: list[int] = []

    def run(engine: ReminderEngine) -> None:
        start.wait()  # both at the summary time together
        planned.append(asyncio.run(summary.send_weekly(engine)))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for engine in engines:  # a next dispatch round on each: nothing is left, nothing goes twice
        asyncio.run(engine.dispatch())
    sent = [m.key for c in captures for m in c.sent]
    assert sorted(sent) == KEYS  # once each
    assert sum(planned) == 4  # each recipient's week planned by one of them (whichever came first)
    assert _rows(two[0]) == [(k, "sent", 1) for k in KEYS]
    by_key = {m.key: m for c in captures for m in c.sent}
    assert by_key[KEYS[0]].text.split("\n")[0].endswith("(1/2)")
    assert by_key[KEYS[3]].text.startswith(
        "【Supervision weekly】2025-10-13 (Mon): 2 overdue, 2 due soon, in 2 unit(s) (2/2)")
    assert by_key[KEYS[0]].subject == "督查督办周报 2025-10-13"


def test_a_channel_failing_the_first_attempt_retries_the_summary_and_delivers_it_once(
        snapshot: Snapshot, store: Store) -> None:
    """Part 1 to the admin is refused: it waits for the backoff, part 2 waits with it (the parts
    arrive in order), both are listed pending with the channel's error, and both go once, in order."""
    clock = VirtualClock(MONDAY.astimezone(dt.UTC))
    channel = FailsFirst()
    engine = _engine(snapshot, store, channel, clock, "i0")
    assert asyncio.run(summary.send_weekly(engine)) == 4
    assert channel.refused == [KEYS[0]]
    assert [m.key for m in channel.sent] == KEYS[2:]  # the supervisor's parts went
    waiting = ReminderStore(store).listing("pending")  # what `main.py reminders` lists
    assert [(r["key"], r["kind"], r["last_error"], r["obligation"]) for r in waiting] == [
        (k, "summary", "busy, try again", "督查督办周报 2025-10-13") for k in KEYS[:2]]
    retry_at = {r["send_after"] for r in waiting}
    assert len(retry_at) == 1  # part 2 waits exactly as long as part 1
    backoff = engine.config.backoff_seconds
    assert asyncio.run(engine.dispatch()).claimed == 0  # not before the backoff
    clock.now += dt.timedelta(seconds=backoff * 1.5 + 1)
    report = asyncio.run(engine.dispatch())
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert [m.key for m in channel.sent] == [*KEYS[2:], *KEYS[:2]]  # once each, part 1 before part 2
    assert _rows(store) == [(KEYS[0], "sent", 2), (KEYS[1], "sent", 2), (KEYS[2], "sent", 1), (KEYS[3], "sent", 1)]


@pytest.mark.slow  # a composed summary per week, twice on every backend
def test_a_summary_planned_for_a_week_is_not_planned_again_after_a_restart(snapshot: Snapshot, url: str) -> None:
    """A restart the same morning (a new process on the same database) plans nothing more; a start
    after a summary time no instance was up for plans it within a day (CATCH_UP), never later."""
    first = open_store(url)
    try:
        assert summary.plan_weekly(snapshot, ReminderStore(first), now=MONDAY.astimezone(dt.UTC),
                                   base_url="http://duties.test") == 4
    finally:
        first.close()
    again = open_store(url)  # the restart
    try:
        store = ReminderStore(again)
        for later in (dt.timedelta(minutes=10), dt.timedelta(hours=23)):
            assert summary.plan_weekly(snapshot, store, now=(MONDAY + later).astimezone(dt.UTC),
                                       base_url="http://duties.test") == 0
        assert [k for k, _, _ in _rows(again)] == KEYS
        next_week = MONDAY + dt.timedelta(days=7)
        assert summary.plan_weekly(snapshot, store, now=(next_week + dt.timedelta(hours=25)).astimezone(dt.UTC),
                                   base_url="http://duties.test") == 0  # down for more than a day: next week's
        assert summary.plan_weekly(snapshot, store, now=(next_week + dt.timedelta(hours=2)).astimezone(dt.UTC),
                                   base_url="http://duties.test") > 0  # down at 08:30, back at 10:30: sent
        assert {k.split("|")[1] for k, _, _ in _rows(again)} == {"2025-W42", "2025-W43"}
    finally:
        again.close()


def test_parts_are_stored_whole_or_not_at_all(store: Store) -> None:
    """Two planners that composed the same week differently (a window done in between): the first
    key decides, so the second adds no part, not even the third one the first did not have."""
    rs = ReminderStore(store)
    recipient = summary.SummaryRecipient("log", "admin", None, "zh-CN")
    at = MONDAY.astimezone(dt.UTC)

    def parts(n: int) -> list[Planned]:
        return [Planned(summary.key_of("2025-W42", recipient, i), ReminderKind.SUMMARY,
                                "summary/2025-W42", "督查督办周报 2025-10-13", None, MONDAY.date(), None, "log",
                                "admin", "zh-CN", "", at, at, body=f"part {i}/{n}") for i in range(1, n + 1)]

    assert rs.add_whole(parts(2), at) == 2
    assert rs.add_whole(parts(3), at) == 0
    assert [k for k, _, _ in _rows(store)] == [summary.key_of("2025-W42", recipient, i) for i in (1, 2)]


def test_the_latest_summary_time_in_the_configured_zone(snapshot: Snapshot) -> None:
    cfg = snapshot.loaded.config.supervision
    assert summary.summary_time(cfg, MONDAY, TZ) == MONDAY
    assert summary.summary_time(cfg, MONDAY - dt.timedelta(seconds=1), TZ) == MONDAY - dt.timedelta(days=7)
    sunday = dt.datetime(2025, 10, 19, 23, 0, tzinfo=TZ)
    assert summary.summary_time(cfg, sunday.astimezone(dt.UTC), TZ) == MONDAY
    assert summary.week_of(MONDAY.date()) == "2025-W42"


@pytest.mark.slow  # two runners' planning runs (the reminders' horizon as well as the summary)
def test_runners_plan_the_summary_on_the_planner_and_catch_up_after_a_restart(snapshot: Snapshot,
                                                                               two: tuple[Store, Store]) -> None:
    """No instance was up at 08:30. The first runner starts at 09:00 and takes the planner lock: its
    first planning run plans the week's summary, and its dispatcher sends it. A standby's planning
    run plans nothing; after the planner stops, the standby takes over (a restart at 09:10) and
    plans nothing again: the week is in the store."""
    clock = VirtualClock((MONDAY + dt.timedelta(minutes=30)).astimezone(dt.UTC))
    captures = [CaptureNotifier(), CaptureNotifier()]
    runners = [EngineRunner(_engine(snapshot, s, c, clock, f"i{n}"))
               for n, (s, c) in enumerate(zip(two, captures, strict=True))]
    planner, standby = runners
    assert planner._take_lead()
    assert not standby._take_lead()
    try:
        assert planner._plan_now()
        assert not standby._plan_now()
        assert [k for k, _, _ in _rows(two[0])] == KEYS
        asyncio.run(standby.engine.dispatch())  # whichever dispatcher comes first sends it (with the reminders due)
        assert sorted(m.key for m in captures[1].sent if m.key.startswith("summary|")) == KEYS
        planner.lock.release()
        clock.now += dt.timedelta(minutes=10)
        assert standby._take_lead()
        assert standby._plan_now()
        assert _rows(two[1]) == [(k, "sent", 1) for k in KEYS]  # no new row, nothing sent again
        asyncio.run(planner.engine.dispatch())
        assert sum(m.key.startswith("summary|") for c in captures for m in c.sent) == len(KEYS)
    finally:
        for runner in runners:
            runner.lock.release()


def test_migration_0012_both_ways(snapshot: Snapshot, store: Store) -> None:
    """0012 admits kind ``summary`` with its ``body``; its downgrade deletes the summary rows and the column."""
    assert summary.plan_weekly(snapshot, ReminderStore(store), now=MONDAY.astimezone(dt.UTC),
                               base_url="http://duties.test") == 4
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM reminders WHERE kind = 'summary'")).scalar() == 0
        assert "body" not in {c["name"] for c in sa.inspect(conn).get_columns("reminders")}
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert summary.plan_weekly(snapshot, ReminderStore(store), now=MONDAY.astimezone(dt.UTC),
                               base_url="http://duties.test") == 4


def test_main_py_reminders_lists_the_parts_with_their_status(snapshot: Snapshot, tmp_path: Path,
                                                            scratch_store: Path, cli: Callable[..., CliResult]) -> None:
    """What an administrator reads: each part waiting, named by the summary's subject, its recipient."""
    store = open_store(f"sqlite:///{scratch_store}")
    try:
        summary.plan_weekly(snapshot, ReminderStore(store), now=MONDAY.astimezone(dt.UTC),
                            base_url="http://duties.test")
    finally:
        store.close()
    listed = cli("reminders", "--config", str(tmp_path / "config.yaml"), "--format", "json")
    assert listed.code == 0, listed.err
    assert [(r["key"], r["kind"], r["status"]) for r in listed.json()] == [(k, "summary", "pending") for k in KEYS]
    lines = cli("reminders", "--config", str(tmp_path / "config.yaml")).out.splitlines()
    assert len(lines) == 4
    assert all("待发送" in line and "督查督办周报 2025-10-13" in line for line in lines[:2])
    assert "log:duban" in lines[3]


@dataclass
class Refuses(Notifier):
    """Refuses the supervisor for good (a chat the robot was removed from); takes the admin's messages."""

    channel = "log"
    sent: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> str | None:
        if message.recipient == "duban":
            raise PermanentError("robot removed from the chat")
        self.sent.append(message)
        return None


def test_a_part_failing_for_good_is_told_to_the_admins_with_the_board(snapshot: Snapshot, store: Store) -> None:
    """The admins hear which summary failed (its subject in its recipient's language, the unit it covers) with
    the board's link, not a duty's page."""
    clock = VirtualClock(MONDAY.astimezone(dt.UTC))
    channel = Refuses()
    engine = _engine(snapshot, store, channel, clock, "i0")
    asyncio.run(summary.send_weekly(engine))
    asyncio.run(engine.dispatch())  # the admin notices, raised by the first round
    [notice] = [m for m in channel.sent if not m.key.startswith("summary|")]  # both parts, in one digest
    assert notice.covers == tuple(f"admin|failed|{k}|log:admin" for k in KEYS[2:])
    assert notice.text.count("Supervision weekly summary 2025-10-13 · 测试县人民政府(提醒发送失败)") == 2
    assert "http://duties.test/supervision" in notice.text
    assert "/obligation/" not in notice.text
    assert [s for k, s, _ in _rows(store) if "duban" in k] == ["failed", "failed"]
