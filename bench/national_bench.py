"""National scale: the seed duties over every prefecture, county and township of China.

    nice .venv/bin/python bench/national_bench.py [--scale 1.0] [--runs 3] [--check]

Generates the national tree of bench/national.py (42,908 units in 32 rules files) in a temp dir,
then measures, each against a baseline in the same run:

1. load + validate (``load_snapshot``: config, 32 files, every check), against the shipped rules
   (config.yaml, 131 units).
2. one year expanded (2024-04-01..2025-03-31, best of ``--runs``, the collector on as in the
   service), against the cheapest plain ``dateutil.rrule`` loop producing as many dates.
3. time per occurrence, against the shipped tree's for the same year (best of 20 runs).
4. peak memory: a child process loads and expands the national year and builds one unit's feed
   the way the service does; its maximum RSS (getrusage).
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
from scheduler.snapshot import Snapshot, load_snapshot  # noqa: E402

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
    snapshot = load_snapshot(Path(config), 1, NOW)
    loaded, load_peak = _rss_mib()
    expansion = snapshot.expander().expand(FIRST, LAST)
    held, peak = _rss_mib()
    return {"loaded_mib": loaded, "load_peak_mib": load_peak, "expanded_mib": held, "peak_mib": peak,
            "occurrences": len(expansion.occurrences)}


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
        print(f"4. memory (child process, RSS): {peak['loaded_mib']:,.0f} MiB with the rules loaded (peak while "
              f"loading {peak['load_peak_mib']:,.0f}), {peak['expanded_mib']:,.0f} MiB holding the year's "
              f"{peak['occurrences']:,.0f} occurrences; peak {peak['peak_mib']:,.0f} MiB "
              f"(target <= {TARGETS['peak_mib']:,.0f} MiB)")

    missed = [k for k, v in results.items() if v > TARGETS[k]]
    print("targets missed: " + (", ".join(missed) if missed else "none"))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
