"""Calendar feeds: ``ics`` writes them, ``token`` makes the secret of a private one."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import secrets
import sys
from pathlib import Path

from calendars.export import feed_range
from calendars.feeds import FeedSet, Selection, Shape, build_feed_set
from cli.context import Context, check_ids, load_context, warn
from cli.ics_out import Job, export, one_feed, stderr_progress
from i18n import tr
from store import open_store
from store.event_versions import EventVersions


def build_feeds(ctx: Context, first: dt.date | None = None, last: dt.date | None = None) -> FeedSet:
    """Every feed of the current rules, with versions from the configured store."""
    config = ctx.loaded.config
    now = dt.datetime.now(dt.UTC)  # the edge reads the clock; the domain does not
    default_first, default_last = feed_range(now.astimezone(ctx.tz).date(), config.feeds.months_back,
                                             config.feeds.months_ahead)
    store = open_store(ctx.loaded.database_url)
    try:
        return build_feed_set(
            ctx.snapshot, first or default_first, last or default_last,
            versions=EventVersions(store).sync, now=now, base_url=ctx.loaded.public_url, lang=ctx.lang,
            refresh=dt.timedelta(minutes=config.feeds.refresh_minutes),
        )
    finally:
        store.close()


def cmd_ics(args: argparse.Namespace) -> int:
    """One feed (all duties, or ``--unit``'s) to stdout, or every feed as files into ``--out``.

    ``--windows span`` gives the shape of ``?windows=span``: unplaced windows as multi-day events.
    """
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    shape: Shape = "span" if args.windows == "span" else "due"
    if args.out:
        return _write_all(ctx, args, shape)
    if args.unit:  # only that unit's occurrences are expanded and written
        job = _job(ctx, args, shape)
        body = one_feed(job, Selection("unit", args.unit))
        warn(ctx.snapshot.expander(ctx.lang).expand(job.first, job.first, obligations=()), ctx.lang)
        sys.stdout.buffer.write(body)
        return 0
    feeds = build_feeds(ctx, args.from_, args.to)
    warn(feeds.expansion, ctx.lang)
    selection = Selection("unit", args.unit) if args.unit else Selection("all")
    sys.stdout.buffer.write(feeds.feed(selection, shape=shape).body)
    return 0


def _job(ctx: Context, args: argparse.Namespace, shape: Shape) -> Job:
    config = ctx.loaded.config
    now = dt.datetime.now(dt.UTC)  # the edge reads the clock; the domain does not
    first, last = feed_range(now.astimezone(ctx.tz).date(), config.feeds.months_back, config.feeds.months_ahead)
    return Job(ctx.snapshot, args.from_ or first, args.to or last, Path(args.out or "."), shape,
               ctx.loaded.database_url, ctx.loaded.public_url, ctx.lang, now)


def _write_all(ctx: Context, args: argparse.Namespace, shape: Shape) -> int:
    """``--out``: every feed as a file, on ``--jobs`` processes (cli/ics_out.py)."""
    config = ctx.loaded.config
    job = _job(ctx, args, shape)
    counts = export(job, args.unit, max(1, args.jobs or os.cpu_count() or 1), stderr_progress(ctx.lang))
    # the calendar's warnings: years of the range without official data (export touched each one)
    warn(ctx.snapshot.expander(ctx.lang).expand(job.first, job.first, obligations=()), ctx.lang)
    print(tr(ctx.lang, "cli.ics_wrote", count=counts.written, path=args.out, first=job.first.isoformat(),
             last=job.last.isoformat()))
    if counts.unchanged:
        print(tr(ctx.lang, "cli.ics_unchanged", count=counts.unchanged))
    if counts.skipped:
        print(tr(ctx.lang, "cli.ics_skipped", count=len(counts.skipped), cap=config.feeds.max_units,
                 paths=", ".join(s.path for s in counts.skipped[:5]) + (" …" if len(counts.skipped) > 5 else "")))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Print a private feed's URL and the config lines with only the token's SHA-256."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    print(tr(ctx.lang, "cli.token_url", name=args.name, url=f"{ctx.loaded.public_url}/feeds/t/{token}.ics"))
    print(tr(ctx.lang, "cli.token_add"))
    print(f"  - name: {args.name}")
    print(f"    token_sha256: {digest}")
    if args.unit:
        print(f"    unit: {args.unit}")
        if args.children:
            print("    children: true")
    return 0


__all__ = ["build_feeds", "cmd_ics", "cmd_token"]
