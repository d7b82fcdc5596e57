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

from extract.clauses import Path, Sentence, Structure, parse_structure
from extract.patterns import Trigger, find_triggers
from extract.text import SourceText, normalise
from extract.units import place_of

# -- the document ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentInfo:
    title: str  # in the document's script; "" when none is printed
    issuer: str
    date: dt.date | None
    year: int | None  # the plan's year (its title's), for 年底前 / 年内 / 3月1日前 without a year
    is_report: bool  # a year-end report: its sections about the past year hold no duties
    place: str  # 柳州市柳江区, for the root unit's name


_TITLE_END = re.compile(r"(?:要点|方案|计划|报告|意见|办法|规定|通知|纲要|规划|细则|安排)$")
_DATE_LINE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
_PAGE_DATE = re.compile(r"(?:发布|生成|印发|成文)?日期\s*[::]\s*\|?\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_ISSUER_END = re.compile(r"(?:政府|办公室|办公厅|小组|委员会|局|厅|部|院)$")
_YEAR = re.compile(r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})年")


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def document_info(text: SourceText, structure: Structure) -> DocumentInfo:
    lines = [(p.start, p.end) for p in structure.paragraphs]
    title_span = (0, 0)
    for start, end in lines[:40]:
        line = text.norm[start:end]
        if 6 <= len(line) <= 60 and not re.search(r"[《》]", line) and _TITLE_END.search(line):
            title_span = (start, end)
            break
    date: dt.date | None = None
    issuer_span = (0, 0)
    for k in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
        m = _DATE_LINE.match(text.norm[lines[k][0]:lines[k][1]].replace(" ", ""))
        if m:
            date = _date(m["y"], m["m"], m["d"])
            before = text.norm[lines[k - 1][0]:lines[k - 1][1]] if k > 0 else ""
            if before and len(before) <= 40 and _ISSUER_END.search(before):
                issuer_span = lines[k - 1]
            break
    if date is None:
        m = _PAGE_DATE.search(text.norm)
        if m:
            date = _date(m["y"], m["m"], m["d"])
    norm_title = text.norm[title_span[0]:title_span[1]]
    year_m = _YEAR.search(norm_title)
    # The title's place (柳州市柳江区2017年…) or the signature's (巴音郭楞蒙古自治州人民政府办公室),
    # whichever is longer: "2024年自治州…" names only 自治州.
    places = [place_of(re.sub(r"^\d{4}年度?", "", norm_title)), place_of(text.norm[issuer_span[0]:issuer_span[1]])]
    return DocumentInfo(
        title=text.original[title_span[0]:title_span[1]],
        issuer=text.original[issuer_span[0]:issuer_span[1]],
        date=date,
        year=int(year_m["y"]) if year_m else None,
        is_report="报告" in norm_title and "要点" not in norm_title,
        place=max(places, key=len),
    )


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
    reasons: list[str] = field(default_factory=list)
    effective: dict[str, dt.date] | None = None
    vague: str = ""
    content: str = ""  # the action words (normalised), for de-duplication

    @property
    def kind(self) -> str:
        return str(self.schedule["type"])

    @property
    def review(self) -> bool:
        return bool(self.reasons)

    def key(self) -> tuple[Any, ...]:
        """The schedule fields that identify it (those the evaluation compares)."""
        return schedule_key(self.schedule)


def schedule_key(schedule: dict[str, Any]) -> tuple[Any, ...]:
    kind = schedule["type"]
    if kind == "quota":
        return (kind, schedule["per"], schedule["count"])
    if kind == "yearly_deadline":
        return (kind, schedule["month"], schedule["day"])
    if kind == "window":
        return (kind, schedule["period"], schedule.get("index"))
    if kind == "once":
        date = schedule["date"]
        if schedule.get("exclusive"):
            date = date - dt.timedelta(days=1)
        return (kind, date)
    return (kind,)


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
_FUTURE_HEADING = re.compile(r"安排|打算|计划|思路|下一步|展望|要点|任务")


def is_past_statement(sentence: str, year: int | None) -> bool:
    """True for a sentence that reports what was done rather than asking for something.

    A schedule (每年…, 至少/不少于, a deadline, 年内) or a modal (要, 应当, 必须 …) makes it a
    demand; otherwise figures ("学法18余次", "受理15件"), words of completed work (累计,
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
    for t in find_triggers(plain, 0, len(plain)):
        if t.kind in {"deadline", "window", "period"} or (t.kind == "count" and t.data["minimum"]) or (
                t.kind == "this_year" and not t.data["weak"]):
            return False
    if _DONE.search(plain) or _FIGURE.search(plain):
        return True
    years = [int(y) for y in _YEAR.findall(plain)]
    return bool(year is not None and years and max(years) < year)


def _past_sections(text: SourceText, structure: Structure, info: DocumentInfo) -> set[Path]:
    """Level-1 sections of a report that describe the past year (all but its plans)."""
    if not info.is_report:
        return set()
    past: set[Path] = {()}
    for para in structure.paragraphs:
        if para.numbered and len(para.path) == 1 and para.path[0].level == 1:
            heading = text.norm[para.start:para.end]
            years = [int(y) for y in _YEAR.findall(heading)]
            later = info.year is not None and any(y > info.year for y in years)
            if not (later or _FUTURE_HEADING.search(heading)):
                past.add(para.path)
    return past


def _sentence_year(text: SourceText, structure: Structure, path: Path, info: DocumentInfo) -> int | None:
    heading = structure.section_heading(path, text)
    m = _YEAR.search(heading)
    if m and (info.year is None or int(m["y"]) >= info.year):
        return int(m["y"])  # 四、2024年推进…的主要安排 in a report on 2023
    return info.year


_COMMA = re.compile(r"[,:]")
_ANCHORS = {"deadline", "window", "period", "this_year"}
_FILLER = re.compile(r"原则上|按照要求|应当|必须|要|应|须|并|且|均|都|的|于|在|和|及|等|到|前|内|以上")
_ACTOR_END = re.compile(r"(?:政府|部门|机关|单位|干部|班子|成员|负责人|同志|人员|会议|机构|办公室|局|委员会|领导)$")
_ACTOR_STOP = re.compile(r"(?<![重主需纲])要(?![求点素])|应当|应(?![急对用])|须|必须|于|每|在|原则上|[,;。]")
PERIOD_ZH = {"week": "周", "month": "月", "two_months": "两个月", "quarter": "季度", "half_year": "半年", "year": "年"}


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


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _this_year(year: int) -> dict[str, dt.date]:
    return {"from": dt.date(year, 1, 1), "until": dt.date(year, 12, 31)}


@dataclass
class _Built:
    schedule: dict[str, Any]
    reasons: list[str]
    effective: dict[str, dt.date] | None = None
    periodic: bool = False  # its schedule came from 每X (it absorbs a 定期 of the sentence)


def _unscheduled(reason: str, why: str) -> _Built:
    return _Built({"type": "unscheduled", "reason": reason}, [why])


def _quota(count: int, per: str, unit: str, reasons: list[str]) -> _Built:
    if (per == "week" and count > 5) or (per == "month" and count > 16):
        return _unscheduled(f"{count} per {per}", f"{count} per {PERIOD_ZH[per]} cannot be placed on working days; "
                            "check the number")
    return _Built({"type": "quota", "count": count, "per": per, "unit": unit}, reasons, periodic=True)


def _window(period: str, index: int | None, reasons: list[str]) -> _Built:
    schedule: dict[str, Any] = {"type": "window", "period": period}
    if index is not None:
        schedule["index"] = index
    return _Built(schedule, reasons, periodic=index is None)


def _monthly(d: dict[str, Any], year: int | None, holiday: str | None) -> _Built:
    """每月10日前: an RRULE deadline, from the plan's year on."""
    if year is None:
        return _unscheduled("year unknown", f"“{d['text']}”: the plan's year is unknown, so the rule has no start")
    reasons = []
    if d["day"] > 28:
        reasons.append(f"day {d['day']} does not exist in every month; those months have no occurrence")
    return _Built({"type": "rrule", "rrule": f"FREQ=MONTHLY;BYMONTHDAY={d['day']}", "start": dt.date(year, 1, 1),
                   "kind": "deadline", "holiday_policy": holiday or "keep"}, reasons, periodic=True)


def _build(part: list[Trigger], inherited: Trigger | None, year: int | None,
           holiday: str | None) -> _Built | None:
    """The schedule of one part of a sentence, from its triggers (None: no duty here)."""
    counts = [t for t in part if t.kind == "count"]
    periods = [t for t in part if t.kind == "period"]
    deadlines = [t for t in part if t.kind == "deadline"]
    windows = [t for t in part if t.kind == "window"]
    this_year = [t for t in part if t.kind == "this_year"]
    terms = [t for t in part if t.kind == "term"]
    vague = [t for t in part if t.kind == "vague"]
    # A bare count (2次) counts only shortly after its period (每年2次, 每季度召开一次); else it
    # is a figure ("开展法治讲座2次").
    counts = [c for c in counts if c.data["minimum"] or any(0 <= c.start - p.end <= 8 for p in periods)]
    if counts:
        c = counts[0]
        before = [p for p in periods if p.end <= c.start] or periods
        reasons: list[str] = []
        effective = None
        if before:
            per = before[-1].data["period"]
        elif this_year:
            per = "year"
            if year is None:
                reasons.append(f"“{this_year[0].data['text']}” is this year, but the plan's year is unknown: "
                               "it now counts every year")
            else:
                effective = _this_year(year)
        elif terms:
            return _unscheduled("任期内", f"“{c.data['text']}” over a term of office (任期内), "
                                "not a calendar period; add a date if the office sets one")
        elif inherited is not None:
            per = inherited.data["period"]
            reasons.append(f"the period ({inherited.data['text']}) is taken from earlier in the sentence")
        else:
            return _unscheduled("count without period", f"“{c.data['text']}” has no period; set one")
        if c.data["unit"] == "hours":
            built = _window(per, None, [*reasons, f"“{c.data['text']}” counts hours, not sessions: "
                                        "the duty is due by the end of each period"])
        else:
            built = _quota(c.data["count"], per, c.data["unit"], reasons)
        if built.effective is None:
            built.effective = effective
        return built
    if deadlines:
        d = deadlines[0].data
        reasons = [d["note"]] if "note" in d else []
        if d.get("monthly"):
            return _monthly(d, year, holiday)
        if d["yearly"]:
            if _date_or_none(2024, d["month"], d["day"]) is None:
                return _unscheduled("bad date", f"“{d['text']}” is not a real date; check it")
            schedule: dict[str, Any] = {"type": "yearly_deadline", "month": d["month"], "day": d["day"]}
        else:
            y = d["year"]
            if y is None:
                if year is None:
                    return _unscheduled("year unknown", f"“{d['text']}” has no year and the plan's year is unknown")
                y = year
                if d["pattern"] == "month_day" or d["pattern"] == "month_end":
                    reasons.append(f"“{d['text']}” has no year and no 每年: read as {y}; "
                                   "make it a yearly_deadline if it recurs")
            date = _date_or_none(y, d["month"], d["day"])
            if date is None:
                return _unscheduled("bad date", f"“{d['text']}” is not a real date; check it")
            schedule = {"type": "once", "date": date}
        if holiday:
            schedule["holiday_policy"] = holiday
        return _Built(schedule, reasons)
    if windows:
        w = windows[0].data
        built = _window(w["period"], w["index"], [])
        if not w["yearly"]:
            if year is None:
                built.reasons.append(f"“{w['text']}” without 每年, and the plan's year is unknown: "
                                     "it now recurs every year")
            else:
                built.effective = _this_year(year)
        if holiday:
            built.schedule["holiday_policy"] = holiday
        return built
    if periods:
        per = periods[0].data["period"]
        if per == "week":
            return _quota(1, "week", "session", [f"“{periods[0].data['text']}” without a count: read as once a week"])
        return _window(per, None, [])
    strong = [t for t in this_year if not t.data["weak"]]
    if strong:
        if year is None:
            return _window("year", None, [f"“{strong[0].data['text']}”: the plan's year is unknown"])
        return _Built({"type": "once", "date": dt.date(year, 12, 31)}, [])
    if vague:
        word = vague[0].data["word"]
        return _unscheduled(f"{word}: no period or date in the text",
                            f"{word}: the text gives no period or date; add one if the office has it")
    return None


def _title(content: str, schedule: dict[str, Any], vague: str) -> str:
    words = re.sub(r"\s+", "", content)
    words = re.sub(r"至少|不少于|不低于|不得少于|原则上", "", words)
    words = re.sub(r"^(?:要|应当|应|须|必须|并|且|同时)+", "", words).strip(",、:;")
    if len(words) > 30:
        words = words[:30] + "…"
    return f"{words or '(见原文)'}({schedule_words(schedule, vague)})"


def schedule_words(schedule: dict[str, Any], vague: str = "") -> str:
    """The schedule in a few Chinese words, for titles and the --against report."""
    kind = schedule["type"]
    if kind == "quota":
        unit = "天" if schedule.get("unit") == "day" else "次"
        return f"每{PERIOD_ZH[schedule['per']]}至少{schedule['count']}{unit}"
    strictly = "(不含当日)" if schedule.get("exclusive") else ""
    if kind == "yearly_deadline":
        return f"每年{schedule['month']}月{schedule['day']}日前{strictly}"
    if kind == "window":
        index = schedule.get("index")
        period = schedule["period"]
        if index is None:
            return f"每{PERIOD_ZH[period]}内"
        part = {"quarter": f"第{index}季度", "half_year": "上半年" if index == 1 else "下半年",
                "month": f"{index}月", "two_months": f"第{index}个双月"}.get(period, str(index))
        return f"{part}内"
    if kind == "once":
        d = schedule["date"]
        return f"{d.year}年{d.month}月{d.day}日前{strictly}"
    if kind == "rrule":
        rule = str(schedule.get("rrule", ""))
        m = re.fullmatch(r"FREQ=MONTHLY;BYMONTHDAY=(\d+)", rule)
        return f"每月{m.group(1)}日前" if m else rule
    if not vague:
        reason = str(schedule.get("reason", ""))
        vague = next((w for w in ("定期", "常态化", "及时", "适时") if w in reason), "")
    return f"{vague}·未定时间" if vague else "未定时间"


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
    for index, (a, b) in enumerate(parts):
        part = [t for t in triggers if a <= t.start < b]
        built = _build(part, inherited, year, holiday)
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
            built.reasons.append(f"the sentence also says {vague}")
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
    "PERIOD_ZH",
    "DocumentInfo",
    "Duty",
    "Extraction",
    "document_info",
    "extract",
    "is_past_statement",
    "schedule_key",
    "schedule_words",
    "similarity",
]
