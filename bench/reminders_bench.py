"""Benchmark of reminder planning and dispatch, against plain SQLAlchemy Core loops.

    .venv/bin/python bench/reminders_bench.py [--units 2000] [--reminders 10000] [--smtp-reminders 2000]
                                              [--horizon-days 366] [--batch-size 200] [--timeout 600]
                                              [--skip-dispatch] [--profile]

Exits 0 when every check prints "ok", 1 on a MISMATCH. About 2.5 minutes with the defaults here
(2 CPUs); ``--smtp-reminders 10000`` adds about 2.5 minutes more.

1. Planning: the duties of rules/000-bayingolin-2024.yaml over the synthetic unit tree of
   bench/feed_bench.py (``write_seed_synthetic``), with subscribers that together subscribe every
   unit once: one per county (``unit: <county>, children: true``: the county and its townships)
   and one with ``level: prefecture`` and ``level: department``. The real ``ReminderEngine.plan()``
   on a scratch SQLite store, the virtual clock at 1 Jan 2025 00:00 Asia/Shanghai and
   ``reminders.horizon_days: 366`` (so 2025 in full), twice: the first plan inserts every reminder,
   the second finds nothing to change (the idempotent re-plan). The time is split into expansion,
   ``planner.plan()`` and ``ReminderStore.sync_plan``; the rest (``escalations()``, the
   subscription and completion queries) is what is left. Peak memory: the growth of the process's
   maximum RSS (getrusage) during the first plan.
   Baseline: the same row dicts (``ReminderStore._row`` of every planned reminder, built before
   the clock starts) inserted into a fresh migrated store with ``conn.execute(insert(reminders),
   chunk)``, 500 rows a chunk, in one transaction (as sync_plan does).
2. Dispatch: ``--reminders`` reminders (``--smtp-reminders`` for e-mail, 2,000 by default) due
   now (real planned reminders of step 1, re-keyed and re-addressed, added with
   ``ReminderStore.add``) to a fifth as many recipients (digests of 5) and to as many recipients
   as reminders (one message each), drained by the real
   ``Dispatcher.run_once`` in a loop until it claims nothing, (a) to the log channel (no journal;
   the ``notifiers.log`` logger at WARNING, so its one INFO line per message is dropped by a level
   check) and (b) through the real ``EmailNotifier`` (security none, one SMTP connection per
   message) to an aiosmtpd sink on 127.0.0.1 (``tests.smtp_servers.smtp_server`` + ``Recorder``;
   its thread shares the interpreter, and the GIL, with the dispatcher). Checked: every row ends
   ``sent``, the channel got exactly the expected messages (the sink's count for e-mail).
   Baseline: a plain loop of Core ``UPDATE reminders SET status='sent' WHERE id=?`` per row, one
   transaction (commit) per row, on a store holding the same rows; and the same loop in one
   transaction, for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import datetime as dt
import gc
import logging
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, update  # noqa: E402

import service.engine  # noqa: E402
from bench.feed_bench import SEED, TimedSnapshot, write_config, write_seed_synthetic  # noqa: E402
from notifiers.base import Notifier  # noqa: E402
from notifiers.email import EmailConfig, EmailNotifier  # noqa: E402
from notifiers.log import LogNotifier  # noqa: E402
from obligations.config import RemindersConfig, SubscriberConfig, SubscriptionConfig  # noqa: E402
from obligations.model import Level  # noqa: E402
from scheduler.planner import Planned  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from service.dispatcher import Dispatcher  # noqa: E402
from service.engine import ReminderEngine  # noqa: E402
from store import Store, open_store  # noqa: E402
from store.reminders import ReminderStore, SyncReport  # noqa: E402
from store.tables import reminders, subscribers  # noqa: E402
from tests.smtp_servers import HOST, Recorder, smtp_server  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
PLAN_AT = dt.datetime(2025, 1, 1, tzinfo=TZ).astimezone(dt.UTC)  # the virtual clock: 1 Jan 2025 00:00 local
DISPATCH_AT = PLAN_AT + dt.timedelta(hours=9)  # 09:00 local: every dispatched reminder is due
HORIZON_DAYS = 366
BASE_URL = "http://duties.test"
INSTANCE = "bench"
CHUNK = 500  # ReminderStore's chunk
PER_RECIPIENT = 5  # the digest run: reminders per recipient
SMTP_DEFAULT = 2_000  # e-mail runs: 10,000 single messages alone take ~150 s here


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scratch_store(directory: Path, name: str) -> Store:
    return open_store(f"sqlite:///{directory / name}.db")


def status_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(select(reminders.c.status, func.count()).group_by(reminders.c.status))}


def table(header: Sequence[str], rows: Iterable[Sequence[str]], first: int = 34, width: int = 11) -> None:
    print(f"{header[0]:<{first}}" + "".join(f"{h:>{width}}" for h in header[1:]))
    for row in rows:
        print(f"{row[0]:<{first}}" + "".join(f"{c:>{width}}" for c in row[1:]))


# -- 1. planning -----------------------------------------------------------------------------------


def subscribers_for(snapshot: Snapshot, channel: str = "log") -> list[SubscriberConfig]:
    """One subscriber per county (its subtree) and one for the prefecture and the departments."""
    units = snapshot.rules.units
    counties = sorted(uid for uid, unit in units.items() if unit.level is Level.county)
    subs = [SubscriberConfig(name=f"县{uid}", channel=channel, address=f"county-{uid}",
                             subscriptions=[SubscriptionConfig(unit=uid, children=True)]) for uid in counties]
    subs.append(SubscriberConfig(name="州政府办", channel=channel, address="prefecture",
                                 subscriptions=[SubscriptionConfig(level=Level.prefecture),
                                                SubscriptionConfig(level=Level.department)]))
    covered = {u for uid in counties for u in (uid, *(c for c, unit in units.items() if unit.parent == uid))}
    covered |= {uid for uid, unit in units.items() if unit.level in (Level.prefecture, Level.department)}
    missing = set(units) - covered
    if missing:
        raise RuntimeError(f"subscribers miss {len(missing)} units, e.g. {sorted(missing)[:3]}")
    return subs


def bench_snapshot(directory: Path, n_units: int, horizon_days: int) -> tuple[TimedSnapshot, dict[str, int]]:
    rules_path, ratio, _kinds = write_seed_synthetic(directory, n_units)
    loaded = load_snapshot(write_config(directory, rules_path), 1, PLAN_AT)
    config = loaded.loaded.config.model_copy(update={
        "subscribers": subscribers_for(loaded),
        "reminders": RemindersConfig(horizon_days=horizon_days),
    })
    snapshot = dataclasses.replace(loaded, loaded=dataclasses.replace(loaded.loaded, config=config))
    return TimedSnapshot.of(snapshot), ratio


class TimedStore(ReminderStore):
    """The real store; records how long ``sync_plan`` took and what it was given."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.sync_s = 0.0
        self.planned: list[Planned] = []

    def sync_plan(self, planned: Sequence[Planned], *, now: dt.datetime, until: dt.datetime,
                  kinds: Iterable[str] = ("reminder",)) -> SyncReport:
        start = time.perf_counter()
        report = super().sync_plan(planned, now=now, until=until, kinds=kinds)
        self.sync_s = time.perf_counter() - start
        self.planned = list(planned)
        return report


@contextmanager
def timed_planner(timings: dict[str, float]) -> Iterator[None]:
    """Time ``planner.plan`` as the engine calls it (the name it imported), restored afterwards."""
    original = service.engine.plan

    def timed(*args: Any, **kwargs: Any) -> list[Planned]:
        start = time.perf_counter()
        out = original(*args, **kwargs)
        timings["planner"] = time.perf_counter() - start
        return out

    service.engine.plan = timed
    try:
        yield
    finally:
        service.engine.plan = original


@dataclasses.dataclass(frozen=True)
class PlanRun:
    report: SyncReport
    total: float
    expand: float
    planner: float
    sync: float

    @property
    def rest(self) -> float:
        return self.total - self.expand - self.planner - self.sync


def timed_plan(engine: ReminderEngine, snapshot: TimedSnapshot, store: TimedStore,
               profile: cProfile.Profile | None = None) -> PlanRun:
    timings: dict[str, float] = {}
    gc.collect()
    with timed_planner(timings):
        if profile is not None:
            profile.enable()
        start = time.perf_counter()
        report = engine.plan()
        total = time.perf_counter() - start
        if profile is not None:
            profile.disable()
    return PlanRun(report, total, snapshot.timings["expand"], timings["planner"], store.sync_s)


def copy_subscribers(source: Store, target: Store) -> None:
    """The subscriber rows (the reminders' foreign key), copied as they are."""
    with source.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(subscribers))]
    with target.engine.begin() as conn:
        conn.execute(insert(subscribers), rows)


def baseline_insert(store: Store, rows: list[dict[str, Any]]) -> float:
    gc.collect()
    start = time.perf_counter()
    with store.engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(reminders), rows[i:i + CHUNK])
    return time.perf_counter() - start


@dataclasses.dataclass(frozen=True)
class PlanResult:
    snapshot: Snapshot  # a plain one (TimedSnapshot's expander takes no filters, which messages.py passes)
    planned: list[Planned]


def bench_plan(tmp: Path, n_units: int, horizon_days: int, profile: bool) -> PlanResult:
    print(f"== 1. planning: the duties of {SEED.name} over {n_units} synthetic units, clock "
          f"{PLAN_AT.astimezone(TZ).isoformat()}, horizon_days {horizon_days}")
    snapshot, ratio = bench_snapshot(tmp, n_units, horizon_days)
    subs = snapshot.loaded.config.subscribers
    print(f"units: {len(snapshot.rules.units)} ({', '.join(f'{k} {v}' for k, v in ratio.items())}); "
          f"duties: {len(snapshot.rules.obligations)}; subscribers: {len(subs)} "
          f"({len(subs) - 1} county subtrees with children: true, 1 with level prefecture + level department)")
    store = scratch_store(tmp, "plan")
    prof = cProfile.Profile() if profile else None
    try:
        rstore = TimedStore(store)
        engine = ReminderEngine(lambda: snapshot, rstore, {"log": LogNotifier()}, clock=lambda: PLAN_AT,
                                instance=INSTANCE, base_url=BASE_URL)
        engine.sync_subscribers()
        gc.collect()
        rss_before = max_rss_mib()
        first = timed_plan(engine, snapshot, rstore)
        rss_after = max_rss_mib()
        second = timed_plan(engine, snapshot, rstore)
        planned = rstore.planned
        counts = status_counts(store)
        if prof is not None:  # a third plan, idempotent too, under the profiler
            timed_plan(engine, snapshot, rstore, prof)
        base_store = scratch_store(tmp, "plan-baseline")
        try:
            copy_subscribers(store, base_store)
            rows = [ReminderStore._row(p, PLAN_AT) for p in planned]
            base = baseline_insert(base_store, rows)
            base_counts = status_counts(base_store)
        finally:
            base_store.close()
    finally:
        store.close()

    n = first.report.inserted
    ok = (n == len(planned) == counts.get("pending", 0) == base_counts.get("pending", 0)
          and second.report == SyncReport(0, 0, 0))
    print(f"reminders planned: {len(planned):,} (1st plan inserted {first.report.inserted:,}; 2nd plan: "
          f"{second.report.inserted} inserted, {second.report.cancelled} cancelled, {second.report.changed} changed); "
          f"rows: {counts}; {'ok' if ok else 'MISMATCH'}")
    print()
    header = ("ReminderEngine.plan()", "reminders", "seconds", "rem/s", "expand s", "planner s", "sync s",
              "rest s", "vs base")
    out = []
    for label, run in (("1st plan (inserts)", first), ("2nd plan (idempotent, no change)", second)):
        out.append((label, f"{len(planned):,}", f"{run.total:.2f}", f"{len(planned) / run.total:,.0f}",
                    f"{run.expand:.2f}", f"{run.planner:.2f}", f"{run.sync:.2f}", f"{run.rest:.2f}",
                    f"{run.total / base:.2f}x"))
    out.append(("baseline: Core insert, 500/chunk", f"{len(rows):,}", f"{base:.2f}", f"{len(rows) / base:,.0f}",
                "", "", f"{base:.2f}", "", "1.00x"))
    table(header, out)
    print("(expand = Expander.expand, 1 Jan - 45 d .. horizon + 31 d; planner = scheduler.planner.plan; "
          "sync = ReminderStore.sync_plan; rest = escalations() + subscription/completion queries)")
    print("(baseline = the same row dicts, built before timing, into a fresh migrated store, one transaction)")
    print(f"peak memory (max RSS): {rss_before:.0f} MiB before the 1st plan, {rss_after:.0f} MiB after "
          f"(+{rss_after - rss_before:.0f} MiB)")
    if prof is not None:
        print_profile(prof, "3rd plan (idempotent)")
    print()
    plain = Snapshot(**{f.name: getattr(snapshot, f.name) for f in dataclasses.fields(Snapshot)})
    return PlanResult(plain, planned)


# -- 2. dispatch -----------------------------------------------------------------------------------


def due_rows(planned: Sequence[Planned], n: int, recipients: int, channel: str) -> list[Planned]:
    """``n`` real planned reminders, spread over the year, re-keyed, due now, to ``recipients`` addresses.

    Recipient r gets consecutive rows (so one claim batch holds all of its rows but at the boundary).
    """
    day = DISPATCH_AT.astimezone(TZ).date()
    sources = [p for p in planned if p.occurrence_date >= day]
    stride = max(1, len(sources) // n)
    out = []
    for i in range(n):
        p = sources[(i * stride) % len(sources)]
        r = i * recipients // n
        address = f"office{r:05d}@example.org" if channel == "email" else f"office{r:05d}"
        out.append(dataclasses.replace(p, key=f"bench{i}|{p.key}", kind="reminder", subscriber_id=None,
                                       channel=channel, address=address, due_at=DISPATCH_AT,
                                       send_after=DISPATCH_AT))
    return out


def expected_messages(rows: Sequence[Planned], batch: int) -> int:
    """Messages the dispatcher sends: one per recipient per claimed batch (claims go in id order)."""
    return sum(len({(p.channel, p.address) for p in rows[i:i + batch]}) for i in range(0, len(rows), batch))


@dataclasses.dataclass(frozen=True)
class DispatchRun:
    label: str
    reminders: int
    recipients: int
    seconds: float
    rounds: int
    messages: int
    expected: int
    received: int | None  # the sink's count (e-mail)
    statuses: dict[str, int]
    failures: str

    @property
    def ok(self) -> bool:
        sink = self.received is None or self.received == self.expected
        return sink and self.messages == self.expected and self.statuses == {"sent": self.reminders}


async def drain(dispatcher: Dispatcher, now: dt.datetime, max_rounds: int, deadline: float) -> tuple[int, int, str]:
    """run_once until nothing is claimed; (rounds, messages, failure summary)."""
    rounds = messages = retried = failed = missed = 0
    while rounds < max_rounds and time.monotonic() < deadline:
        report = await dispatcher.run_once(now)
        if not report.claimed:
            break
        rounds += 1
        messages += len(report.messages)
        retried, failed, missed = retried + report.retried, failed + report.failed, missed + report.missed
    problems = [f"{k} {v}" for k, v in (("retried", retried), ("failed", failed), ("missed", missed)) if v]
    if rounds >= max_rounds or time.monotonic() >= deadline:
        problems.append("stopped early")
    return rounds, messages, ", ".join(problems)


def run_dispatch(tmp: Path, name: str, snapshot: Snapshot, rows: list[Planned], notifier: Notifier,
                 config: RemindersConfig, timeout: float, sink: Recorder | None = None,
                 profile: cProfile.Profile | None = None) -> DispatchRun:
    store = scratch_store(tmp, name)
    try:
        rstore = ReminderStore(store)
        added = rstore.add(rows, DISPATCH_AT - dt.timedelta(hours=1))
        if added != len(rows):
            raise RuntimeError(f"added {added} of {len(rows)} rows")
        dispatcher = Dispatcher(rstore, {notifier.channel: notifier}, config, instance=INSTANCE,
                                snapshot=lambda: snapshot, base_url=BASE_URL)
        max_rounds = len(rows) // config.batch_size + 50
        gc.collect()
        if profile is not None:
            profile.enable()
        start = time.perf_counter()
        rounds, messages, failures = asyncio.run(drain(dispatcher, DISPATCH_AT, max_rounds,
                                                       time.monotonic() + timeout))
        seconds = time.perf_counter() - start
        if profile is not None:
            profile.disable()
        statuses = status_counts(store)
    finally:
        store.close()
    recipients = len({p.address for p in rows})
    return DispatchRun(name, len(rows), recipients, seconds, rounds, messages,
                       expected_messages(rows, config.batch_size), len(sink.received) if sink else None,
                       statuses, failures)


def baseline_updates(tmp: Path, name: str, rows: list[Planned], *, per_row_commit: bool) -> float:
    store = scratch_store(tmp, name)
    try:
        ReminderStore(store).add(rows, DISPATCH_AT - dt.timedelta(hours=1))
        with store.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(select(reminders.c.id).order_by(reminders.c.id))]
        gc.collect()
        start = time.perf_counter()
        if per_row_commit:
            for rid in ids:
                with store.engine.begin() as conn:
                    conn.execute(update(reminders).where(reminders.c.id == rid).values(status="sent"))
        else:
            with store.engine.begin() as conn:
                for rid in ids:
                    conn.execute(update(reminders).where(reminders.c.id == rid).values(status="sent"))
        seconds = time.perf_counter() - start
        if status_counts(store) != {"sent": len(ids)}:
            raise RuntimeError("baseline did not mark every row sent")
        return seconds
    finally:
        store.close()


def bench_dispatch(tmp: Path, planned: list[Planned], snapshot: Snapshot, n: int, n_smtp: int, batch: int,
                   timeout: float, profile: bool) -> bool:
    config = RemindersConfig(batch_size=batch)
    log_logger = logging.getLogger("notifiers.log")
    log_logger.setLevel(logging.WARNING)
    print(f"== 2. dispatch: reminders due at {DISPATCH_AT.astimezone(TZ).isoformat()}, Dispatcher.run_once "
          f"until nothing is claimed; batch_size {batch}, lease {config.lease_seconds} s")
    print(f"log channel: {n:,} reminders; e-mail (aiosmtpd on {HOST}, security none): {n_smtp:,} reminders; "
          f"the notifiers.log logger at WARNING (its per-message INFO line is dropped by a level check)")
    runs: list[DispatchRun] = []
    profiles = {"log": cProfile.Profile(), "email": cProfile.Profile()} if profile else {}
    for count, channel in ((n, "log"), (n_smtp, "email")):
        if count <= 0:
            continue
        for recipients in (max(1, count // PER_RECIPIENT), count):
            rows = due_rows(planned, count, recipients, channel)
            shape = "digests" if recipients < count else "singles"
            name = f"{channel}-{shape}"
            prof = profiles.get(channel) if shape == "singles" else None
            if channel == "log":
                runs.append(run_dispatch(tmp, name, snapshot, rows, LogNotifier(), config, timeout, profile=prof))
            else:
                sink = Recorder()
                with smtp_server(sink) as server:
                    notifier = EmailNotifier(EmailConfig(host=HOST, port=server.port, security="none",
                                                         from_address="duty@example.org", timeout_seconds=30))
                    runs.append(run_dispatch(tmp, name, snapshot, rows, notifier, config, timeout, sink, prof))
                got = sorted({r for m in sink.received for r in m.rcpt_tos})
                if got != sorted({p.address for p in rows}):
                    print(f"{name}: the sink's recipients differ from the rows' ({len(got)} distinct)")
    base_rows = due_rows(planned, n, n, "log")
    per_row = baseline_updates(tmp, "base-per-row", base_rows, per_row_commit=True)
    one_txn = baseline_updates(tmp, "base-one-txn", base_rows, per_row_commit=False)

    print()
    header = ("run", "reminders", "recips", "messages", "rounds", "seconds", "msg/s", "rem/s", "vs base",
              "vs 1-txn", "check")
    out = []
    for r in runs:
        base_s = per_row * r.reminders / n  # the baselines ran n rows; scaled to this run's rows
        one_s = one_txn * r.reminders / n
        check = "ok" if r.ok else "MISMATCH"
        out.append((r.label, f"{r.reminders:,}", f"{r.recipients:,}", f"{r.messages:,}", str(r.rounds),
                    f"{r.seconds:.2f}", f"{r.messages / r.seconds:,.0f}", f"{r.reminders / r.seconds:,.0f}",
                    f"{r.seconds / base_s:.2f}x", f"{r.seconds / one_s:.2f}x", check))
    out.append(("baseline: UPDATE/row, commit/row", f"{n:,}", "", "", "", f"{per_row:.2f}", "",
                f"{n / per_row:,.0f}", "1.00x", f"{per_row / one_txn:.2f}x", ""))
    out.append(("baseline: UPDATE/row, 1 txn", f"{n:,}", "", "", "", f"{one_txn:.2f}", "",
                f"{n / one_txn:,.0f}", f"{one_txn / per_row:.2f}x", "1.00x", ""))
    table(header, out, first=33, width=10)
    print(f"(vs base = seconds / the per-row-commit baseline's seconds, scaled from its {n:,} rows to the run's; "
          "vs 1-txn = the same against the one-transaction loop)")
    all_ok = True
    for r in runs:
        sink = f", sink received {r.received:,}" if r.received is not None else ""
        verdict = "ok" if r.ok else "MISMATCH"
        all_ok &= r.ok
        print(f"{r.label}: expected {r.expected:,} messages, sent {r.messages:,}{sink}; rows {r.statuses}"
              f"{'; ' + r.failures if r.failures else ''}: {verdict}")
    for channel, prof in profiles.items():
        count = n if channel == "log" else n_smtp
        if count > 0:
            print_profile(prof, f"{channel}-singles dispatch ({count:,} messages; main thread only)")
    print()
    return all_ok


# -- profile ---------------------------------------------------------------------------------------


def print_profile(prof: cProfile.Profile, what: str, limit: int = 18) -> None:
    entries = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tottime for (_, _, tottime, _, _) in entries.values())
    for key, fn in (("tottime", lambda e: e[2]), ("cumtime", lambda e: e[3])):
        ranked: list[tuple[float, int, float, float, str]] = []
        for (filename, line, name), (_, calls, tottime, cumtime, _) in entries.items():
            where = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
            ranked.append((fn((0, calls, tottime, cumtime)), calls, tottime, cumtime, f"{where}:{line}({name})"))
        ranked.sort(reverse=True)
        print(f"-- cProfile of the {what}, by {key} (profiled total {total:.2f} s):")
        print(f"{'calls':>10}{'own s':>8}{'cum s':>8}  function")
        for _, calls, tottime, cumtime, name in ranked[:limit]:
            print(f"{calls:>10}{tottime:>8.2f}{cumtime:>8.2f}  {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--reminders", type=int, default=10_000, help="due reminders of each log-channel run")
    ap.add_argument("--smtp-reminders", type=int, default=SMTP_DEFAULT,
                    help="due reminders of each e-mail run (0 skips e-mail); lower than --reminders by default, "
                    "since one SMTP conversation per message to an in-process sink costs ~15 ms")
    ap.add_argument("--horizon-days", type=int, default=HORIZON_DAYS, help="reminders.horizon_days (1..400)")
    ap.add_argument("--batch-size", type=int, default=RemindersConfig().batch_size, help="reminders.batch_size")
    ap.add_argument("--timeout", type=float, default=600, help="limit of each dispatch run, seconds")
    ap.add_argument("--skip-dispatch", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile of a third (idempotent) plan and of the log- and email-singles dispatch")
    args = ap.parse_args(argv)
    if args.units < 10 or args.reminders < 1 or args.batch_size < 1 or not 1 <= args.horizon_days <= 400:
        ap.error("--units >= 10, --reminders >= 1, --batch-size >= 1, --horizon-days 1..400")
    n_smtp = min(args.smtp_reminders, args.reminders)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory(prefix="reminders-bench-") as name:
        tmp = Path(name)
        result = bench_plan(tmp, args.units, args.horizon_days, args.profile)
        if not args.skip_dispatch:
            ok = bench_dispatch(tmp, result.planned, result.snapshot, args.reminders, n_smtp, args.batch_size,
                                args.timeout, args.profile)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
