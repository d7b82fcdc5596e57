"""Calendar feeds: ``ics`` writes them, ``token`` makes the secret of a private one."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import secrets
import sys
from pathlib import Path

from calendars.export import export_feeds, feed_range
from calendars.feeds import FeedSet, Selection, build_feed_set
from cli.context import Context, check_ids, load_context, warn
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
    """One feed (all duties, or ``--unit``'s) to stdout, or every feed as files into ``--out``."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    feeds = build_feeds(ctx, args.from_, args.to)
    warn(feeds.expansion, ctx.lang)
    if args.out:
        written = export_feeds(feeds, Path(args.out), args.unit)
        print(f"wrote {written} feed(s) to {args.out} ({feeds.first} to {feeds.last})")
        return 0
    selection = Selection("unit", args.unit) if args.unit else Selection("all")
    sys.stdout.buffer.write(feeds.feed(selection).body)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Print a private feed's URL and the config lines with only the token's SHA-256."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, None)
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    print(f"feed URL (give it only to {args.name}): {ctx.loaded.public_url}/feeds/t/{token}.ics")
    print("add under feeds.private in config.yaml:")
    print(f"  - name: {args.name}")
    print(f"    token_sha256: {digest}")
    if args.unit:
        print(f"    unit: {args.unit}")
        if args.children:
            print("    children: true")
    return 0


__all__ = ["build_feeds", "cmd_ics", "cmd_token"]
