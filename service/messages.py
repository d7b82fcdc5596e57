"""The words of reminders, in the recipient's language, as text, HTML and Markdown."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calendars.ics import alarm_triggers, calendar_shell, make_event
from i18n import N_, Language, language, tr
from i18n.shown import local_time
from notifiers.base import Button, Message
from obligations.model import Obligation
from scheduler.snapshot import Snapshot
from store.lifecycle import Notice
from store.reminders import Claimed

# the first line of a single reminder, by its kind
_HEADS = {"reminder": N_("message.head.reminder"), "changed": N_("message.head.changed"),
          "escalation": N_("message.head.escalation"), "admin": N_("message.head.admin"),
          "opening": N_("message.head.opening")}
# an opening notice names the window by its schedule's period (本周需完成…); "this window" otherwise
_PERIODS = {"week": N_("message.period.week"), "month": N_("message.period.month"),
            "quarter": N_("message.period.quarter"), "half_year": N_("message.period.half_year"),
            "year": N_("message.period.year")}
# spelled out rather than f"month.{n}", which the catalog test would need declared as dynamic
_MONTHS = (N_("month.1"), N_("month.2"), N_("month.3"), N_("month.4"), N_("month.5"), N_("month.6"),
           N_("month.7"), N_("month.8"), N_("month.9"), N_("month.10"), N_("month.11"), N_("month.12"))
_WITH_BUTTONS = frozenset({"reminder", "escalation", "changed", "opening"})
# what an admin notice reports (store.lifecycle.Notice), in words: never the stored code ("failed")
_NOTICES = {Notice.FAILED: N_("message.notice.failed"), Notice.MISSED: N_("message.notice.missed"),
            Notice.BAD_SUBSCRIPTION: N_("message.notice.bad_subscription"),
            Notice.INVITE_LOCKOUT: N_("message.notice.invite_lockout"),
            Notice.LOGIN_LOCKOUT: N_("message.notice.login_lockout")}


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
        extra = tr(lang, _NOTICES[row.notice]) if row.notice in _NOTICES else \
            tr(lang, "message.failed", what=row.notice or "")
    elif row.kind == "changed":
        old = row.previous_date.isoformat() if row.previous_date else "?"
        extra = tr(lang, "message.moved", old=old, new=row.occurrence_date.isoformat())
    elif row.kind == "escalation":
        extra = tr(lang, "message.not_done")
    elif row.kind == "opening":
        extra = _opening(ob, row.occurrence_date, lang)
    elif days > 0:
        extra = tr(lang, "message.days_left", n=days)
    elif days == 0:
        extra = tr(lang, "message.today")
    else:
        extra = tr(lang, "message.days_overdue", n=-days)
    # a notice about a weekly summary (its obligation is the summary's subject) links to the board
    link = f"{base_url}/supervision" if row.occurrence_uid.startswith("summary/") else \
        f"{base_url}/obligation/{row.obligation}"
    return Item(row.kind, title, unit, row.occurrence_date, quote, source, link, extra)


def _opening(ob: Obligation | None, due: dt.date, lang: Language) -> str:
    """"本周需完成,截止 9月26日(周五)": the window's period (whole-period windows only) and its due day."""
    schedule = ob.schedule if ob else None
    period = getattr(schedule, "per", None) or getattr(schedule, "period", None)
    whole = getattr(schedule, "count", 1) == 1  # a quota of 2 a month has two windows a month
    code = _PERIODS.get(str(getattr(period, "value", period)), N_("message.period.window")) if whole else \
        N_("message.period.window")
    day = tr(lang, "message.due_day", month=tr(lang, _MONTHS[due.month - 1]), day=due.day,
             weekday=tr(lang, f"weekday.{due.isoweekday()}"))
    return tr(lang, "message.opening", period=tr(lang, code), due=day)


def compose(rows: Sequence[Claimed], snapshot: Snapshot, *, base_url: str, now: dt.datetime, late: bool,
            grace: dt.timedelta, ics: bytes | None = None,
            done_link: Callable[[Claimed], str] | None = None, mentions: tuple[str, ...] = (),
            attach_calendar: bool = False) -> Message:
    """One message for ``rows`` (all to the same recipient): a single reminder or a digest."""
    first = rows[0]
    lang = language(first.language)
    today = now.astimezone(snapshot.tz).date()
    items = [item_of(r, snapshot, base_url, today, lang) for r in rows]
    late_note = ""
    if late:
        due = local_time(lang, min(r.send_after for r in rows), snapshot.tz)
        late_note = tr(lang, "message.late", due=due)
    if len(rows) == 1:
        it = items[0]
        head = tr(lang, _HEADS.get(first.kind, _HEADS["reminder"]))
        subject = f"{head}{it.title}" + (f" · {it.unit}" if it.unit else "") + f" · {it.date.isoformat()}"
        lines = [head + late_note, it.title, f"{tr(lang, 'label.unit')}: {it.unit}" if it.unit else "",
                 f"{tr(lang, 'label.date')}: {it.date.isoformat()}({it.extra})",
                 f"{tr(lang, 'label.source')}: {it.source}",
                 f"“{it.quote}”" if it.quote else "", it.link]
        if done_link is not None and first.kind != "admin":
            lines.append(f"{tr(lang, 'message.mark_done')}: {done_link(first)}")
    else:
        subject = tr(lang, "message.digest", n=len(rows))
        lines = [subject + late_note]
        for row, it in zip(rows, items, strict=True):
            unit = f" · {it.unit}" if it.unit else ""
            lines.append(f"• {it.date.isoformat()} {it.title}{unit}({it.extra}) {it.link}")
            if done_link is not None and row.kind != "admin":
                lines.append(f"  {tr(lang, 'message.mark_done')}: {done_link(row)}")
    text = "\n".join(line for line in lines if line)
    markdown = "\n".join(_md(line) for line in text.split("\n"))
    html_body = "<br>\n".join(html.escape(line) for line in text.split("\n"))
    buttons: tuple[Button, ...] = ()
    if len(rows) == 1 and first.kind in _WITH_BUTTONS:
        buttons = (Button(tr(lang, "message.button.done"), f"d:{first.id}"),
                   Button(tr(lang, "message.button.snooze"), f"z:{first.id}"),
                   Button(tr(lang, "message.button.add_calendar"), f"c:{first.id}"))
    key = first.key if len(rows) == 1 else "digest:" + hashlib.sha256(
        "\n".join(r.key for r in rows).encode()).hexdigest()[:32]
    if attach_calendar and ics is None and len(rows) == 1 and first.kind in _WITH_BUTTONS:
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


__all__ = ["Item", "compose", "item_of"]
