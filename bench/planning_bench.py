"""Reminder planning at national scale on PostgreSQL, against a plain bulk insert of the same rows.

    .venv/bin/python bench/planning_bench.py [--scale 1.0] [--horizon-days 30] [--url URL] [--profile]

The national tree of ``bench/national.py`` (42,908 units, the seed duties mapped level by level)
with one subscriber per unit (``unit: <id>``, the duty's own lead times, the log channel), on a
fresh schema of the PostgreSQL database ``test``; the virtual clock at 3 March 2025 00:00
Asia/Shanghai and ``reminders.horizon_days`` 30. The real ``ReminderEngine.plan()``:

1. the first plan (every row inserted), split into expansion, ``planner.plan()``, ``sync_plan``
   and the rest (subscription, completion and waiver queries, escalations);
2. a re-plan with nothing changed (what runs every 10 minutes);
3. a re-plan after a one-duty change (the township reception's lead time 1d -> 2d), with the rows
   it inserted and cancelled: only that duty's;

against the baseline: the same row dicts (``ReminderStore._row`` of every planned reminder, built
before the clock starts) inserted into a fresh schema with ``conn.execute(insert(reminders),
chunk)``, 500 rows a chunk, in one transaction. Prints each ratio; exits 1 when the first plan is
over ``--target`` (2.5) times the baseline or a check fails.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import dataclasses
import datetime as dt
import secrets
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench.feed_bench import TimedSnapshot  # noqa: E402
from bench.national import write_national  # noqa: E402
from bench.reminders_bench import (  # noqa: E402
    PlanRun,
    TimedStore,
    baseline_insert,
    copy_subscribers,
    print_profile,
    status_counts,
    timed_plan,
)
from notifiers.log import LogNotifier  # noqa: E402
from obligations.config import RemindersConfig  # noqa: E402
from obligations.offset import Offset  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from service.engine import ReminderEngine  # noqa: E402
from store import Store, open_store  # noqa: E402
from store.reminders import ReminderStore  # noqa: E402
from store.tables import reminders, subscribers, subscriptions  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TZ = ZoneInfo("Asia/Shanghai")
PLAN_AT = dt.datetime(2025, 3, 3, tzinfo=TZ).astimezone(dt.UTC)
CHANGED = "bz-2024.petition-reception-township"  # the duty the third plan changes


def fresh_schema(admin: sa.Engine, url: str) -> tuple[str, Store]:
    schema = f"bench_{secrets.token_hex(5)}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return schema, open_store(f"{url}?options=-csearch_path%3D{schema}")


def one_subscriber_per_unit(store: Store, snapshot: Snapshot) -> int:
    """A log-channel subscriber for each unit, subscribed to that unit alone; bulk-inserted."""
    units = sorted(snapshot.rules.units)
    with store.engine.begin() as conn:
        conn.execute(insert(subscribers), [
            {"name": f"订阅{uid}", "channel": "log", "address": f"u-{uid}", "language": "zh-CN", "mode": "each",
             "digest_at": "08:30", "source": "config", "active": True, "created_at": PLAN_AT, "is_admin": False}
            for uid in units])
        ids = dict(conn.execute(select(subscribers.c.address, subscribers.c.id)).all())
        conn.execute(insert(subscriptions), [{"subscriber_id": ids[f"u-{uid}"], "unit": uid, "children": False}
                                             for uid in units])
    return len(units)


def changed_snapshot(snapshot: TimedSnapshot) -> TimedSnapshot:
    """The same rules with one duty's reminders moved from the day before to two days before."""
    rules = snapshot.rules
    duty = rules.obligations[CHANGED]
    lead = [o for o in rules.reminders(duty) if str(o) != "1d"] + [Offset.parse("2d")]
    new_rules = copy.copy(rules)  # its per-id caches stay right: only the lead times change
    new_rules.obligations = {**rules.obligations, CHANGED: duty.model_copy(update={"reminders": lead})}
    return TimedSnapshot.of(dataclasses.replace(snapshot, rules=new_rules))


def rows_by_duty(store: Store, status: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(reminders.c.obligation, func.count()).where(reminders.c.status == status)
                                 .group_by(reminders.c.obligation)).all())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="bench/national.py's --scale")
    ap.add_argument("--horizon-days", type=int, default=30)
    ap.add_argument("--url", default=POSTGRES)
    ap.add_argument("--target", type=float, default=2.5)
    ap.add_argument("--profile", action="store_true", help="cProfile of the first plan")
    args = ap.parse_args(argv)
    admin = sa.create_engine(args.url)
    schemas: list[str] = []
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="planning-bench-") as tmp:
            config, _files, per_level = write_national(Path(tmp), args.scale)
            loaded = load_snapshot(config, 1, PLAN_AT)
            cfg = loaded.loaded.config.model_copy(update={"reminders": RemindersConfig(horizon_days=args.horizon_days)})
            snapshot = TimedSnapshot.of(dataclasses.replace(loaded, loaded=dataclasses.replace(loaded.loaded,
                                                                                                  config=cfg)))
        levels = ", ".join(f"{k} {v:,}" for k, v in per_level.items())
        print(f"national tree: {sum(per_level.values()):,} units ({levels}),"
              f" {len(snapshot.rules.obligations)} duties; clock {PLAN_AT.astimezone(TZ).isoformat()}, "
              f"horizon {args.horizon_days} days; PostgreSQL")
        schema, store = fresh_schema(admin, args.url)
        schemas.append(schema)
        print(f"subscribers: {one_subscriber_per_unit(store, snapshot):,} (one per unit)")
        rstore = TimedStore(store)
        current = {"snapshot": snapshot}
        engine = ReminderEngine(lambda: current["snapshot"], rstore, {"log": LogNotifier()}, clock=lambda: PLAN_AT,
                                instance="bench", base_url="http://duties.test")
        prof = cProfile.Profile() if args.profile else None
        first = timed_plan(engine, snapshot, rstore, prof)
        planned = rstore.planned
        second = timed_plan(engine, snapshot, rstore)
        before = rows_by_duty(store, "pending")
        current["snapshot"] = changed_snapshot(snapshot)
        third = timed_plan(engine, current["snapshot"], rstore)
        after_pending, cancelled = rows_by_duty(store, "pending"), rows_by_duty(store, "cancelled")
        store.close()

        schema, base_store = fresh_schema(admin, args.url)
        schemas.append(schema)
        copy_subscribers(open_store(f"{args.url}?options=-csearch_path%3D{schemas[0]}"), base_store)
        rows = [ReminderStore._row(p, PLAN_AT) for p in planned]
        base = baseline_insert(base_store, rows)
        base_count = status_counts(base_store).get("pending", 0)
        base_store.close()
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    changed_duties = {d for d in set(before) | set(after_pending) if before.get(d) != after_pending.get(d)}
    ok = (first.report.inserted == len(planned) == base_count and second.report.inserted == 0
          and second.report.cancelled == 0 and changed_duties <= {CHANGED} and set(cancelled) <= {CHANGED})
    print(f"reminders planned: {len(planned):,}; baseline inserted {base_count:,}")
    print(f"{'run':<44}{'seconds':>9}{'expand':>8}{'planner':>9}{'sync':>7}{'rest':>7}{'vs insert':>11}")
    runs: list[tuple[str, PlanRun]] = [("1st plan (every row inserted)", first), ("re-plan, nothing changed", second),
                                       ("re-plan after a one-duty change", third)]
    for label, run in runs:
        print(f"{label:<44}{run.total:>9.2f}{run.expand:>8.2f}{run.planner:>9.2f}{run.sync:>7.2f}{run.rest:>7.2f}"
              f"{run.total / base:>10.2f}x")
    print(f"{'baseline: Core insert of the same rows':<44}{base:>9.2f}{'':>31}{1:>10.2f}x")
    print(f"one-duty change: {third.report.inserted:,} inserted, {third.report.cancelled:,} cancelled, "
          f"{third.report.changed} change notices; duties whose pending rows changed: {sorted(changed_duties)}")
    ratio = first.total / base
    print(f"first plan / bulk insert: {ratio:.2f}x (target <= {args.target}x); "
          f"{'ok' if ok and ratio <= args.target else 'MISS'}; total {time.perf_counter() - started:.0f} s")
    if prof is not None:
        print_profile(prof, "first plan")
    return 0 if ok and ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
