"""A re-plan after a change to one duty touches only that duty's reminders (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bench.national_plan_bench import changed_duty, rows_of, with_subscribers
from bench.reminders_bench import PLAN_AT
from notifiers.log import LogNotifier
from obligations.config import SubscriberConfig, SubscriptionConfig
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import Store, open_store
from store.reminders import ReminderStore, SyncReport
from store.tables import subscribers, subscriptions

ROOT = Path(__file__).resolve().parent.parent
DUTY = "bz-2024.petition-reception-township"


@pytest.mark.slow
def test_a_replan_after_one_duty_changed_touches_only_its_rows(tmp_path: Path) -> None:
    base = with_subscribers(load_snapshot(ROOT / "config.yaml", 1, PLAN_AT), 30)  # one subscriber per unit
    current: list[Snapshot] = [base]
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        engine = ReminderEngine(lambda: current[0], ReminderStore(store), {"log": LogNotifier()},
                                clock=lambda: PLAN_AT, instance="test", base_url="http://duties.test")
        engine.sync_subscribers()
        first = engine.plan()
        assert first.inserted > 100
        assert engine.plan() == SyncReport(0, 0, 0)  # nothing changed: nothing touched
        before = rows_of(store)
        current[0] = changed_duty(base, DUTY)  # one more reminder offset on the weekly township receptions
        report = engine.plan()
        after = rows_of(store)
    finally:
        store.close()
    touched = {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}
    assert report.inserted == len(touched) > 0
    assert {after[i][0] for i in touched} == {DUTY}


def test_a_config_sync_writes_only_what_changed(tmp_path: Path) -> None:
    """43,000 subscribers were written one statement each at every start and rules change; now an unchanged
    subscriber keeps its rows (same subscription ids), a changed one is rewritten, a removed one deactivated."""
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        rs = ReminderStore(store)
        subs = [SubscriberConfig(name=f"单位{i}", channel="log", address=f"u{i}",
                                 subscriptions=[SubscriptionConfig(unit=f"u{i}")]) for i in range(50)]
        rs.sync_config_subscribers(subs, PLAN_AT)
        first = subscription_ids(store)
        rs.sync_config_subscribers(subs, PLAN_AT)
        assert subscription_ids(store) == first
        subs[3] = subs[3].model_copy(update={"subscriptions": [SubscriptionConfig(unit="u3", children=True)]})
        subs[4] = subs[4].model_copy(update={"name": "改名"})
        rs.sync_config_subscribers(subs[:-1], PLAN_AT)
        after = subscription_ids(store)
        assert {k for k in first if first[k] != after.get(k)} == {"u3", "u49"}
        with store.engine.connect() as conn:
            rows = {r.address: (r.name, r.active) for r in conn.execute(select(subscribers))}
        assert rows["u4"] == ("改名", True)
        assert rows["u49"] == ("单位49", False)
        assert [s.children for s in rs.subscriptions() if s.unit == "u3"] == [True]
    finally:
        store.close()


def subscription_ids(store: Store) -> dict[str, int]:
    """Each active subscriber's address -> its subscription's row id."""
    with store.engine.connect() as conn:
        return {r.address: r.id for r in conn.execute(
            select(subscriptions.c.id, subscribers.c.address).join(
                subscribers, subscribers.c.id == subscriptions.c.subscriber_id).where(subscribers.c.active.is_(True)))}
