"""The dispatcher in-process, on the real store (SQLite and PostgreSQL), with test channels.

The channels here are small Notifier implementations that fail on purpose: the
engine's behaviour on failure is what is tested, not the channels'.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifiers.base import Message, Notifier, PermanentError, TransientError
from notifiers.log import LogConfig, LogNotifier
from obligations.config import Recipient, RemindersConfig, SubscriberConfig, SubscriptionConfig
from scheduler.snapshot import Snapshot, load_snapshot
from service.dispatcher import Dispatcher
from service.engine import ReminderEngine
from store import Store
from store.reminders import ReminderStore
from tests.conftest import DATA

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 3, 20, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


class Recorder(Notifier):
    channel = "test"

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.sent: list[Message] = []

    async def send(self, message: Message) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"id-{len(self.sent)}"


@pytest.fixture
def snapshot() -> Snapshot:
    return load_snapshot(DATA / "sample-config.yaml", 1, T0)


def engine(store: Store, snapshot: Snapshot, channel: Notifier, *, clock: list[dt.datetime],
           subscribers: list[SubscriberConfig], config: RemindersConfig | None = None) -> ReminderEngine:
    cfg = snapshot.loaded.config.model_copy(update={
        "subscribers": subscribers,
        "reminders": config or RemindersConfig(admins=[Recipient(channel="log", address="admin")]),
    })
    snap = Snapshot(snapshot.version, snapshot.loaded.__class__(cfg, snapshot.loaded.path), snapshot.rules,
                    snapshot.calendar, snapshot.tz, snapshot.loaded_at)
    eng = ReminderEngine(lambda: snap, ReminderStore(store), {"test": channel, "log": LogNotifier()},
                         clock=lambda: clock[0], instance="t", base_url="http://duties.test")
    eng.dispatcher.rng = random.Random(7)
    eng.sync_subscribers()
    return eng


def county(lead: list[str] | None = None, **extra: object) -> SubscriberConfig:
    return SubscriberConfig(name="县政府办", channel="test", address="cty-office",
                            subscriptions=[SubscriptionConfig(unit="cty", lead_times=lead)], **extra)


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_transient_failures_are_retried_with_backoff(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder([TransientError("421 busy"), TransientError("timeout")])
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["1d"])])
    eng.plan()  # the 2026 report: 1 March 2026 is a Sunday -> previous working day: Sat 28 Feb, a make-up day
    #            (Spring Festival 2026); 1d: 27 Feb 09:00
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    first = run(eng.dispatch())
    assert (first.sent, first.retried) == (0, 1)
    pending = eng.store.listing("pending")[0]
    delay = pending["send_after"].replace(tzinfo=dt.UTC) - clock[0]
    assert dt.timedelta(seconds=15) <= delay <= dt.timedelta(seconds=45)  # 30 s with jitter
    assert pending["last_error"] == "421 busy"
    clock[0] += delay
    second = run(eng.dispatch())
    assert second.retried == 1
    third_at = eng.store.listing("pending")[0]["send_after"].replace(tzinfo=dt.UTC)
    assert dt.timedelta(seconds=30) <= third_at - clock[0] <= dt.timedelta(seconds=90)  # doubled
    clock[0] = third_at
    assert run(eng.dispatch()).sent == 1
    assert len(channel.sent) == 1
    assert "报告上一年度法治政府建设情况" in channel.sent[0].text


def test_permanent_failure_is_recorded_and_reported_to_admins(store: Store, snapshot: Snapshot,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    eng = engine(store, snapshot, Recorder([PermanentError("550 no such user")]), clock=clock,
                 subscribers=[county(["1d"])])
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    report = run(eng.dispatch())
    assert report.failed == 1
    failed = eng.store.listing("failed")
    assert [(r["address"], r["last_error"]) for r in failed] == [("cty-office", "550 no such user")]
    caplog.set_level("INFO", logger="notifiers.log")
    assert run(eng.dispatch()).sent == 1  # the admin notice, through the log channel
    assert "reminder to admin" in caplog.text
    assert "提醒发送失败" in caplog.text


def test_giving_up_after_max_attempts(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder([TransientError("down")] * 5)
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["1d"])],
                 config=RemindersConfig(max_attempts=3))
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    for _ in range(3):
        run(eng.dispatch())
        nxt = eng.store.next_due(before=clock[0] + dt.timedelta(days=1))
        if nxt:
            clock[0] = nxt
    assert [r["last_error"] for r in eng.store.listing("failed")] == ["gave up after 3 attempts: down"]


def test_after_downtime_late_if_still_ahead_missed_if_passed(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 15, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["7d", "1d"])])
    eng.plan()  # deadline Sat 28 Feb 2026 (a make-up day): 7d -> 21 Feb 09:00, 1d -> 27 Feb 09:00
    clock[0] = dt.datetime(2026, 2, 27, 3, 0, tzinfo=dt.UTC)  # down from 20 Feb to 27 Feb 11:00
    report = run(eng.dispatch())
    assert (report.sent, report.late) == (2, 2)
    assert channel.sent[0].text.startswith("【法定职责提醒】共2项(补发:原定2026-02-21 09:00(北京时间)发送)")
    assert {r["late"] for r in eng.store.listing("sent")} == {True}


def test_missed_when_the_duty_has_passed(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 15, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["7d", "1d"])])
    eng.plan()
    clock[0] = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)  # back after the 28 Feb deadline
    report = run(eng.dispatch())
    assert (report.sent, report.missed) == (0, 2)
    assert channel.sent == []
    assert {r["status"] for r in eng.store.listing("missed")} == {"missed"}
    admin = [r for r in eng.store.listing("pending") if r["kind"] == "admin"]
    assert {(r["notice"], r["lead_time"]) for r in admin} == {("missed", "")}


def test_quiet_hours_release_one_digest(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 15, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    night = SubscriberConfig(name="值班", channel="test", address="night", quiet_hours="08:00-10:30",
                             subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"]),
                                            SubscriptionConfig(unit="pref", lead_times=["1d"])])
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[night])
    eng.plan()
    pending = eng.store.listing("pending")
    assert {r["send_after"].replace(tzinfo=dt.UTC).astimezone(SHANGHAI).strftime("%H:%M") for r in pending} == {
        "10:30"}  # due at 09:00, held until the quiet hours end
    clock[0] = dt.datetime(2026, 2, 27, 2, 30, tzinfo=dt.UTC)
    report = run(eng.dispatch())
    assert report.sent == 2
    assert len(channel.sent) == 1  # one digest, not a flood
    assert channel.sent[0].text.startswith("【法定职责提醒】共2项")


def test_a_journal_prevents_a_second_delivery(store: Store, snapshot: Snapshot, tmp_path: object) -> None:
    pass

    journal = Path(str(tmp_path)) / "journal.jsonl"
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    sub = SubscriberConfig(name="日志", channel="log", address="cty-log",
                           subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"])])
    eng = engine(store, snapshot, Recorder(), clock=clock, subscribers=[sub])
    eng.notifiers["log"] = eng.dispatcher.notifiers["log"] = LogNotifier(LogConfig(journal=str(journal)))
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    rows = eng.store.claim("crashed", clock[0], limit=10, lease=dt.timedelta(seconds=5))
    message = Message(key=rows[0].key, recipient="cty-log", subject="s", text="t", covers=(rows[0].key,))
    run(eng.notifiers["log"].send(message))  # delivered, then the dispatcher died before recording it
    clock[0] += dt.timedelta(seconds=10)
    again = Dispatcher(eng.store, {"log": LogNotifier(LogConfig(journal=str(journal)))}, eng.config,
                       instance="second", snapshot=eng.snapshot, base_url="http://duties.test")
    report = run(again.run_once(clock[0]))
    assert report.sent == 1
    assert len(journal.read_text(encoding="utf-8").splitlines()) == 1  # not sent twice
    assert eng.store.listing("sent")[0]["provider_id"] == "journal"


def test_configured_mentions_reach_the_channel(store: Store, snapshot: Snapshot) -> None:
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["1d"], mentions=["13800000000"])])
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    assert run(eng.dispatch()).sent == 1
    assert channel.sent[0].mentions == ("13800000000",)


def test_duplicates_with_two_instances_a_lapsed_claim_is_not_sent_by_its_old_holder(store: Store,
                                                                                    snapshot: Snapshot) -> None:
    """Issue 9: a claim's lease was fixed when the batch was claimed, and the dispatcher sent the
    batch's reminders whenever their turn came; reminders that outlived the lease while they
    waited were claimed and sent by the other instance, then sent again by the old holder (two
    instances, 1,200 reminders: 1,209 messages). Now the holder renews the lease right before each
    send, in one statement that fails once the lease has run out, and leaves such reminders alone."""
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    other = SubscriberConfig(name="县政府办二", channel="test", address="cty-office-2",
                             subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"])])
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["1d"]), other])
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    lease = dt.timedelta(seconds=eng.config.lease_seconds)
    holder = eng.dispatcher
    holder.clock = lambda: clock[0]
    taken = []

    def stalled() -> Snapshot:  # the holder stalls between its claim and its sends, past the lease
        clock[0] += lease + dt.timedelta(seconds=1)
        taken.extend(eng.store.claim("other", clock[0], limit=50, lease=lease))
        return eng.snapshot()

    holder.snapshot = stalled
    report = run(holder.run_once(clock[0]))
    assert report.claimed == len(taken) > 1
    assert (report.sent, report.lapsed) == (0, report.claimed)
    assert channel.sent == []  # the other instance holds them and sends them, once
    assert {r["claimed_by"] for r in eng.store.listing("claimed")} == {"other"}


def test_a_claim_that_ran_out_unnoticed_is_sent_once_by_the_next_round(store: Store, snapshot: Snapshot) -> None:
    """A lapsed claim nobody took over is not sent on the old claim, but claimed again and sent once."""
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    eng = engine(store, snapshot, channel, clock=clock, subscribers=[county(["1d"])])
    eng.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    lease = dt.timedelta(seconds=eng.config.lease_seconds)
    eng.dispatcher.clock = lambda: clock[0]
    real = eng.dispatcher.snapshot

    def stalled() -> Snapshot:
        clock[0] += lease + dt.timedelta(seconds=1)
        return real()

    eng.dispatcher.snapshot = stalled
    first = run(eng.dispatcher.run_once(clock[0]))
    assert (first.sent, first.lapsed, channel.sent) == (0, first.claimed, [])
    eng.dispatcher.snapshot = real
    second = run(eng.dispatcher.run_once(clock[0]))
    assert (second.claimed, second.sent) == (first.claimed, first.claimed)
    assert len(channel.sent) == 1
    assert [r["attempts"] for r in eng.store.listing("sent")] == [2] * first.claimed
