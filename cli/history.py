"""Completions at the command line: ``done`` marks (or ``--undo`` takes back) one occurrence, with the
day the work was done; ``history`` lists every change people made, through which door.

Times are shown in the configured time zone, and say which.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
import unicodedata
from typing import Any

from cli.context import Context, check_ids, load_context
from i18n import N_, Language, tr
from i18n.phrase import phrase
from i18n.shown import local_time, zone_label
from obligations.errors import FatalError
from scheduler.occurrence import Occurrence
from service import actions
from service.windows import ACTION_WORDS
from store import open_store
from store.history import Action, Entry, History, record
from store.reminders import ReminderStore

DOORS = {"cli": N_("history.door_cli"), "bot": N_("history.door_bot"), "web": N_("history.door_web")}
ACTIONS = ACTION_WORDS  # every action of the history in words: done … snooze, login … unwaive (migration 0009)
CSV_COLUMNS = ("id", "at", "time_zone", "actor", "door", "action", "obligation", "unit", "occurrence_uid",
               "occurrence_date", "done_on", "note", "evidence_url", "remind_at")
REFUSALS = {actions.Refusal.FUTURE_DAY: N_("cli.done_future_day"), actions.Refusal.TOO_EARLY: N_("cli.done_too_early")}


def _occurrence(ctx: Context, args: argparse.Namespace) -> tuple[Occurrence, tuple[Occurrence, ...]]:
    """The occurrence DATE names, and the other windows that hold DATE too."""
    unit = None if args.unit == "-" else args.unit
    check_ids(ctx, unit, args.obligation)
    occ, others = actions.find_window(ctx.snapshot, args.obligation, unit, args.date)
    if isinstance(occ, actions.NoOccurrence):
        none = phrase(N_("cli.none"), "none")
        dates = ", ".join(d.isoformat() for d in occ.nearby) or none
        error = FatalError(phrase(N_("cli.no_occurrence"), "%(duty)s has no occurrence for %(unit)s on %(date)s; "
                                  "nearby occurrences: %(dates)s", duty=occ.obligation, date=occ.date.isoformat(),
                                  unit=occ.unit or phrase(N_("cli.no_unit"), "no unit"), dates=dates))
        error.lang = ctx.lang  # worded in the reader's language (cli.run)
        raise error
    return occ, others


def _window(lang: Language, occ: Occurrence) -> str:
    return tr(lang, "cli.done_window", first=_iso(occ.window_start or occ.date), last=_iso(occ.window_end or occ.date),
              due=_iso(occ.due or occ.date))


def _iso(day: dt.date) -> str:
    return day.isoformat()


def two_windows(lang: Language, day: dt.date, chosen: Occurrence, others: tuple[Occurrence, ...]) -> str:
    """The note that ``day`` lies in two windows of one duty: which was chosen, and how to name the other."""
    return tr(lang, "cli.done_two_windows", day=day.isoformat(), chosen=_window(lang, chosen),
              others=tr(lang, "cli.separator").join(_window(lang, o) for o in others),
              dates=tr(lang, "cli.separator").join(_iso(o.due or o.date) for o in others))


def _mark(store: ReminderStore, target: actions.Target, actor: actions.Actor, args: argparse.Namespace,
          ctx: Context, now: dt.datetime) -> str:
    today = now.astimezone(ctx.tz).date()
    done_on = args.on or today
    marked = actions.mark_done(store, target, actor, now=now, done_on=done_on, today=today, note=args.note or "",
                               evidence_url=args.evidence)
    if isinstance(marked, actions.Refused):
        raise FatalError(tr(ctx.lang, REFUSALS[marked.reason], day=done_on.isoformat(), today=today.isoformat(),
                            zone=zone_label(ctx.lang, ctx.tz), earliest=actions.earliest_done_on(target).isoformat()))
    c = marked.completion
    if marked.created:
        return tr(ctx.lang, "cli.done_marked", uid=target.uid, day=c.done_on.isoformat())
    return tr(ctx.lang, "cli.done_already", uid=target.uid, day=c.done_on.isoformat(), by=c.by,
              at=local_time(ctx.lang, c.at, ctx.tz))


def cmd_done(args: argparse.Namespace) -> int:
    """Find the occurrence DATE names (its date or its date as written): mark it done on ``--on``, or undo that."""
    ctx = load_context(args)
    occ, others = _occurrence(ctx, args)
    if others:  # a day in two windows (holiday_policy: next stretched one past its period)
        print(two_windows(ctx.lang, args.date, occ, others))
    store, actor, now = ReminderStore(open_store(ctx.loaded.database_url)), actions.Actor(args.by, actions.Door.CLI), \
        dt.datetime.now(dt.UTC)
    try:
        if args.undo:
            undone = actions.undo_done(store, actions.Target.of(occ), actor, now=now)
            said = N_("cli.done_undone") if undone.removed else N_("cli.done_was_not")
            print(tr(ctx.lang, said, uid=occ.uid))
        else:
            print(_mark(store, actions.Target.of(occ), actor, args, ctx, now))
    finally:
        store.store.close()
    return 0


def local(at: dt.datetime, ctx: Context) -> str:
    """``at`` in the configured time zone, minutes (the zone is named once, in the header or the summary)."""
    return at.replace(tzinfo=at.tzinfo or dt.UTC).astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


def _record(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """One history row as JSON: times ISO 8601 with the configured zone's offset."""
    def iso(value: dt.datetime | None) -> str | None:
        return None if value is None else value.replace(tzinfo=value.tzinfo or dt.UTC).astimezone(ctx.tz).isoformat()

    return {"id": row["id"], "at": iso(row["at"]), "time_zone": ctx.tz.key, "actor": row["actor"],
            "door": row["door"], "action": row["action"], "obligation": row["obligation"], "unit": row["unit"],
            "occurrence_uid": row["occurrence_uid"],
            "occurrence_date": row["occurrence_date"].isoformat() if row["occurrence_date"] else None,
            "done_on": row["done_on"].isoformat() if row["done_on"] else None, "note": row["note"] or None,
            "evidence_url": row["evidence_url"], "remind_at": iso(row["remind_at"])}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[dict[str, Any]], ctx: Context) -> str:
    lang: Language = ctx.lang
    head = [tr(lang, "history.col_at", zone=zone_label(lang, ctx.tz)), tr(lang, "history.col_actor"),
            tr(lang, "history.col_door"), tr(lang, "history.col_action"), tr(lang, "label.duty"),
            tr(lang, "label.unit"), tr(lang, "label.date"), tr(lang, "history.col_done_on"),
            tr(lang, "history.col_detail")]
    body = []
    for r in rows:
        detail = " ".join(p for p in (r["note"], r["evidence_url"] or "",
                                      local(r["remind_at"], ctx) if r["remind_at"] else "") if p)
        body.append([local(r["at"], ctx), r["actor"], tr(lang, DOORS[r["door"]]), tr(lang, ACTIONS[r["action"]]),
                     r["obligation"] or "-", r["unit"] or "-",
                     r["occurrence_date"].isoformat() if r["occurrence_date"] else "-",
                     r["done_on"].isoformat() if r["done_on"] else "-", detail])
    widths = [max(_width(line[i]) for line in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(line, widths, strict=True)).rstrip()
             for line in [head, *body]]
    return "\n".join(lines) + "\n"


def _csv(records: list[dict[str, Any]]) -> str:
    """The JSON records as CSV (the same columns; null empty), UTF-8 with a BOM for spreadsheet programs."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in records)
    return "\ufeff" + buffer.getvalue()


def _export(ctx: Context, args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """Write the rows as JSON or CSV, and record the export in the history (who: --by, door cli)."""
    records = [_record(r, ctx) for r in rows]
    text = _csv(records) if args.format == "csv" else json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    what = f"history --format {args.format}" + "".join(
        f" --{k} {v}" for k, v in (("obligation", args.obligation), ("unit", args.unit), ("since", args.since)) if v)
    store = open_store(ctx.loaded.database_url)
    try:
        record(store, Entry(dt.datetime.now(dt.UTC), args.by, "cli", Action.EXPORT, "history", "", args.unit, None,
                            note=f"{what}: {len(rows)}"))
    finally:
        store.close()
    sys.stdout.write(text)


def cmd_history(args: argparse.Namespace) -> int:
    """Every recorded change, oldest first, of a duty or unit (or all), from ``--since`` on."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, args.obligation)
    since = None if args.since is None else dt.datetime.combine(args.since, dt.time(), ctx.tz)
    store = open_store(ctx.loaded.database_url)
    try:
        rows = History(store).entries(obligation=args.obligation, unit=args.unit, since=since)
    finally:
        store.close()
    if args.format in ("json", "csv"):
        _export(ctx, args, rows)
    elif rows:
        sys.stdout.write(_table(rows, ctx))
    print(tr(ctx.lang, "history.count", n=len(rows), zone=zone_label(ctx.lang, ctx.tz)), file=sys.stderr)
    return 0


__all__ = ["cmd_done", "cmd_history", "local", "two_windows"]
