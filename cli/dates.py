"""``expand``: the dated occurrences of a range as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json
import sys

from cli.context import check_ids, check_range, load_context, warn
from cli.render import occurrence_record, render_csv, render_table


def cmd_expand(args: argparse.Namespace) -> int:
    """Expand the rules over ``--from``..``--to``, optionally one unit's or one duty's, and print them."""
    ctx = load_context(args)
    check_ids(ctx, args.unit, args.obligation)
    check_range(args.from_, args.to)
    expander = ctx.expander()
    expansion = expander.expand(
        args.from_, args.to,
        units={args.unit} if args.unit else None,
        obligations={args.obligation} if args.obligation else None,
    )
    warn(expansion, ctx.lang)
    if args.format == "json":
        data = [occurrence_record(o, ctx.rules) for o in expansion.occurrences]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_csv(expansion.occurrences, ctx.rules))
    else:
        sys.stdout.write(render_table(expansion.occurrences, ctx.rules, ctx.lang,
                                      lambda o: expander.calendar_for(o).is_workday(o.date)))
    return 0


__all__ = ["cmd_expand"]
