"""The command table: every command's name, help text, arguments and the function that runs it.

This module is what ``--help`` and argument parsing need, so it imports only the standard
library. A command's function is named as a ``"module:function"`` string and imported by
:func:`cli.load` only when that command runs: ``validate`` does not pay for Starlette,
SQLAlchemy or the extractor's dependencies.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the folder of main.py, config.yaml and schema/


@dataclass(frozen=True)
class Command:
    """One subcommand: ``help`` is its line in ``--help``, ``description`` the top of ``COMMAND --help``."""

    name: str
    target: str  # "module:function", imported only to run the command
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2025-03-01") from None


def _range(p: argparse.ArgumentParser, first: str = "first day, YYYY-MM-DD") -> None:
    p.add_argument("--from", dest="from_", type=iso_date, required=True, metavar="DATE", help=first)
    p.add_argument("--to", type=iso_date, required=True, metavar="DATE", help="last day (inclusive)")


def _format(p: argparse.ArgumentParser, *choices: str) -> None:
    p.add_argument("--format", choices=["table", *choices], default="table", help="output format")


# -- rules: validate, list; their JSON Schemas: schema --------------------------------------------------------------


def _validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="rules files (default: those in the config); checked with the config's other rules files")
    p.add_argument("--alone", action="store_true",
                   help="check the given files by themselves, without the config's other rules files")


def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", choices=["quota", "yearly_deadline", "window", "once", "rrule", "unscheduled"],
                   help="only duties with this schedule type")
    p.add_argument("--review", action="store_true", help="only duties marked review: true")
    p.add_argument("--notes", action="store_true",
                   help="show the rule authors' notes under each duty (an administrator's view; never in feeds)")
    _format(p, "json")


def _schema(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=str(ROOT / "schema"), metavar="DIR", help="output folder")


def _holidays(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["import"], help="import: read a notice into calendar.official")
    p.add_argument("file", metavar="FILE", help="the notice's text as published (UTF-8)")
    p.add_argument("--year", type=int, metavar="YEAR", help="the notice's year when its title is not in FILE")
    p.add_argument("--write", action="store_true",
                   help="write the notice under calendar.official.YEAR of the config (comments kept)")


# -- dates and feeds: expand, ics, token ---------------------------------------------------------


def _expand(p: argparse.ArgumentParser) -> None:
    _range(p)
    p.add_argument("--unit", metavar="ID", help="only this unit's occurrences")
    p.add_argument("--obligation", metavar="ID", help="only this duty")
    _format(p, "json", "csv")


def _ics(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", metavar="ID", help="only this unit's feed")
    p.add_argument("--windows", choices=["due", "span"], default="due",
                   help="due: a window is one event on its due day (the default); span: an unplaced window is "
                   "a multi-day event over its days (as ?windows=span)")
    p.add_argument("--out", metavar="DIR", help="write all feeds as files into DIR")
    p.add_argument("--jobs", type=int, metavar="N", help="with --out: worker processes (default: every core)")
    p.add_argument("--from", dest="from_", type=iso_date, metavar="DATE",
                   help="first day (default: feeds.months_back months ago, from the 1st)")
    p.add_argument("--to", type=iso_date, metavar="DATE",
                   help="last day (default: the end of the month feeds.months_ahead months on)")


def _token(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", required=True, help="who the feed is for (shown in the config)")
    p.add_argument("--unit", metavar="ID", help="the unit whose duties the feed holds")
    p.add_argument("--children", action="store_true", help="with --unit: the units below it too")


# -- the service: serve ------------------------------------------------------------------------


def _serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", metavar="ADDR", help="address to listen on (default: server.host in the config)")
    p.add_argument("--port", type=int, metavar="N", help="port (default: server.port in the config)")


# -- reminders: simulate, done, history, reminders, invite ------------------------------------------------


def _simulate(p: argparse.ArgumentParser) -> None:
    _range(p, first="first day")
    p.add_argument("--out", metavar="FILE.jsonl", help="write the JSON lines here instead of stdout")


def _done(p: argparse.ArgumentParser) -> None:
    p.add_argument("obligation", metavar="OBLIGATION", help="the duty's id")
    p.add_argument("unit", metavar="UNIT", help="the unit's id (- for a duty without units)")
    p.add_argument("date", metavar="DATE", type=iso_date, help="the occurrence's date (or its date as written)")
    p.add_argument("--on", metavar="DAY", type=iso_date,
                   help="the day the work was done (default: today in the configured time zone)")
    p.add_argument("--note", help="what was done")
    p.add_argument("--by", default="cli", help="who marks it (default: cli)")
    p.add_argument("--evidence", metavar="URL", help="a link to the evidence")
    p.add_argument("--undo", action="store_true",
                   help="take a mark back: the occurrence is no longer done and its reminders are planned again")


def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument("--obligation", metavar="ID", help="only this duty's changes")
    p.add_argument("--unit", metavar="ID", help="only this unit's changes")
    p.add_argument("--since", metavar="DATE", type=iso_date,
                   help="only changes made on or after this day (configured time zone)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format; json and csv are exports, recorded in the history")
    p.add_argument("--by", default="cli", help="who exports it (json, csv), for the history (default: cli)")


# -- accounts for the web pages: user ----------------------------------------------------------------


def _user(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "list", "disable", "enable", "passwd"],
                   help="add an account, list them, disable or enable one, or set its password")
    p.add_argument("name", nargs="?", metavar="NAME", help="the account's name (its login)")
    p.add_argument("--role", choices=["admin", "supervisor", "unit"],
                   help="add: admin (everything), supervisor (sees a subtree, changes nothing) or unit (sees and "
                   "acts for its unit and the units below)")
    p.add_argument("--unit", metavar="ID", help="add: the unit user's unit, or the supervisor's subtree (default: all)")
    p.add_argument("--password-stdin", action="store_true",
                   help="add, passwd: read the password from the first line of standard input (default: make one "
                   "and print it once)")
    p.add_argument("--format", choices=["table", "json"], default="table", help="list: output format")


def _waive(p: argparse.ArgumentParser) -> None:
    p.add_argument("obligation", metavar="OBLIGATION", help="the duty's id")
    p.add_argument("unit", metavar="UNIT", help="the unit's id (- for a duty without units)")
    p.add_argument("date", metavar="DATE", type=iso_date, help="any day inside the window (or its date)")
    p.add_argument("--reason", help="why it is waived (合并举办, 上级统一组织, …); required unless --undo")
    p.add_argument("--by", default="cli", help="who waives it (default: cli)")
    p.add_argument("--undo", action="store_true", help="take the waiver back: the window is reminded again")


def _report(p: argparse.ArgumentParser) -> None:
    _range(p)
    p.add_argument("--unit", metavar="ID", help="only this unit's windows")
    p.add_argument("--children", action="store_true", help="with --unit: the units below it too")
    p.add_argument("--format", choices=["csv", "xlsx", "html"], default="csv", help="output format")
    p.add_argument("--table", choices=["rows", "summary", "yearly"], default="rows",
                   help="csv: which table (one row per window, per unit, or the yearly form); xlsx and html "
                   "hold all three")
    p.add_argument("--out", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument("--by", default="cli", help="who exports it, for the history (default: cli)")


def _reminders(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pending", action="store_true", help="reminders waiting to be sent (the default)")
    which.add_argument("--failed", action="store_true", help="reminders that failed or were missed")
    _format(p, "json")


def _invite(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", metavar="ID", help="subscribe the chat to this unit (and the units below it)")
    p.add_argument("--admin", action="store_true", help="the chat may use the admin commands")


# In the order of ``--help``; ``extract`` is added after ``invite`` (see cli/__init__.py).
COMMANDS: tuple[Command, ...] = (
    Command("validate", "cli.rules:cmd_validate", "check rules files (exit 2 with every problem)",
            "Check rules files; print one line per problem, exit 2 if any.", _validate),
    Command("expand", "cli.dates:cmd_expand", "list dated occurrences in a range",
            "Print the dated occurrences of a range.", _expand),
    Command("ics", "cli.feeds:cmd_ics", "write iCalendar feeds",
            "Write iCalendar feeds: one to stdout, or all of them into --out DIR.", _ics),
    Command("serve", "cli.serve:cmd_serve", "run the HTTP service (feeds and the page)",
            "Run the HTTP service: feeds, the page, health check; rules reload when their files change.",
            _serve),
    Command("token", "cli.feeds:cmd_token", "make a private feed token",
            "Make a secret token for a private feed and print the config lines to add.", _token),
    Command("simulate", "cli.reminders:cmd_simulate", "preview every reminder of a range (virtual clock)",
            "Run the real planner and dispatcher on a virtual clock; print every message as JSON lines.",
            _simulate),
    Command("done", "cli.history:cmd_done", "mark an occurrence done (and the day it was done)",
            "Mark one occurrence of a duty done for a unit on the day the work was done (no more reminders, "
            "shown as done), or undo that.", _done),
    Command("history", "cli.history:cmd_history", "list every change to what is done, by whom and through which door",
            "List the append-only history of completions, undos, corrected days and snoozes: who, when "
            "(configured time zone), through which door (cli, bot, web).", _history),
    Command("waive", "cli.supervision:cmd_waive", "waive a window (not reminded, never overdue), or undo that",
            "Waive one window of a duty for a unit, with the reason (合并举办, 上级统一组织, …): it is neither "
            "reminded nor counted as overdue; --undo takes the waiver back.", _waive),
    Command("report", "cli.supervision:cmd_report", "write the supervision report of a range (csv, xlsx, html)",
            "Write every (unit, duty, window) of a range with its state, the day done, lateness in working "
            "days, who, note and evidence; per-unit counts and rates; the yearly form.", _report),
    Command("user", "cli.users:cmd_user", "manage the accounts of the web pages (admin, supervisor, unit)",
            "Add, list, disable or enable an account of the web pages, or set its password; only an argon2 hash "
            "of the password is kept.", _user),
    Command("reminders", "cli.reminders:cmd_reminders", "list pending or failed reminders",
            "List reminders: pending ones, or failed and missed ones (what admins must look at).", _reminders),
    Command("invite", "cli.reminders:cmd_invite", "make a one-time code that binds a chat to the bot",
            "Print a one-time code that binds a chat to the bot: send it as /start CODE.", _invite),
    Command("list", "cli.rules:cmd_list", "list the duties, unscheduled ones included",
            "List the duties themselves, including unscheduled ones and those awaiting review.", _list),
    Command("schema", "cli.schema:cmd_schema", "write the JSON Schemas for editors",
            "Write the JSON Schemas of the rules files and of config.yaml.", _schema),
    Command("holidays", "cli.holidays:cmd_holidays", "import the State Council's yearly holiday notice",
            "Read a holiday notice as published, show its difference from the predicted holidays and "
            "the occurrences that move; --write puts it under calendar.official of the config.", _holidays),
)

# ``extract`` keeps its arguments next to its code (extract/cli.py, ``add_parser``), a module that
# needs the extractor's dependencies; only its line in ``--help`` is repeated here, for the parser
# of every other command.
EXTRACT = "extract"
EXTRACT_HELP = "draft a rules file from a policy document"
EXTRACT_ADD_PARSER = "extract.cli:add_parser"
EXTRACT_TARGET = "extract.cli:cmd_extract"
EXTRACT_AFTER = "invite"

TARGETS: dict[str, str] = {c.name: c.target for c in COMMANDS} | {EXTRACT: EXTRACT_TARGET}

__all__ = ["COMMANDS", "EXTRACT", "EXTRACT_ADD_PARSER", "EXTRACT_AFTER", "EXTRACT_HELP", "TARGETS", "Command",
           "iso_date"]
