"""The reminder store's contract, on SQLite and on PostgreSQL (the ``store`` fixture runs both)."""

from __future__ import annotations

import datetime as dt

from obligations.config import SubscriberConfig, SubscriptionConfig
from scheduler.planner import Planned
from store import Store
from store.reminders import ReminderStore

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def planned(n: int, *, date: str = "2025-04-01", due: dt.datetime = T0 + HOUR, sub: int = 1,
            uid: str | None = None) -> Planned:
    day = dt.date.fromisoformat(date)
    uid = uid or f"ob/unit{n}/2025-Q2"
    return Planned(f"{uid}|s{sub}|1d|{date}", "reminder", uid, "ob", f"unit{n}", day, sub, "log", f"to{sub}",
                   "zh-CN", "1d", due, due)


def subscriber(store: ReminderStore) -> int:
    store.sync_config_subscribers([SubscriberConfig(name="测试", channel="log", address="to1",
                                                    subscriptions=[SubscriptionConfig(unit="unit1")])], T0)
    return store.subscriptions()[0].subscriber_id


def test_config_subscribers_sync(store: Store) -> None:
    rs = ReminderStore(store)
    rs.sync_config_subscribers([SubscriberConfig(name="甲", channel="log", address="a", subscriptions=[
        SubscriptionConfig(unit="u", children=True, lead_times=["7d", "1d"]), SubscriptionConfig(tag="信访")])], T0)
    subs = rs.subscriptions()
    assert [(s.address, s.unit, s.children, s.tag, s.lead_times and tuple(map(str, s.lead_times)))
            for s in subs] == [("a", "u", True, None, ("7d", "1d")), ("a", None, False, "信访", None)]
    rs.sync_config_subscribers([], T0)  # removed from config: inactive, its history kept
    assert rs.subscriptions() == []


def test_planning_is_idempotent_and_cancels_what_disappeared(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    plan = [planned(1, sub=sid), planned(2, sub=sid)]
    first = rs.sync_plan(plan, now=T0, until=T0 + 24 * HOUR)
    again = rs.sync_plan(plan, now=T0, until=T0 + 24 * HOUR)
    assert (first.inserted, again.inserted, again.cancelled) == (2, 0, 0)
    gone = rs.sync_plan(plan[:1], now=T0, until=T0 + 24 * HOUR)
    assert gone.cancelled == 1
    assert {r["unit"] for r in rs.listing("pending")} == {"unit1"}


def test_a_moved_date_sends_one_changed_notice(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(1, sub=sid, date="2025-04-01")], now=T0, until=T0 + 24 * HOUR)
    moved = [planned(1, sub=sid, date="2025-04-03")]
    report = rs.sync_plan(moved, now=T0, until=T0 + 24 * HOUR)
    assert (report.inserted, report.cancelled, report.changed) == (1, 1, 1)
    again = rs.sync_plan(moved, now=T0 + HOUR / 2, until=T0 + 24 * HOUR)
    assert again.changed == 0  # planned twice, noticed once
    notices = [r for r in rs.listing("pending") if r["kind"] == "changed"]
    assert [(n["previous_date"], n["occurrence_date"], n["lead_time"]) for n in notices] == [
        (dt.date(2025, 4, 1), dt.date(2025, 4, 3), "")]


def test_claims_are_exclusive_and_leases_expire(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(i, sub=sid) for i in range(5)], now=T0, until=T0 + 24 * HOUR)
    at = T0 + 2 * HOUR
    a = rs.claim("a", at, limit=3, lease=dt.timedelta(minutes=2))
    b = rs.claim("b", at, limit=10, lease=dt.timedelta(minutes=2))
    assert len(a) == 3
    assert len(b) == 2
    assert not {r.id for r in a} & {r.id for r in b}
    assert rs.claim("c", at, limit=10, lease=dt.timedelta(minutes=2)) == []
    assert rs.mark_sent([r.id for r in b], "b", now=at, late=False, provider_id=None) == 2
    # "a" dies; after its lease, "c" takes its reminders, and "a" can no longer settle them
    later = at + dt.timedelta(minutes=3)
    c = rs.claim("c", later, limit=10, lease=dt.timedelta(minutes=2))
    assert {r.id for r in c} == {r.id for r in a}
    assert all(r.attempts == 2 for r in c)
    assert rs.mark_sent([r.id for r in a], "a", now=later, late=False, provider_id=None) == 0
    assert rs.mark_sent([r.id for r in c], "c", now=later, late=False, provider_id=None) == 3


def test_nothing_is_claimed_before_it_is_due(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(1, sub=sid, due=T0 + 5 * HOUR)], now=T0, until=T0 + 24 * HOUR)
    assert rs.claim("a", T0 + 4 * HOUR, limit=10, lease=HOUR) == []
    assert rs.next_due(before=T0 + 24 * HOUR) == T0 + 5 * HOUR
    assert len(rs.claim("a", T0 + 5 * HOUR, limit=10, lease=HOUR)) == 1


def test_retry_failure_and_missed_outcomes(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(i, sub=sid) for i in range(3)], now=T0, until=T0 + 24 * HOUR)
    rows = rs.claim("a", T0 + 2 * HOUR, limit=10, lease=HOUR)
    retry_at = T0 + 3 * HOUR
    assert rs.mark_retry([rows[0].id], "a", error="421 busy", at=retry_at) == 1
    assert rs.mark_failed([rows[1].id], "a", error="550 no such user") == 1
    assert rs.mark_missed([rows[2].id], "a", reason="too late") == 1
    assert [(r["status"], r["last_error"]) for r in rs.listing("failed", "missed")] == [
        ("failed", "550 no such user"), ("missed", "too late")]
    assert rs.claim("a", T0 + 2 * HOUR, limit=10, lease=HOUR) == []
    assert [r.id for r in rs.claim("a", retry_at, limit=10, lease=HOUR)] == [rows[0].id]


def test_done_cancels_pending_reminders(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(1, sub=sid)], now=T0, until=T0 + 24 * HOUR)
    assert rs.mark_done(uid="ob/unit1/2025-Q2", obligation="ob", unit="unit1", date=dt.date(2025, 4, 1),
                        by="张三", at=T0, note="已召开")
    assert not rs.mark_done(uid="ob/unit1/2025-Q2", obligation="ob", unit="unit1", date=dt.date(2025, 4, 1),
                            by="李四", at=T0)
    assert rs.listing("pending") == []
    assert rs.done_uids() == {"ob/unit1/2025-Q2"}
    assert rs.completion("ob/unit1/2025-Q2")["done_by"] == "张三"


def test_a_lease_is_renewed_only_by_its_holder_and_only_while_it_runs(store: Store) -> None:
    rs = ReminderStore(store)
    sid = subscriber(rs)
    rs.sync_plan([planned(i, sub=sid) for i in range(3)], now=T0, until=T0 + 24 * HOUR)
    at, lease = T0 + 2 * HOUR, dt.timedelta(minutes=2)
    ids = [r.id for r in rs.claim("a", at, limit=10, lease=lease)]
    assert rs.renew(ids, "b", at, lease=lease) == set()  # not b's
    assert rs.renew(ids, "a", at + dt.timedelta(minutes=1), lease=lease) == set(ids)  # now until at + 3 min
    assert rs.claim("c", at + dt.timedelta(minutes=2, seconds=30), limit=10, lease=lease) == []
    late = at + dt.timedelta(minutes=4)
    assert rs.renew(ids, "a", late, lease=lease) == set()  # ran out: a must not send them
    assert {r.id for r in rs.claim("c", late, limit=10, lease=lease)} == set(ids)
    assert rs.renew(ids, "a", late, lease=lease) == set()  # c's now
    assert rs.renew(ids, "c", late, lease=lease) == set(ids)
    assert rs.mark_sent(ids, "c", now=late, late=False, provider_id=None) == 3
    assert rs.renew(ids, "c", late, lease=lease) == set()  # settled: nothing left to send


def test_a_claim_for_n_recipients_takes_all_their_due_reminders(store: Store) -> None:
    rs = ReminderStore(store)
    due = T0 + HOUR
    rs.add([Planned(f"k{i}", "reminder", f"ob/u{i}", "ob", None, dt.date(2025, 4, 1), None, "log", f"to{i % 3}",
                    "zh-CN", "1d", due, due) for i in range(9)], T0)
    at, lease = T0 + 2 * HOUR, dt.timedelta(minutes=2)
    first = rs.claim("a", at, limit=50, lease=lease, recipients=2, lease_from=at + HOUR)
    assert sorted(r.key for r in first) == ["k0", "k1", "k3", "k4", "k6", "k7"]  # to0 and to1, each whole
    until = {rs.get(r.id)["lease_until"] for r in first}  # type: ignore[index]
    assert {u if u.tzinfo else u.replace(tzinfo=dt.UTC) for u in until} == {at + HOUR + lease}
    assert sorted(r.key for r in rs.claim("b", at, limit=50, lease=lease, recipients=2)) == ["k2", "k5", "k8"]
