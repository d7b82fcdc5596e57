"""Reminders: ``simulate`` previews them, ``done`` stops them, ``reminders`` lists them, ``invite`` binds a chat."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from cli.context import Context, check_ids, check_range, load_context
from obligations.errors import FatalError
from service.simulate import simulate
from store import open_store
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
        print(f"wrote {len(records)} reminder(s) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0


def _reminder_store(ctx: Context) -> ReminderStore:
    return ReminderStore(open_store(ctx.loaded.database_url))


def cmd_done(args: argparse.Namespace) -> int:
    """Find the occurrence on DATE (its date or its date as written, within a month) and mark it done."""
    ctx = load_context(args)
    check_ids(ctx, args.unit if args.unit != "-" else None, args.obligation)
    unit = None if args.unit == "-" else args.unit
    found = ctx.expander().expand(args.date - dt.timedelta(days=31), args.date + dt.timedelta(days=31),
                                  units={unit} if unit else None, obligations={args.obligation})
    matching = [o for o in found.occurrences if o.unit == unit and args.date in (o.date, o.nominal)]
    if not matching:
        dates = ", ".join(sorted({o.date.isoformat() for o in found.occurrences if o.unit == unit})) or "none"
        raise FatalError(f"{args.obligation} has no occurrence for {unit or 'no unit'} on {args.date}; "
                         f"nearby occurrences: {dates}")
    occ = matching[0]
    store = _reminder_store(ctx)
    try:
        created = store.mark_done(uid=occ.uid, obligation=occ.obligation.id, unit=occ.unit, date=occ.date,
                                  by=args.by, at=dt.datetime.now(dt.UTC), note=args.note or "",
                                  evidence_url=args.evidence)
    finally:
        store.store.close()
    print(("marked done: " if created else "already done: ") + occ.uid)
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    """Pending (and claimed) reminders, or with ``--failed`` the failed and missed ones."""
    ctx = load_context(args)
    statuses = ("failed", "missed") if args.failed else ("pending", "claimed")
    store = _reminder_store(ctx)
    try:
        rows = store.listing(*statuses)
    finally:
        store.store.close()
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
        return 0
    for r in rows:
        when = r["send_after"].isoformat(sep=" ", timespec="minutes") if r["send_after"] else ""
        error = f"  {r['last_error']}" if r.get("last_error") else ""
        print(f"{when}  {r['status']:<8} {r['channel']}:{r['address']}  {r['obligation']}  {r['unit'] or '-'}  "
              f"{r['occurrence_date']}{error}")
    print(f"{len(rows)} reminder(s)", file=sys.stderr)
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
    what = ("an administrator" if args.admin else "a subscriber") + (f" of {args.unit}" if args.unit else "")
    print(f"/start {code}")
    print(f"one-time code for {what}; send the line above to the bot", file=sys.stderr)
    return 0


__all__ = ["cmd_done", "cmd_invite", "cmd_reminders", "cmd_simulate"]
