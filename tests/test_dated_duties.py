"""Each shipped rules file recounted against a hand-made list of its document's dated duties (issue 15).

tests/data/dated-duties.yaml lists, per document, every duty that gets dates: its clause, words of
the document that show it and how it is read. A rules edit that drops a dated duty, adds one or
reads one differently fails here until the list changes with it, so the change is made on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from obligations.loader import load_rules
from obligations.model import Obligation
from tests.conftest import DATA, ROOT

LIST = YAML(typ="safe").load((DATA / "dated-duties.yaml").read_text(encoding="utf-8"))
RULES = {p.name[:3]: p for p in (ROOT / "rules").glob("*.yaml")}
SEEDS = {p.name[:3]: p for p in (DATA / "seeds").glob("*.txt")}
DOCUMENTS = {"000": "bz-2024", "001": "libo-2023", "002": "hs-2021", "003": "lj-2017", "004": "dl-2020"}


def reads(ob: Obligation) -> str:
    """The schedule in the list's words: ``quota 2/year``, ``window quarter 1``, ``yearly 3-1``, ``once …``."""
    s: Any = ob.schedule
    if s.type == "quota":
        return f"quota {s.count}/{s.per.value}"
    if s.type == "window":
        return f"window {s.period.value}" + (f" {s.index}" if s.index else "")
    if s.type == "yearly_deadline":
        return f"yearly {s.month}-{s.day}"
    if s.type == "once":
        return f"once {s.date.isoformat()}"
    return str(s.type)


def test_the_list_covers_every_document() -> None:
    assert sorted(LIST) == sorted(DOCUMENTS.values())


def mismatches(listed: list[dict[str, str]], path: Path) -> list[str]:
    """What differs between the list and the file's dated rules (matched by clause, words and reading)."""
    dated = [ob for ob in load_rules([path]).obligations.values() if ob.schedule.type != "unscheduled"]
    out, matched = [], set()
    for entry in listed:
        found = [ob.id for ob in dated if ob.source.clause == entry["clause"] and entry["words"] in ob.source.quote
                 and reads(ob) == entry["reads"] and ob.id not in matched]
        if len(found) != 1:
            out.append(f"listed {entry}: {found or 'no rule'}")
        matched.update(found[:1])
    out += [f"not listed: {ob.id} {ob.source.clause} {reads(ob)}" for ob in dated if ob.id not in matched]
    return out


@pytest.mark.parametrize("number", sorted(DOCUMENTS))
def test_the_dated_duties_are_the_documents(number: str) -> None:
    listed: list[dict[str, str]] = LIST[DOCUMENTS[number]]
    text = SEEDS[number].read_text(encoding="utf-8")
    assert [e["words"] for e in listed if e["words"] not in text] == []  # the list quotes the document
    assert mismatches(listed, RULES[number]) == []


@pytest.mark.parametrize(("old", "new", "why"), [
    ("schedule: {type: quota, count: 1, per: month, unit: day}", "schedule: {type: unscheduled}", "listed"),
    ("schedule: {type: quota, count: 1, per: month, unit: day}",
     "schedule: {type: quota, count: 1, per: quarter, unit: day}", "listed"),
    ("schedule: {type: unscheduled, reason: 'no date given; the plan is for 2024'}",
     "schedule: {type: once, date: 2024-12-31}", "not listed"),
])
def test_a_dropped_added_or_reread_duty_fails_the_recount(tmp_path: Path, old: str, new: str, why: str) -> None:
    text = RULES["000"].read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / RULES["000"].name
    path.write_text(text.replace(old, new), encoding="utf-8")
    found = mismatches(LIST["bz-2024"], path)
    assert found
    assert found[0].startswith(why)
