"""Dispatchers as real processes: killed mid-batch, and two at once on one PostgreSQL.

Deliveries are counted in the log channel's journal, which is what makes the
channel exactly-once: a reminder whose dispatcher died after sending is found
there and not sent again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from scheduler.planner import Planned
from store import open_store
from store.reminders import ReminderStore
from tests.conftest import ROOT


def seed(url: str, count: int, now: dt.datetime) -> set[str]:
    """``count`` reminders due now, each to its own recipient, for duties a month ahead."""
    day = (now + dt.timedelta(days=30)).date()
    items = [Planned(f"crash/{i}|1d|{day}", "reminder", f"ob/u{i}/slot", "t.report", None, day, None, "log",
                     f"recipient-{i}", "zh-CN", "1d", now, now) for i in range(count)]
    store = open_store(url)
    try:
        ReminderStore(store).add(items, now)
    finally:
        store.close()
    return {p.key for p in items}


def worker(url: str, journal: Path, instance: str, *, lease: float, batch: int = 50,
           delay: float = 0.0) -> subprocess.Popen[bytes]:
    log = journal.with_name(f"{instance}.log")
    with log.open("wb") as out:  # the child keeps its own handle; ours closes here
        return subprocess.Popen(
            [sys.executable, "-m", "tests.dispatch_worker", "--url", url, "--journal", str(journal),
             "--instance", instance, "--lease", str(lease), "--batch", str(batch), "--delay", str(delay)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )


def output(journal: Path, instance: str) -> str:
    return journal.with_name(f"{instance}.log").read_text(encoding="utf-8", errors="replace")


def delivered(*journals: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for journal in journals:
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                keys.update(json.loads(line)["covers"])
    return keys


def statuses(url: str) -> dict[str, int]:
    store = open_store(url)
    try:
        return ReminderStore(store).counts()
    finally:
        store.close()


def test_sigkill_mid_batch_then_restart_loses_nothing_and_repeats_nothing(url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    keys = seed(url, 300, now)
    journal = tmp_path / "journal.jsonl"
    first = worker(url, journal, "first", lease=2, batch=100, delay=0.002)
    deadline = time.monotonic() + 60
    while sum(delivered(journal).values()) < 40:  # wait until it is well into its first batch
        assert first.poll() is None, output(journal, "first")
        assert time.monotonic() < deadline, "the first dispatcher delivered nothing"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    before = sum(delivered(journal).values())
    assert before < 300, "the kill came too late to test anything"
    assert statuses(url).get("claimed"), "the kill should leave claimed reminders behind"

    second = worker(url, journal, "second", lease=2, batch=100)
    second.wait(timeout=120)
    assert second.returncode == 0, output(journal, "second")
    got = delivered(journal)
    assert set(got) == keys  # none lost
    assert max(got.values()) == 1  # none sent twice
    assert statuses(url) == {"sent": 300}


def test_two_dispatchers_on_one_postgresql(postgresql_url: str, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    keys = seed(postgresql_url, 5000, now)
    journals = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    workers = [worker(postgresql_url, journals[0], "a", lease=120, batch=200),
               worker(postgresql_url, journals[1], "b", lease=120, batch=200)]
    for w, name, journal in zip(workers, "ab", journals, strict=True):
        w.wait(timeout=300)
        assert w.returncode == 0, output(journal, name)
    got = delivered(*journals)
    assert len(got) == 5000
    assert set(got) == keys  # zero losses
    assert max(got.values()) == 1  # zero duplicates
    both = [sum(delivered(j).values()) for j in journals]
    assert min(both) > 0, f"one dispatcher did all the work: {both}"
    assert statuses(postgresql_url) == {"sent": 5000}
