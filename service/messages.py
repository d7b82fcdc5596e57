"""The words of reminders, in the recipient's language, as text, HTML and Markdown."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calendars.ics import alarm_triggers, calendar_shell, make_event
from notifiers.base import Button, Message
from obligations.i18n import Language
from scheduler.snapshot import Snapshot
from store.reminders import Claimed

_WORDS: dict[str, dict[Language, str]] = {
    "reminder": {"zh-CN": "【法定职责提醒】", "en": "[Duty reminder]"},
    "changed": {"zh-CN": "【日期变更】", "en": "[Date changed]"},
    "escalation": {"zh-CN": "【逾期未办】", "en": "[Overdue]"},
    "admin": {"zh-CN": "【系统通知】", "en": "[System notice]"},
    "digest": {"zh-CN": "【法定职责提醒】共{n}项", "en": "[Duty reminders] {n} items"},
    "late": {"zh-CN": "(补发:原定{due}发送)", "en": "(late: was due {due})"},
    "days_left": {"zh-CN": "还有{n}天", "en": "{n} days left"},
    "today": {"zh-CN": "就是今天", "en": "today"},
    "overdue": {"zh-CN": "已过期{n}天", "en": "{n} days overdue"},
    "moved": {"zh-CN": "日期由 {old} 调整为 {new}", "en": "moved from {old} to {new}"},
    "not_done": {"zh-CN": "已到期,尚未标记完成", "en": "is due and not marked done"},
    "unit": {"zh-CN": "单位", "en": "Unit"},
    "date": {"zh-CN": "日期", "en": "Date"},
    "source": {"zh-CN": "依据", "en": "Source"},
    "done": {"zh-CN": "已完成", "en": "Done"},
    "snooze": {"zh-CN": "明天再提醒", "en": "Remind me tomorrow"},
    "add_calendar": {"zh-CN": "加入日历", "en": "Add to calendar"},
    "failed": {"zh-CN": "提醒发送失败:{what}", "en": "A reminder could not be sent: {what}"},
    "mark_done": {"zh-CN": "办结后点此标记完成", "en": "Mark it done"},
}


def w(key: str, lang: Language, **values: object) -> str:
    text = _WORDS[key][lang]
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Item:
    """One line of a message: a duty for a unit on a date."""

    kind: str
    title: str
    unit: str
    date: dt.date
    quote: str
    source: str
    link: str
    extra: str


def _lang(value: str) -> Language:
    return "en" if value == "en" else "zh-CN"


def item_of(row: Claimed, snapshot: Snapshot, base_url: str, today: dt.date, lang: Language) -> Item:
    rules = snapshot.rules
    ob = rules.obligations.get(row.obligation)
    title = ob.title if ob else row.obligation
    unit = rules.units[row.unit].name if row.unit and row.unit in rules.units else ""
    quote = ob.source.quote if ob else ""
    source = ""
    if ob:
        doc = rules.document_of(ob)
        source = f"《{doc.title}》{ob.source.clause}"
    days = (row.occurrence_date - today).days
    if row.kind == "admin":
        extra = w("failed", lang, what=row.notice or "")
    elif row.kind == "changed":
        old = row.previous_date.isoformat() if row.previous_date else "?"
        extra = w("moved", lang, old=old, new=row.occurrence_date.isoformat())
    elif row.kind == "escalation":
        extra = w("not_done", lang)
    elif days > 0:
        extra = w("days_left", lang, n=days)
    elif days == 0:
        extra = w("today", lang)
    else:
        extra = w("overdue", lang, n=-days)
    return Item(row.kind, title, unit, row.occurrence_date, quote, source, f"{base_url}/obligation/{row.obligation}",
                extra)


def compose(rows: Sequence[Claimed], snapshot: Snapshot, *, base_url: str, now: dt.datetime, late: bool,
            grace: dt.timedelta, ics: bytes | None = None,
            done_link: Callable[[Claimed], str] | None = None, mentions: tuple[str, ...] = (),
            attach_calendar: bool = False) -> Message:
    """One message for ``rows`` (all to the same recipient): a single reminder or a digest."""
    first = rows[0]
    lang = _lang(first.language)
    today = now.astimezone(snapshot.tz).date()
    items = [item_of(r, snapshot, base_url, today, lang) for r in rows]
    late_note = ""
    if late:
        due = min(r.send_after for r in rows).astimezone(snapshot.tz).strftime("%Y-%m-%d %H:%M")
        late_note = w("late", lang, due=due)
    if len(rows) == 1:
        it = items[0]
        head = w(first.kind if first.kind in _WORDS else "reminder", lang)
        subject = f"{head}{it.title}" + (f" · {it.unit}" if it.unit else "") + f" · {it.date.isoformat()}"
        lines = [head + late_note, it.title, f"{w('unit', lang)}: {it.unit}" if it.unit else "",
                 f"{w('date', lang)}: {it.date.isoformat()}({it.extra})", f"{w('source', lang)}: {it.source}",
                 f"“{it.quote}”" if it.quote else "", it.link]
        if done_link is not None and first.kind != "admin":
            lines.append(f"{w('mark_done', lang)}: {done_link(first)}")
    else:
        subject = w("digest", lang, n=len(rows))
        lines = [subject + late_note]
        for row, it in zip(rows, items, strict=True):
            unit = f" · {it.unit}" if it.unit else ""
            lines.append(f"• {it.date.isoformat()} {it.title}{unit}({it.extra}) {it.link}")
            if done_link is not None and row.kind != "admin":
                lines.append(f"  {w('mark_done', lang)}: {done_link(row)}")
    text = "\n".join(line for line in lines if line)
    markdown = "\n".join(_md(line) for line in text.split("\n"))
    html_body = "<br>\n".join(html.escape(line) for line in text.split("\n"))
    buttons: tuple[Button, ...] = ()
    if len(rows) == 1 and first.kind in {"reminder", "escalation", "changed"}:
        buttons = (Button(w("done", lang), f"d:{first.id}"), Button(w("snooze", lang), f"z:{first.id}"),
                   Button(w("add_calendar", lang), f"c:{first.id}"))
    key = first.key if len(rows) == 1 else "digest:" + hashlib.sha256(
        "\n".join(r.key for r in rows).encode()).hexdigest()[:32]
    if attach_calendar and ics is None and len(rows) == 1 and first.kind in {"reminder", "changed", "escalation"}:
        ics = occurrence_ics(first, snapshot, base_url=base_url, lang=lang)
    return Message(key=key, recipient=first.address, subject=subject, text=text, html=html_body, markdown=markdown,
                   ics=ics, ics_name=f"{first.obligation}.ics", buttons=buttons, covers=tuple(r.key for r in rows),
                   mentions=mentions)


def occurrence_ics(row: Claimed, snapshot: Snapshot, *, base_url: str, lang: Language) -> bytes | None:
    """The reminded occurrence as a one-event calendar (METHOD:PUBLISH) for mail clients to add."""

    rules = snapshot.rules
    if row.obligation not in rules.obligations or (row.unit and row.unit not in rules.units):
        return None
    expander = snapshot.expander()
    day = dt.timedelta(days=1)
    found = expander.expand(row.occurrence_date - day, row.occurrence_date + day, obligations={row.obligation},
                            units={row.unit} if row.unit else None).occurrences
    occ = next((o for o in found if o.uid == row.occurrence_uid), None)
    if occ is None:
        return None
    cal = calendar_shell(occ.obligation.title, snapshot.tz, refresh=dt.timedelta(days=1))
    triggers = alarm_triggers(occ, rules.reminders(occ.obligation), snapshot.tz,
                              expander.calendar_for(occ).workdays_before)
    event = make_event(occ, rules, tz=snapshot.tz, lang=lang, link=f"{base_url}/obligation/{occ.obligation.id}",
                       triggers=triggers)
    event.add("dtstamp", dt.datetime.combine(row.occurrence_date, dt.time(), dt.UTC))
    cal.add_component(event)
    return cal.to_ical()


def _md(line: str) -> str:
    return line if not line.startswith("【") else f"**{line}**"


__all__ = ["Item", "compose", "item_of", "w"]
