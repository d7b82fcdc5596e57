"""Reminders: ``simulate`` previews them, ``reminders`` lists them, ``invite`` binds a chat (``done``: cli.history)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path

from cli.context import Context, check_ids, check_range, load_context
from cli.render import pad
from i18n import N_, Language, tr
from i18n.shown import local_time
from service.simulate import simulate
from store import open_store
from store.lifecycle import ReminderStatus
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore


def cmd_simulate(args: argparse.Namespace) -> int:
    """The real planner and dispatcher on a virtual clock over a scratch store; JSON lines out."""
    ctx = load_context(args)
    check_range(args.from_, args.to)
    with tempfile.TemporaryDirectory(prefix="simulate-") as workdir:
        records = asyncio.run(simulate(ctx.snapshot, args.from_, args.to, workdir=Path(workdir),
                                       base_url=ctx.loaded.public_url))
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if args.out:
        Path(args.out).write_text(lines, encoding="utf-8")
        print(tr(ctx.lang, "cli.simulate_wrote", count=len(records), path=args.out), file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0


# a reminder's status (store.lifecycle.ReminderStatus) in words
STATUS_WORDS = {
    ReminderStatus.PENDING: N_("cli.status.pending"), ReminderStatus.CLAIMED: N_("cli.status.claimed"),
    ReminderStatus.SENT: N_("cli.status.sent"), ReminderStatus.FAILED: N_("cli.status.failed"),
    ReminderStatus.MISSED: N_("cli.status.missed"), ReminderStatus.CANCELLED: N_("cli.status.cancelled"),
}


def status_words(lang: Language, status: str) -> str:
    """``待发送`` / ``pending`` for ``pending``; a value not in the table as it is."""
    return tr(lang, STATUS_WORDS[ReminderStatus(status)]) if status in set(ReminderStatus) else status


# the dispatcher's own reasons (service.dispatcher), stored in English in last_error; a channel's
# own error text (550 no such user) is shown as it is
_REASONS = (
    (re.compile(r"^the duty's date passed before it could be sent$"), N_("cli.reason.missed")),
    (re.compile(r"^channel (?P<channel>.+) is not configured \(notifiers: in config\.yaml\)$"),
     N_("cli.reason.no_channel")),
    (re.compile(r"^gave up after (?P<attempts>\d+) attempts: (?P<error>.*)$", re.S), N_("cli.reason.gave_up")),
    (re.compile(r"^(?P<error>.*); subscriber deactivated$", re.S), N_("cli.reason.deactivated")),
)


def reason_words(lang: Language, error: str) -> str:
    """A reminder's ``last_error`` in ``lang`` when it is one of the dispatcher's own reasons."""
    for pattern, msgid in _REASONS:
        found = pattern.match(error)
        if found:
            return tr(lang, msgid, **found.groupdict())
    return error


def _iso(value: object, ctx: Context) -> object:
    """An instant (stored UTC, naive or aware) as ISO 8601 in the configured zone; a day as ISO; else as it is."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=value.tzinfo or dt.UTC).astimezone(ctx.tz).isoformat()
    return value.isoformat() if isinstance(value, dt.date) else value


def _reminder_store(ctx: Context) -> ReminderStore:
    return ReminderStore(open_store(ctx.loaded.database_url))


def cmd_reminders(args: argparse.Namespace) -> int:
    """Pending (and claimed) reminders, or with ``--failed`` the failed and missed ones."""
    ctx = load_context(args)
    statuses = ((ReminderStatus.FAILED, ReminderStatus.MISSED) if args.failed
                else (ReminderStatus.PENDING, ReminderStatus.CLAIMED))
    store = _reminder_store(ctx)
    try:
        rows = store.listing(*statuses)
    finally:
        store.store.close()
    if args.format == "json":  # instants as ISO 8601 with the configured zone's offset, never bare UTC
        records = [{k: _iso(v, ctx) for k, v in r.items()} | {"time_zone": ctx.tz.key} for r in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
        return 0
    for r in rows:  # times as the reader thinks of them: the configured zone, named (not UTC)
        when = local_time(ctx.lang, r["send_after"], ctx.tz) if r["send_after"] else ""
        error = f"  {reason_words(ctx.lang, r['last_error'])}" if r.get("last_error") else ""
        status = pad(status_words(ctx.lang, r["status"]), 8)
        print(f"{when}  {status} {r['channel']}:{r['address']}  {r['obligation']}  {r['unit'] or '-'}  "
              f"{r['occurrence_date']}{error}")
    print(tr(ctx.lang, "cli.reminders_count", count=len(rows)), file=sys.stderr)
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Store a one-time invite (only its hash) and print ``/start CODE``."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    store = open_store(ctx.loaded.database_url)
    try:
        code = SubscriberStore(store).create_invite(unit=args.unit, admin=args.admin, now=dt.datetime.now(dt.UTC))
    finally:
        store.close()
    who = tr(ctx.lang, N_("cli.invite_admin") if args.admin else N_("cli.invite_subscriber"))
    what = tr(ctx.lang, "cli.invite_of_unit", who=who, unit=args.unit) if args.unit else who
    print(f"/start {code}")
    print(tr(ctx.lang, "cli.invite_code", who=what), file=sys.stderr)
    return 0


__all__ = ["STATUS_WORDS", "cmd_invite", "cmd_reminders", "cmd_simulate", "reason_words", "status_words"]
