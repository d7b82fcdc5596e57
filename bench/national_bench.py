"""National scale: the seed duties over every prefecture, county and township of China.

    nice .venv/bin/python bench/national_bench.py [--scale 1.0] [--runs 3] [--check]

Generates the national tree of bench/national.py (42,908 units in 32 rules files) in a temp dir,
then measures, each against a baseline in the same run:

1. load + validate (``load_snapshot``: config, 32 files, every check), against the shipped rules
   (config.yaml, 131 units).
2. one year expanded (2024-04-01..2025-03-31, best of ``--runs``, the collector on as in the
   service), against the cheapest plain ``dateutil.rrule`` loop producing as many dates.
3. time per occurrence, against the shipped tree's for the same year (best of 20 runs).
4. peak memory of the service: a child process starts FeedService on the national rules, builds 50
   townships' feeds, then expands every occurrence of its feed range (the page's lists need them);
   its RSS at each step and its maximum (getrusage).
5. feeds on demand: the first request of a township's feed in the national tree against the
   first request of a township's feed in the shipped tree, each from a service just started.

Targets (issue 12): load + validate <= 10 s; expansion <= 2x the rrule loop; per occurrence
<= 1.2x the shipped tree's; peak <= 1.5 GB; first feed request <= 3x. ``--check`` exits 1 when
one is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.expand_bench import baseline_daily, baseline_yearly  # noqa: E402
from bench.national import write_national  # noqa: E402
from calendars.feeds import Selection  # noqa: E402
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402
from service.feeds import FeedService  # noqa: E402

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
SHIPPED = ROOT / "config.yaml"
TARGETS = {"load_s": 10.0, "expand_x": 2.0, "per_occurrence_x": 1.2, "peak_mib": 1536.0, "first_feed_x": 3.0}


def best(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def timed_load(config: Path) -> tuple[float, Snapshot]:
    gc.collect()
    start = time.perf_counter()
    snapshot = load_snapshot(config, 1, NOW)
    return time.perf_counter() - start, snapshot


def expand_year(snapshot: Snapshot) -> int:
    return len(snapshot.expander().expand(FIRST, LAST).occurrences)


def clean_baselines(count: int, runs: int) -> tuple[float, float]:
    """The rrule loops in a fresh child: here the loaded national rules would make every
    collection the loops set off slower, which is not the loops' cost."""
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); from bench.national_bench import baselines;"
            "print(json.dumps(baselines(int(sys.argv[2]), int(sys.argv[3]))))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), str(count), str(runs)], capture_output=True,
                          text=True, check=True, timeout=900)
    daily, yearly = json.loads(done.stdout.strip().splitlines()[-1])
    return daily, yearly


def baselines(count: int, runs: int) -> tuple[float, float]:
    daily, n_daily = best(lambda: baseline_daily(count), runs)
    yearly, n_yearly = best(lambda: baseline_yearly(count), runs)
    assert n_daily == n_yearly == count, (n_daily, n_yearly, count)
    return daily, yearly


def scratch_copy(config: Path, root: Path) -> Path:
    """``config`` and its rules copied to ``root``, so its relative SQLite store is a scratch one."""
    (root / "rules").mkdir(parents=True)
    for path in sorted((config.parent / "rules").glob("*.yaml")):
        shutil.copy(path, root / "rules" / path.name)
    shutil.copy(config, root / "config.yaml")
    return root / "config.yaml"


def child_peak(config: Path) -> dict[str, float]:
    """In a child process: load, expand the year, build a unit's feed; maximum RSS in MiB."""
    code = (
        "import sys, json, resource, datetime as dt; sys.path.insert(0, sys.argv[1]);"
        "from bench.national_bench import in_child; print(json.dumps(in_child(sys.argv[2])))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), str(config)], capture_output=True, text=True,
                          check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mib() -> tuple[float, float]:
    """(now, peak) resident set of this process in MiB."""
    now = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return now / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_child(config: str) -> dict[str, float]:
    """The service's share: FeedService on the national rules (a scratch SQLite store), 50 unit feeds
    built, then every occurrence of the feed range expanded (what the page's lists ask for)."""
    service = FeedService(Path(config), lambda: NOW)
    loaded, load_peak = _rss_mib()
    feeds = service.feeds
    for unit in sample_units(feeds.snapshot, 50):
        feeds.feed(Selection("unit", unit))
    served, _ = _rss_mib()
    occurrences = len(feeds.occurrences)
    held, peak = _rss_mib()
    service.close()
    return {"loaded_mib": loaded, "load_peak_mib": load_peak, "served_mib": served, "expanded_mib": held,
            "peak_mib": peak, "occurrences": occurrences}


def sample_units(snapshot: Snapshot, n: int, level: str = "township") -> list[str]:
    """``n`` units of ``level`` spread over the tree (every k-th), the same in every run."""
    units = [uid for uid, unit in snapshot.rules.units.items() if unit.level.value == level]
    return units[:: max(1, len(units) // n)][:n]


def first_requests(config: Path, n: int) -> tuple[float, float, int]:
    """Median and max seconds of the first request of ``n`` townships' feeds, each cold, from a service
    just started (a scratch store); and the median feed's events."""
    service = FeedService(config, lambda: NOW)
    try:
        feeds = service.feeds
        times, events = [], []
        for unit in sample_units(feeds.snapshot, n):
            gc.collect()
            start = time.perf_counter()
            feed = feeds.feed(Selection("unit", unit))
            times.append(time.perf_counter() - start)
            events.append(feed.events)
        assert feeds.builds == len(times)
    finally:
        service.close()
    return statistics.median(times), max(times), int(statistics.median(events))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="shrink every level (0.01 for a quick try)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="h12-national-") as tmp:
        config, files, per_level = write_national(Path(tmp), args.scale)
        levels = ", ".join(f"{k} {v:,}" for k, v in per_level.items())
        print(f"national tree: {sum(per_level.values()):,} units ({levels}) in {len(files)} files")

        load_s, snapshot = timed_load(config)
        shipped_load, shipped = timed_load(SHIPPED)
        results["load_s"] = load_s
        print(f"1. load + validate: national {load_s:.2f} s ({len(snapshot.rules.units):,} units, "
              f"{len(snapshot.rules.obligations)} duties); shipped {shipped_load:.3f} s "
              f"({len(shipped.rules.units)} units); target <= {TARGETS['load_s']:.0f} s")

        ours, occurrences = best(lambda: expand_year(snapshot), args.runs)
        daily, yearly = clean_baselines(occurrences, args.runs)
        base = min(daily, yearly)
        results["expand_x"] = ours / base
        print(f"2. expand {FIRST}..{LAST}: {occurrences:,} occurrences in {ours:.2f} s "
              f"({occurrences / ours:,.0f}/s); cheapest rrule loop, same count: {base:.2f} s "
              f"(DAILY {daily:.2f} s, YEARLY;BYMONTH;BYMONTHDAY {yearly:.2f} s) -> {results['expand_x']:.2f}x "
              f"(target <= {TARGETS['expand_x']}x)")

        small, small_n = best(lambda: expand_year(shipped), 20)
        per_big, per_small = ours / occurrences, small / small_n
        results["per_occurrence_x"] = per_big / per_small
        print(f"3. per occurrence: national {per_big * 1e6:.2f} µs, shipped tree {per_small * 1e6:.2f} µs "
              f"({small_n:,} occurrences in {small * 1000:.1f} ms) -> {results['per_occurrence_x']:.2f}x "
              f"(target <= {TARGETS['per_occurrence_x']}x)")

        peak = child_peak(config)
        results["peak_mib"] = peak["peak_mib"]
        print(f"4. memory of the service (child process, RSS): {peak['loaded_mib']:,.0f} MiB started (peak while "
              f"loading {peak['load_peak_mib']:,.0f}), {peak['served_mib']:,.0f} MiB after 50 townships' feeds, "
              f"{peak['expanded_mib']:,.0f} MiB holding all {peak['occurrences']:,.0f} occurrences of its feed range "
              f"(the page's lists); peak {peak['peak_mib']:,.0f} MiB (target <= {TARGETS['peak_mib']:,.0f} MiB)")

        with tempfile.TemporaryDirectory(prefix="h12-shipped-") as small_site:
            shipped_config = scratch_copy(SHIPPED, Path(small_site))
            big_med, big_max, big_events = first_requests(config, 20)
            small_med, small_max, small_events = first_requests(shipped_config, 20)
        results["first_feed_x"] = big_med / small_med
        print(f"5. first request of a township's feed (20 townships each, cold, median / max): national "
              f"{big_med * 1000:.1f} / {big_max * 1000:.1f} ms ({big_events} events); shipped tree "
              f"{small_med * 1000:.1f} / {small_max * 1000:.1f} ms ({small_events} events) -> "
              f"{results['first_feed_x']:.2f}x (target <= {TARGETS['first_feed_x']}x)")

    missed = [k for k, v in results.items() if v > TARGETS[k]]
    print("targets missed: " + (", ".join(missed) if missed else "none"))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
