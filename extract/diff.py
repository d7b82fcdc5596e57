"""``extract --against``: what this year's document adds, changes or drops against the rules in force.

Drafted duties and existing obligations are paired by their quotes (character-pair
overlap of the simplified text, so a quote in traditional characters pairs with its
simplified twin and small rewordings still pair), pairs with equal schedules first.

* new      a drafted duty that no existing obligation quotes
* changed  paired, but the schedule differs (kind, count, period, date …)
* gone     an existing obligation whose words are no longer in the document
* same     paired with an equal schedule (counted only)
* kept     not drafted, but its words are still in the document: a duty without time
           words, which extract does not draft (counted only)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extract.duties import Extraction, similarity
from extract.schedule import schedule_key, schedule_words
from extract.text import normalise
from i18n import DEFAULT, N_, Language, tr
from obligations.ruleset import RuleSet

PAIR_AT = 0.5  # least quote similarity for a drafted duty and an obligation to be the same duty
STILL_THERE_AT = 0.7  # least similarity of an obligation's quote to a sentence of the new text


@dataclass(frozen=True)
class Change:
    status: str  # new, changed, gone, same, kept
    clause: str
    new_id: str
    old_id: str
    new_schedule: str
    old_schedule: str
    quote: str


def _plain_schedule(schedule: Any) -> dict[str, Any]:
    return schedule if isinstance(schedule, dict) else schedule.model_dump(mode="python")


def compare(draft: dict[str, Any], extraction: Extraction, rules: RuleSet) -> list[Change]:
    """The changes between the drafted rules (``draft``) and the existing ``rules``."""
    drafted = draft["obligations"]
    existing = list(rules.obligations.values())
    new_quotes = [normalise(ob["source"]["quote"]) for ob in drafted]
    old_quotes = [normalise(ob.source.quote) for ob in existing]
    new_keys = [schedule_key(ob["schedule"]) for ob in drafted]
    old_keys = [schedule_key(_plain_schedule(ob.schedule)) for ob in existing]
    candidates = []
    for i, nq in enumerate(new_quotes):
        for j, oq in enumerate(old_quotes):
            sim = similarity(nq, oq)
            if sim >= PAIR_AT:
                candidates.append((new_keys[i] != old_keys[j], -sim, i, j))
    candidates.sort()
    pair_of_new: dict[int, int] = {}
    paired_old: set[int] = set()
    for _, _, i, j in candidates:
        if i not in pair_of_new and j not in paired_old:
            pair_of_new[i] = j
            paired_old.add(j)
    sentences = [extraction.text.norm[s.start:s.end] for s in extraction.structure.sentences]
    changes: list[Change] = []
    for i, ob in enumerate(drafted):
        words = schedule_words(ob["schedule"])
        clause = ob["source"].get("clause", "")
        if i not in pair_of_new:
            changes.append(Change("new", clause, ob["id"], "", words, "", ob["source"]["quote"]))
            continue
        old = existing[pair_of_new[i]]
        old_words = schedule_words(_plain_schedule(old.schedule))
        status = "same" if new_keys[i] == old_keys[pair_of_new[i]] else "changed"
        changes.append(Change(status, clause, ob["id"], old.id, words, old_words, ob["source"]["quote"]))
    for j, old in enumerate(existing):
        if j in paired_old:
            continue
        still = old_quotes[j] in extraction.text.norm or any(
            similarity(old_quotes[j], s) >= STILL_THERE_AT for s in sentences)
        changes.append(Change("kept" if still else "gone", old.source.clause, "", old.id, "",
                              schedule_words(_plain_schedule(old.schedule)), old.source.quote))
    return changes


# the words of the statuses a line of the report starts with
STATUS_WORDS = {"new": N_("extract.diff.new"), "changed": N_("extract.diff.changed"), "gone": N_("extract.diff.gone")}


def _padded(word: str, columns: int) -> str:
    """``word`` padded to ``columns`` on a terminal, where a Chinese character takes two."""
    wide = sum(1 for ch in word if ord(ch) >= 0x2E80)
    return word.ljust(columns - wide)


def render(changes: list[Change], against: str, lang: Language = DEFAULT) -> str:
    """The report in ``lang``: a summary line, then one line per new, changed or gone duty."""
    count = {s: sum(1 for c in changes if c.status == s) for s in ("new", "changed", "gone", "same", "kept")}
    lines = [tr(lang, "extract.diff.summary", file=against, **count)]
    for status in ("new", "changed", "gone"):
        for c in changes:
            if c.status != status:
                continue
            quote = c.quote if len(c.quote) <= 40 else c.quote[:40] + "…"
            if status == "new":
                what = f"{c.new_id}: {c.new_schedule}"
            elif status == "changed":
                what = f"{c.old_id} -> {c.new_id}: {c.old_schedule} -> {c.new_schedule}"
            else:
                what = f"{c.old_id}: {c.old_schedule}"
            lines.append(f"{_padded(tr(lang, STATUS_WORDS[status]), 8)} {c.clause or '-':10} {what}  «{quote}»")
    return "\n".join(lines) + "\n"


__all__ = ["STATUS_WORDS", "Change", "compare", "render"]
