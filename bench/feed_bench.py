"""Benchmark of feed building and feed serving, against plain icalendar and nginx.

    .venv/bin/python bench/feed_bench.py [--units 2000] [--seconds 10] [--connections 50]
                                         [--workers N] [--profile] [--skip-build] [--skip-serve] [--check]

1. Build: the duties of rules/000-bayingolin-2024.yaml (their schedules, effective dates and
   reminders as written) applied over the synthetic unit tree of bench/expand_bench.py: every unit
   id in applies_to/lead/participants is mapped to a synthetic unit of the same level (the i-th
   seed unit of a level to the i-th synthetic one), ``under: bz`` to the synthetic root, and level
   selectors stay level selectors, so the township duties reach every synthetic township.
   Times ``build_feed_set`` for one year on a scratch SQLite store (expansion + icalendar
   serialisation + version sync), then again on the same store after a reload (a new snapshot,
   every event already known), then one unit's feed (first call, uncached) and the all-feed.
   Baseline: plain icalendar serialising as many VEVENTs (uid, dtstart, dtend, summary).
   Peak memory is the process's maximum RSS (getrusage).
2. Serve: our server (FeedService + create_app(watch=False) in AccessLog, uvicorn with httptools
   and uvloop, log level warning, the access logger at WARNING) on the shipped config.yaml and
   rules/*.yaml copied into a temp site (scratch store, frozen clock), against nginx serving the
   same bytes of /feeds/unit/bz.korla.ics as a static file, and a bare ASGI app sending those
   bytes under the same uvicorn (the floor: uvicorn's own cost); wrk on 127.0.0.1 only, bounded by
   --seconds, with 1 worker process and with --workers (default: the CPUs; nginx 'auto').
   Target: ours >= 0.5 x nginx with the same number of worker processes (--check: exit 1 if not).
3. The app alone: in-process ASGI calls of that request (access logger at WARNING and at INFO);
   --profile adds their cProfile.
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
import os
import pstats
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import icalendar  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from starlette.types import ASGIApp, Message  # noqa: E402

from bench.asgi_factory import build_app  # noqa: E402
from bench.expand_bench import unit_tree  # noqa: E402
from bench.national import map_seed  # noqa: E402
from calendars.feeds import Feed, FeedSet, Selection, build_feed_set  # noqa: E402
from calendars.versions import Version  # noqa: E402
from scheduler.expand import Expander, Expansion  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from store import open_store  # noqa: E402
from store.event_versions import EventVersions  # noqa: E402
from tests.liveserver import free_port  # noqa: E402

SEED = ROOT / "rules" / "000-bayingolin-2024.yaml"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)  # the tests' frozen clock: 09:00 in Shanghai
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2025, 3, 31)  # one year, from the seed's effective date
FEED_PATH = "/feeds/unit/bz.korla.ics"
PUBLIC_URL = "http://duties.test"  # fixed, so every run serves the same bytes (make_site's default too)
NGINX = "/usr/sbin/nginx"
WRK = "/usr/bin/wrk"
TARGET_RATIO = 0.5  # issue 12: >= 0.5x nginx's requests/s; p99 <= 2x nginx's (the p99 columns)
Doc = dict[str, Any]


# -- 1. build --------------------------------------------------------------------------------------


def write_seed_synthetic(directory: Path, n_units: int) -> tuple[Path, dict[str, int], Counter[str]]:
    """The seed's duties over expand_bench's synthetic tree; (path, units per level, schedule kinds)."""
    units, ratio = unit_tree(n_units)
    seed: Doc = YAML(typ="safe").load(SEED.read_text(encoding="utf-8"))
    obligations = map_seed(units, seed, root=None)  # one file: a selector without under stays in it
    doc = {"version": seed["version"], "document": seed["document"], "units": units, "obligations": obligations}
    path = directory / "bench.yaml"
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(doc, fh)
    kinds = Counter(ob["schedule"]["type"] for ob in obligations)
    return path, ratio, kinds


def write_config(directory: Path, rules: Path) -> Path:
    config = directory / "config.yaml"
    config.write_text(f"timezone: Asia/Shanghai\nrules: [{rules.name}]\ndatabase_url: sqlite:///store.db\n"
                      "calendar: {beyond_dataset: weekends_only}\n", encoding="utf-8")
    return config


@dataclasses.dataclass(frozen=True)
class TimedSnapshot(Snapshot):
    """A snapshot whose expander records how long ``expand`` took (in ``timings['expand']``)."""

    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot) -> TimedSnapshot:
        return cls(**{f.name: getattr(snapshot, f.name) for f in dataclasses.fields(Snapshot)})

    def expander(self) -> Expander:
        inner = super().expander()
        expand, timings = inner.expand, self.timings

        def timed(first: dt.date, last: dt.date) -> Expansion:
            start = time.perf_counter()
            out = expand(first, last)
            timings["expand"] = time.perf_counter() - start
            return out

        inner.expand = timed  # type: ignore[method-assign]
        return inner


@dataclasses.dataclass
class Build:
    feeds: FeedSet
    load: float
    total: float
    expand: float
    sync: float


def timed_build(config: Path, version: int, versions: EventVersions, now: dt.datetime) -> Build:
    gc.collect()
    start = time.perf_counter()
    snapshot = TimedSnapshot.of(load_snapshot(config, version, now))
    load = time.perf_counter() - start
    sync_s = 0.0

    def sync(hashes: Mapping[str, str], at: dt.datetime) -> Mapping[str, Version]:
        nonlocal sync_s
        begin = time.perf_counter()
        out = versions.sync(hashes, at)
        sync_s += time.perf_counter() - begin
        return out

    start = time.perf_counter()
    feeds = build_feed_set(snapshot, FIRST, LAST, versions=sync, now=now, base_url=PUBLIC_URL,
                           lang="zh-CN", refresh=dt.timedelta(hours=1))
    total = time.perf_counter() - start
    return Build(feeds, load, total, snapshot.timings["expand"], sync_s)


def timed_feed(feeds: FeedSet, selection: Selection) -> tuple[Feed, float]:
    start = time.perf_counter()
    feed = feeds.feed(selection)
    return feed, time.perf_counter() - start


def baseline_icalendar(n: int) -> float:
    """Seconds for plain icalendar to build and serialise ``n`` all-day VEVENTs."""
    gc.collect()
    one_day = dt.timedelta(days=1)
    start = time.perf_counter()
    for i in range(n):
        event = icalendar.Event()
        day = FIRST + dt.timedelta(days=i % 365)
        event.add("uid", f"bench-{i}@obligation-calendar")
        event.add("dtstart", day)
        event.add("dtend", day + one_day)
        event.add("summary", f"测试义务 {i % 92}")
        event.to_ical()
    return time.perf_counter() - start


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclasses.dataclass(frozen=True)
class BuildStats:
    load: float
    total: float
    expand: float
    sync: float
    events: int

    @property
    def serialise(self) -> float:
        """icalendar events, alarms, hashing and the history lines: the build less expansion and sync."""
        return self.total - self.expand - self.sync


def stats(build: Build) -> BuildStats:
    return BuildStats(build.load, build.total, build.expand, build.sync, len(build.feeds.events))


def bench_build(n_units: int) -> None:
    print(f"== 1. feed build: the duties of {SEED.name} over {n_units} synthetic units, {FIRST} to {LAST}")
    rss_start = max_rss_mib()
    with tempfile.TemporaryDirectory(prefix="feed-bench-build-") as tmp:
        rules_path, ratio, kinds = write_seed_synthetic(Path(tmp), n_units)
        config = write_config(Path(tmp), rules_path)
        store = open_store(f"sqlite:///{tmp}/store.db")
        try:
            versions = EventVersions(store)
            build = timed_build(config, 1, versions, NOW)
            rules = build.feeds.snapshot.rules
            print(f"units: {len(rules.units)} ({', '.join(f'{k} {v}' for k, v in ratio.items())}); "
                  f"duties: {len(rules.obligations)} (schedules: "
                  f"{', '.join(f'{k} {v}' for k, v in kinds.most_common())})")
            first = stats(build)
            del build, rules  # the service holds one set at a time (and the one being built)
            rss_built = max_rss_mib()
            build = timed_build(config, 2, versions, NOW + dt.timedelta(hours=1))
            second, feeds = stats(build), build.feeds
            del build
            county = next(u for u in feeds.snapshot.rules.units if u.startswith("p.c"))
            township = next(u for u in feeds.snapshot.rules.units if ".t" in u)
            picked = [(f"unit {county} (1st call, builds the index)", Selection("unit", county)),
                      (f"unit {township} (1st call)", Selection("unit", township)),
                      ("all (1st call)", Selection("all"))]
            assembled = [(label, *timed_feed(feeds, selection)) for label, selection in picked]
            _, cached = timed_feed(feeds, Selection("unit", county))
            rss_end = max_rss_mib()
            del feeds
        finally:
            store.close()
    base = baseline_icalendar(first.events)

    print(f"VEVENTs: {first.events:,} (2nd build {second.events:,})")
    print()
    header = ("build_feed_set", "load s", "total s", "expand s", "ical s", "sync s", "events/s", "vs base")
    print(f"{header[0]:<32}" + "".join(f"{h:>10}" for h in header[1:]))
    for label, b in (("1st, empty store", first), ("2nd, after reload (store warm)", second)):
        cells = (f"{b.load:.2f}", f"{b.total:.2f}", f"{b.expand:.2f}", f"{b.serialise:.2f}", f"{b.sync:.2f}",
                 f"{b.events / b.total:,.0f}", f"{b.total / base:.2f}x")
        print(f"{label:<32}" + "".join(f"{c:>10}" for c in cells))
    print(f"{'baseline: plain icalendar':<32}{'':>10}{base:>10.2f}{'':>30}{first.events / base:>10,.0f}{'1.00x':>10}")
    print("(load = load_snapshot, not part of build_feed_set; ical = build less expand less sync: events, alarms,"
          " hashes, history lines; baseline = Event() with uid/dtstart/dtend/summary + to_ical, same count)")
    print()
    for label, feed, secs in assembled:
        print(f"feed {label}: {secs * 1000:,.1f} ms; {len(feed.body):,} bytes "
              f"({len(feed.gzipped):,} gzipped); {feed.events:,} events")
    print(f"feed unit {county} again (cached): {cached * 1e6:.1f} µs")
    print(f"peak memory (max RSS): {rss_start:.0f} MiB before, {rss_built:.0f} MiB after the 1st build, "
          f"{rss_end:.0f} MiB after the 2nd build and the feeds")
    print()


# -- 2. serve --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    transfer_per_s: str


_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _search(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk output has no {pattern!r}:\n{text}")
    return match


def parse_wrk(out: str) -> WrkResult:
    def latency(percent: int) -> float:
        m = _search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out)
        return float(m.group(1)) * _TO_MS[m.group(2)]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests_per_s=float(_search(r"^Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=latency(50), p99_ms=latency(99),
        requests=int(_search(r"(\d+) requests in", out).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
        transfer_per_s=_search(r"^Transfer/sec:\s+(\S+)", out).group(1),
    )


def _loopback(url: str) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"refusing to send traffic to {url}: loopback only")
    return url


def run_wrk(url: str, seconds: int, connections: int) -> WrkResult:
    threads = max(1, min(2, connections))
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", _loopback(url)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def fetch(url: str, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(_loopback(url), headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return int(response.status), response.read()


@contextlib.contextmanager
def started(cmd: list[str], log: Path, *, env: Mapping[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` in its own process group; on exit stop that group (TERM, then KILL after 20 s)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # workers left behind by the parent, if any
            os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str, log: Path,
               timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError):
            if ready():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f} s; see {log}")
        time.sleep(0.05)


def shipped_site(root: Path) -> Path:
    """The shipped config.yaml and rules/*.yaml copied to ``root``: its relative SQLite store is scratch."""
    (root / "rules").mkdir(parents=True)
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        shutil.copy(path, root / "rules" / path.name)
    shutil.copy(ROOT / "config.yaml", root / "config.yaml")
    return root / "config.yaml"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    pgid: int  # the process group started for it: its master and workers


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the live processes of group ``pgid``, from /proc/PID/stat."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def uvicorn_server(factory: str, workers: int, tmp: Path, env: Mapping[str, str]) -> Iterator[Server]:
    """``bench.asgi_factory:<factory>`` under uvicorn (httptools, uvloop, log level warning) on a free port."""
    port = free_port()
    name = f"{factory}-{workers}"
    ready = tmp / f"ready-{name}"
    ready.mkdir()
    log = tmp / f"uvicorn-{name}.log"
    cmd = [sys.executable, "-m", "uvicorn", f"bench.asgi_factory:{factory}", "--factory", "--app-dir", str(ROOT),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
           "--http", "httptools", "--log-level", "warning", "--no-access-log", "--lifespan", "on"]
    url = f"http://127.0.0.1:{port}"
    with started(cmd, log, env={**os.environ, **env, "BENCH_READY_DIR": str(ready)}) as proc:
        wait_ready(proc, lambda: len(list(ready.iterdir())) >= workers and fetch(url + FEED_PATH)[0] == 200,
                   f"uvicorn {name}", log)
        yield Server(url, proc.pid)


def our_server(config: Path, workers: int, tmp: Path) -> contextlib.AbstractContextManager[Server]:
    env = {"BENCH_CONFIG": str(config), "BENCH_NOW": NOW.isoformat(), "BENCH_PUBLIC_URL": PUBLIC_URL}
    return uvicorn_server("create", workers, tmp, env)


NGINX_CONF = """worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ text/calendar ics; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/calendar;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


@contextlib.contextmanager
def nginx_server(docroot: Path, workers: str, tmp: Path) -> Iterator[Server]:
    port = free_port()
    prefix = tmp / f"nginx-{workers}"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, prefix=prefix, port=port, root=docroot), encoding="utf-8")
    log = prefix / "stderr.log"
    url = f"http://127.0.0.1:{port}"
    cmd = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    with started(cmd, log) as proc:
        wait_ready(proc, lambda: fetch(url + FEED_PATH)[0] == 200, f"nginx (worker_processes {workers})", log,
                   timeout=30)
        yield Server(url, proc.pid)


@dataclasses.dataclass(frozen=True)
class Row:
    server: str
    workers: int
    result: WrkResult
    cpu_per_request: float  # seconds of the server's CPU


def measure(server: Server, body: bytes, seconds: int, connections: int) -> tuple[WrkResult, float]:
    """wrk's result, and the server's CPU time (every process of its group: user + system) per request."""
    url = server.url + FEED_PATH
    status, got = fetch(url)
    if status != 200 or got != body:
        raise RuntimeError(f"{url} does not serve the reference bytes ({status}, {len(got)} bytes)")
    run_wrk(url, min(2, seconds), connections)  # warm-up, not counted
    cpu = group_cpu_seconds(server.pgid)
    result = run_wrk(url, seconds, connections)
    return result, (group_cpu_seconds(server.pgid) - cpu) / max(1, result.requests)


def bench_serve(seconds: int, connections: int, multi: int) -> list[tuple[Row, Row | None]]:
    """Every run; returns (ours, nginx with the same worker count or None) pairs."""
    print(f"== 2. serving {FEED_PATH}: shipped config.yaml + rules/*.yaml, frozen clock {NOW.isoformat()}, "
          f"scratch store; wrk -t2 -c{connections} -d{seconds}s --latency on 127.0.0.1 (identity encoding), "
          f"each after a {min(2, seconds)} s warm-up")
    counts = (1, multi) if multi > 1 else (1,)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="feed-bench-serve-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx workers run as nobody when started by root
        config = shipped_site(tmp / "site")
        docroot = tmp / "www"
        target = docroot / FEED_PATH.lstrip("/")
        body = b""
        for workers in counts:
            with our_server(config, workers, tmp) as server:
                if not body:
                    status, body = fetch(server.url + FEED_PATH)
                    if status != 200:
                        raise RuntimeError(f"{FEED_PATH}: status {status}")
                    target.parent.mkdir(parents=True)
                    target.write_bytes(body)
                    for path in (docroot, *docroot.rglob("*")):
                        path.chmod(0o755 if path.is_dir() else 0o644)
                    print(f"feed: {len(body):,} bytes, {body.count(b'BEGIN:VEVENT'):,} events")
                rows.append(Row("ours", workers, *measure(server, body, seconds, connections)))
        for workers in counts:
            with uvicorn_server("raw", workers, tmp, {"BENCH_RAW_BODY": str(target)}) as server:
                rows.append(Row("raw ASGI floor", workers, *measure(server, body, seconds, connections)))
        for workers in counts:
            with nginx_server(docroot, "1" if workers == 1 else "auto", tmp) as server:
                rows.append(Row("nginx", workers, *measure(server, body, seconds, connections)))

    def nginx_with(workers: int) -> Row | None:
        return next((r for r in rows if r.server == "nginx" and r.workers == workers), None)

    print()
    header = ("server", "workers", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "transfer/s", "errors", "vs nginx")
    print(f"{header[0]:<16}" + "".join(f"{h:>11}" for h in header[1:]))
    for row in sorted(rows, key=lambda r: (r.workers, r.server != "ours", r.server)):
        r, ref = row.result, nginx_with(row.workers)
        ratio = f"{r.requests_per_s / ref.result.requests_per_s:.2f}x" if ref and ref is not row else ""
        workers = str(row.workers) if row.server != "nginx" or row.workers == 1 else f"auto={row.workers}"
        cells = (workers, f"{r.requests_per_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
                 f"{row.cpu_per_request * 1e6:.0f}", r.transfer_per_s,
                 str(r.non_2xx + r.socket_errors), ratio)
        print(f"{row.server:<16}" + "".join(f"{c:>11}" for c in cells))
    print(f"ours = FeedService + create_app(watch=False) in AccessLog under uvicorn (httptools, uvloop); "
          f"target: ours >= {TARGET_RATIO}x nginx with the same worker processes")
    print("CPU µs/req = user + system time of the server's processes during the run / requests (wrk excluded)")
    print("raw ASGI floor = uvicorn with a bare ASGI app sending the same bytes (bench/asgi_factory.py:raw): "
          "uvicorn's own cost, no Starlette")
    print(f"nginx = static file, sendfile on, access_log off, keepalive_requests 1000000; 'auto' = "
          f"{multi} workers here. wrk's 2 threads share the machine's {os.cpu_count()} cores with the server.")
    print("access log: the calendars.access logger is at WARNING, so AccessLog's per-request INFO line is dropped "
          "by a level check; `main.py serve` logs it at INFO (see the in-process numbers below)")
    print()
    return [(row, nginx_with(row.workers)) for row in rows if row.server == "ours"]


# -- in-process ASGI calls -------------------------------------------------------------------------


def asgi_loop(app: ASGIApp, path: str, n: int) -> float:
    """Seconds for ``n`` GET ``path`` calls of ``app`` in one event loop, no HTTP or sockets."""
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080), "state": {},
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"status {message['status']}")

    async def run() -> float:
        start = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), receive, send)
        return time.perf_counter() - start

    return asyncio.run(run())


def print_profile(prof: cProfile.Profile, n: int, key: str, limit: int = 22) -> None:
    """The top functions by ``key`` ("tottime" or "cumtime"), in µs per request."""
    entries = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_, calls, tottime, cumtime, _) in entries.items():
        where = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        rows.append((tottime if key == "tottime" else cumtime, calls, tottime, cumtime, f"{where}:{line}({func})"))
    rows.sort(reverse=True)
    print(f"-- cProfile of {n} in-process requests, by {key} (µs per request, with profiler overhead):")
    print(f"{'calls/req':>10}{'own µs':>9}{'cum µs':>9}  function")
    for _, calls, tottime, cumtime, name in rows[:limit]:
        print(f"{calls / n:>10.1f}{tottime / n * 1e6:>9.1f}{cumtime / n * 1e6:>9.1f}  {name}")


def bench_inprocess(profile: bool, n: int = 5000) -> None:
    print(f"== in-process ASGI calls of GET {FEED_PATH} (the app alone: no HTTP parsing, no sockets)")
    access = logging.getLogger("calendars.access")
    with tempfile.TemporaryDirectory(prefix="feed-bench-asgi-") as name:
        app, service = build_app(shipped_site(Path(name) / "site"), NOW, PUBLIC_URL)
        try:
            asgi_loop(app, FEED_PATH, 500)
            secs = asgi_loop(app, FEED_PATH, n)
            print(f"access logger at WARNING (as served above): {secs / n * 1e6:.1f} µs/request")
            with open(os.devnull, "w", encoding="utf-8") as devnull:
                handler = logging.StreamHandler(devnull)
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
                access.addHandler(handler)
                access.setLevel(logging.INFO)
                try:
                    secs = asgi_loop(app, FEED_PATH, n)
                finally:
                    access.removeHandler(handler)
                    access.setLevel(logging.WARNING)
            print(f"access logger at INFO, `serve`'s format, to /dev/null: {secs / n * 1e6:.1f} µs/request")
            if profile:
                prof = cProfile.Profile()
                prof.enable()
                asgi_loop(app, FEED_PATH, n)
                prof.disable()
                print_profile(prof, n, "tottime")
                print_profile(prof, n, "cumtime", limit=14)
        finally:
            service.close()
    print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=10, help="each wrk run (after a 2 s warm-up)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="worker processes of the second run of each server (nginx: auto); 1 = one run only")
    ap.add_argument("--profile", action="store_true", help="cProfile of in-process ASGI calls")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--skip-serve", action="store_true")
    ap.add_argument("--check", action="store_true", help=f"exit 1 when ours < {TARGET_RATIO} x nginx")
    args = ap.parse_args(argv)
    if args.seconds < 1 or args.seconds > 300 or args.connections < 1:
        ap.error("--seconds must be 1..300 and --connections >= 1")

    if not args.skip_build:
        bench_build(args.units)
    verdicts, missed = [], False
    if not args.skip_serve:
        for ours, ref in bench_serve(args.seconds, args.connections, max(1, args.workers)):
            if ref is not None:
                ratio = ours.result.requests_per_s / ref.result.requests_per_s
                missed |= ratio < TARGET_RATIO
                verdicts.append(f"{ours.workers} worker(s) {ratio:.3f}x {'ok' if ratio >= TARGET_RATIO else 'MISSED'}")
    bench_inprocess(args.profile)
    if verdicts:
        print(f"serving target ours >= {TARGET_RATIO} x nginx: {'; '.join(verdicts)}")
    if args.check and missed:
        print("FAIL: serving ratio target missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
