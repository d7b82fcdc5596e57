"""Strict and loose precision and recall on labelled document sets (tests/data/extract/dev, heldout).

A set is a folder of documents (``NAME.txt``) each with its labels (``NAME.yaml``): every duty's
``quote`` and ``schedule`` (as a rules file writes it), and every statement of the past as
``past: true``. A labelled duty is found **loosely** when a drafted duty's quote overlaps its
quote, and **strictly** when, besides, the two schedules are the same in what the calendar does
with them (:func:`canonical`: the period and every-N, the count and its maximum, hours, the
placed day or weekday and its shift, the deadline and its holiday move, the due working day).
Each draft can find one label and each label be found once (a maximum matching).

Precision is over the drafts: a *scheduled* draft (any type but ``unscheduled``) that overlaps
no labelled duty is a false one, and one that overlaps a past statement is a past statement
scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from extract.duties import Duty, extract
from extract.text import read_document


@dataclass(frozen=True)
class SetLabel:
    quote: str
    start: int
    end: int
    schedule: dict[str, Any] | None  # None for a statement of the past
    key: tuple[Any, ...] = ()

    @property
    def past(self) -> bool:
        return self.schedule is None


@dataclass
class SetScore:
    name: str
    duties: int = 0  # labelled duties
    past: int = 0  # labelled statements of the past
    drafted: int = 0
    scheduled: int = 0  # drafts with a date (not unscheduled)
    loose: int = 0  # duties found (any schedule)
    strict: int = 0  # duties found with the schedule right
    scheduled_true: int = 0  # scheduled drafts that are a labelled duty
    scheduled_strict: int = 0  # scheduled drafts that are a labelled duty with the schedule right
    past_scheduled: int = 0  # scheduled drafts on a statement of the past
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def strict_recall(self) -> float:
        return self.strict / self.duties if self.duties else 1.0

    @property
    def loose_recall(self) -> float:
        return self.loose / self.duties if self.duties else 1.0

    @property
    def precision(self) -> float:
        """Of the scheduled drafts, the share that are labelled duties (the issue's target)."""
        return self.scheduled_true / self.scheduled if self.scheduled else 1.0

    @property
    def strict_precision(self) -> float:
        return self.scheduled_strict / self.scheduled if self.scheduled else 1.0

    def add(self, other: SetScore) -> None:
        for name in ("duties", "past", "drafted", "scheduled", "loose", "strict", "scheduled_true",
                     "scheduled_strict", "past_scheduled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missed += other.missed
        self.wrong += other.wrong
        self.extra += other.extra


def canonical(schedule: dict[str, Any]) -> tuple[Any, ...]:
    """What the calendar does with a schedule, so that equal readings compare equal.

    A quota of 1 per period unplaced and a window of every period are the same duty (once a
    period, due at its end); a label's missing ``holiday_policy`` is the model's default.
    """
    kind = schedule["type"]
    every = int(schedule.get("every", 1))
    if kind == "quota" or (kind == "window" and schedule.get("index") is None
                           and schedule.get("working_day") in (None, -1)):
        per = schedule.get("per") or schedule.get("period")
        hours = schedule.get("unit") == "hour"
        count = int(schedule.get("count", 1))
        place = schedule.get("place") or {}
        spot = (place.get("weekday"), place.get("day"), place.get("day") and place.get("shift", "next"),
                place.get("month"), place.get("nth_working_day"))
        return ("per", per, every, count, schedule.get("max"), hours, spot)
    if kind == "window":
        return ("window", schedule["period"], every, schedule.get("index"), schedule.get("working_day"))
    if kind == "yearly_deadline":
        return ("yearly", schedule["month"], schedule["day"], bool(schedule.get("exclusive")),
                schedule.get("holiday_policy", "keep"))
    if kind == "once":
        date = schedule["date"]
        date = dt.date.fromisoformat(date) if isinstance(date, str) else date
        return ("once", date - dt.timedelta(days=1) if schedule.get("exclusive") else date)
    if kind == "rrule":
        rule_kind = schedule.get("kind", "session")
        policy = schedule.get("holiday_policy", "keep" if rule_kind == "deadline" else "next")
        return ("rrule", str(schedule["rrule"]).upper(), rule_kind, policy)
    return (kind,)


def load_set_labels(path: Path, original: str) -> list[SetLabel]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = []
    for entry in data["duties"]:
        start, end = quote_span(path, original, entry["quote"])
        schedule = None if entry.get("past") else entry["schedule"]
        labels.append(SetLabel(entry["quote"], start, end, schedule, canonical(schedule) if schedule else ()))
    return labels


class Span(Protocol):
    """A label's place in the document: its quote's first and one-past-last character."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


L = TypeVar("L", bound=Span)


def quote_span(path: Path, original: str, quote: str) -> tuple[int, int]:
    """Where a label's ``quote`` first stands in the document; ValueError naming the labels' file if nowhere."""
    start = original.find(quote)
    if start < 0:
        raise ValueError(f"{path}: quote not in the document: {quote}")
    return start, start + len(quote)


def maximum_matching(drafts: list[Duty], labels: Sequence[L], fits: Callable[[Duty, L], bool]) -> dict[int, int]:
    """Maximum matching label index -> draft index (Kuhn) over overlapping quotes that ``fits``.

    Each draft finds one label and each label is found once, so one long quote cannot claim two
    labels of the same kind.
    """
    edges = {i: [j for j, d in enumerate(drafts) if d.start < lab.end and lab.start < d.end and fits(d, lab)]
             for i, lab in enumerate(labels)}
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in edges:
        augment(i, set())
    return {i: j for j, i in owner.items()}


def score_document(name: str, drafts: list[Duty], labels: list[SetLabel]) -> SetScore:
    duties = [lab for lab in labels if not lab.past]
    past = [lab for lab in labels if lab.past]
    loose = maximum_matching(drafts, duties, lambda d, lab: True)
    strict = maximum_matching(drafts, duties, lambda d, lab: canonical(d.schedule) == lab.key)
    out = SetScore(name, len(duties), len(past), len(drafts), loose=len(loose), strict=len(strict))
    strict_drafts = set(strict.values())
    for j, d in enumerate(drafts):
        if d.kind == "unscheduled":
            continue
        out.scheduled += 1
        on_duty = any(d.start < lab.end and lab.start < d.end for lab in duties)
        out.scheduled_true += on_duty
        out.scheduled_strict += j in strict_drafts
        if any(d.start < lab.end and lab.start < d.end for lab in past):
            out.past_scheduled += 1
        if not on_duty:
            out.extra.append(f"{name}: extra {d.schedule['type']} «{d.quote}»")
    for i, lab in enumerate(duties):
        if i not in loose:
            out.missed.append(f"{name}: missed «{lab.quote}»")
        elif i not in strict:
            got = drafts[loose[i]].schedule
            out.wrong.append(f"{name}: wrong «{lab.quote}»: {canonical(got)} instead of {lab.key}")
    return out


def score_set(folder: Path) -> list[SetScore]:
    """One score per document of ``folder`` (``NAME.txt`` with ``NAME.yaml``), in name order."""
    scores = []
    for label_path in sorted(folder.glob("*.yaml")):
        doc = folder / yaml.safe_load(label_path.read_text(encoding="utf-8"))["document"]
        text = read_document(doc)
        scores.append(score_document(label_path.stem, extract(text).duties,
                                     load_set_labels(label_path, text.original)))
    return scores


def total(name: str, scores: list[SetScore]) -> SetScore:
    out = SetScore(name)
    for s in scores:
        out.add(s)
    return out


__all__ = ["SetLabel", "SetScore", "Span", "canonical", "load_set_labels", "maximum_matching", "quote_span",
           "score_document", "score_set", "total"]
