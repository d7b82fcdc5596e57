"""Benchmark of rule expansion against plain dateutil.

    .venv/bin/python bench/expand_bench.py [--units N] [--obligations M] [--year Y] [--check]

1. Writes a synthetic rules YAML (a unit tree of N units, M obligations of every real
   schedule kind) to a temp dir, loads it with ``load_rules`` and times the load.
2. Times ``Expander(...).expand(Jan 1, Dec 31)`` for one year: best of 3, a fresh Expander
   each run on one shared calendar (its year table is cold on run 1 only), then the peak
   memory of a separate run under tracemalloc.
3. Baseline: the cheapest plain dateutil loop producing the same number of dates.
4. Times load + expand of the shipped rules (config.yaml) for 30 days and for 2025.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dateutil.rrule import DAILY, YEARLY, rrule  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from obligations.loader import load_config, load_rules  # noqa: E402
from obligations.ruleset import RuleSet  # noqa: E402
from scheduler.expand import Expander  # noqa: E402
from scheduler.workdays import WorkdayCalendar, calendar_from_config  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
RUNS = 3
TARGET_RATIO = 3.0
TARGET_SHIPPED_S = 1.0
COUNTY_SHARE = 0.09
DEPARTMENT_SHARE = 0.02

# Obligation mix per 40 duties (weights), interleaved so any prefix keeps the proportions.
MIX: dict[str, int] = {
    "quota_week_township": 2,
    "quota_month_county": 4,
    "quota_quarter_prefecture": 3,
    "quota_two_months_county": 2,
    "quota_year2_township": 3,
    "yearly_deadline_previous": 4,
    "window_quarter_department": 4,
    "once": 2,
    "rrule_monthly15_next": 4,
    "unscheduled": 12,
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
Doc = dict[str, Any]


def best_of(fn: Callable[[], int], runs: int = RUNS) -> tuple[float, list[float], int]:
    """Run ``fn`` ``runs`` times; the best time, every time, and the last result."""
    times: list[float] = []
    result = 0
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), times, result


# -- synthetic rules ---------------------------------------------------------------------------


def unit_tree(n: int) -> tuple[list[Doc], dict[str, int]]:
    counties = max(1, round(n * COUNTY_SHARE))
    departments = max(1, round(n * DEPARTMENT_SHARE))
    townships = max(1, n - 1 - counties - departments)
    units: list[Doc] = [{"id": "p", "name": "测试州人民政府", "level": "prefecture"}]
    units += [{"id": f"p.d{i:03d}", "name": f"州第{i}局", "level": "department", "parent": "p"}
              for i in range(departments)]
    units += [{"id": f"p.c{i:03d}", "name": f"第{i}县人民政府", "level": "county", "parent": "p"}
              for i in range(counties)]
    units += [{"id": f"p.c{i % counties:03d}.t{i:04d}", "name": f"第{i}镇人民政府", "level": "township",
               "parent": f"p.c{i % counties:03d}"} for i in range(townships)]
    ratio = {"prefecture": 1, "county": counties, "township": townships, "department": departments}
    return units, ratio


def kinds_sequence() -> list[str]:
    slots = [((j + 0.5) / w, kind) for kind, w in MIX.items() for j in range(w)]
    return [kind for _, kind in sorted(slots)]


def schedule_for(kind: str, i: int, year: int) -> tuple[Doc, Doc | None]:
    """(schedule, applies_to) of the ``i``-th duty of ``kind``."""
    sel: Callable[[str], Doc] = lambda level: {"level": level}  # noqa: E731
    time_ = {"start": "09:00", "end": "11:30"}
    if kind == "quota_week_township":
        return {"type": "quota", "count": 1, "per": "week", "place": {"weekday": WEEKDAYS[i % 5]}}, sel("township")
    if kind == "quota_month_county":
        sched: Doc = {"type": "quota", "count": 1 + i % 2, "per": "month", "place": {"nth_working_day": 1 + i % 5}}
        if i % 2:
            sched["time"] = time_
        return sched, sel("county")
    if kind == "quota_quarter_prefecture":
        return ({"type": "quota", "count": 1, "per": "quarter", "place": {"month": 1 + i % 3, "day": 10}},
                sel("prefecture"))
    if kind == "quota_two_months_county":
        return {"type": "quota", "count": 1, "per": "two_months"}, sel("county")
    if kind == "quota_year2_township":
        return {"type": "quota", "count": 2, "per": "year", "unit": "day"}, sel("township")
    if kind == "yearly_deadline_previous":
        month, day = [(3, 1), (4, 30), (10, 1), (1, 31), (6, 30)][i % 5]
        return ({"type": "yearly_deadline", "month": month, "day": day, "holiday_policy": "previous"},
                [sel("county"), "p"])
    if kind == "window_quarter_department":
        window: Doc = {"type": "window", "period": "quarter", "holiday_policy": "next"}
        if i % 2:
            window["index"] = 1 + i % 4
        return window, sel("department")
    if kind == "once":
        return ({"type": "once", "date": dt.date(year, 1 + i % 12, 1 + i % 28).isoformat(),
                 "holiday_policy": "next"}, ["p"])
    if kind == "rrule_monthly15_next":
        return ({"type": "rrule", "rrule": "FREQ=MONTHLY;BYMONTHDAY=15", "start": f"{year - 1}-01-15",
                 "holiday_policy": "next", "time": time_}, sel("county"))
    return {"type": "unscheduled", "reason": "定期"}, sel("county") if i % 2 else None


def write_synthetic(directory: Path, n_units: int, n_obligations: int, year: int) -> tuple[Path, dict[str, int]]:
    units, ratio = unit_tree(n_units)
    kinds = kinds_sequence()
    obligations: list[Doc] = []
    seen: dict[str, int] = {}
    for i in range(n_obligations):
        kind = kinds[i % len(kinds)]
        seen[kind] = seen.get(kind, 0) + 1
        schedule, applies_to = schedule_for(kind, seen[kind] - 1, year)
        ob: Doc = {"id": f"ob{i:04d}", "title": f"测试义务 {i}", "source": {"quote": "测试原文"},
                   "schedule": schedule}
        if applies_to is not None:
            ob["applies_to"] = applies_to
        obligations.append(ob)
    doc = {"version": 1, "document": {"id": "bench", "title": "基准测试工作要点", "date": f"{year - 1}-12-01"},
           "units": units, "obligations": obligations}
    path = directory / "bench.yaml"
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(doc, fh)
    return path, ratio


# -- measurements ------------------------------------------------------------------------------


def expand_count(rules: RuleSet, cal: WorkdayCalendar, first: dt.date, last: dt.date) -> int:
    return len(Expander(rules, cal, TZ).expand(first, last).occurrences)


def peak_mib(rules: RuleSet, first: dt.date, last: dt.date) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        expand_count(rules, WorkdayCalendar(weekends_only_beyond_dataset=True), first, last)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _chunks(total: int, size: int = 1_000_000) -> list[int]:
    return [min(size, total - k) for k in range(0, total, size)]


def baseline_daily(k: int) -> int:
    """One DAILY rule per chunk of at most a million dates (stays below year 9999)."""
    start = dt.datetime(2025, 1, 1)
    return sum(len(list(rrule(DAILY, dtstart=start, count=c))) for c in _chunks(k))


def baseline_yearly(k: int) -> int:
    """YEARLY with every month and month day: dateutil builds a whole year's set per step."""
    start = dt.datetime(2025, 1, 1)
    months, days = list(range(1, 13)), list(range(1, 32))
    return sum(len(list(rrule(YEARLY, dtstart=start, bymonth=months, bymonthday=days, count=c)))
               for c in _chunks(k))


def shipped() -> list[tuple[str, float, float, int]]:
    """(label, load s, expand s, occurrences) for the shipped rules, each from a cold start."""
    out = []
    for label, first, last in (("30 days from 2025-03-01", dt.date(2025, 3, 1), dt.date(2025, 3, 30)),
                               ("year 2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31))):
        start = time.perf_counter()
        config = load_config(ROOT / "config.yaml")
        rules = load_rules(config.rules_paths())
        cal = calendar_from_config(config.config.calendar)
        loaded = time.perf_counter()
        count = expand_count(rules, cal, first, last)
        out.append((label, loaded - start, time.perf_counter() - loaded, count))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--obligations", type=int, default=200)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--check", action="store_true", help=f"exit 1 when ours/baseline > {TARGET_RATIO}")
    args = ap.parse_args(argv)
    first, last = dt.date(args.year, 1, 1), dt.date(args.year, 12, 31)

    with tempfile.TemporaryDirectory() as tmp:
        path, ratio = write_synthetic(Path(tmp), args.units, args.obligations, args.year)
        start = time.perf_counter()
        rules = load_rules([path])
        load_s = time.perf_counter() - start
    print(f"units: {len(rules.units)} ({', '.join(f'{k} {v}' for k, v in ratio.items())}); "
          f"obligations: {len(rules.obligations)} (mix per 40: "
          f"{', '.join(f'{k} {v}' for k, v in MIX.items())})")
    print(f"load_rules: {load_s:.3f} s")

    cal = WorkdayCalendar(weekends_only_beyond_dataset=True)  # shared: its year table is cold on run 1 only
    ours, our_times, occurrences = best_of(lambda: expand_count(rules, cal, first, last))
    peak = peak_mib(rules, first, last)
    daily, daily_times, n_daily = best_of(lambda: baseline_daily(occurrences))
    yearly, yearly_times, n_yearly = best_of(lambda: baseline_yearly(occurrences))
    assert n_daily == n_yearly == occurrences, (n_daily, n_yearly, occurrences)
    base = min(daily, yearly)
    base_name = "DAILY" if daily <= yearly else "YEARLY;BYMONTH;BYMONTHDAY"
    ratio_x = ours / base if base else float("inf")

    def runs(ts: list[float]) -> str:
        return " / ".join(f"{t:.3f}" for t in ts)

    print(f"expand {args.year} runs (s): {runs(our_times)}  (run 1 cold calendar)")
    print(f"baseline DAILY runs (s): {runs(daily_times)}; YEARLY;BYMONTH;BYMONTHDAY runs (s): {runs(yearly_times)}")
    print()
    header = ("occurrences", "seconds", "occ/s", "peak MiB", "baseline s", "ratio")
    print("  ".join(f"{h:>12}" for h in header))
    row = (f"{occurrences:,}", f"{ours:.3f}", f"{occurrences / ours:,.0f}", f"{peak:.1f}", f"{base:.3f}",
           f"{ratio_x:.2f}x")
    print("  ".join(f"{c:>12}" for c in row))
    print(f"(baseline = cheapest dateutil loop: {base_name}; target ratio <= {TARGET_RATIO}x)")
    print()
    for label, load, expand_s, count in shipped():
        total = load + expand_s
        verdict = "ok" if total < TARGET_SHIPPED_S else "OVER"
        print(f"shipped rules, {label}: load {load:.3f} s + expand {expand_s:.3f} s = {total:.3f} s "
              f"({count} occurrences; target < {TARGET_SHIPPED_S} s: {verdict})")

    if args.check and ratio_x > TARGET_RATIO:
        print(f"FAIL: expansion is {ratio_x:.2f}x the dateutil baseline (target <= {TARGET_RATIO}x)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
