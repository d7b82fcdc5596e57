"""Precision and recall of the extractor against hand labels (tests/data/labels/*.yaml).

A labelled duty is found when an extracted duty's quote overlaps the label's quote in
the document and their schedules agree on the fields that matter: kind, and per+count
(quota), month+day (yearly_deadline), period+index (window) or the date (once). Each
extracted duty can find one label and each label be found once (a maximum matching, the one
extract.scoring uses for the dev and held-out sets), so one long quote cannot claim two labels
of the same kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from extract.duties import Duty, Extraction, extract
from extract.schedule import schedule_key
from extract.scoring import maximum_matching, quote_span
from extract.text import read_document

KINDS = ("quota", "yearly_deadline", "window", "once", "unscheduled")


@dataclass(frozen=True)
class Label:
    quote: str
    kind: str
    key: tuple[Any, ...]
    start: int
    end: int
    clause: str = ""


@dataclass
class Score:
    name: str
    labels: int
    extracted: int
    matched: int
    missed: list[Label] = field(default_factory=list)
    extra: list[Duty] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.labels if self.labels else 1.0

    def __add__(self, other: Score) -> Score:
        return Score("overall", self.labels + other.labels, self.extracted + other.extracted,
                     self.matched + other.matched, self.missed + other.missed, self.extra + other.extra)


def label_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    kind = entry["kind"]
    if kind not in KINDS:
        raise ValueError(f"label kind {kind!r} is not one of {', '.join(KINDS)}")
    fields = {k: v for k, v in entry.items() if k not in {"kind", "quote", "clause"}}
    schedule: dict[str, Any] = {"type": kind, **fields}
    if kind == "once" and isinstance(schedule.get("date"), str):
        schedule["date"] = dt.date.fromisoformat(schedule["date"])
    return schedule_key(schedule)


def load_labels(path: Path, original: str) -> list[Label]:
    """The labels of one seed; each quote must occur in ``original`` (its first occurrence counts)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = []
    for entry in data["duties"]:
        start, end = quote_span(path, original, entry["quote"])
        labels.append(Label(entry["quote"], entry["kind"], label_key(entry), start, end, str(entry.get("clause", ""))))
    return labels


def score(name: str, extraction: Extraction, labels: list[Label]) -> Score:
    matched = maximum_matching(extraction.duties, labels, lambda d, lab: d.key() == lab.key)
    used = set(matched.values())
    return Score(name, len(labels), len(extraction.duties), len(matched),
                 [lab for i, lab in enumerate(labels) if i not in matched],
                 [d for j, d in enumerate(extraction.duties) if j not in used])


def evaluate(seeds: Path, labels_dir: Path) -> list[Score]:
    """One score per labelled seed (``labels_dir/<seed stem>.yaml``), in name order."""
    scores = []
    for label_path in sorted(labels_dir.glob("*.yaml")):
        seed = seeds / f"{label_path.stem}.txt"
        text = read_document(seed)
        scores.append(score(label_path.stem, extract(text), load_labels(label_path, text.original)))
    return scores


def overall(scores: list[Score]) -> Score:
    total = Score("overall", 0, 0, 0)
    for s in scores:
        total = total + s
    return total


__all__ = ["KINDS", "Label", "Score", "evaluate", "label_key", "load_labels", "overall", "score"]
