"""``serve``: the HTTP service (feeds, the page, health check, the bot and reminders when configured)."""

from __future__ import annotations

import argparse

from cli.context import config_path
from web.server import serve


def cmd_serve(args: argparse.Namespace) -> int:
    """Run until stopped; the rules reload when their files change."""
    return serve(config_path(args.config), host=args.host, port=args.port, lang=args.lang, debug=args.debug)


__all__ = ["cmd_serve"]
