"""A dispatcher process for the crash and two-instance tests: the real Dispatcher and store,
the log channel with a journal (shared by every worker), each send slowed so a batch takes a while.

    python -m tests.dispatch_worker --url URL --journal FILE --instance NAME --lease 2 [--blind]

With ``--blind`` the channel still journals every delivery but cannot tell the dispatcher what it
delivered (like e-mail): then only the claims and their leases stand between a reminder and a
second delivery, and the journal is an independent count of what was sent.

With ``--fork`` the process only imports everything and then, for each instance name read from
stdin, forks a dispatcher of that name (output to ``NAME.log`` beside the journal) and prints its
pid: a test can kill a dispatcher and start a new process in its place at once, without waiting
for Python to start up again. A dispatcher prints "dispatching" when it starts and "done" when
it ran out of work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

from notifiers.base import Message
from notifiers.log import LogConfig, LogNotifier
from obligations.config import RemindersConfig
from scheduler.snapshot import load_snapshot
from service.dispatcher import Dispatcher
from store import open_store
from store.reminders import ReminderStore

SAMPLE_CONFIG = Path(__file__).resolve().parent / "data" / "sample-config.yaml"


class SlowJournal(LogNotifier):
    delay = 0.0
    blind = False

    async def send(self, message: Message) -> str | None:
        if self.delay:
            await asyncio.sleep(self.delay)  # a network round trip, so that a kill lands mid-batch
        return await super().send(message)

    def delivered(self, keys: tuple[str, ...]) -> set[str] | None:
        return None if self.blind else super().delivered(keys)


def cli(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--journal", required=True)
    ap.add_argument("--instance", required=True)
    ap.add_argument("--lease", type=float, default=120)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds per send")
    ap.add_argument("--blind", action="store_true", help="the channel cannot tell what it delivered")
    ap.add_argument("--fork", action="store_true", help="fork a dispatcher for each name read from stdin")
    args = ap.parse_args(argv)
    return fork_each(args) if args.fork else asyncio.run(main(args))


async def main(args: argparse.Namespace) -> int:
    store = open_store(args.url)
    reminders = ReminderStore(store)
    snapshot = load_snapshot(SAMPLE_CONFIG, 1, dt.datetime.now(dt.UTC))
    # model_copy skips validation on purpose: the crash test wants a lease shorter than config allows
    config = RemindersConfig(batch_size=args.batch).model_copy(update={"lease_seconds": args.lease})
    channel = SlowJournal(LogConfig(journal=args.journal))
    channel.delay = args.delay
    channel.blind = args.blind
    dispatcher = Dispatcher(reminders, {"log": channel}, config,
                            instance=args.instance, snapshot=lambda: snapshot, base_url="http://duties.test")
    print("ready", flush=True)
    print("dispatching", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        report = await dispatcher.run_once(dt.datetime.now(dt.UTC))
        counts = reminders.counts()
        if not report.claimed and not counts.get("pending") and not counts.get("claimed"):
            break
        if not report.claimed:
            await asyncio.sleep(0.2)  # the service's own polling interval, scaled down
    store.close()
    print("done", flush=True)
    return 0


def fork_each(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # dead dispatchers are reaped by the kernel
    for line in sys.stdin:
        name = line.strip()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(Path(args.journal).with_name(f"{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            args.instance, args.fork = name, False
            code = 1
            try:
                code = asyncio.run(main(args))
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(pid, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
