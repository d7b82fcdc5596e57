"""The command line's parser in the reader's language: argparse's own words and our help texts.

argparse says ``usage:``, ``positional arguments``, ``error: the following arguments are required``
… through ``gettext``: its module calls ``_`` and ``ngettext``, which are :mod:`gettext`'s
process-wide functions, and those read only compiled ``.mo`` files of the global text domain, in
the language the environment (``LANGUAGE``, ``LANG``) names. This project has no ``.mo`` file
(Babel reads the ``.po`` catalogs) and its language is ``--lang`` or the config's, not the
environment's, so :class:`ArgparseTranslations` is a :class:`gettext.NullTranslations` whose texts
come from our catalog (``argparse.*``: each English msgid of argparse mapped to our key and its
placeholders), and :func:`speaking` binds argparse's ``_`` and ``ngettext`` to it while a parser is
built, parses and prints its help, and restores them after. ``tests/test_cli_help.py`` reads
argparse's source and fails when a message a person can meet is not in :data:`ARGPARSE` (a new
Python that rewords one), rather than letting it come out in English.

Our own help texts are catalog msgids (``cli.help.*``, ``cli.about.*``): :class:`HelpFormatter`
words them when the help is printed, and :class:`ArgumentParser` is an ``ArgumentParser`` that
uses it, also for every subcommand. An argument type's error (``'2025-02-30' is not a date``) is
:func:`said` in the language being spoken.
"""

from __future__ import annotations

import argparse
import contextlib
import gettext
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from i18n import DEFAULT, N_, Language, messages, text, tr

# argparse's msgid -> (our msgid, our placeholder -> argparse's placeholder in the same place)
ARGPARSE: dict[str, tuple[str, dict[str, str]]] = {
    "usage: ": (N_("argparse.usage"), {}),
    "positional arguments": (N_("argparse.positionals"), {}),
    "options": (N_("argparse.options"), {}),
    "show this help message and exit": (N_("argparse.help"), {}),
    "%(prog)s: error: %(message)s\n": (N_("argparse.error"), {"prog": "%(prog)s", "message": "%(message)s"}),
    "argument %(argument_name)s: %(message)s": (N_("argparse.argument"),
                                                {"argument": "%(argument_name)s", "message": "%(message)s"}),
    "the following arguments are required: %s": (N_("argparse.required"), {"arguments": "%s"}),
    "one of the arguments %s is required": (N_("argparse.one_required"), {"arguments": "%s"}),
    "unrecognized arguments: %s": (N_("argparse.unrecognized"), {"arguments": "%s"}),
    "invalid choice: %(value)r (choose from %(choices)s)": (N_("argparse.invalid_choice"),
                                                            {"value": "%(value)r", "choices": "%(choices)s"}),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (N_("argparse.invalid_choice"),
                                                              {"value": "%(parser_name)r", "choices": "%(choices)s"}),
    "invalid %(type)s value: %(value)r": (N_("argparse.invalid_value"), {"type": "%(type)s", "value": "%(value)r"}),
    "expected one argument": (N_("argparse.expected_one"), {}),
    "expected at most one argument": (N_("argparse.expected_at_most_one"), {}),
    "expected at least one argument": (N_("argparse.expected_at_least_one"), {}),
    "not allowed with argument %s": (N_("argparse.not_allowed_with"), {"argument": "%s"}),
    "ignored explicit argument %r": (N_("argparse.ignored_explicit"), {"value": "%r"}),
    "ambiguous option: %(option)s could match %(matches)s": (N_("argparse.ambiguous"),
                                                             {"option": "%(option)s", "matches": "%(matches)s"}),
    "unexpected option string: %s": (N_("argparse.unexpected_option"), {"option": "%s"}),
    "can't open '%(filename)s': %(error)s": (N_("argparse.cannot_open"),
                                             {"file": "%(filename)s", "error": "%(error)s"}),
}
# ngettext's (singular, plural) -> our msgid (one text: Chinese has no plural, and argparse says
# "expected one argument" itself for a single one)
ARGPARSE_PLURAL: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("expected %s argument", "expected %s arguments"): (N_("argparse.expected_n"), {"n": "%s"}),
}

_SPOKEN: ContextVar[Language | None] = ContextVar("argument_language", default=None)


def current() -> Language:
    """The language :func:`speaking` set; the default outside it."""
    return _SPOKEN.get() or DEFAULT


def said(msgid: str, /, **values: object) -> str:
    """``msgid`` in the language being spoken: for an argument type's error, raised while parsing."""
    return tr(current(), msgid, **values)


class ArgparseTranslations(gettext.NullTranslations):
    """argparse's messages from our catalog, in ``lang``; a message not in :data:`ARGPARSE` (a programming
    error argparse raises at a developer, never at a reader) stays as argparse wrote it."""

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang

    def _worded(self, found: tuple[str, dict[str, str]]) -> str:
        msgid, places = found
        return tr(self.lang, msgid, **places)  # argparse fills its own placeholders afterwards

    def gettext(self, message: str) -> str:
        found = ARGPARSE.get(message) if isinstance(message, str) else None
        return self._worded(found) if found else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = ARGPARSE_PLURAL.get((msgid1, msgid2))
        return self._worded(found) if found else (msgid1 if n == 1 else msgid2)


@contextlib.contextmanager
def speaking(lang: Language) -> Iterator[None]:
    """argparse in ``lang`` (its words, our help texts, argument errors) until the block ends."""
    token = _SPOKEN.set(lang)
    translations = ArgparseTranslations(lang)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    setattr(argparse, "_", translations.gettext)  # noqa: B010 - typeshed does not declare argparse._
    setattr(argparse, "ngettext", translations.ngettext)  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])  # noqa: B010
        setattr(argparse, "ngettext", saved[1])  # noqa: B010
        _SPOKEN.reset(token)


def help_text(msgid: str | None) -> str | None:
    """A help text that is a catalog msgid, in the language being spoken and still to be formatted (argparse
    fills an option's ``%(default)s``); any other text as it is."""
    if msgid is None or msgid not in messages(DEFAULT):
        return msgid
    return text(current(), msgid)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with our msgids (an option's help, a command's description) worded."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return help_text(action.help)

    def add_text(self, text: str | None) -> None:
        worded = help_text(text)
        super().add_text(worded % {} if worded is not text and worded is not None else worded)


class ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that prints its help with :class:`HelpFormatter`; its subcommands are too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


__all__ = ["ARGPARSE", "ARGPARSE_PLURAL", "ArgparseTranslations", "ArgumentParser", "HelpFormatter", "current",
           "help_text", "said", "speaking"]
