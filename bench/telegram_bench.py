"""Benchmark of Telegram dispatch throughput against Telegram's flood limits.

    .venv/bin/python bench/telegram_bench.py [--reminders 10000] [--chats 2000] [--seconds-limit 420]
                                             [--limiter RATE/PERIOD] [--profile] [--check]

The real ``Dispatcher`` and ``TelegramNotifier`` (python-telegram-bot with its ``AIORateLimiter``,
over real HTTP) send to the fake Bot API of ``tests/fake_telegram.py`` on 127.0.0.1, which here
ENFORCES Telegram's limits: a sendMessage that would make more than 30 accepted sendMessage calls
in the sliding second before it (``(t - 1 s, t]`` on the fake's monotonic clock), or more than 20
in the sliding minute to one group chat (a negative chat id), is answered 429 with
``parameters.retry_after = 1`` (and is recorded by the fake with status 429). Only accepted
(200) calls fill the windows: a refused call delivered nothing. The fake's own sendMessage
handler is wrapped in place (``FloodLimits.install``); tests/fake_telegram.py is not changed.

Seeding (scratch SQLite store, ``ReminderStore.add``): ``--reminders`` reminders to ``--chats``
private chats (positive ids), in waves: reminder i goes to chat ``i % chats`` in wave
``i // chats``, and wave k is due at ``FIRST_DUE + k hours``. One wave holds at most one reminder
per chat, so every dispatch round sends single messages, never digests: 10,000 reminders to
2,000 chats are 5 waves of 2,000 messages, 10,000 messages in all. Every reminder is the sample
config's ``t.report`` for ``cty`` (occurrence 2026-02-28), re-keyed per reminder.

Dispatch: ``Dispatcher.run_once`` on a virtual clock that starts at wave 0's due time;
``batch_size`` = ``--chats`` (a wave is one round) and a lease of an hour. After a round that
claims nothing the clock jumps to the next pending ``send_after`` (the next wave, or a retry's
backoff) until no row is pending or claimed, or ``--seconds-limit`` (wall) is reached.

Measured: messages delivered (the fake's sendMessage calls answered 200), achieved messages/s =
delivered / wall seconds of the sending phase (from the first ``run_once`` to the end of the
last), its ratio to the 30/s ceiling (target >= 0.90), 429s provoked (target 0), duplicates
(a reminder id, taken from the signed ``/done/<id>?s=`` link in the text, delivered more than
once; target 0) and losses (reminders never delivered, or rows not ``sent``; target 0).
``--check`` exits 1 when a target is missed.

``--limiter RATE/PERIOD`` replaces the notifier's rate limiter by
``AIORateLimiter(overall_max_rate=RATE, overall_time_period=PERIOD)`` (same retries) to measure
another setting; the default is the notifier's own (30 per 1 s: a leaky bucket that admits a
burst of 30 on top of 30/s once it has drained). ``--profile`` adds a cProfile of the main
thread (the dispatcher and PTB; the fake runs in its own thread).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import datetime as dt
import gc
import logging
import math
import os
import pstats
import re
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

os.environ["PTB_TIMEDELTA"] = "1"  # before telegram is imported (the notifier sets it too)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from notifiers.telegram import API_URL_ENV, TOKEN_ENV, TelegramConfig, TelegramNotifier  # noqa: E402
from obligations.config import RemindersConfig  # noqa: E402
from obligations.live import Snapshot, load_snapshot  # noqa: E402
from scheduler.dispatcher import Dispatcher, DispatchReport  # noqa: E402
from scheduler.planner import Planned  # noqa: E402
from store import Store, links, open_store  # noqa: E402
from store.reminders import ReminderStore  # noqa: E402
from tests.fake_telegram import ApiError, Call, FakeTelegram, fake_bot_api  # noqa: E402

TOKEN = "123456:BENCH-token_abc"
SAMPLE_CONFIG = ROOT / "tests" / "data" / "sample-config.yaml"
PLAN_AT = dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)
FIRST_DUE = dt.datetime(2026, 2, 21, 1, 0, tzinfo=dt.UTC)  # 09:00 Asia/Shanghai, 7 days before the duty
WAVE_INTERVAL = dt.timedelta(hours=1)
OCCURRENCE_DATE = dt.date(2026, 2, 28)
OBLIGATION, UNIT = "t.report", "cty"
BASE_URL = "http://duties.test"
INSTANCE = "bench"
FIRST_CHAT = 100_001  # private chats: positive ids
OVERALL_LIMIT, OVERALL_WINDOW = 30, 1.0  # Telegram: ~30 messages a second overall
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0  # and 20 a minute to one group
RATIO_TARGET = 0.90
DONE_LINK = re.compile(r"/done/(\d+)\?s=([0-9a-f]+)")


# -- the flood limits, enforced by the fake -------------------------------------------------------------


class FloodLimits:
    """Telegram's limits as sliding windows over accepted sendMessage calls; a refusal is a 429."""

    def __init__(self, overall: int = OVERALL_LIMIT, overall_window: float = OVERALL_WINDOW,
                 group: int = GROUP_LIMIT, group_window: float = GROUP_WINDOW, retry_after: int = 1) -> None:
        self.overall, self.overall_window = overall, overall_window
        self.group, self.group_window = group, group_window
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._accepted: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self.refused_overall = 0
        self.refused_group = 0

    def install(self, fake: FakeTelegram) -> None:
        """Wrap the fake's sendMessage handler (its dispatch table is looked up per request)."""
        handlers: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = fake._handlers
        handlers["sendmessage"] = self.wrap(handlers["sendmessage"])

    def wrap(self, handler: Callable[[dict[str, Any], dict[str, Any]], Any]
             ) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
        def limited(params: dict[str, Any], files: dict[str, Any]) -> Any:
            now = time.monotonic()
            group = self._group_id(params.get("chat_id"))
            with self._lock:
                _expire(self._accepted, now - self.overall_window)
                if len(self._accepted) >= self.overall:
                    self.refused_overall += 1
                    raise self._too_many()
                window: deque[float] | None = None
                if group is not None:
                    window = self._groups.setdefault(group, deque())
                    _expire(window, now - self.group_window)
                    if len(window) >= self.group:
                        self.refused_group += 1
                        raise self._too_many()
                result = handler(params, files)  # a 400/403 raises here and fills no window
                self._accepted.append(now)
                if window is not None:
                    window.append(now)
                return result

        return limited

    def _too_many(self) -> ApiError:
        return ApiError(429, f"Too Many Requests: retry after {self.retry_after}",
                        {"retry_after": self.retry_after})

    @staticmethod
    def _group_id(chat_id: Any) -> int | None:
        try:
            value = int(chat_id)
        except (TypeError, ValueError):
            return None
        return value if value < 0 else None


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


def max_in_window(times: Sequence[float], seconds: float) -> int:
    """The most of ``times`` (sorted) in any half-open window ``(t - seconds, t]``."""
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- seeding --------------------------------------------------------------------------------------------


def chat_id(index: int) -> int:
    return FIRST_CHAT + index


def wave_due(wave: int) -> dt.datetime:
    return FIRST_DUE + wave * WAVE_INTERVAL


def seed_rows(n: int, chats: int) -> list[Planned]:
    """Reminder i to chat i % chats in wave i // chats: at most one reminder per chat per wave."""
    rows = []
    for i in range(n):
        wave, chat = divmod(i, chats)
        due = wave_due(wave)
        rows.append(Planned(f"bench{i}|{OBLIGATION}/{UNIT}/2026|w{wave}", "reminder", f"{OBLIGATION}/{UNIT}/2026",
                            OBLIGATION, UNIT, OCCURRENCE_DATE, None, "telegram", str(chat_id(chat)), "zh-CN",
                            "7d", due, due))
    return rows


# -- the notifier -----------------------------------------------------------------------------------------


class LimiterNotifier(TelegramNotifier):
    """The real notifier with another AIORateLimiter setting (``--limiter``); everything else as make_bot."""

    def __init__(self, config: TelegramConfig, rate: float, period: float) -> None:
        super().__init__(config)
        self.rate, self.period = rate, period
        self._own: ExtBot[None] | None = None

    @property
    def bot(self) -> ExtBot[None]:
        if self._own is None:
            request = HTTPXRequest(read_timeout=self.config.timeout_seconds,
                                   connect_timeout=self.config.timeout_seconds)
            self._own = ExtBot(os.environ[TOKEN_ENV], base_url=os.environ[API_URL_ENV], request=request,
                               rate_limiter=AIORateLimiter(overall_max_rate=self.rate,
                                                           overall_time_period=self.period,
                                                           max_retries=self.config.max_retries))
            self._bot = self._own  # so close() shuts it down
        return self._own


# -- the run ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Round:
    wave_time: dt.datetime
    started: float  # time.monotonic()
    ended: float
    report: DispatchReport


@dataclasses.dataclass
class Totals:
    rounds: list[Round] = dataclasses.field(default_factory=list)
    stopped: str = ""

    def add(self, field: str) -> int:
        return sum(getattr(r.report, field) for r in self.rounds)


async def drain(dispatcher: Dispatcher, rstore: ReminderStore, totals: Totals, deadline: float,
                announce: Callable[[Round], None]) -> None:
    """run_once until nothing is pending or claimed; the virtual clock jumps to the next due row."""
    now = wave_due(0)
    far = wave_due(10_000)
    while True:
        if time.monotonic() >= deadline:
            totals.stopped = "stopped at --seconds-limit"
            return
        started = time.monotonic()
        report = await dispatcher.run_once(now)
        if report.claimed:
            r = Round(now, started, time.monotonic(), report)
            totals.rounds.append(r)
            announce(r)
            continue
        due = rstore.next_due(far)
        if due is None:
            counts = rstore.counts()
            if counts.get("claimed"):
                totals.stopped = f"{counts['claimed']} rows left claimed"
            return
        now = max(now, due)


@dataclasses.dataclass
class Result:
    reminders: int
    chats: int
    waves: int
    limiter: str
    seconds: float
    delivered: int
    refused_429: int
    refused_overall: int
    refused_group: int
    other_errors: int
    duplicates: int
    never_delivered: int
    rows_not_sent: int
    statuses: dict[str, int]
    wrong_chat: int
    bad_links: int
    max_per_second: int
    server_rate: float
    rounds: int
    retried: int
    failed: int
    stopped: str

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / OVERALL_LIMIT

    @property
    def losses(self) -> int:
        return max(self.never_delivered, self.rows_not_sent)

    def misses(self) -> list[str]:
        out = []
        if self.ratio < RATIO_TARGET:
            out.append(f"rate {self.ratio:.2f} x 30/s < {RATIO_TARGET}")
        if self.refused_429:
            out.append(f"{self.refused_429} 429s")
        if self.duplicates:
            out.append(f"{self.duplicates} duplicates")
        if self.losses:
            out.append(f"{self.losses} losses")
        if self.wrong_chat or self.bad_links:
            out.append(f"{self.wrong_chat} to the wrong chat, {self.bad_links} bad links")
        return out


def run(tmp: Path, n: int, chats: int, seconds_limit: float, limiter: tuple[float, float] | None,
        profile: cProfile.Profile | None) -> Result:
    snapshot: Snapshot = load_snapshot(SAMPLE_CONFIG, 1, PLAN_AT)
    rows = seed_rows(n, chats)
    waves = math.ceil(n / chats)
    store: Store = open_store(f"sqlite:///{tmp / 'telegram-bench.db'}")
    try:
        rstore = ReminderStore(store)
        added = rstore.add(rows, PLAN_AT)
        if added != n:
            raise RuntimeError(f"added {added} of {n} reminders")
        key = links.signing_key(store)
        config = RemindersConfig(batch_size=chats, lease_seconds=3600)
        with fake_bot_api(TOKEN) as fake:
            limits = FloodLimits()
            limits.install(fake)
            os.environ[TOKEN_ENV] = TOKEN
            os.environ[API_URL_ENV] = fake.base_url
            tg_config = TelegramConfig()
            channel = (TelegramNotifier(tg_config) if limiter is None
                       else LimiterNotifier(tg_config, limiter[0], limiter[1]))
            dispatcher = Dispatcher(rstore, {"telegram": channel}, config, instance=INSTANCE,
                                    snapshot=lambda: snapshot, base_url=BASE_URL)
            totals = Totals()

            def announce(r: Round) -> None:
                sent = fake.calls("sendMessage")
                ok = [c["time"] for c in sent if c["status"] == 200 and r.started <= c["time"] <= r.ended]
                first = f"{ok[0] - r.started:.2f}" if ok else "-"
                late_429 = sum(1 for c in sent if c["status"] == 429 and r.started <= c["time"] <= r.ended)
                print(f"  round at {r.wave_time:%H:%M:%S} (virtual): claimed {r.report.claimed:,}, "
                      f"messages {len(r.report.messages):,}, sent {r.report.sent:,}, retried {r.report.retried}, "
                      f"failed {r.report.failed}; {r.ended - r.started:.1f} s wall, first message after "
                      f"{first} s, 429s {late_429}", flush=True)

            async def main() -> float:
                await channel.bot.initialize()  # getMe once, outside the timed phase (as a running service has)
                gc.collect()
                if profile is not None:
                    profile.enable()
                start = time.monotonic()
                try:
                    await asyncio.wait_for(drain(dispatcher, rstore, totals, start + seconds_limit, announce),
                                           seconds_limit + 120)
                except TimeoutError:
                    totals.stopped = "cancelled mid-round after --seconds-limit + 120 s"
                seconds = time.monotonic() - start
                if profile is not None:
                    profile.disable()
                await channel.close()
                return seconds

            seconds = asyncio.run(main())
            calls = fake.calls("sendMessage")
        statuses = rstore.counts()
    finally:
        store.close()
    return tally(rows, n, chats, waves, seconds, calls, limits, statuses, totals, key,
                 "notifier's (30/1 s)" if limiter is None else f"{limiter[0]:g}/{limiter[1]:g} s")


def tally(rows: Sequence[Planned], n: int, chats: int, waves: int, seconds: float, calls: list[Call],
          limits: FloodLimits, statuses: dict[str, int], totals: Totals, key: bytes, limiter: str) -> Result:
    ok = [c for c in calls if c["status"] == 200]
    ids: Counter[int] = Counter()
    wrong_chat = bad_links = 0
    # ids are 1..n in insertion order (a fresh store), so the row of id i is rows[i - 1]
    for c in ok:
        text = str(c["params"].get("text", ""))
        found = DONE_LINK.findall(text)
        if len(found) != 1:
            bad_links += 1
            continue
        rid, signature = int(found[0][0]), found[0][1]
        chat = str(c["params"].get("chat_id"))
        ids[rid] += 1
        if not 1 <= rid <= n or rows[rid - 1].address != chat:
            wrong_chat += 1
        if not links.verify(key, rid, chat, signature):
            bad_links += 1
    times = sorted(c["time"] for c in ok)
    server_rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return Result(
        reminders=n, chats=chats, waves=waves, limiter=limiter, seconds=seconds, delivered=len(ok),
        refused_429=sum(1 for c in calls if c["status"] == 429),
        refused_overall=limits.refused_overall, refused_group=limits.refused_group,
        other_errors=sum(1 for c in calls if c["status"] not in (200, 429)),
        duplicates=sum(k - 1 for k in ids.values() if k > 1),
        never_delivered=sum(1 for i in range(1, n + 1) if i not in ids),
        rows_not_sent=n - statuses.get("sent", 0), statuses=statuses, wrong_chat=wrong_chat, bad_links=bad_links,
        max_per_second=max_in_window(times, OVERALL_WINDOW), server_rate=server_rate,
        rounds=len(totals.rounds), retried=totals.add("retried"), failed=totals.add("failed"),
        stopped=totals.stopped)


# -- output -----------------------------------------------------------------------------------------------


def table(rows: Iterable[tuple[str, str, str, str]]) -> None:
    print(f"{'measure':<44}{'value':>14}{'target':>12}  {'':<6}")
    for name, value, target, verdict in rows:
        print(f"{name:<44}{value:>14}{target:>12}  {verdict:<6}")


def report(r: Result) -> None:
    def mark(good: bool) -> str:
        return "ok" if good else "MISSED"

    print()
    print(f"{r.reminders:,} reminders to {r.chats:,} private chats in {r.waves} waves ({r.rounds} dispatch rounds); "
          f"rate limiter: {r.limiter}")
    table([
        ("messages delivered (sendMessage 200)", f"{r.delivered:,}", f"{r.reminders:,}",
         mark(r.delivered == r.reminders)),
        ("sending phase, wall seconds", f"{r.seconds:.1f}", "", ""),
        ("achieved messages/s (delivered / wall s)", f"{r.rate:.2f}", "", ""),
        ("  ratio to the 30/s ceiling", f"{r.ratio:.3f}", f">= {RATIO_TARGET:.2f}", mark(r.ratio >= RATIO_TARGET)),
        ("  server-side rate (first to last 200)", f"{r.server_rate:.2f}", "", ""),
        ("  most 200s in any 1 s window (fake's clock)", str(r.max_per_second), f"<= {OVERALL_LIMIT}",
         mark(r.max_per_second <= OVERALL_LIMIT)),
        ("429s provoked", str(r.refused_429), "0", mark(r.refused_429 == 0)),
        ("  of which: 30/s overall / 20/min group", f"{r.refused_overall} / {r.refused_group}", "", ""),
        ("duplicates (a reminder id delivered twice)", str(r.duplicates), "0", mark(r.duplicates == 0)),
        ("losses: reminders never delivered", str(r.never_delivered), "0", mark(r.never_delivered == 0)),
        ("losses: rows not 'sent'", str(r.rows_not_sent), "0", mark(r.rows_not_sent == 0)),
        ("messages to the wrong chat / bad links", f"{r.wrong_chat} / {r.bad_links}", "0 / 0",
         mark(not r.wrong_chat and not r.bad_links)),
        ("other sendMessage errors", str(r.other_errors), "0", mark(r.other_errors == 0)),
        ("dispatcher: retried / failed", f"{r.retried} / {r.failed}", "", ""),
    ])
    print(f"rows by status: {r.statuses}" + (f"; {r.stopped}" if r.stopped else ""))
    ideal = (r.reminders - OVERALL_LIMIT) / OVERALL_LIMIT  # a burst of 30, then 30/s
    print(f"(the fastest legal schedule for {r.reminders:,} messages: {max(ideal, 0):.1f} s; overhead "
          f"{r.seconds - max(ideal, 0):.1f} s)")
    misses = r.misses()
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))


def print_profile(prof: cProfile.Profile, limit: int = 22) -> None:
    entries = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tottime for (_, _, tottime, _, _) in entries.values())
    for label, index in (("tottime", 2), ("cumtime", 3)):
        ranked = sorted(((v[index], v[1], v[2], v[3], f"{'/'.join(Path(f).parts[-2:])}:{line}({name})")
                         for (f, line, name), v in entries.items()), reverse=True)
        print(f"-- cProfile of the main thread, by {label} (profiled CPU total {total:.2f} s):")
        print(f"{'calls':>10}{'own s':>8}{'cum s':>8}  function")
        for _, calls, own, cum, name in ranked[:limit]:
            print(f"{calls:>10}{own:>8.2f}{cum:>8.2f}  {name}")


def parse_limiter(text: str) -> tuple[float, float]:
    rate, _, period = text.partition("/")
    try:
        value = float(rate), float(period or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limiter RATE/PERIOD, e.g. 1/0.0345: not {text!r}") from None
    if value[0] <= 0 or value[1] <= 0:
        raise argparse.ArgumentTypeError("--limiter: RATE and PERIOD must be positive")
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reminders", type=int, default=10_000)
    ap.add_argument("--chats", type=int, default=2_000, help="private chats; also the batch size (one wave a round)")
    ap.add_argument("--seconds-limit", type=float, default=420, help="wall limit of the sending phase")
    ap.add_argument("--limiter", type=parse_limiter, default=None, metavar="RATE/PERIOD",
                    help="AIORateLimiter(overall_max_rate=RATE, overall_time_period=PERIOD) instead of the "
                    "notifier's own 30/1")
    ap.add_argument("--profile", action="store_true", help="cProfile of the main thread during sending")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    if args.reminders < 1 or args.chats < 1:
        ap.error("--reminders and --chats must be >= 1")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("scheduler.dispatcher").setLevel(logging.ERROR)  # one warning per retried message
    waves = math.ceil(args.reminders / args.chats)
    print(f"== Telegram dispatch: {args.reminders:,} reminders, {args.chats:,} chats, {waves} waves "
          f"{WAVE_INTERVAL} apart (virtual); the fake enforces {OVERALL_LIMIT}/{OVERALL_WINDOW:g} s overall and "
          f"{GROUP_LIMIT}/{GROUP_WINDOW:g} s per group (429, retry_after 1)", flush=True)
    prof = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="telegram-bench-") as name:
        result = run(Path(name), args.reminders, args.chats, args.seconds_limit, args.limiter, prof)
    report(result)
    if prof is not None:
        print_profile(prof)
    return 1 if args.check and result.misses() else 0


if __name__ == "__main__":
    sys.exit(main())
