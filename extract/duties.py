"""From sentences to duties: which words make a duty, its schedule, quote, actor and title.

A duty is drafted where a sentence of the document's body tells someone to do something
*and* carries a time expression of :mod:`extract.patterns` (a frequency with
or without a minimum count, a deadline, a window, the plan's own year) or a vague
periodic word (定期, 常态化, 及时, 适时, drafted ``unscheduled`` for review). Directives
with no time words at all are left to the administrator: the calendar has nothing to
put on them.

Within a sentence, each comma-separated part with time words is one duty; a part that
is nothing but a schedule ("…带头讲法治课,每年不少于1次") takes its action from the parts
before it. Statements about the past (a year-end report's "全年常务会学法18余次",
"2023年…受理15件") are not duties: in a report every section about the past year is
skipped, and anywhere a sentence that only reports figures or completed work is.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from extract import reasons as why
from extract.clauses import Path, Sentence, Structure, parse_structure
from extract.document import YEAR, DocumentInfo, document_info
from extract.patterns import Trigger, find_triggers
from extract.schedule import build_schedule, schedule_key, schedule_words
from extract.text import SourceText, normalise
from i18n.phrase import Phrase

# -- duties -------------------------------------------------------------------------------------


@dataclass
class Duty:
    start: int  # the quote's span in the text
    end: int
    quote: str
    clause: str
    clause_slug: str
    path: Path
    origin: str  # "body" or "deliverable"
    schedule: dict[str, Any]
    actor: str = ""
    title: str = ""
    sentence: tuple[int, int] = (0, 0)
    reasons: list[Phrase] = field(default_factory=list)  # extract.reasons: worded at the door
    effective: dict[str, dt.date] | None = None
    vague: str = ""
    content: str = ""  # the action words (normalised), for de-duplication

    @property
    def kind(self) -> str:
        return str(self.schedule["type"])

    @property
    def review(self) -> bool:
        return bool(self.reasons)

    @property
    def codes(self) -> list[str]:
        """The msgids of its review reasons (``extract.reason.*``), which tests compare, never the words."""
        return [r.code for r in self.reasons]

    def key(self) -> tuple[Any, ...]:
        """The schedule fields that identify it (those the evaluation compares)."""
        return schedule_key(self.schedule)


@dataclass
class Extraction:
    text: SourceText
    info: DocumentInfo
    structure: Structure
    duties: list[Duty]
    past: list[tuple[int, int]]  # sentences with time words left out as statements about the past


# Words that ask for something; a sentence with none of them that reports figures or
# completed work is a statement about the past. 应 and 要 only as modals (not 应急, 要求).
_MODAL = re.compile(r"(?<![重主需纲])要(?![求点素件])|应当|(?<![相适反响供对])应(?![急对用])|必须|须(?!知)|"
                    r"力争|确保|务必|不得|严禁")
_FIGURE = re.compile(r"[0-9]+余?(?:件|个|项|人|名|户|份|家|条|台|次|场|期|篇|天)(?!以上)")
_DONE = re.compile(r"已经|已(?:完成|建成|实现|办结|出台|制定)|累计|截至|同比|成功(?:创建|举办|申报)|取得了|完成了")
# A total of what was done ("全年共开展24次", "共排查纠纷137件"): a report, even beside a schedule it followed.
_TOTAL = re.compile(r"(?:共|累计|合计)(?:计)?[^,。;]{0,12}?[0-9]+余?(?:件次|人次|件|个|项|人|名|户|次|场|期|篇)")
_DEMANDS = {"deadline", "window", "period", "weekday", "fixed_day", "relative"}
_FUTURE_HEADING = re.compile(r"安排|打算|计划|思路|下一步|展望|要点|任务")


def is_past_statement(sentence: str, year: int | None) -> bool:
    """True for a sentence that reports what was done rather than asking for something.

    A modal (要, 应当, 必须 …) makes it a demand; a total of what was done (共开展24次, 累计) a
    report, even beside the schedule it followed; else a schedule (每年…, 至少/不少于, a deadline,
    年内) makes it a demand; otherwise figures ("学法18余次", "受理15件"), words of completed work (累计,
    已经, 截至) or only years before the plan's make it a report of the past.

    >>> is_past_statement("全年常务会专题学法18余次", 2024)
    True
    >>> is_past_statement("2023年,全县行政复议案件累计受理15件", 2024)
    True
    >>> is_past_statement("每年至少举办2次法治专题讲座", 2024)
    False
    """
    plain = re.sub(r"《[^》]*》", "", normalise(sentence))
    if _MODAL.search(plain):
        return False
    if _TOTAL.search(plain):
        return True
    for t in find_triggers(plain, 0, len(plain)):
        if t.kind in _DEMANDS or (t.kind == "count" and t.data["minimum"]) or (
                t.kind == "this_year" and not t.data["weak"]):
            return False
    if _DONE.search(plain) or _FIGURE.search(plain):
        return True
    years = [int(y) for y in YEAR.findall(plain)]
    return bool(year is not None and years and max(years) < year)


def _past_sections(text: SourceText, structure: Structure, info: DocumentInfo) -> set[Path]:
    """Level-1 sections of a report that describe the past year (all but its plans)."""
    if not info.is_report:
        return set()
    past: set[Path] = {()}
    for para in structure.paragraphs:
        if para.numbered and len(para.path) == 1 and para.path[0].level == 1:
            heading = text.norm[para.start:para.end]
            years = [int(y) for y in YEAR.findall(heading)]
            later = info.year is not None and any(y > info.year for y in years)
            if not (later or _FUTURE_HEADING.search(heading)):
                past.add(para.path)
    return past


def _sentence_year(text: SourceText, structure: Structure, path: Path, info: DocumentInfo) -> int | None:
    heading = structure.section_heading(path, text)
    m = YEAR.search(heading)
    if m and (info.year is None or int(m["y"]) >= info.year):
        return int(m["y"])  # 四、2024年推进…的主要安排 in a report on 2023
    return info.year


_COMMA = re.compile(r"[,:]")
_ANCHORS = {"deadline", "window", "period", "this_year", "weekday", "fixed_day", "relative"}
_FILLER = re.compile(r"原则上|按照要求|应当|必须|要|应|须|并|且|均|都|的|于|在|和|及|等|到|前|内|以上")
_ACTOR_END = re.compile(r"(?:政府|部门|机关|单位|干部|班子|成员|负责人|同志|人员|会议|机构|办公室|局|委员会|领导)$")
_ACTOR_STOP = re.compile(r"(?<![重主需纲])要(?![求点素])|应当|应(?![急对用])|须|必须|于|每|在|原则上|[,;。]")


def _segments(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for m in _COMMA.finditer(norm, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if end > pos:
        out.append((pos, end))
    return out


def _split_by_anchors(norm: str, seg: tuple[int, int], triggers: list[Trigger]) -> list[tuple[int, int]]:
    """'州领导干部每季度至少1天、县市领导干部每月至少1天…': one part per schedule."""
    anchors = [t for t in triggers if t.kind in _ANCHORS and seg[0] <= t.start < seg[1]]
    cuts: list[int] = []
    for prev, cur in itertools.pairwise(anchors):
        k = norm.rfind("、", prev.end, cur.start)
        if k >= 0:
            cuts.append(k)
    bounds = [seg[0], *[c + 1 for c in cuts], seg[1]]
    return [(bounds[i], (cuts[i] if i < len(cuts) else seg[1])) for i in range(len(bounds) - 1)]


def _content(norm: str, span: tuple[int, int], triggers: list[Trigger]) -> str:
    chars = list(norm[span[0]:span[1]])
    for t in triggers:
        for k in range(max(t.start, span[0]), min(t.end, span[1])):
            chars[k - span[0]] = " "
    return "".join(chars)


def _cjk(text: str) -> int:
    return sum(1 for ch in _FILLER.sub("", text) if "\u4e00" <= ch <= "\u9fff")


def _title(content: str, schedule: dict[str, Any], vague: str) -> str:
    words = re.sub(r"\s+", "", content)
    words = re.sub(r"至少|不少于|不低于|不得少于|原则上", "", words)
    words = re.sub(r"^(?:要|应当|应|须|必须|并|且|同时)+", "", words).strip(",、:;")
    if len(words) > 30:
        words = words[:30] + "…"
    return f"{words or '(见原文)'}({schedule_words(schedule, vague)})"


def _actor(text: SourceText, seg: tuple[int, int], sentence: tuple[int, int]) -> str:
    """Who acts: the words before the first 要/应当/每… of the part or of the sentence,
    when they end like an actor (…政府, …部门, …负责人, …领导干部)."""
    for start in (seg[0], sentence[0]):
        for m in _ACTOR_STOP.finditer(text.norm, start, min(sentence[1], start + 32)):
            if m.group(0) in ",;。":
                break
            words = text.norm[start:m.start()]
            if len(words) >= 2 and _ACTOR_END.search(words):
                return text.original[start:m.start()].strip()
    return ""


def _bigrams(text: str) -> set[str]:
    plain = re.sub(r"[^\u4e00-\u9fff0-9a-z]", "", text)
    return {plain[i:i + 2] for i in range(len(plain) - 1)}


def similarity(a: str, b: str) -> float:
    """Share of the shorter text's character pairs found in the other (0..1)."""
    ga, gb = _bigrams(a), _bigrams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / min(len(ga), len(gb))


def _carry_yearly(t: Trigger) -> Trigger:
    """A month/day without a year after a 每年 deadline of the same sentence recurs too (for review)."""
    if t.kind != "deadline" or t.data.get("pattern") not in ("month_day", "month_end") or t.data["yearly"]:
        return t
    note = why.yearly_like_before(t.data["text"])
    return Trigger(t.kind, t.start, t.end, {**t.data, "yearly": True, "note": note})


def _sentence_duties(text: SourceText, structure: Structure, sent: Sentence, year: int | None) -> list[Duty]:
    norm = text.norm
    triggers = find_triggers(norm, sent.start, sent.end)
    if not triggers:
        return []
    holiday = next((t.data["policy"] for t in triggers if t.kind == "holiday"), None)
    parts: list[tuple[int, int]] = []
    for seg in _segments(norm, sent.start, sent.end):
        parts.extend(_split_by_anchors(norm, seg, triggers))
    duties: list[Duty] = []
    inherited: Trigger | None = None
    owned_until = sent.start
    periodic = False
    yearly = False  # a 每年 deadline earlier in the sentence: "每年3月1日前报告…,并于4月1日前公开"
    for index, (a, b) in enumerate(parts):
        part = [_carry_yearly(t) if yearly else t for t in triggers if a <= t.start < b]
        yearly = yearly or any(t.kind == "deadline" and t.data.get("yearly") for t in part)
        built = build_schedule(part, inherited, year, holiday)
        periods = [t for t in part if t.kind == "period"]
        if periods:
            inherited = periods[-1]
        if built is None:
            continue
        content = _content(norm, (a, b), part)
        start, end = a, b
        if _cjk(content) < 2:
            # Only a schedule here: its action is in the parts around it.
            first_is_deadline = part and part[0].kind == "deadline"
            if first_is_deadline and index + 1 < len(parts):
                end = parts[index + 1][1]
                content = _content(norm, (a, end), triggers)
            else:
                start = owned_until
                while start < a and norm[start] in ",:;、 ":
                    start += 1
                content = _content(norm, (start, b), triggers)
        vague = next((t.data["word"] for t in part if t.kind == "vague"), "")
        if vague and built.schedule["type"] != "unscheduled":
            built.reasons.append(why.also_vague(vague))
        duties.append(Duty(
            start=start, end=end, quote=text.original[start:end],
            clause=structure.labels.get(sent.path, ""), clause_slug=structure.slugs.get(sent.path, "preamble"),
            path=sent.path, origin=sent.origin, schedule=built.schedule,
            actor=_actor(text, (a, b), (sent.start, sent.end)),
            title=_title(content, built.schedule, vague), sentence=(sent.start, sent.end),
            reasons=built.reasons, effective=built.effective,
            vague=vague if built.schedule["type"] == "unscheduled" else "",
            content=re.sub(r"\s+", "", content),
        ))
        periodic = periodic or built.periodic
        if duties[-1].vague != "定期":  # a 定期 part may yet be absorbed by a quota after it
            owned_until = end
    # 定期 made concrete by 每两个月 / 每年至少… in the same sentence is one duty, not two.
    if periodic:
        duties = [d for d in duties if d.vague != "定期"]
    return duties


# A deliverable is compared with at most this many body duties of its clause, the nearest in
# the text: a clause has a handful, and a huge document whose numbering repeats (the same
# clause path thousands of times) must not make the comparison quadratic.
_NEAREST = 64


def _dedupe_deliverables(duties: list[Duty]) -> list[Duty]:
    """Drop a deliverable (可检验成果形式 item) that restates a duty of its clause's body."""
    kept: list[Duty] = []
    used: set[int] = set()
    bodies: dict[Path, list[Duty]] = {}
    for duty in duties:
        if duty.origin == "body":
            bodies.setdefault(duty.path, []).append(duty)
    starts = {path: [b.start for b in group] for path, group in bodies.items()}
    for duty in duties:
        if duty.origin != "deliverable":
            kept.append(duty)
            continue
        group = bodies.get(duty.path, [])
        at = bisect.bisect_left(starts.get(duty.path, []), duty.start)
        near = group[max(0, at - _NEAREST):at + _NEAREST]
        same = [b for b in near if id(b) not in used]
        if duty.kind == "unscheduled":
            match = next((b for b in same if b.vague and b.vague == duty.vague), None)
        else:
            scored = [(similarity(duty.content, b.content), k) for k, b in enumerate(same) if b.key() == duty.key()]
            best = max(scored, default=(0.0, -1))
            match = same[best[1]] if best[0] >= 0.5 else None
        if match is None:
            kept.append(duty)
        else:
            used.add(id(match))
    return kept


def extract(text: SourceText) -> Extraction:
    """Every duty of ``text`` with a time expression or a vague periodic word."""
    structure = parse_structure(text)
    info = document_info(text, structure)
    past_sections = _past_sections(text, structure, info)
    duties: list[Duty] = []
    past: list[tuple[int, int]] = []
    for sent in structure.sentences:
        if sent.path[:1] in past_sections:
            if find_triggers(text.norm, sent.start, sent.end):
                past.append((sent.start, sent.end))
            continue
        year = _sentence_year(text, structure, sent.path, info)
        found = _sentence_duties(text, structure, sent, year)
        if found and is_past_statement(text.norm[sent.start:sent.end], year):
            past.append((sent.start, sent.end))
            continue
        duties.extend(found)
    return Extraction(text, info, structure, _dedupe_deliverables(duties), past)


__all__ = [
    "Duty",
    "Extraction",
    "extract",
    "is_past_statement",
    "similarity",
]
