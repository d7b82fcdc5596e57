"""``expand``: the dated occurrences of a range as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from cli.context import check_ids, check_range, load_context, warn
from cli.render import occurrence_record, render_csv, render_table
from i18n import Language, tr
from obligations.ruleset import RuleSet
from scheduler.occurrence import Occurrence


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
    for line in overlap_notes(expansion.occurrences, ctx.rules, ctx.lang):
        print(line, file=sys.stderr)
    if args.format == "json":
        data = [occurrence_record(o, ctx.rules) for o in expansion.occurrences]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_csv(expansion.occurrences, ctx.rules))
    else:
        sys.stdout.write(render_table(expansion.occurrences, ctx.rules, ctx.lang,
                                      lambda o: expander.calendar_for(o).is_workday(o.date)))
    return 0


def overlaps(occurrences: list[Occurrence]) -> list[tuple[Occurrence, Occurrence]]:
    """Pairs of windows of one duty and unit that share days (``holiday_policy: next`` stretched the
    first past its period into the next one's), earlier window first."""
    by_duty: dict[tuple[str, str | None], list[Occurrence]] = {}
    for occ in occurrences:
        by_duty.setdefault((occ.obligation.id, occ.unit), []).append(occ)
    pairs = []
    for windows in by_duty.values():
        windows.sort(key=lambda o: (_opens(o), _ends(o)))
        for i, first in enumerate(windows):
            for second in windows[i + 1:]:
                if _opens(second) > _ends(first):
                    break
                pairs.append((first, second))
    return pairs


def _opens(occ: Occurrence) -> dt.date:
    return occ.window_start or occ.date


def _ends(occ: Occurrence) -> dt.date:
    return occ.window_end or occ.date


def overlap_notes(occurrences: list[Occurrence], rules: RuleSet, lang: Language) -> list[str]:
    """One line per day range that lies in two windows of a duty: which window ``done`` takes for it."""
    notes = []
    for first, second in overlaps(occurrences):
        notes.append(tr(lang, "cli.two_windows", duty=first.obligation.id,
                        unit=rules.units[first.unit].name if first.unit else "-",
                        first=_opens(second).isoformat(), last=min(_ends(first), _ends(second)).isoformat(),
                        due=(first.due or first.date).isoformat(), other_due=(second.due or second.date).isoformat()))
    return notes


__all__ = ["cmd_expand", "overlap_notes", "overlaps"]
