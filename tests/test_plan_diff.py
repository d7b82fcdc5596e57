"""A re-plan writes only what changed (issue 12, reminder planning at scale).

The national tree of bench/national.py at a small scale (the seed duties mapped level by level),
one subscriber per unit, planned for 30 days; then one duty's lead times change and it is planned
again. Every row the re-plan wrote is counted twice: by the statements SQLAlchemy sent (rows each
INSERT carried, rows each UPDATE or DELETE matched, from the cursor) and by comparing the table
before and after. Both must be that duty's rows only, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bench.national import write_national
from notifiers.log import LogNotifier
from obligations.config import RemindersConfig, SubscriberConfig, SubscriptionConfig
from obligations.offset import Offset
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import Store, open_store
from store.reminders import ReminderStore, SyncReport
from store.tables import reminders

pytestmark = pytest.mark.slow  # a few hundred units' plan, twice per store

NOW = dt.datetime(2025, 3, 3, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
DUTY = "bz-2024.petition-reception-township"  # weekly, every township: the duty with the most rows


def national_snapshot(tmp: Path) -> Snapshot:
    config, _files, _levels = write_national(tmp, 0.005)
    loaded = load_snapshot(config, 1, NOW)
    subs = [SubscriberConfig(name=uid, channel="log", address=f"u-{uid}", subscriptions=[SubscriptionConfig(unit=uid)])
            for uid in sorted(loaded.rules.units)]
    cfg = loaded.loaded.config.model_copy(update={"subscribers": subs, "reminders": RemindersConfig(horizon_days=30)})
    return dataclasses.replace(loaded, loaded=dataclasses.replace(loaded.loaded, config=cfg))


def with_lead_times(snapshot: Snapshot, duty: str, lead: list[str]) -> Snapshot:
    rules = copy.copy(snapshot.rules)  # its per-id caches stay right: only the lead times change
    changed = rules.obligations[duty].model_copy(update={"reminders": [Offset.parse(x) for x in lead]})
    rules.obligations = {**rules.obligations, duty: changed}
    return dataclasses.replace(snapshot, rules=rules)


def table(store: Store) -> dict[int, dict[str, Any]]:
    with store.engine.connect() as conn:
        return {r.id: dict(r._mapping) for r in conn.execute(select(reminders))}


@contextmanager
def statements(store: Store) -> Iterator[Counter[str]]:
    """Rows written to ``reminders``, by verb, as the statements sent them."""
    written: Counter[str] = Counter()

    def count(_conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb not in ("INSERT", "UPDATE", "DELETE") or " reminders" not in statement.split("(", 1)[0] + " ":
            return
        written[verb] += len(context.compiled_parameters) if verb == "INSERT" else max(cursor.rowcount, 0)

    event.listen(store.engine, "after_cursor_execute", count)
    try:
        yield written
    finally:
        event.remove(store.engine, "after_cursor_execute", count)


def test_a_replan_after_a_one_duty_change_writes_only_that_duty(url: str, tmp_path: Path) -> None:
    snapshot = national_snapshot(tmp_path)
    townships = sum(1 for u in snapshot.rules.units.values() if u.level.value == "township")
    store = open_store(url)
    try:
        current = {"snapshot": snapshot}
        engine = ReminderEngine(lambda: current["snapshot"], ReminderStore(store), {"log": LogNotifier()},
                                clock=lambda: NOW, instance="test", base_url="http://duties.test")
        engine.sync_subscribers()
        first = engine.plan()
        before = table(store)
        assert first.inserted == len(before) > 1000
        assert len({r["obligation"] for r in before.values()}) >= 5  # several duties planned, not just the one

        with statements(store) as written:
            assert engine.plan() == SyncReport(0, 0, 0)
        assert written == Counter()  # nothing changed: nothing written
        assert table(store) == before

        current["snapshot"] = with_lead_times(snapshot, DUTY, ["2d"])  # was 7d and 1d (the file's default)
        with statements(store) as written:
            report = engine.plan()
        after = table(store)
    finally:
        store.close()

    inserted = [after[i] for i in after.keys() - before.keys()]
    deleted = before.keys() - after.keys()
    updated = [after[i] for i in before.keys() & after.keys() if after[i] != before[i]]
    assert {r["obligation"] for r in inserted} == {DUTY}
    assert {r["obligation"] for r in updated} == {DUTY}
    assert {r["status"] for r in updated} == {"cancelled"}  # the 7d and 1d reminders no longer planned
    assert not deleted
    assert {r["lead_time"] for r in inserted} == {"2d"}
    assert len(inserted) >= townships  # one per township and week in the horizon, at least
    assert report == SyncReport(len(inserted), len(updated), 0)
    assert written == Counter({"INSERT": len(inserted), "UPDATE": len(updated)})
    untouched = [r for r in before.values() if r["obligation"] != DUTY]
    assert all(after[r["id"]] == r for r in untouched)
