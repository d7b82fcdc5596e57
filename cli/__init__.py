"""Command line of the obligation calendar: ``python main.py COMMAND --help``.

Every command turns the project's errors into one sentence per problem and an
exit code (0 ok, 1 failed, 2 invalid input); tracebacks only with ``--debug``.

This package's top imports only what parsing and error reporting need. Each command
lives in a module per group (``rules``, ``dates``, ``feeds``, ``reminders``, ``serve``;
``extract`` in extract/cli.py) that imports what it needs at its top; :func:`run` imports
the one module of the command being run, by its name in the table of cli/commands.py.
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from cli.commands import COMMANDS, EXTRACT, EXTRACT_ADD_PARSER, EXTRACT_AFTER, EXTRACT_HELP, TARGETS, Command
from cli.language import chosen_language
from i18n import N_, language, tr
from i18n.arguments import ArgumentParser, speaking
from i18n.phrase import say
from obligations.errors import FatalError, ValidationFailed
from redaction import install

log = logging.getLogger("obligations")

SubParsers = argparse._SubParsersAction  # argparse has no public name for it


def load(target: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` string of the command table names.

    This is a registry lookup, not a hidden import: the table in cli/commands.py lists every
    target, a test imports them all, and each command module imports its dependencies at its top.
    Importing by name keeps a command from paying for every other command's imports.
    """
    module, _, name = target.partition(":")
    func: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return func


def _common() -> argparse.ArgumentParser:
    common = ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help=N_("cli.help.config"))
    common.add_argument("--lang", choices=["zh-CN", "en"], help=N_("cli.help.lang"))
    common.add_argument("--debug", action="store_true", help=N_("cli.help.debug"))
    return common


def _add(sub: SubParsers[argparse.ArgumentParser], common: argparse.ArgumentParser, command: Command) -> None:
    p = sub.add_parser(command.name, parents=[common], help=command.help, description=command.description)
    command.arguments(p)


def _add_extract(sub: SubParsers[argparse.ArgumentParser], common: argparse.ArgumentParser, full: bool) -> None:
    """``extract`` with its real arguments when they may be needed, else only its line in ``--help``."""
    if full:
        load(EXTRACT_ADD_PARSER)(sub, common)
    else:
        sub.add_parser(EXTRACT, parents=[common], help=EXTRACT_HELP)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command and option. Given the ``command`` about to run, ``extract``'s arguments (in a
    module with heavy imports) are only added when that command is ``extract``.

    Its words are argparse's and our msgids: built and used inside :func:`i18n.arguments.speaking`
    (as :func:`run` does), it speaks that language; outside, the default."""
    parser = ArgumentParser(prog="python main.py", description=N_("cli.about"))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()
    for entry in COMMANDS:
        _add(sub, common, entry)
        if entry.name == EXTRACT_AFTER:
            _add_extract(sub, common, full=command in (None, EXTRACT))
    return parser


def _command_of(argv: Sequence[str]) -> str:
    """The command named in ``argv`` ("" for none yet, e.g. ``--help``): the first word that is no option."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again on the closed pipe."""

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (a test's buffer)
        pass


def run(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    with speaking(chosen_language(argv)):  # usage, help and usage errors in --lang, else the config's language
        args = build_parser(_command_of(argv)).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")

    install()  # no secret in any log line, whatever the command (redaction/)
    try:
        code: int = load(TARGETS[args.command])(args)
        sys.stdout.flush()  # a closed pipe shows up here, not as a warning at exit
        return code
    except BrokenPipeError:
        # the reader went away (`expand | head -1`): it has what it wanted; exit 0 without a word
        _silence_stdout()
        return 0
    except ValidationFailed as exc:  # in --lang, else the config's language, else the default
        lang = language(getattr(args, "lang", None) or exc.lang)
        for problem in exc.problems:
            print(problem.worded(lang), file=sys.stderr)
        print(tr(lang, "cli.problems_found", count=len(exc.problems)), file=sys.stderr)
        return exc.exit_code
    except FatalError as exc:  # a phrase in --lang, else the command's language, else the default
        # (no holiday data for a year, HolidayDataMissing, is one of them)
        log.debug("fatal", exc_info=True)
        lang = language(getattr(args, "lang", None) or getattr(exc, "lang", None))
        said = say(exc.args[0], lang) if exc.args and isinstance(exc.args[0], str) else str(exc)
        print(tr(lang, "cli.error", text=said), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so plainly, with the traceback only at debug level
        if args.debug:
            raise
        print(tr(language(getattr(args, "lang", None)), "cli.internal_error", kind=type(exc).__name__,
                 error=str(exc)), file=sys.stderr)
        return 1


__all__ = ["build_parser", "load", "run"]
