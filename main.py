"""Command line of the obligation calendar: ``python main.py COMMAND --help``.

Every command turns the project's errors into one sentence per problem and an
exit code (0 ok, 1 failed, 2 invalid input); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import secrets
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import notifiers
from calendars.export import export_feeds, feed_range
from calendars.feeds import Selection, build_feed_set
from extract.cli import add_parser as add_extract
from notifiers.base import PermanentError
from notifiers.telegram import api_urls
from obligations.diagnostics import did_you_mean
from obligations.errors import FatalError, HolidayDataMissing, Problem, UnknownReference, ValidationFailed
from obligations.i18n import Language, t
from obligations.loader import LoadedConfig, load_config, load_rules
from obligations.ruleset import RuleSet
from redaction import install
from scheduler.expand import Expander, Expansion
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot, load_snapshot
from scheduler.workdays import calendar_from_config
from service.schema import write_schemas
from service.simulate import simulate
from store import open_store
from store.event_versions import EventVersions
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from web.server import serve

if TYPE_CHECKING:
    from calendars.feeds import FeedSet

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = Path("config.yaml")
log = logging.getLogger("obligations")


# -- context ------------------------------------------------------------------------------------


@dataclass
class Context:
    snapshot: Snapshot
    lang: Language

    @property
    def loaded(self) -> LoadedConfig:
        return self.snapshot.loaded

    @property
    def rules(self) -> RuleSet:
        return self.snapshot.rules

    @property
    def tz(self) -> ZoneInfo:
        return self.snapshot.tz

    def expander(self) -> Expander:
        return self.snapshot.expander()


def _config_path(arg: str | None) -> Path | None:
    if arg is not None:
        path = Path(arg)
        if not path.exists():
            raise FatalError(f"{arg}: config file not found; pass an existing file to --config")
        return path
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    shipped = HERE / "config.yaml"
    return shipped if shipped.exists() else None


def load_context(args: argparse.Namespace, rules_override: Sequence[str] = ()) -> Context:
    now = dt.datetime.now(dt.UTC)
    if rules_override:
        loaded = load_config(_config_path(args.config))
        rules = load_rules([Path(p) for p in rules_override])
        snapshot = Snapshot(1, loaded, rules, calendar_from_config(loaded.config.calendar),
                            ZoneInfo(loaded.config.timezone), now)
    else:
        snapshot = load_snapshot(_config_path(args.config), 1, now)
    return Context(snapshot, args.lang or snapshot.loaded.config.language)


# -- argument types -------------------------------------------------------------------------------


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2025-03-01") from None


def _check_ids(ctx: Context, unit: str | None, obligation: str | None) -> None:
    pass

    if unit is not None and unit not in ctx.rules.units:
        raise UnknownReference(f"--unit {unit}: unknown unit id{did_you_mean(unit, ctx.rules.units)}")
    if obligation is not None and obligation not in ctx.rules.obligations:
        raise UnknownReference(
            f"--obligation {obligation}: unknown obligation id{did_you_mean(obligation, ctx.rules.obligations)}"
        )


# -- commands -----------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Check rules files; print one line per problem, exit 2 if any."""
    ctx = load_context(args, args.paths)
    problems = _channel_problems(ctx.loaded)
    if problems:
        raise ValidationFailed(problems)
    n_ob = len(ctx.rules.obligations)
    print(f"ok: {len(ctx.rules.files)} file(s), {len(ctx.rules.units)} units, {n_ob} obligations")
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
        pass

        try:
            api_urls(url)
        except PermanentError as exc:
            return [Problem("environment", 0, 0, str(exc))]
    return []


def _warn(expansion: Expansion) -> None:
    for warning in expansion.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def occurrence_record(occ: Occurrence, rules: RuleSet) -> dict[str, object]:
    """The JSON shape of one occurrence (documented in the README)."""
    ob = occ.obligation
    return {
        "obligation": ob.id,
        "title": ob.title,
        "unit": occ.unit,
        "unit_name": rules.units[occ.unit].name if occ.unit else None,
        "date": occ.date.isoformat(),
        "start": occ.start.isoformat() if occ.start else None,
        "end": occ.end.isoformat() if occ.end else None,
        "kind": occ.kind,
        "uid": occ.uid,
        "nominal_date": occ.nominal.isoformat() if occ.nominal else None,
        "window_start": occ.window_start.isoformat() if occ.window_start else None,
        "note": occ.note or None,
        "source": {
            "doc": rules.document_of(ob).id,
            "clause": ob.source.clause,
            "quote": ob.source.quote,
        },
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_table(occurrences: list[Occurrence], rules: RuleSet, lang: Language) -> str:
    if not occurrences:
        return t("no_occurrences", lang) + "\n"
    head = [t("date", lang), t("kind", lang), t("unit", lang), t("title", lang), t("obligation", lang)]
    rows = [
        [o.date.isoformat(), t(o.kind, lang), rules.units[o.unit].name if o.unit else "-",
         o.obligation.title, o.obligation.id]
        for o in occurrences
    ]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
             for r in [head, *rows]]
    return "\n".join(lines) + "\n"


def render_csv(occurrences: list[Occurrence], rules: RuleSet) -> str:
    buf = io.StringIO()
    fields = ["date", "kind", "obligation", "title", "unit", "unit_name", "start", "end",
              "nominal_date", "window_start", "note", "doc", "clause", "quote", "uid"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for occ in occurrences:
        rec = occurrence_record(occ, rules)
        source = rec.pop("source")
        assert isinstance(source, dict)
        rec.update(source)
        writer.writerow({k: ("" if rec.get(k) is None else rec[k]) for k in fields})
    return buf.getvalue()


def cmd_expand(args: argparse.Namespace) -> int:
    """Print the dated occurrences of a range."""
    ctx = load_context(args)
    _check_ids(ctx, args.unit, args.obligation)
    if args.to < args.from_:
        raise FatalError(f"--to {args.to} is before --from {args.from_}; swap them")
    expansion = ctx.expander().expand(
        args.from_, args.to,
        units={args.unit} if args.unit else None,
        obligations={args.obligation} if args.obligation else None,
    )
    _warn(expansion)
    if args.format == "json":
        data = [occurrence_record(o, ctx.rules) for o in expansion.occurrences]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_csv(expansion.occurrences, ctx.rules))
    else:
        sys.stdout.write(render_table(expansion.occurrences, ctx.rules, ctx.lang))
    return 0


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
    """Write iCalendar feeds: one to stdout, or all of them into --out DIR."""

    ctx = load_context(args)
    _check_ids(ctx, args.unit, None)
    feeds = build_feeds(ctx, args.from_, args.to)
    _warn(feeds.expansion)
    if args.out:
        written = export_feeds(feeds, Path(args.out), args.unit)
        print(f"wrote {written} feed(s) to {args.out} ({feeds.first} to {feeds.last})")
        return 0
    selection = Selection("unit", args.unit) if args.unit else Selection("all")
    sys.stdout.buffer.write(feeds.feed(selection).body)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP service: feeds, the page, health check; rules reload when their files change."""

    return serve(_config_path(args.config), host=args.host, port=args.port, lang=args.lang, debug=args.debug)


def cmd_token(args: argparse.Namespace) -> int:
    """Make a secret token for a private feed and print the config lines to add."""

    ctx = load_context(args)
    _check_ids(ctx, args.unit, None)
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


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run the real planner and dispatcher on a virtual clock; print every message as JSON lines."""


    ctx = load_context(args)
    if args.to < args.from_:
        raise FatalError(f"--to {args.to} is before --from {args.from_}; swap them")
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
    """Mark one occurrence of a duty done for a unit: no more reminders, shown as done."""
    ctx = load_context(args)
    _check_ids(ctx, args.unit if args.unit != "-" else None, args.obligation)
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
    """List reminders: pending ones, or failed and missed ones (what admins must look at)."""
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
    """Print a one-time code that binds a chat to the bot: send it as /start CODE."""

    ctx = load_context(args)
    _check_ids(ctx, args.unit, None)
    store = open_store(ctx.loaded.database_url)
    try:
        code = SubscriberStore(store).create_invite(unit=args.unit, admin=args.admin, now=dt.datetime.now(dt.UTC))
    finally:
        store.close()
    what = ("an administrator" if args.admin else "a subscriber") + (f" of {args.unit}" if args.unit else "")
    print(f"/start {code}")
    print(f"one-time code for {what}; send the line above to the bot", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List the duties themselves, including unscheduled ones and those awaiting review."""
    ctx = load_context(args)
    rows = []
    for ob in ctx.rules.obligations.values():
        if args.type and ob.schedule.type != args.type:
            continue
        if args.review and not ob.review:
            continue
        doc = ctx.rules.document_of(ob)
        rows.append({
            "obligation": ob.id, "title": ob.title, "schedule": ob.schedule.type, "review": ob.review,
            "review_reason": ob.review_reason, "units": len([u for u in ctx.rules.applies_to(ob) if u]),
            "source": {"doc": doc.id, "clause": ob.source.clause, "quote": ob.source.quote},
        })
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        flag = " [review]" if row["review"] else ""
        print(f"{row['obligation']}  {row['schedule']}  {row['title']}{flag}")
    print(f"{len(rows)} duties", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the JSON Schemas of the rules files and of config.yaml."""

    for path in write_schemas(Path(args.out)):
        print(f"wrote {path}")
    return 0


# -- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="configuration file (default: ./config.yaml, else the shipped one)")
    common.add_argument("--lang", choices=["zh-CN", "en"], help="language of the output (default: config)")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")

    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Obligation calendar: duties from policy documents as dated occurrences, "
        "calendar feeds and reminders.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", parents=[common], help="check rules files (exit 2 with every problem)",
                       description=cmd_validate.__doc__)
    p.add_argument("paths", nargs="*", metavar="PATH", help="rules files (default: those in the config)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("expand", parents=[common], help="list dated occurrences in a range",
                       description=cmd_expand.__doc__)
    p.add_argument("--from", dest="from_", type=iso_date, required=True, metavar="DATE",
                   help="first day, YYYY-MM-DD")
    p.add_argument("--to", type=iso_date, required=True, metavar="DATE", help="last day (inclusive)")
    p.add_argument("--unit", metavar="ID", help="only this unit's occurrences")
    p.add_argument("--obligation", metavar="ID", help="only this duty")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format")
    p.set_defaults(func=cmd_expand)

    p = sub.add_parser("ics", parents=[common], help="write iCalendar feeds",
                       description=cmd_ics.__doc__)
    p.add_argument("--unit", metavar="ID", help="only this unit's feed")
    p.add_argument("--out", metavar="DIR", help="write all feeds as files into DIR")
    p.add_argument("--from", dest="from_", type=iso_date, metavar="DATE",
                   help="first day (default: feeds.months_back months ago, from the 1st)")
    p.add_argument("--to", type=iso_date, metavar="DATE",
                   help="last day (default: the end of the month feeds.months_ahead months on)")
    p.set_defaults(func=cmd_ics)

    p = sub.add_parser("serve", parents=[common], help="run the HTTP service (feeds and the page)",
                       description=cmd_serve.__doc__)
    p.add_argument("--host", metavar="ADDR", help="address to listen on (default: server.host in the config)")
    p.add_argument("--port", type=int, metavar="N", help="port (default: server.port in the config)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", parents=[common], help="make a private feed token",
                       description=cmd_token.__doc__)
    p.add_argument("--name", required=True, help="who the feed is for (shown in the config)")
    p.add_argument("--unit", metavar="ID", help="the unit whose duties the feed holds")
    p.add_argument("--children", action="store_true", help="with --unit: the units below it too")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("simulate", parents=[common], help="preview every reminder of a range (virtual clock)",
                       description=cmd_simulate.__doc__)
    p.add_argument("--from", dest="from_", type=iso_date, required=True, metavar="DATE", help="first day")
    p.add_argument("--to", type=iso_date, required=True, metavar="DATE", help="last day (inclusive)")
    p.add_argument("--out", metavar="FILE.jsonl", help="write the JSON lines here instead of stdout")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("done", parents=[common], help="mark an occurrence done",
                       description=cmd_done.__doc__)
    p.add_argument("obligation", metavar="OBLIGATION", help="the duty's id")
    p.add_argument("unit", metavar="UNIT", help="the unit's id (- for a duty without units)")
    p.add_argument("date", metavar="DATE", type=iso_date, help="the occurrence's date (or its date as written)")
    p.add_argument("--note", help="what was done")
    p.add_argument("--by", default="cli", help="who marks it (default: cli)")
    p.add_argument("--evidence", metavar="URL", help="a link to the evidence")
    p.set_defaults(func=cmd_done)

    p = sub.add_parser("reminders", parents=[common], help="list pending or failed reminders",
                       description=cmd_reminders.__doc__)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pending", action="store_true", help="reminders waiting to be sent (the default)")
    which.add_argument("--failed", action="store_true", help="reminders that failed or were missed")
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("invite", parents=[common], help="make a one-time code that binds a chat to the bot",
                       description=cmd_invite.__doc__)
    p.add_argument("--unit", metavar="ID", help="subscribe the chat to this unit (and the units below it)")
    p.add_argument("--admin", action="store_true", help="the chat may use the admin commands")
    p.set_defaults(func=cmd_invite)


    add_extract(sub, common)

    p = sub.add_parser("list", parents=[common], help="list the duties, unscheduled ones included",
                       description=cmd_list.__doc__)
    p.add_argument("--type", choices=["quota", "yearly_deadline", "window", "once", "rrule", "unscheduled"],
                   help="only duties with this schedule type")
    p.add_argument("--review", action="store_true", help="only duties marked review: true")
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("schema", parents=[common], help="write the JSON Schemas for editors",
                       description=cmd_schema.__doc__)
    p.add_argument("--out", default=str(HERE / "schema"), metavar="DIR", help="output folder")
    p.set_defaults(func=cmd_schema)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again on the closed pipe."""

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (a test's buffer)
        pass


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")

    install()  # no secret in any log line, whatever the command (redaction.py)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, not as a warning at exit
        return code
    except BrokenPipeError:
        # the reader went away (`expand | head -1`): it has what it wanted; exit 0 without a word
        _silence_stdout()
        return 0
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return exc.exit_code
    except HolidayDataMissing as exc:
        log.debug("holiday data", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except FatalError as exc:
        log.debug("fatal", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so plainly, with the traceback only at debug level
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
