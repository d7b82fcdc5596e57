"""A dispatcher process for the crash and two-instance tests: the real Dispatcher and store,
the log channel with a journal, each send slowed a little so a batch takes a while.

    python -m tests.dispatch_worker --url URL --journal FILE --instance NAME --lease 2
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

from notifiers.base import Message
from notifiers.log import LogConfig, LogNotifier
from obligations.config import RemindersConfig
from obligations.live import load_snapshot
from scheduler.dispatcher import Dispatcher
from store import open_store
from store.reminders import ReminderStore

SAMPLE_CONFIG = Path(__file__).resolve().parent / "data" / "sample-config.yaml"


class SlowJournal(LogNotifier):
    delay = 0.0

    async def send(self, message: Message) -> str | None:
        if self.delay:
            await asyncio.sleep(self.delay)  # a network round trip, so that a kill lands mid-batch
        return await super().send(message)


async def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--journal", required=True)
    ap.add_argument("--instance", required=True)
    ap.add_argument("--lease", type=float, default=120)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds per send")
    args = ap.parse_args(argv)
    store = open_store(args.url)
    reminders = ReminderStore(store)
    snapshot = load_snapshot(SAMPLE_CONFIG, 1, dt.datetime.now(dt.UTC))
    # model_copy skips validation on purpose: the crash test wants a lease shorter than config allows
    config = RemindersConfig(batch_size=args.batch).model_copy(update={"lease_seconds": args.lease})
    channel = SlowJournal(LogConfig(journal=args.journal))
    channel.delay = args.delay
    dispatcher = Dispatcher(reminders, {"log": channel}, config,
                            instance=args.instance, snapshot=lambda: snapshot, base_url="http://duties.test")
    deadline = time.monotonic() + args.max_seconds
    print("ready", flush=True)
    while time.monotonic() < deadline:
        report = await dispatcher.run_once(dt.datetime.now(dt.UTC))
        counts = reminders.counts()
        if not report.claimed and not counts.get("pending") and not counts.get("claimed"):
            break
        if not report.claimed:
            await asyncio.sleep(0.2)  # the service's own polling interval, scaled down
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
