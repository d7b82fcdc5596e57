"""Benchmark of Telegram dispatch throughput against Telegram's flood limits.

    .venv/bin/python bench/telegram_bench.py [--reminders 10000] [--chats 2000] [--seconds-limit 420]
                                             [--limiter RATE/PERIOD] [--in-process] [--profile] [--check]

The real ``Dispatcher`` and ``TelegramNotifier`` (python-telegram-bot with its ``AIORateLimiter``,
over real HTTP) send to the fake Bot API of ``tests/fake_telegram.py`` on 127.0.0.1, which here
ENFORCES Telegram's limits: a sendMessage that would make more than 30 accepted sendMessage calls
in the sliding second before it (``(t - 1 s, t]`` on the fake's clock, taken when its handler
runs), or more than 20 in the sliding minute to one group chat (a negative chat id), is answered
429 with ``parameters.retry_after = 1`` (and recorded by the fake with status 429). Only accepted
(200) calls fill the windows: a refused call delivered nothing. The fake's own sendMessage handler
is wrapped in place (``FloodLimits.install``); tests/fake_telegram.py is not changed.

The fake runs in a child process by default (``fake_bot_api`` there, the calls sent back over a
pipe; ``time.monotonic`` is the same clock in both), with its cyclic garbage collector off, so that
its clock is not skewed by sharing the GIL with the dispatcher or by its own collections, as
Telegram's would not be. ``--in-process`` serves it from a thread of this process instead
(``fake_bot_api`` as the tests use it). The dispatcher's own pauses are real and are reported:
event-loop stalls and garbage collections (a pause holds back the requests the rate limiter has
let go, which then arrive together).

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
``--check`` exits 1 when a target is missed. Per round: the seconds from ``run_once`` to its
first sendMessage and to its first delivered message, and the 429s.

By default the code runs as shipped. ``--limiter RATE/PERIOD`` models another rate-limiter
setting, inside this process only: ``AIORateLimiter(overall_max_rate=RATE,
overall_time_period=PERIOD)`` (same retries) instead of the notifier's own 30 per 1 s, a leaky
bucket that admits a burst of 30 on top of 30/s once it has drained (so up to ~60 in a sliding
second); e.g. ``1/0.0345``: a bucket of one, 29/s, no burst.

The dispatcher's synchronous steps (they block the event loop, and so every send in flight) are
timed: the claim, ``compose`` and the outcome writes.

``--profile`` adds a cProfile of the main thread (the dispatcher and PTB).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import datetime as dt
import gc
import logging
import math
import multiprocessing
import os
import pstats
import re
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

os.environ["PTB_TIMEDELTA"] = "1"  # before telegram is imported (the notifier sets it too)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

import service.dispatcher  # noqa: E402
from notifiers.base import Message  # noqa: E402
from notifiers.telegram import API_URL_ENV, TOKEN_ENV, TelegramConfig, TelegramNotifier  # noqa: E402
from obligations.config import RemindersConfig  # noqa: E402
from scheduler.planner import Planned  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from service.dispatcher import Dispatcher, DispatchReport  # noqa: E402
from service.messages import compose  # noqa: E402
from store import Store, links, open_store  # noqa: E402
from store.reminders import Claimed, ReminderStore  # noqa: E402
from tests.fake_telegram import ApiError, FakeTelegram, fake_bot_api  # noqa: E402

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

Handler = Callable[[dict[str, Any], dict[str, Any]], Any]


# -- the fake, enforcing the flood limits -------------------------------------------------------------------


class FloodLimits:
    """Telegram's limits as sliding windows over accepted sendMessage calls; a refusal is a 429."""

    def __init__(self, overall: int = OVERALL_LIMIT, overall_window: float = OVERALL_WINDOW,
                 group: int = GROUP_LIMIT, group_window: float = GROUP_WINDOW, retry_after: int = 1) -> None:
        self.overall, self.overall_window = overall, overall_window
        self.group, self.group_window = group, group_window
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self.accepted: list[float] = []  # every accepted call's time, as the windows saw it
        self.refused_overall = 0
        self.refused_group = 0

    def install(self, fake: FakeTelegram) -> None:
        """Wrap the fake's sendMessage handler (its dispatch table is looked up on every request)."""
        handlers: dict[str, Handler] = fake._handlers
        handlers["sendmessage"] = self.wrap(handlers["sendmessage"])

    def wrap(self, handler: Handler) -> Handler:
        def limited(params: dict[str, Any], files: dict[str, Any]) -> Any:
            now = time.monotonic()
            group = _group_id(params.get("chat_id"))
            with self._lock:
                _expire(self._window, now - self.overall_window)
                if len(self._window) >= self.overall:
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
                self._window.append(now)
                self.accepted.append(now)
                if window is not None:
                    window.append(now)
                return result

        return limited

    def _too_many(self) -> ApiError:
        return ApiError(429, f"Too Many Requests: retry after {self.retry_after}", {"retry_after": self.retry_after})


def _group_id(chat_id: Any) -> int | None:
    try:
        value = int(chat_id)
    except (TypeError, ValueError):
        return None
    return value if value < 0 else None


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


@dataclasses.dataclass(frozen=True)
class Sent:
    """One sendMessage call as the fake recorded it."""

    time: float  # time.monotonic() on arrival
    status: int
    chat_id: str
    text: str


@dataclasses.dataclass(frozen=True)
class Pauses:
    """Stop-the-world pauses of one process or loop: how many, the longest, how many over 35 ms (the
    slack of a 29/s pace against a 30-per-second window)."""

    count: int = 0
    longest_ms: float = 0.0
    over_35ms: int = 0
    total_s: float = 0.0

    def describe(self) -> str:
        return (f"{self.count:,}, longest {self.longest_ms:.1f} ms, {self.over_35ms} over 35 ms, "
                f"{self.total_s:.2f} s in all")


class GcWatch:
    """Times this process's garbage collections (gc.callbacks)."""

    def __init__(self) -> None:
        self._started = 0.0
        self._times: list[float] = []

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self._times.append(time.perf_counter() - self._started)

    def reset(self) -> None:
        self._times.clear()

    def pauses(self) -> Pauses:
        return pauses_of(list(self._times))


def pauses_of(seconds: Sequence[float]) -> Pauses:
    return Pauses(len(seconds), 1000 * max(seconds, default=0.0), sum(1 for x in seconds if x > 0.035), sum(seconds))


async def watch_loop(lags: list[float], tick: float = 0.005) -> None:
    """Record how late the event loop wakes a ``tick`` sleep (its stalls), until cancelled."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(max(time.perf_counter() - started - tick, 0.0))


@dataclasses.dataclass(frozen=True)
class FakeOutcome:
    calls: list[Sent]
    accepted: list[float]
    refused_overall: int
    refused_group: int
    gc: Pauses | None  # the child process's collections (None: the fake ran in this process)


def outcome(fake: FakeTelegram, limits: FloodLimits, gc_pauses: Pauses | None) -> FakeOutcome:
    calls = [Sent(c["time"], c["status"], str(c["params"].get("chat_id")), str(c["params"].get("text", "")))
             for c in fake.calls("sendMessage")]
    with limits._lock:
        return FakeOutcome(calls, list(limits.accepted), limits.refused_overall, limits.refused_group, gc_pauses)


def serve_fake(conn: Connection) -> None:
    """The child process: the enforcing fake until told to stop, then what it saw."""
    # Telegram's clock has no pauses of ours: the fake's records are acyclic, and a collection over
    # 10,000 of them (up to ~80 ms) would hold requests back and let them in bunched
    gc.disable()
    try:
        with GcWatch() as gc_watch, fake_bot_api(TOKEN) as fake:
            limits = FloodLimits()
            limits.install(fake)
            conn.send(fake.base_url)
            conn.recv()  # stop
            result = outcome(fake, limits, gc_watch.pauses())
        conn.send(result)
    except BaseException as exc:
        conn.send(f"the fake failed: {exc!r}")
        raise


@contextlib.contextmanager
def enforcing_fake(in_process: bool) -> Iterator[tuple[str, Callable[[], FakeOutcome]]]:
    """(base URL, a function that stops the fake and returns what it saw)."""
    if in_process:
        done: list[FakeOutcome] = []
        with fake_bot_api(TOKEN) as fake:
            limits = FloodLimits()
            limits.install(fake)

            def finish_here() -> FakeOutcome:
                if not done:
                    done.append(outcome(fake, limits, None))
                return done[0]

            yield fake.base_url, finish_here
        return
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve_fake, args=(child,), name="fake-telegram", daemon=True)
    process.start()
    finished: list[FakeOutcome] = []

    def finish_child() -> FakeOutcome:
        if not finished:
            parent.send("stop")
            if not parent.poll(60):
                raise RuntimeError("the fake did not answer")
            got = parent.recv()
            if isinstance(got, str):
                raise RuntimeError(got)
            finished.append(got)
        return finished[0]

    try:
        if not parent.poll(60):
            raise RuntimeError("the fake did not start")
        base_url = parent.recv()
        if not str(base_url).startswith("http"):
            raise RuntimeError(str(base_url))
        yield str(base_url), finish_child
        finish_child()
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
            process.join()


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


class BenchNotifier(TelegramNotifier):
    """The real notifier, optionally with another AIORateLimiter (``--limiter``; else as make_bot builds it)."""

    def __init__(self, config: TelegramConfig, limiter: tuple[float, float] | None) -> None:
        super().__init__(config)
        self.limiter = limiter

    @property
    def bot(self) -> ExtBot[None]:
        if self._bot is None and self.limiter is not None:
            rate, period = self.limiter
            request = HTTPXRequest(read_timeout=self.config.timeout_seconds,
                                   connect_timeout=self.config.timeout_seconds)
            self._bot = ExtBot(os.environ[TOKEN_ENV], base_url=os.environ[API_URL_ENV], request=request,
                               rate_limiter=AIORateLimiter(overall_max_rate=rate, overall_time_period=period,
                                                           max_retries=self.config.max_retries))
        return super().bot


class Stopwatch:
    """Seconds the main thread spent in the dispatcher's synchronous steps (they block the event loop)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @contextlib.contextmanager
    def timing(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[what] += time.perf_counter() - started
            self.calls[what] += 1


class TimedReminderStore(ReminderStore):
    """ReminderStore whose claims and outcome writes (one transaction each) are timed."""

    def __init__(self, store: Store, watch: Stopwatch) -> None:
        super().__init__(store)
        self.watch = watch

    def claim(self, instance: str, now: dt.datetime, *, limit: int, lease: dt.timedelta,
              **options: Any) -> list[Claimed]:
        with self.watch.timing("claim (a transaction per free sending slots)"):
            return super().claim(instance, now, limit=limit, lease=lease, **options)

    def _settle(self, ids: Sequence[int], instance: str, **values: Any) -> int:
        with self.watch.timing("outcome writes (mark_sent..., a commit each)"):
            return super()._settle(ids, instance, **values)


@contextlib.contextmanager
def timed_compose(watch: Stopwatch) -> Iterator[None]:
    """Time every compose() of the dispatcher."""

    def timed(rows: Sequence[Claimed], snapshot: Snapshot, **kwargs: Any) -> Message:
        with watch.timing("compose"):
            return compose(rows, snapshot, **kwargs)

    saved = service.dispatcher.compose
    service.dispatcher.compose = timed
    try:
        yield
    finally:
        service.dispatcher.compose = saved


# -- the run ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Round:
    """One run_once that claimed something (counts only: a service drops its reports, and 10,000 kept
    messages would lengthen this process's garbage collections)."""

    virtual: dt.datetime
    started: float  # time.monotonic()
    ended: float
    claimed: int
    messages: int
    retried: int
    failed: int

    @classmethod
    def of(cls, virtual: dt.datetime, started: float, report: DispatchReport) -> Round:
        return cls(virtual, started, time.monotonic(), report.claimed, len(report.messages), report.retried,
                   report.failed)


@dataclasses.dataclass
class Drained:
    rounds: list[Round] = dataclasses.field(default_factory=list)
    stopped: str = ""


async def drain(dispatcher: Dispatcher, rstore: ReminderStore, drained: Drained, deadline: float) -> None:
    """run_once until nothing is pending or claimed; the virtual clock jumps to the next due row."""
    now = wave_due(0)
    far = wave_due(100_000)
    while True:
        if time.monotonic() >= deadline:
            counts = rstore.counts()
            left = counts.get("pending", 0) + counts.get("claimed", 0)
            if left:
                drained.stopped = f"stopped at --seconds-limit with {left:,} rows pending or claimed"
            return
        started = time.monotonic()
        report = await dispatcher.run_once(now)
        if report.claimed:
            r = Round.of(now, started, report)
            del report
            drained.rounds.append(r)
            print(f"  round {len(drained.rounds)} at {now:%H:%M:%S} (virtual): claimed {r.claimed:,}, "
                  f"messages {r.messages:,}, retried {r.retried}, failed {r.failed}, "
                  f"{r.ended - r.started:.1f} s", flush=True)
            continue
        due = rstore.next_due(far)
        if due is None:
            claimed = rstore.counts().get("claimed", 0)
            if claimed:
                drained.stopped = f"{claimed} rows left claimed"
            return
        now = max(now, due)


@dataclasses.dataclass(frozen=True)
class RoundStats:
    number: int
    virtual: dt.datetime
    claimed: int
    messages: int
    seconds: float
    first_call: float | None  # seconds from run_once to its first sendMessage (any answer)
    first_after: float | None  # seconds from run_once to its first 200
    refused: int
    gap_before: float  # seconds between the previous round's end and this one's start


@dataclasses.dataclass
class Result:
    reminders: int
    chats: int
    waves: int
    setup: str
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
    rounds: list[RoundStats]
    retried: int
    failed: int
    stopped: str
    main_thread: dict[str, tuple[int, float]]  # what -> (calls, seconds)
    stalls: dict[str, Pauses] = dataclasses.field(default_factory=dict)

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
            out.append(f"rate {self.ratio:.3f} x 30/s < {RATIO_TARGET}")
        if self.refused_429:
            out.append(f"{self.refused_429} 429s")
        if self.duplicates:
            out.append(f"{self.duplicates} duplicates")
        if self.losses:
            out.append(f"{self.losses} losses")
        if self.wrong_chat or self.bad_links:
            out.append(f"{self.wrong_chat} to the wrong chat, {self.bad_links} bad links")
        return out


@dataclasses.dataclass(frozen=True)
class Setup:
    """What runs: the real code by default; ``limiter`` models another rate-limiter setting."""

    limiter: tuple[float, float] | None = None
    in_process: bool = False

    def describe(self) -> str:
        parts = ["rate limiter: " + ("the notifier's own (30 per 1 s)" if self.limiter is None
                                     else f"{self.limiter[0]:g} per {self.limiter[1]:g} s")]
        parts.append("the fake " + ("in this process" if self.in_process else "in a child process"))
        return "; ".join(parts)


def run(tmp: Path, n: int, chats: int, seconds_limit: float, setup: Setup,
        profile: cProfile.Profile | None) -> Result:
    snapshot: Snapshot = load_snapshot(SAMPLE_CONFIG, 1, PLAN_AT)
    store: Store = open_store(f"sqlite:///{tmp / 'telegram-bench.db'}")
    try:
        watch = Stopwatch()
        rstore = TimedReminderStore(store, watch)
        rows = seed_rows(n, chats)
        added = rstore.add(rows, PLAN_AT)
        if added != n:
            raise RuntimeError(f"added {added} of {n} reminders")
        # ids are 1..n in insertion order (a fresh store): the chat of id i is addresses[i - 1]. Only the
        # strings are kept, which the garbage collector does not track: the bench's own 10,000 objects would
        # lengthen the dispatcher's collections
        addresses = [p.address for p in rows]
        del rows
        key = links.signing_key(store)
        config = RemindersConfig(batch_size=chats, lease_seconds=3600)
        with enforcing_fake(setup.in_process) as (base_url, finish), timed_compose(watch):
            os.environ[TOKEN_ENV] = TOKEN
            os.environ[API_URL_ENV] = base_url
            channel = BenchNotifier(TelegramConfig(), setup.limiter)
            dispatcher = Dispatcher(rstore, {"telegram": channel}, config, instance=INSTANCE,
                                    snapshot=lambda: snapshot, base_url=BASE_URL)
            drained = Drained()

            lags: list[float] = []

            async def main() -> float:
                await channel.bot.initialize()  # getMe once, outside the timed phase (as a running service has)
                gc.collect()
                if profile is not None:
                    profile.enable()
                watch.seconds.clear()
                watch.calls.clear()
                gc_watch.reset()
                ticker = asyncio.create_task(watch_loop(lags))
                start = time.monotonic()
                try:
                    await asyncio.wait_for(drain(dispatcher, rstore, drained, start + seconds_limit),
                                           seconds_limit + 120)
                except TimeoutError:
                    drained.stopped = "cancelled mid-round after --seconds-limit + 120 s"
                seconds = time.monotonic() - start
                if profile is not None:
                    profile.disable()
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
                await channel.close()
                return seconds

            with GcWatch() as gc_watch:
                seconds = asyncio.run(main())
                client_gc = gc_watch.pauses()
            seen = finish()
        statuses = rstore.counts()
    finally:
        store.close()
    result = tally(addresses, chats, seconds, seen, statuses, drained, key, setup.describe())
    result.main_thread = {what: (watch.calls[what], watch.seconds[what]) for what in watch.seconds}
    result.stalls = {"event-loop stalls (a 5 ms sleep woken late)": pauses_of([x for x in lags if x > 0.002]),
                     "garbage collections, dispatcher process": client_gc}
    if seen.gc is not None:
        result.stalls["garbage collections, the fake's process"] = seen.gc
    return result


def tally(addresses: Sequence[str], chats: int, seconds: float, seen: FakeOutcome, statuses: dict[str, int],
          drained: Drained, key: bytes, setup: str) -> Result:
    n = len(addresses)
    ok = [c for c in seen.calls if c.status == 200]
    ids: Counter[int] = Counter()
    wrong_chat = bad_links = 0
    for c in ok:
        found = DONE_LINK.findall(c.text)
        if len(found) != 1:
            bad_links += 1
            continue
        rid, signature = int(found[0][0]), found[0][1]
        ids[rid] += 1
        if not 1 <= rid <= n or addresses[rid - 1] != c.chat_id:
            wrong_chat += 1
        if not links.verify(key, rid, c.chat_id, signature):
            bad_links += 1
    rounds = []
    previous_end: float | None = None
    for number, r in enumerate(drained.rounds, 1):
        inside = [c for c in seen.calls if r.started <= c.time <= r.ended]
        first = min((c.time for c in inside if c.status == 200), default=None)
        first_call = min((c.time for c in inside), default=None)
        rounds.append(RoundStats(number, r.virtual, r.claimed, r.messages, r.ended - r.started,
                                 None if first_call is None else first_call - r.started,
                                 None if first is None else first - r.started,
                                 sum(1 for c in inside if c.status == 429),
                                 0.0 if previous_end is None else r.started - previous_end))
        previous_end = r.ended
    return Result(
        reminders=n, chats=chats, waves=math.ceil(n / chats), setup=setup,
        seconds=seconds, delivered=len(ok), refused_429=sum(1 for c in seen.calls if c.status == 429),
        refused_overall=seen.refused_overall, refused_group=seen.refused_group,
        other_errors=sum(1 for c in seen.calls if c.status not in (200, 429)),
        duplicates=sum(k - 1 for k in ids.values() if k > 1),
        never_delivered=sum(1 for i in range(1, n + 1) if i not in ids),
        rows_not_sent=n - statuses.get("sent", 0), statuses=statuses, wrong_chat=wrong_chat, bad_links=bad_links,
        max_per_second=max_in_window(sorted(seen.accepted), OVERALL_WINDOW), rounds=rounds,
        retried=sum(r.retried for r in drained.rounds), failed=sum(r.failed for r in drained.rounds),
        stopped=drained.stopped, main_thread={})


def max_in_window(times: Sequence[float], seconds: float) -> int:
    """The most of ``times`` (sorted) in any half-open window ``(t - seconds, t]``."""
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- output -----------------------------------------------------------------------------------------------


def columns(header: Sequence[str], rows: Iterable[Sequence[str]], first: int, width: int) -> None:
    print(f"{header[0]:<{first}}" + "".join(f"{h:>{width}}" for h in header[1:]))
    for row in rows:
        print(f"{row[0]:<{first}}" + "".join(f"{c:>{width}}" for c in row[1:]))


def report(r: Result) -> None:
    def mark(good: bool) -> str:
        return "  ok" if good else "  MISSED"

    def opt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    print()
    columns(("round", "virtual", "claimed", "messages", "wall s", "1st call", "1st 200", "429s", "msg/s", "gap s"), [
        (str(s.number), f"{s.virtual:%H:%M}", f"{s.claimed:,}", f"{s.messages:,}", f"{s.seconds:.1f}",
         opt(s.first_call), opt(s.first_after), str(s.refused),
         f"{s.messages / s.seconds:.1f}" if s.seconds else "-", f"{s.gap_before:.2f}")
        for s in r.rounds], first=6, width=9)
    print("(1st call / 1st 200 = seconds from run_once to the round's first sendMessage / to the first one "
          "answered 200; gap s = between rounds)")
    print()
    print(f"{r.reminders:,} reminders to {r.chats:,} private chats in {r.waves} waves ({len(r.rounds)} dispatch "
          f"rounds)")
    print(f"setup: {r.setup}")
    before = sum(s.first_after or 0.0 for s in r.rounds) + sum(s.gap_before for s in r.rounds)
    rows = [
        ("messages delivered (sendMessage 200)", f"{r.delivered:,}", f"{r.reminders:,}",
         mark(r.delivered == r.reminders)),
        ("sending phase, wall seconds", f"{r.seconds:.1f}", "", ""),
        ("  of which before each round's 1st 200", f"{before:.1f}", "", ""),
        ("achieved messages/s (delivered / wall s)", f"{r.rate:.2f}", "", ""),
        ("  ratio to the 30/s ceiling", f"{r.ratio:.3f}", f">= {RATIO_TARGET:.2f}", mark(r.ratio >= RATIO_TARGET)),
        ("  most accepted in any 1 s window", str(r.max_per_second), f"<= {OVERALL_LIMIT}",
         mark(r.max_per_second <= OVERALL_LIMIT)),
        ("429s provoked", str(r.refused_429), "0", mark(r.refused_429 == 0)),
        ("  of which 30/s overall / 20/min group", f"{r.refused_overall} / {r.refused_group}", "", ""),
        ("duplicates (a reminder id delivered twice)", str(r.duplicates), "0", mark(r.duplicates == 0)),
        ("losses: reminders never delivered", str(r.never_delivered), "0", mark(r.never_delivered == 0)),
        ("losses: rows not 'sent'", str(r.rows_not_sent), "0", mark(r.rows_not_sent == 0)),
        ("to the wrong chat / bad links", f"{r.wrong_chat} / {r.bad_links}", "0 / 0",
         mark(not r.wrong_chat and not r.bad_links)),
        ("other sendMessage errors", str(r.other_errors), "0", mark(r.other_errors == 0)),
        ("dispatcher: retried / failed", f"{r.retried} / {r.failed}", "", ""),
    ]
    columns(("measure", "value", "target", ""), rows, first=44, width=12)
    print(f"rows by status: {r.statuses}" + (f"; {r.stopped}" if r.stopped else ""))
    ideal = max((r.reminders - OVERALL_LIMIT) / OVERALL_LIMIT, 0.0)  # a burst of 30, then 30/s
    print(f"(the fastest legal schedule for {r.reminders:,} messages takes {ideal:.1f} s: this run took "
          f"{r.seconds - ideal:.1f} s more)")
    print("main thread, synchronous steps of the dispatcher (each blocks the event loop):")
    for what, (calls, seconds) in sorted(r.main_thread.items(), key=lambda kv: -kv[1][1]):
        print(f"  {what:<50}{calls:>8,} calls{seconds:>8.2f} s{1000 * seconds / max(calls, 1):>8.2f} ms each")
    print("pauses while sending (a stall delays the requests behind it, which then reach the fake bunched):")
    for what, p in r.stalls.items():
        print(f"  {what:<50}{p.describe()}")
    misses = r.misses()
    print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))


def print_profile(prof: cProfile.Profile, limit: int = 25) -> None:
    entries = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tottime for (_, _, tottime, _, _) in entries.values())
    for label, index in (("tottime", 2), ("cumtime", 3)):
        ranked = sorted(((v[index], v[1], v[2], v[3], f"{'/'.join(Path(f).parts[-2:])}:{line}({name})")
                         for (f, line, name), v in entries.items()), reverse=True)
        print(f"-- cProfile of the main thread while sending, by {label} (profiled total {total:.2f} s, "
              "idle time in select included):")
        print(f"{'calls':>10}{'own s':>8}{'cum s':>8}  function")
        for _, calls, own, cum, name in ranked[:limit]:
            print(f"{calls:>10}{own:>8.2f}{cum:>8.2f}  {name}")


def parse_limiter(text: str) -> tuple[float, float]:
    rate, _, period = text.partition("/")
    try:
        value = float(rate), float(period or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"RATE/PERIOD, e.g. 1/0.0345, not {text!r}") from None
    if value[0] <= 0 or value[1] <= 0:
        raise argparse.ArgumentTypeError("RATE and PERIOD must be positive")
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reminders", type=int, default=10_000)
    ap.add_argument("--chats", type=int, default=2_000, help="private chats; also the batch size (one wave a round)")
    ap.add_argument("--seconds-limit", type=float, default=420, help="wall limit of the sending phase")
    ap.add_argument("--limiter", type=parse_limiter, default=None, metavar="RATE/PERIOD",
                    help="AIORateLimiter(overall_max_rate=RATE, overall_time_period=PERIOD) instead of the "
                    "notifier's own 30/1")
    ap.add_argument("--in-process", action="store_true", help="serve the fake from a thread of this process")
    ap.add_argument("--profile", action="store_true", help="cProfile of the main thread while sending")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    if args.reminders < 1 or args.chats < 1:
        ap.error("--reminders and --chats must be >= 1")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("service.dispatcher").setLevel(logging.ERROR)  # a warning per retried message
    waves = math.ceil(args.reminders / args.chats)
    print(f"== Telegram dispatch: {args.reminders:,} reminders to {args.chats:,} chats in {waves} waves "
          f"{WAVE_INTERVAL} apart (virtual); the fake enforces {OVERALL_LIMIT} per {OVERALL_WINDOW:g} s overall "
          f"and {GROUP_LIMIT} per {GROUP_WINDOW:g} s per group (429, retry_after 1)", flush=True)
    prof = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="telegram-bench-") as name:
        setup = Setup(args.limiter, args.in_process)
        result = run(Path(name), args.reminders, args.chats, args.seconds_limit, setup, prof)
    report(result)
    if prof is not None:
        print_profile(prof)
    return 1 if args.check and result.misses() else 0


if __name__ == "__main__":
    sys.exit(main())
