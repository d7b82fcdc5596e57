"""Dispatch throughput of 1 and N instances on one PostgreSQL, on a channel slow per message.

    .venv/bin/python bench/instances_bench.py [--instances 2] [--reminders 600] [--send 1.0]

Each instance is a real process (``tests/dispatch_worker.py``: the real Dispatcher and store, the
log channel with a shared journal, each send taking ``--send`` seconds, like an SMTP server or a
chat API across the country; ``--blind``: the channel cannot say what it delivered, so only the
claims and their leases keep a reminder from going out twice). The reminders, each to its own
recipient, are added not yet due; once every instance is up and polling they are all made due at
once and the clock runs until every instance has run out of work. The same in one run for 1 and
for N instances, each on a fresh schema; the journal counts deliveries: every reminder exactly once.

Exits 0 when both runs deliver every reminder once and N instances reach ``--target`` (1.8) times
one instance's rate, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from store.tables import reminders  # noqa: E402
from tests.test_dispatch_processes import delivered, seed, sent_by  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LEASE = 60  # seconds: far longer than a send, so no lease runs out and every claim is settled by its holder
BATCH = 200


def schema_url(admin: sa.Engine) -> tuple[str, str]:
    schema = f"bench_{secrets.token_hex(5)}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return schema, f"{POSTGRES}?options=-csearch_path%3D{schema}"


def worker(url: str, journal: Path, name: str, send: float) -> subprocess.Popen[bytes]:
    log = journal.with_name(f"{name}.log")
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.dispatch_worker", "--url", url, "--journal", str(journal),
             "--instance", name, "--lease", str(LEASE), "--batch", str(BATCH), "--delay", str(send), "--blind",
             "--max-seconds", "3600"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def run(tmp: Path, admin: sa.Engine, instances: int, count: int, send: float) -> tuple[float, int, int, dict[str, int]]:
    """Seconds from "all due" to the last instance done; (seconds, lost, duplicates, sent per instance)."""
    schema, url = schema_url(admin)
    try:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        keys = seed(url, count, later)  # due tomorrow: the instances poll and find nothing to send yet
        journal = tmp / f"journal-{instances}.jsonl"
        procs = [worker(url, journal, f"i{instances}-{k}", send) for k in range(instances)]
        deadline = time.monotonic() + 120
        for k, proc in enumerate(procs):
            log = journal.with_name(f"i{instances}-{k}.log")
            while "dispatching" not in log.read_text(encoding="utf-8", errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text(encoding="utf-8", errors="replace"))
                time.sleep(0.01)
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # everything due now, at once
            conn.execute(sa.update(reminders).values(send_after=dt.datetime.now(dt.UTC)))
        engine.dispose()
        start = time.perf_counter()
        for proc in procs:
            proc.wait(timeout=3600)
        seconds = time.perf_counter() - start
        got = delivered(journal)
        lost = len(keys - set(got))
        duplicates = sum(n - 1 for n in got.values() if n > 1)
        return seconds, lost, duplicates, dict(sent_by(url))
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=2, help="instances of the second run (the first has 1)")
    ap.add_argument("--reminders", type=int, default=600)
    ap.add_argument("--send", type=float, default=1.0, help="seconds each send takes (a slow SMTP server or chat API)")
    ap.add_argument("--target", type=float, default=1.8)
    args = ap.parse_args(argv)
    admin = sa.create_engine(POSTGRES)
    print(f"{args.reminders:,} reminders, each to its own recipient; a send takes {args.send} s; "
          f"16 messages in flight per instance; batch {BATCH}, lease {LEASE} s; PostgreSQL")
    results = {}
    with tempfile.TemporaryDirectory(prefix="instances-bench-") as name:
        for n in (1, args.instances):
            results[n] = run(Path(name), admin, n, args.reminders, args.send)
    admin.dispose()
    print(f"{'instances':>9}{'seconds':>10}{'msg/s':>9}{'lost':>6}{'twice':>7}  sent by each")
    for n, (seconds, lost, duplicates, shares) in results.items():
        print(f"{n:>9}{seconds:>10.2f}{args.reminders / seconds:>9.1f}{lost:>6}{duplicates:>7}  "
              f"{sorted(shares.values(), reverse=True)}")
    ratio = results[1][0] / results[args.instances][0]
    ceiling = args.instances
    print(f"throughput, {args.instances} instances / 1: {ratio:.2f}x (target >= {args.target}x; ideal {ceiling}x)")
    ok = ratio >= args.target and all(r[1] == 0 and r[2] == 0 for r in results.values())
    print("ok" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
