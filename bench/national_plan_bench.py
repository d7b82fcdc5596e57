"""Reminder planning at national scale on PostgreSQL: one subscriber per unit, a 30-day horizon.

    nice .venv/bin/python bench/national_plan_bench.py [--scale 1.0] [--horizon-days 30]
                                                       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

The national tree of bench/national.py, one subscriber per unit (``unit: <id>``, 42,908 of them),
``reminders.horizon_days: 30``, the clock at 1 Jan 2025 00:00 Asia/Shanghai, each store a scratch
schema of the database (dropped afterwards):

1. the real ``ReminderEngine.plan()``: the first plan inserts every reminder; against the same row
   dicts inserted with plain Core ``insert(reminders)``, 500 rows a chunk, one transaction, into a
   fresh migrated schema holding the same subscribers (bench/reminders_bench.py's baseline).
2. a second plan with nothing changed (what runs every ten minutes).
3. one duty changed (one more reminder offset on ``--duty``, the weekly reception of every
   township): a re-plan, and which rows it touched (each row's status, due_at, send_after and kind
   before and after): only that duty's rows may differ.

Target (issue 12): first plan <= 2.5x the insert.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.national import write_national  # noqa: E402
from bench.reminders_bench import (  # noqa: E402
    BASE_URL,
    INSTANCE,
    PLAN_AT,
    TimedSnapshot,
    TimedStore,
    baseline_insert,
    copy_subscribers,
    status_counts,
    timed_plan,
)
from notifiers.log import LogNotifier  # noqa: E402
from obligations.config import RemindersConfig, SubscriberConfig, SubscriptionConfig  # noqa: E402
from obligations.offset import Offset  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from service.engine import ReminderEngine  # noqa: E402
from store import Store, open_store  # noqa: E402
from store.reminders import ReminderStore  # noqa: E402
from store.tables import reminders  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET = 2.5
DUTY = "bz-2024.petition-reception-township"  # weekly, every township


@contextmanager
def scratch_schema(database: str) -> Iterator[Store]:
    schema = f"bench_{secrets.token_hex(5)}"
    admin = sa.create_engine(database)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    store = open_store(f"{database}?options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def with_subscribers(snapshot: Snapshot, horizon_days: int) -> Snapshot:
    subs = [SubscriberConfig(name=uid, channel="log", address=uid, subscriptions=[SubscriptionConfig(unit=uid)])
            for uid in snapshot.rules.units]
    config = snapshot.loaded.config.model_copy(update={"subscribers": subs,
                                                       "reminders": RemindersConfig(horizon_days=horizon_days)})
    return dataclasses.replace(snapshot, loaded=dataclasses.replace(snapshot.loaded, config=config))


def changed_duty(snapshot: Snapshot, duty: str) -> Snapshot:
    """``snapshot`` with one more reminder offset (2 days before) on ``duty``."""
    rules = snapshot.rules
    ob = rules.obligations[duty]
    offsets = [*rules.reminders(ob), Offset.parse("2d")]
    new_ob = ob.model_copy(update={"reminders": offsets})
    new_rules = dataclasses.replace(rules, obligations={**rules.obligations, duty: new_ob}, _applies={},
                                    _selected={})
    return dataclasses.replace(snapshot, rules=new_rules, version=snapshot.version + 1)


def rows_of(store: Store) -> dict[str, tuple[object, ...]]:
    with store.engine.connect() as conn:
        return {r.id: (r.obligation, r.status, r.due_at, r.send_after, r.kind) for r in conn.execute(
            sa.select(reminders.c.id, reminders.c.obligation, reminders.c.status, reminders.c.due_at,
                      reminders.c.send_after, reminders.c.kind))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--horizon-days", type=int, default=30)
    ap.add_argument("--database", default=POSTGRES)
    ap.add_argument("--duty", default=DUTY)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="h12-plan-") as tmp:
        config, _, per_level = write_national(Path(tmp), args.scale)
        base = with_subscribers(load_snapshot(config, 1, PLAN_AT), args.horizon_days)
    print(f"units and subscribers: {sum(per_level.values()):,}; duties {len(base.rules.obligations)}; "
          f"horizon {args.horizon_days} days from {PLAN_AT.isoformat()}; {args.database.split('@')[-1]}")
    current: list[Snapshot] = [TimedSnapshot.of(base)]
    with scratch_schema(args.database) as store:
        rstore = TimedStore(store)
        engine = ReminderEngine(lambda: current[0], rstore, {"log": LogNotifier()}, clock=lambda: PLAN_AT,
                                instance=INSTANCE, base_url=BASE_URL)
        started = time.perf_counter()
        engine.sync_subscribers()
        print(f"subscribers synced: {time.perf_counter() - started:.1f} s")
        first = timed_plan(engine, current[0], rstore)  # type: ignore[arg-type]
        planned = rstore.planned
        second = timed_plan(engine, current[0], rstore)  # type: ignore[arg-type]
        before = rows_of(store)
        current[0] = TimedSnapshot.of(changed_duty(base, args.duty))
        third = timed_plan(engine, current[0], rstore)  # type: ignore[arg-type]
        after = rows_of(store)
        counts = status_counts(store)
        with scratch_schema(args.database) as base_store:
            copy_subscribers(store, base_store)
            rows = [ReminderStore._row(p, PLAN_AT) for p in planned]
            insert_s = baseline_insert(base_store, rows)
    touched = {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}
    duties = {(after.get(i) or before[i])[0] for i in touched}
    print(f"1. first plan: {first.report.inserted:,} reminders in {first.total:.1f} s (expand {first.expand:.1f}, "
          f"planner {first.planner:.1f}, sync {first.sync:.1f}, rest {first.rest:.1f}); plain Core insert of the "
          f"same rows: {insert_s:.1f} s -> {first.total / insert_s:.2f}x (target <= {TARGET}x)")
    print(f"2. re-plan, nothing changed: {second.total:.1f} s ({second.report}) -> {second.total / insert_s:.2f}x "
          "the insert")
    print(f"3. re-plan after {args.duty} got one more reminder offset: {third.total:.1f} s ({third.report}); rows "
          f"touched {len(touched):,} of {len(after):,}, of duties {sorted(duties)} "
          f"({'ok' if duties <= {args.duty} else 'OTHER DUTIES TOUCHED'}); rows by status: {counts}")
    return 0 if duties <= {args.duty} else 1


if __name__ == "__main__":
    sys.exit(main())
