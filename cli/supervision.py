"""Supervision at the command line: ``waive`` exempts a window (or ``--undo`` takes that back), ``report``
writes the board's rows as CSV, XLSX or HTML.

Both find their windows as ``done`` does (any day inside a window names it) and go through the
same service functions as the board on the web (service.supervision, service.report).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cli.context import Context, check_ids, check_range, load_context
from i18n import N_, tr
from i18n.phrase import phrase
from obligations.errors import FatalError
from scheduler.occurrence import Occurrence
from service import actions, report, supervision
from store import open_store
from store.ledger import record_export


def find_occurrence(ctx: Context, args: argparse.Namespace) -> Occurrence:
    """The window of OBLIGATION for UNIT that DATE names (as ``done`` finds it)."""
    unit = None if args.unit == "-" else args.unit
    check_ids(ctx, unit, args.obligation)
    occ = actions.find_occurrence(ctx.snapshot, args.obligation, unit, args.date)
    if isinstance(occ, actions.NoOccurrence):
        dates = ", ".join(d.isoformat() for d in occ.nearby) or "-"
        raise FatalError(phrase(N_("cli.no_window"), "%(duty)s has no window for %(unit)s on %(date)s; nearby: "
                                "%(dates)s", duty=occ.obligation, unit=occ.unit or "-", date=str(occ.date),
                                dates=dates))
    return occ


def cmd_waive(args: argparse.Namespace) -> int:
    """Waive the window DATE names, with ``--reason``; or ``--undo`` a waiver."""
    ctx = load_context(args)
    occ = find_occurrence(ctx, args)
    target, actor, now = actions.Target.of(occ), actions.Actor(args.by, actions.Door.CLI), dt.datetime.now(dt.UTC)
    store = open_store(ctx.loaded.database_url)
    try:
        if args.undo:
            said = N_("cli.unwaived") if supervision.unwaive(store, target, actor, now=now) else N_("cli.not_waived")
        else:
            if not (args.reason or "").strip():
                raise FatalError(phrase(N_("cli.waive_needs_reason"), "a waiver needs a reason: --reason TEXT "
                                        "(合并举办, 上级统一组织, …)"))
            created = supervision.waive(store, target, actor, reason=args.reason, now=now)
            said = N_("cli.waived") if created else N_("cli.already_waived")
    finally:
        store.close()
    print(tr(ctx.lang, said, uid=occ.uid, due=(occ.due or occ.date).isoformat()))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The board's rows of ``--from``..``--to`` (a unit, with ``--children`` its subtree) as a file."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    check_range(args.from_, args.to)
    now = dt.datetime.now(dt.UTC)
    query = supervision.Query(args.from_, args.to, unit=args.unit, children=args.children, sort="unit")
    store = open_store(ctx.loaded.database_url)
    try:
        rows = supervision.board(ctx.snapshot, store, query, today=now.astimezone(ctx.tz).date())
        title = report.title_of(ctx.lang, args.from_, args.to)  # 2025年第一季度 for a range that is one period
        data = report.render(rows, ctx.rules, ctx.lang, args.format, table=args.table, title=title)
        if args.out:
            Path(args.out).write_bytes(data)
        elif args.format == "xlsx" and sys.stdout.isatty():
            raise FatalError(phrase(N_("cli.report_needs_out"), "an XLSX file is not for a terminal: add "
                                    "--out FILE.xlsx"))
        else:
            sys.stdout.buffer.write(data)
        what = f"{args.format} {args.table if args.format == 'csv' else 'all'} {args.from_}..{args.to}" \
               f"{' children' if args.children else ''}: {len(rows)} rows"
        record_export(store, at=now, actor=args.by, door="cli", what=what, unit=args.unit)
    finally:
        store.close()
    if args.out:
        print(tr(ctx.lang, "cli.report_wrote", n=len(rows), path=args.out), file=sys.stderr)
    return 0


__all__ = ["cmd_report", "cmd_waive"]
