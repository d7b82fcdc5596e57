"""Commands on the rules themselves: ``validate`` and ``list`` (``schema`` is in cli/schema.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys

import notifiers
from cli.context import load_context
from i18n import tr
from notifiers.base import PermanentError
from notifiers.telegram_urls import api_urls
from obligations.errors import Problem, ValidationFailed
from obligations.loader import LoadedConfig
from web.describe import describe


def cmd_validate(args: argparse.Namespace) -> int:
    """Check the rules files and the channel settings; every problem at once (exit 2).

    ``validate FILE…`` checks the files with the rest of the configured rules and reports only
    their problems (the config's channels are not theirs); ``--alone`` checks them by themselves.
    """
    ctx = load_context(args, args.paths)
    problems = _channel_problems(ctx.loaded) if ctx.checked is None else []
    if problems:
        raise ValidationFailed(problems)
    files = ctx.rules.files if ctx.checked is None else ctx.checked
    units, duties = sum(len(f.rules.units) for f in files), sum(len(f.rules.obligations) for f in files)
    print(tr(ctx.lang, "cli.validate_ok", files=len(files), units=units, duties=duties))
    return 0


def _channel_problems(loaded: LoadedConfig) -> list[Problem]:
    """Channel settings ``serve`` would refuse (each placed on its key), and a Bot API URL in the
    environment it could not use."""
    placed = notifiers.problems(loaded.source)
    if placed:
        return placed
    where = str(loaded.path or "config")
    try:
        notifiers.load(loaded.config.notifiers)
    except ValueError as exc:
        return [Problem(where, 0, 0, str(exc))]
    url = os.environ.get("TELEGRAM_API_URL")
    if url:
        try:
            api_urls(url)
        except PermanentError as exc:
            return [Problem("environment", 0, 0, str(exc))]
    return []


def cmd_list(args: argparse.Namespace) -> int:
    """The duties with their schedule type and source, filtered by ``--type`` and ``--review``.

    This is an administrator's view: ``--notes`` shows the rule authors' notes under each duty
    (the JSON always has them); feeds, reminders and the public pages never do.
    """
    ctx = load_context(args)
    rows = []
    for ob in ctx.rules.obligations.values():
        if args.type and ob.schedule.type != args.type:
            continue
        if args.review and not ob.review:
            continue
        doc = ctx.rules.document_of(ob)
        rows.append({
            "obligation": ob.id, "title": ob.title, "schedule": ob.schedule.type,
            "schedule_words": describe(ob.schedule, ctx.lang), "review": ob.review,
            "review_reason": ob.review_reason, "units": len([u for u in ctx.rules.applies_to(ob) if u]),
            "source": {"doc": doc.id, "clause": ob.source.clause, "quote": ob.source.quote},
            "notes": ob.notes or None,
            "reason": getattr(ob.schedule, "reason", "") or None,  # why an unscheduled duty has no date
        })
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        flag = tr(ctx.lang, "cli.list_review") if row["review"] else ""
        # the schedule in words, its type (what --type and the YAML say) in brackets
        print(f"{row['obligation']}  {row['schedule_words']} [{row['schedule']}]  {row['title']}{flag}")
        if args.notes and row["reason"]:
            print(tr(ctx.lang, "cli.list_reason", text=row["reason"]))
        if args.notes and row["notes"]:
            for line in str(row["notes"]).strip().splitlines():
                print(tr(ctx.lang, "cli.list_note", text=line.strip()))
    print(tr(ctx.lang, "cli.list_count", count=len(rows)), file=sys.stderr)
    return 0


__all__ = ["cmd_list", "cmd_validate"]
