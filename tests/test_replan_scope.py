"""A re-plan after a change to one duty touches only that duty's reminders (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.national_plan_bench import changed_duty, rows_of, with_subscribers
from bench.reminders_bench import PLAN_AT
from notifiers.log import LogNotifier
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import open_store
from store.reminders import ReminderStore, SyncReport

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
