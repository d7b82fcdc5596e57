#!/usr/bin/env python3
"""Precision and recall of ``extract``: on the labelled dev and held-out sets, and on the seeds.

    .venv/bin/python scripts/extract_eval.py               # every table (docs/extract.md reports them)
    .venv/bin/python scripts/extract_eval.py -v            # also every miss, wrong schedule and extra draft
    .venv/bin/python scripts/extract_eval.py --sets dev    # only the dev set (while tuning: never held-out)

The sets are tests/data/extract/dev and tests/data/extract/heldout (extract.scoring: strict recall,
the schedule right; loose recall, the duty found; precision of the scheduled drafts; past
statements scheduled).

The labels are tests/data/labels/<seed>.yaml (what counts as a duty: docs/extract.md).
A second table compares the extractor with the hand-encoded rules/NNN-*.yaml files: how
many of their dated obligations (every type but unscheduled) an extracted duty quotes
with the same schedule. Those files were written by another hand with other readings
(年度 as a yearly window, a plan's undated tasks as due at its year's end), so the
second table shows where the two readings part, not an error rate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.duties import extract  # noqa: E402
from extract.evaluate import Score, evaluate, overall  # noqa: E402
from extract.schedule import schedule_key, schedule_words  # noqa: E402
from extract.scoring import SetScore, score_set, total  # noqa: E402
from extract.text import read_document  # noqa: E402
from obligations.loader import load_rules  # noqa: E402

SEEDS = ROOT / "tests" / "data" / "seeds"
LABELS = ROOT / "tests" / "data" / "labels"
SETS = ROOT / "tests" / "data" / "extract"


def _set_row(s: SetScore) -> str:
    return (f"| {s.name:24} | {s.duties:6} | {s.past:4} | {s.drafted:7} | {s.strict_recall:13.3f} | "
            f"{s.loose_recall:12.3f} | {s.precision:9.3f} | {s.strict_precision:16.3f} | {s.past_scheduled:14} |")


def set_table(name: str, verbose: bool) -> SetScore:
    scores = score_set(SETS / name)
    print(f"\n{name} set:\n")
    print("| document                 | duties | past | drafted | strict recall | loose recall | precision "
          "| strict precision | past scheduled |")
    print("|--------------------------|-------:|-----:|--------:|--------------:|-------------:|----------:"
          "|-----------------:|---------------:|")
    whole = total(f"{name} (all)", scores)
    for s in [*scores, whole]:
        print(_set_row(s))
    if verbose:
        for line in whole.missed + whole.wrong + whole.extra:
            print(f"  {line}")
    return whole


def _row(score: Score) -> str:
    return (f"| {score.name:22} | {score.labels:6} | {score.extracted:7} | {score.matched:5} | "
            f"{score.precision:9.3f} | {score.recall:6.3f} |")


def label_table(verbose: bool) -> list[Score]:
    scores = evaluate(SEEDS, LABELS)
    print("| document               | labels | drafted | found | precision | recall |")
    print("|------------------------|-------:|--------:|------:|----------:|-------:|")
    for s in [*scores, overall(scores)]:
        print(_row(s))
    if verbose:
        for s in scores:
            for label in s.missed:
                print(f"  {s.name} missed {label.clause} {label.key}: {label.quote}")
            for duty in s.extra:
                print(f"  {s.name} extra  {duty.clause} {schedule_words(duty.schedule)}: {duty.quote}")
    return scores


def rules_table(verbose: bool) -> None:
    print()
    print("| rules file                     | dated obligations | same schedule extracted |")
    print("|--------------------------------|------------------:|------------------------:|")
    for seed in sorted(SEEDS.glob("*.txt")):
        rules_path = next((ROOT / "rules").glob(f"{seed.name[:3]}-*.yaml"), None)
        if rules_path is None:
            continue
        text = read_document(seed)
        duties = extract(text).duties
        dated = [ob for ob in load_rules([rules_path]).obligations.values() if ob.schedule.type != "unscheduled"]
        agree = 0
        for ob in dated:
            start = text.original.find(ob.source.quote)
            end = start + len(ob.source.quote)
            key = schedule_key(ob.schedule.model_dump(mode="python"))
            if any(d.start < end and start < d.end and d.key() == key for d in duties):
                agree += 1
            elif verbose:
                print(f"  {rules_path.name} {ob.source.clause} {key}: {ob.source.quote[:50]}")
        print(f"| {rules_path.name:30} | {len(dated):17} | {agree:23} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses, extras and disagreements")
    parser.add_argument("--sets", nargs="*", default=["dev", "heldout"], choices=["dev", "heldout"],
                        help="the labelled sets to score (default both; none: only the seeds)")
    args = parser.parse_args(argv)
    for name in args.sets:
        set_table(name, args.verbose)
    print("\nseeds:\n")
    scores = label_table(args.verbose)
    rules_table(args.verbose)
    seeds = overall(scores)
    return 0 if min(seeds.precision, seeds.recall) >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
