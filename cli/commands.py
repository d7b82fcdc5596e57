"""The command table: every command's name, help text, arguments and the function that runs it.

This module is what ``--help`` and argument parsing need, so it imports only the standard
library and the catalog's marker: every help text is a msgid (``cli.help.*`` an option's or a
command's line, ``cli.about.*`` the top of ``COMMAND --help``), worded in the reader's language when
the help is printed (i18n/arguments.py). A command's function is named as a ``"module:function"`` string and imported by
:func:`cli.load` only when that command runs: ``validate`` does not pay for Starlette,
SQLAlchemy or the extractor's dependencies.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from i18n import N_
from i18n.arguments import said

ROOT = Path(__file__).resolve().parent.parent  # the folder of main.py, config.yaml and schema/


@dataclass(frozen=True)
class Command:
    """One subcommand: ``help`` is its line in ``--help``, ``description`` the top of ``COMMAND --help`` (msgids)."""

    name: str
    target: str  # "module:function", imported only to run the command
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(said(N_("cli.not_a_date"), text=repr(text))) from None


def number(text: str) -> int:
    """A whole number (``--jobs 4``); argparse's own refusal would name Python's type (``invalid int value``)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(said(N_("cli.not_a_number"), text=repr(text))) from None


def _range(p: argparse.ArgumentParser, first: str = N_("cli.help.from")) -> None:
    p.add_argument("--from", dest="from_", type=iso_date, required=True, metavar="DATE", help=first)
    p.add_argument("--to", type=iso_date, required=True, metavar="DATE", help=N_("cli.help.to"))


def _format(p: argparse.ArgumentParser, *choices: str) -> None:
    p.add_argument("--format", choices=["table", *choices], default="table", help=N_("cli.help.format"))


# -- rules: validate, list; their JSON Schemas: schema --------------------------------------------------------------


def _validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=N_("cli.help.validate.paths"))
    p.add_argument("--alone", action="store_true",
                   help=N_("cli.help.validate.alone"))


def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", choices=["quota", "yearly_deadline", "window", "once", "rrule", "unscheduled"],
                   help=N_("cli.help.list.type"))
    p.add_argument("--review", action="store_true", help=N_("cli.help.list.review"))
    p.add_argument("--notes", action="store_true",
                   help=N_("cli.help.list.notes"))
    _format(p, "json")


def _schema(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=str(ROOT / "schema"), metavar="DIR", help=N_("cli.help.schema.out"))


def _holidays(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["import"], help=N_("cli.help.holidays.action"))
    p.add_argument("file", metavar="FILE", help=N_("cli.help.holidays.file"))
    p.add_argument("--year", type=number, metavar="YEAR", help=N_("cli.help.holidays.year"))
    p.add_argument("--write", action="store_true",
                   help=N_("cli.help.holidays.write"))


# -- dates and feeds: expand, ics, token ---------------------------------------------------------


def _expand(p: argparse.ArgumentParser) -> None:
    _range(p)
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.expand.unit"))
    p.add_argument("--obligation", metavar="ID", help=N_("cli.help.expand.obligation"))
    _format(p, "json", "csv")


def _ics(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.ics.unit"))
    p.add_argument("--windows", choices=["due", "span"], default="due",
                   help=N_("cli.help.ics.windows"))
    p.add_argument("--out", metavar="DIR", help=N_("cli.help.ics.out"))
    p.add_argument("--jobs", type=number, metavar="N", help=N_("cli.help.ics.jobs"))
    p.add_argument("--from", dest="from_", type=iso_date, metavar="DATE",
                   help=N_("cli.help.ics.from"))
    p.add_argument("--to", type=iso_date, metavar="DATE",
                   help=N_("cli.help.ics.to"))


def _token(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", required=True, help=N_("cli.help.token.name"))
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.token.unit"))
    p.add_argument("--children", action="store_true", help=N_("cli.help.token.children"))


# -- the service: serve ------------------------------------------------------------------------


def _serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", metavar="ADDR", help=N_("cli.help.serve.host"))
    p.add_argument("--port", type=number, metavar="N", help=N_("cli.help.serve.port"))


# -- reminders: simulate, done, history, reminders, invite ------------------------------------------------


def _simulate(p: argparse.ArgumentParser) -> None:
    _range(p, first=N_("cli.help.simulate.from"))
    p.add_argument("--out", metavar="FILE.jsonl", help=N_("cli.help.simulate.out"))


def _done(p: argparse.ArgumentParser) -> None:
    p.add_argument("obligation", metavar="OBLIGATION", help=N_("cli.help.done.obligation"))
    p.add_argument("unit", metavar="UNIT", help=N_("cli.help.done.unit"))
    p.add_argument("date", metavar="DATE", type=iso_date, help=N_("cli.help.done.date"))
    p.add_argument("--on", metavar="DAY", type=iso_date,
                   help=N_("cli.help.done.on"))
    p.add_argument("--note", help=N_("cli.help.done.note"))
    p.add_argument("--by", default="cli", help=N_("cli.help.done.by"))
    p.add_argument("--evidence", metavar="URL", help=N_("cli.help.done.evidence"))
    p.add_argument("--undo", action="store_true",
                   help=N_("cli.help.done.undo"))


def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument("--obligation", metavar="ID", help=N_("cli.help.history.obligation"))
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.history.unit"))
    p.add_argument("--since", metavar="DATE", type=iso_date,
                   help=N_("cli.help.history.since"))
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help=N_("cli.help.history.format"))
    p.add_argument("--by", default="cli", help=N_("cli.help.history.by"))


# -- accounts for the web pages: user ----------------------------------------------------------------


def _user(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "list", "disable", "enable", "passwd"],
                   help=N_("cli.help.user.action"))
    p.add_argument("name", nargs="?", metavar="NAME", help=N_("cli.help.user.name"))
    p.add_argument("--role", choices=["admin", "supervisor", "unit"],
                   help=N_("cli.help.user.role"))
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.user.unit"))
    p.add_argument("--password-stdin", action="store_true",
                   help=N_("cli.help.user.password_stdin"))
    p.add_argument("--format", choices=["table", "json"], default="table", help=N_("cli.help.user.format"))


def _waive(p: argparse.ArgumentParser) -> None:
    p.add_argument("obligation", metavar="OBLIGATION", help=N_("cli.help.waive.obligation"))
    p.add_argument("unit", metavar="UNIT", help=N_("cli.help.waive.unit"))
    p.add_argument("date", metavar="DATE", type=iso_date, help=N_("cli.help.waive.date"))
    p.add_argument("--reason", help=N_("cli.help.waive.reason"))
    p.add_argument("--by", default="cli", help=N_("cli.help.waive.by"))
    p.add_argument("--undo", action="store_true", help=N_("cli.help.waive.undo"))


def _report(p: argparse.ArgumentParser) -> None:
    _range(p)
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.report.unit"))
    p.add_argument("--children", action="store_true", help=N_("cli.help.report.children"))
    p.add_argument("--format", choices=["csv", "xlsx", "html"], default="csv", help=N_("cli.help.report.format"))
    p.add_argument("--table", choices=["rows", "summary", "yearly"], default="rows",
                   help=N_("cli.help.report.table"))
    p.add_argument("--out", metavar="FILE", help=N_("cli.help.report.out"))
    p.add_argument("--by", default="cli", help=N_("cli.help.report.by"))


def _reminders(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pending", action="store_true", help=N_("cli.help.reminders.pending"))
    which.add_argument("--failed", action="store_true", help=N_("cli.help.reminders.failed"))
    _format(p, "json")


def _invite(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", metavar="ID", help=N_("cli.help.invite.unit"))
    p.add_argument("--admin", action="store_true", help=N_("cli.help.invite.admin"))


# In the order of ``--help``; ``extract`` is added after ``invite`` (see cli/__init__.py).
COMMANDS: tuple[Command, ...] = (
    Command("validate", "cli.rules:cmd_validate", N_("cli.help.validate"), N_("cli.about.validate"), _validate),
    Command("expand", "cli.dates:cmd_expand", N_("cli.help.expand"), N_("cli.about.expand"), _expand),
    Command("ics", "cli.feeds:cmd_ics", N_("cli.help.ics"), N_("cli.about.ics"), _ics),
    Command("serve", "cli.serve:cmd_serve", N_("cli.help.serve"), N_("cli.about.serve"), _serve),
    Command("token", "cli.feeds:cmd_token", N_("cli.help.token"), N_("cli.about.token"), _token),
    Command("simulate", "cli.reminders:cmd_simulate", N_("cli.help.simulate"), N_("cli.about.simulate"), _simulate),
    Command("done", "cli.history:cmd_done", N_("cli.help.done"), N_("cli.about.done"), _done),
    Command("history", "cli.history:cmd_history", N_("cli.help.history"), N_("cli.about.history"), _history),
    Command("waive", "cli.supervision:cmd_waive", N_("cli.help.waive"), N_("cli.about.waive"), _waive),
    Command("report", "cli.supervision:cmd_report", N_("cli.help.report"), N_("cli.about.report"), _report),
    Command("user", "cli.users:cmd_user", N_("cli.help.user"), N_("cli.about.user"), _user),
    Command("reminders", "cli.reminders:cmd_reminders", N_("cli.help.reminders"), N_("cli.about.reminders"),
            _reminders),
    Command("invite", "cli.reminders:cmd_invite", N_("cli.help.invite"), N_("cli.about.invite"), _invite),
    Command("list", "cli.rules:cmd_list", N_("cli.help.list"), N_("cli.about.list"), _list),
    Command("schema", "cli.schema:cmd_schema", N_("cli.help.schema"), N_("cli.about.schema"), _schema),
    Command("holidays", "cli.holidays:cmd_holidays", N_("cli.help.holidays"), N_("cli.about.holidays"), _holidays),
)

# ``extract`` keeps its arguments next to its code (extract/cli.py, ``add_parser``), a module that
# needs the extractor's dependencies; only its line in ``--help`` is repeated here, for the parser
# of every other command.
EXTRACT = "extract"
EXTRACT_HELP = N_("cli.help.extract")
EXTRACT_ADD_PARSER = "extract.cli:add_parser"
EXTRACT_TARGET = "extract.cli:cmd_extract"
EXTRACT_AFTER = "invite"

TARGETS: dict[str, str] = {c.name: c.target for c in COMMANDS} | {EXTRACT: EXTRACT_TARGET}

__all__ = ["COMMANDS", "EXTRACT", "EXTRACT_ADD_PARSER", "EXTRACT_AFTER", "EXTRACT_HELP", "TARGETS", "Command",
           "iso_date", "number"]
