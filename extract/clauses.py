"""The layout of a policy document: paragraphs, clause numbers, unit lines, sentences.

Work plans number their parts in a few fixed styles, outermost first::

    一、        section          (level 1)
    (一) (一)  clause           (level 2)
    第九条      article          (level 2, laws and rules)
    1. 1、 19 . item             (level 3)
    (1)         sub-item         (level 4)

A paragraph without a number continues the part above it. A clause's lead and other
units are printed as 牵头单位:/参加单位: lines after it, or inline as
"(责任单位:...,可检验成果形式:1. ...)" at its end; the latter's numbered deliverables
are sentences too (origin ``deliverable``), since some duties are only stated there.

Scraped pages sometimes hold the whole text twice (seed 003); a repeated run of
paragraphs is dropped so that every duty is drafted once, from its first copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.numerals import to_int
from extract.text import SourceText

_CN = "一二三四五六七八九十百零〇两"

# (kind, level, regex on the paragraph start). Order matters: (一) before 1. before 一、.
NUMBERING_STYLES: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("article", 2, re.compile(rf"第(?P<n>[{_CN}0-9]+)条")),
    ("clause", 2, re.compile(rf"\((?P<n>[{_CN}]+)\)")),
    ("sub", 4, re.compile(r"\((?P<n>[0-9]{1,2})\)")),
    ("item", 3, re.compile(r"(?P<n>[0-9]{1,3})\s*[.、](?![0-9])")),
    ("section", 1, re.compile(rf"(?P<n>[{_CN}]+)、")),
)
_SLUG_PREFIX = {"section": "s", "clause": "c", "article": "a", "item": "i", "sub": "p"}

UNIT_ROLES: dict[str, str] = {
    "牵头单位": "lead",
    "牵头部门": "lead",
    "责任单位": "lead",  # seed 003 names only 责任单位: the units answerable for the clause
    "责任部门": "lead",
    "主责单位": "lead",
    "参加单位": "participants",
    "参与单位": "participants",
    "配合单位": "participants",
    "协办单位": "participants",
}
_ROLE_WORDS = "|".join(sorted(UNIT_ROLES, key=len, reverse=True))
_UNIT_LINE = re.compile(rf"\s*(?P<role>{_ROLE_WORDS})\s*[::]")
_UNIT_PAREN = re.compile(rf"\(\s*(?P<role>{_ROLE_WORDS})\s*[::]")
_DELIVERABLES = re.compile(r"可检验(?:成果)?形式\s*[::]")
_SENTENCE_END = re.compile(r"[。;!?]")
# A deliverable's number: "1." after a colon, a full stop or the end of the previous item's
# words ("…两单融合2.公布…" lost its separator on the page).
_ITEM_START = re.compile(r"(?<=[\u4e00-\u9fff)》”;。: ])[0-9]{1,2}\s*[.、](?![0-9])")


@dataclass(frozen=True)
class Numbering:
    kind: str
    level: int
    label: str  # as printed, spaces removed: (二十五), 19., 第九条
    number: int | None

    @property
    def slug(self) -> str:
        return f"{_SLUG_PREFIX[self.kind]}{self.number if self.number is not None else 'x'}"


Path = tuple[Numbering, ...]


@dataclass
class Paragraph:
    start: int
    end: int
    body_start: int  # after the numbering
    path: Path
    numbered: bool
    heading: bool  # a title line: no duties are read from it
    role: str  # "text" or "units"


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    path: Path
    origin: str  # "body" or "deliverable"
    paragraph: int


@dataclass
class Structure:
    paragraphs: list[Paragraph]
    sentences: list[Sentence]
    units: dict[Path, dict[str, list[str]]]  # clause path -> role -> names as printed
    labels: dict[Path, str]  # clause path -> label shown in source.clause
    slugs: dict[Path, str]  # clause path -> id-safe slug
    dropped: list[tuple[int, int]] = field(default_factory=list)  # repeated text left out

    def section_heading(self, path: Path, text: SourceText) -> str:
        """The text of the section (level 1) heading above ``path``, or ""."""
        if not path or path[0].level != 1:
            return ""
        for para in self.paragraphs:
            if para.numbered and para.path == path[:1]:
                return text.norm[para.start:para.end]
        return ""


def _lines(norm: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in norm.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return spans


def _key(norm: str, span: tuple[int, int]) -> str:
    return re.sub(r"[\s|]", "", norm[span[0]:span[1]])


def drop_repeats(norm: str, spans: list[tuple[int, int]], min_run: int = 3,
                 min_chars: int = 100) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Leave out a run of paragraphs that repeats an earlier run (a page scraped twice).

    Short lines repeat legitimately (every clause of seed 000 has the same 参加单位 line),
    so only runs of ``min_run`` paragraphs and ``min_chars`` characters count.
    """
    keys = [_key(norm, s) for s in spans]
    first: dict[str, int] = {}
    kept: list[tuple[int, int]] = []
    dropped: list[tuple[int, int]] = []
    j = 0
    while j < len(spans):
        i = first.get(keys[j])
        run = 0
        if i is not None:
            while j + run < len(spans) and i + run < j and keys[i + run] == keys[j + run]:
                run += 1
        if run >= min_run and sum(len(keys[j + k]) for k in range(run)) >= min_chars:
            dropped.extend(spans[j:j + run])
            j += run
            continue
        first.setdefault(keys[j], j)
        kept.append(spans[j])
        j += 1
    return kept, dropped


def numbering_at(norm: str, start: int, end: int) -> tuple[Numbering | None, int]:
    """The numbering that opens the paragraph at ``start``, and where its text begins."""
    for kind, level, pattern in NUMBERING_STYLES:
        m = pattern.match(norm, start, end)
        if m:
            label = re.sub(r"\s+", "", m.group(0))
            body = m.end()
            while body < end and norm[body] == " ":
                body += 1
            return Numbering(kind, level, label, to_int(m.group("n"))), body
    return None, start


def _is_heading(numbering: Numbering, norm: str, body_start: int, end: int) -> bool:
    """A title line: a short section title, or a short clause title without a full stop.

    "(五)及时调整完善权责清单。严格落实…" is a clause whose first sentence asks for
    something; "(一)健全政府机构职能体系" alone on its line is only a title.
    """
    body = norm[body_start:end]
    if numbering.kind == "section":
        return len(body) <= 40 and not _SENTENCE_END.search(body.rstrip("。 "))
    return len(body) <= 40 and not _SENTENCE_END.search(body)


def split_names(text: str) -> list[str]:
    """Unit names of a 牵头单位/参加单位 list, as printed (prefix sharing is resolved later)."""
    # An alias in brackets ("州人民政府办公室(州行政服务中心)") is left out: the name before it is the unit.
    text = re.sub(r"\([^()]*\)", "", text)
    parts = re.split(r"[、,;。/]", text)
    return [p.strip(" ()") for p in parts if p.strip(" ()")]


def _matching_paren(norm: str, open_at: int, limit: int) -> int:
    depth = 0
    for pos in range(open_at, limit):
        if norm[pos] == "(":
            depth += 1
        elif norm[pos] == ")":
            depth -= 1
            if depth == 0:
                return pos
    return limit


def _split(norm: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(norm, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    trimmed = []
    for first, last in out:
        a, b = first, last
        while a < b and norm[a] in " ,:)":
            a += 1
        while b > a and norm[b - 1] in " ,(":
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


def _deliverable_items(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    for a, b in _split(norm, start, end, re.compile(r"[;。]")):
        cuts = list(_ITEM_START.finditer(norm, a, b))
        if not cuts:
            items.append((a, b))
            continue
        if cuts[0].start() > a:
            items.append((a, cuts[0].start()))
        for k, m in enumerate(cuts):
            stop = cuts[k + 1].start() if k + 1 < len(cuts) else b
            items.append((m.end(), stop))
    return [(a, b) for a, b in items if b - a >= 2]


def _display_labels(paths: list[Path]) -> tuple[dict[Path, str], dict[Path, str]]:
    """source.clause labels: the innermost number, or the whole path where numbers restart.

    Seed 003 restarts (一)… in each section, so all its clauses are shown as 一、(八).
    """
    parents: dict[tuple[int, str], set[Path]] = {}
    for path in paths:
        if path:
            parents.setdefault((path[-1].level, path[-1].label), set()).add(path[:-1])
    restarting = {level for (level, _), seen in parents.items() if len(seen) > 1}
    labels: dict[Path, str] = {}
    slugs: dict[Path, str] = {}
    for path in paths:
        if not path:
            labels[path], slugs[path] = "", "preamble"
        elif path[-1].level in restarting:
            labels[path] = "".join(n.label for n in path)
            slugs[path] = "-".join(n.slug for n in path)
        else:
            labels[path], slugs[path] = path[-1].label, path[-1].slug
    return labels, slugs


def parse_structure(text: SourceText) -> Structure:
    """Paragraphs, clause paths, unit lines and sentences of ``text``."""
    norm = text.norm
    spans, dropped = drop_repeats(norm, _lines(norm))
    paragraphs: list[Paragraph] = []
    sentences: list[Sentence] = []
    units: dict[Path, dict[str, list[str]]] = {}
    path: Path = ()

    def add_units(where: Path, role: str, names: list[str]) -> None:
        bucket = units.setdefault(where, {}).setdefault(role, [])
        bucket.extend(n for n in names if n not in bucket)

    for index, (start, end) in enumerate(spans):
        unit_line = _UNIT_LINE.match(norm, start, end)
        if unit_line:
            add_units(path, UNIT_ROLES[unit_line.group("role")], split_names(norm[unit_line.end():end]))
            paragraphs.append(Paragraph(start, end, start, path, False, False, "units"))
            continue
        numbering, body_start = numbering_at(norm, start, end)
        heading = False
        if numbering is not None:
            path = (*(n for n in path if n.level < numbering.level), numbering)
            heading = _is_heading(numbering, norm, body_start, end)
        paragraphs.append(Paragraph(start, end, body_start, path, numbering is not None, heading, "text"))
        if heading:
            continue
        # Body text, minus "(责任单位:...)" blocks whose deliverables are read separately.
        body_parts: list[tuple[int, int]] = []
        pos = body_start
        for m in _UNIT_PAREN.finditer(norm, body_start, end):
            if m.start() < pos:
                continue
            close = _matching_paren(norm, m.start(), end)
            body_parts.append((pos, m.start()))
            deliver = _DELIVERABLES.search(norm, m.end(), close)
            names_end = deliver.start() if deliver else close
            stop = norm.find("。", m.end(), names_end)
            add_units(path, UNIT_ROLES[m.group("role")], split_names(norm[m.end():stop if stop >= 0 else names_end]))
            if deliver:
                for a, b in _deliverable_items(norm, deliver.end(), close):
                    sentences.append(Sentence(a, b, path, "deliverable", index))
            pos = close + 1
        body_parts.append((pos, end))
        for a, b in body_parts:
            for s, e in _split(norm, a, b, _SENTENCE_END):
                sentences.append(Sentence(s, e, path, "body", index))
    labels, slugs = _display_labels([p.path for p in paragraphs] + [()])
    sentences.sort(key=lambda s: (s.start, s.end))
    return Structure(paragraphs, sentences, units, labels, slugs, dropped)


__all__ = [
    "NUMBERING_STYLES",
    "UNIT_ROLES",
    "Numbering",
    "Paragraph",
    "Path",
    "Sentence",
    "Structure",
    "drop_repeats",
    "numbering_at",
    "parse_structure",
    "split_names",
]
