"""YAML syntax errors as sentences that say what is wrong and how to fix it, in the reader's language.

The parsers (ruamel.yaml's round-trip parser, else libyaml) describe a syntax error in their own
English words ("while scanning a simple key … could not find expected ':'"). Each kind of error
is mapped here to a catalog phrase with the fix ("用空格缩进,不要用 Tab"), placed where the fix
goes: the tab, the quote or bracket that is never closed, the line without a colon. A kind not
mapped gets a general sentence, with the parser's words only as a hint after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.errors import Problem

_CLOSING = {"{": "}", "[": "]"}
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks: the parsers count lines by them
_MISSING_COLON = Phrase("this line has no colon: write key: value, with a space after the colon (or indent it further "
                        "if it continues the value above)", N_("yaml.missing_colon"))


@dataclass(frozen=True)
class Seen:
    """What a parser reported: its words and marks, with the text to look at the characters there."""

    text: str
    context: str
    problem: str
    at: tuple[int, int] | None  # 0-based line and column where the parser stopped
    began: tuple[int, int] | None  # where the construct it was reading began

    @classmethod
    def of(cls, text: str, exc: Any) -> Seen:
        def place(mark: Any) -> tuple[int, int] | None:
            return (mark.line, mark.column) if mark is not None else None

        return cls(text, " ".join(str(getattr(exc, "context", None) or "").split()),
                   " ".join(str(getattr(exc, "problem", None) or "").split()),
                   place(getattr(exc, "problem_mark", None)), place(getattr(exc, "context_mark", None)))

    @cached_property
    def lines(self) -> list[str]:
        return _BREAK.split(self.text)

    def line(self, number: int) -> str:
        """Line ``number`` (0-based) as the parser counts lines; "" past the end."""
        lines = self.lines
        return lines[number] if 0 <= number < len(lines) else ""

    def char(self, mark: tuple[int, int] | None) -> str:
        """The character at ``mark`` ("" past the end)."""
        if mark is None:
            return ""
        line = self.line(mark[0])
        return line[mark[1]] if 0 <= mark[1] < len(line) else ""

    def at_end(self) -> bool:
        """Whether nothing but blanks and comments follows the place where the parser stopped."""
        if self.at is None:
            return False
        rest = self.lines[self.at[0]:]
        if rest:
            rest[0] = rest[0][self.at[1]:]
        return all(not line.strip() or line.strip().startswith("#") for line in rest)

    def line_without_colon(self) -> tuple[int, int] | None:
        """The line above the parser's stop, when it is indented as much and has no colon: a key missing its colon."""
        if self.at is None:
            return None
        here = self.line(self.at[0])
        for number in range(min(self.at[0], len(self.lines)) - 1, -1, -1):
            line = self.line(number)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip(" "))
            if indent == len(here) - len(here.lstrip(" ")) and ":" not in line and not line.lstrip().startswith("-"):
                return number, indent
            return None
        return None

    def after_quote(self) -> bool:
        """Whether the parser stopped on text that follows a closing quote on the same line."""
        if self.at is None:
            return False
        before = self.line(self.at[0])[: self.at[1]].rstrip()
        return before.endswith(("'", '"'))


Wording = Callable[[Seen], tuple[tuple[int, int] | None, str] | None]


def _tab(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "\\t" in seen.problem or "tab character" in seen.problem or seen.char(seen.at) == "\t":
        return seen.at, Phrase("a tab character: YAML is indented with spaces only; replace the tab with spaces",
                               N_("yaml.tab"))
    return None


def _cannot_start(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "cannot start any token" not in seen.problem:
        return None
    char = seen.char(seen.at)
    return seen.at, phrase(N_("yaml.cannot_start"), "a value cannot begin with %(char)s in YAML; put the value in "
                           "quotes, e.g. '%(char)s…'", char=char or "?")


def _quote(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "escape character" in seen.problem:
        return seen.at, Phrase('an unknown escape after \\ in double quotes; write \\\\ for a backslash, or put the '
                               "value in single quotes", N_("yaml.bad_escape"))
    if "quoted scalar" not in seen.context:
        return None
    quote = seen.char(seen.began) or '"'
    return seen.began or seen.at, phrase(N_("yaml.unclosed_quote"), "this %(quote)s is never closed; end the value "
                                         "with %(quote)s on this line (inside single quotes write '' for a quote)",
                                         quote=quote)


def _colon(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "could not find expected ':'" in seen.problem:
        return seen.began or seen.at, _MISSING_COLON
    if "mapping values are not allowed" in seen.problem:
        before = seen.line_without_colon()
        if before is not None:  # 'review true' above 'schedule: …': one plain value over two lines
            return before, _MISSING_COLON
        return seen.at, Phrase("a colon here cannot start a value: if the value contains ': ', put it in quotes; "
                               "if this is a key, align it with the keys above it", N_("yaml.colon_in_value"))
    return None


def _flow(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    match = re.search(r"flow (mapping|sequence)", seen.context)
    if match is None:
        return None
    opened = "{" if match.group(1) == "mapping" else "["
    closing = _CLOSING[opened]
    if seen.at_end() or "<stream end>" in seen.problem:
        return seen.began or seen.at, phrase(N_("yaml.unclosed_bracket"), "this %(open)s is never closed; add "
                                             "%(close)s after its last item", open=opened, close=closing)
    line, column = seen.began or (0, 0)
    return seen.at, phrase(N_("yaml.flow_comma"), "expected ',' between two items or %(close)s to close the %(open)s "
                           "of line %(line)s, column %(column)s; add the missing one", open=opened, close=closing,
                           line=line + 1, column=column + 1)


def _block(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "while parsing a block" not in seen.context:
        return None
    char = seen.char(seen.at)
    if char in ("]", "}"):
        opened = "[" if char == "]" else "{"
        return seen.at, phrase(N_("yaml.unopened_bracket"), "%(close)s closes nothing: no %(open)s is open here; "
                               "remove it", close=char, open=opened)
    if seen.after_quote():
        return seen.at, Phrase("text after the closing quote; put the whole value inside the quotes",
                               N_("yaml.after_quote"))
    return seen.at, Phrase("this line is indented wrongly: a key must line up with the other keys of its mapping, "
                           "and a list item ('- ') with the other items of its list", N_("yaml.indentation"))


def _duplicate(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    match = re.search(r"duplicate key (?:\"(.*?)\" with value|(.*))", seen.problem)
    if match is None:
        return None
    key = match.group(1) if match.group(1) is not None else match.group(2).strip().strip("'\"")
    return seen.at, phrase(N_("yaml.duplicate_key"), "the key %(key)s appears twice in this mapping; each key may "
                           "appear once: remove or rename one of them", key=repr(key))


def _document(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "another document" in seen.problem:
        return seen.at, Phrase("a second document ('---') in the file; a rules or config file is one document: "
                               "remove the '---' line and what should not be there", N_("yaml.two_documents"))
    if "directive" in seen.context or "incompatible YAML" in seen.problem or "document start" in seen.problem:
        return seen.at, Phrase("a line starting with % is a YAML directive, which these files do not use; remove "
                               "it, or quote the value if the % is meant as text", N_("yaml.directive"))
    return None


def _other(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "undefined alias" in seen.problem:
        return seen.at, Phrase("an alias (*name) without an anchor (&name) before it; define the anchor, or quote "
                               "the value if the * is meant as text", N_("yaml.undefined_alias"))
    if "block scalar" in seen.context:
        return seen.at, Phrase("after | or > only - or + and an indentation digit may follow on the same line; "
                               "start the text on the next line, indented", N_("yaml.block_scalar"))
    if "anchor" in seen.context or "alias" in seen.context:
        return seen.at, Phrase("& and * must be followed by a name of letters or digits; quote the value if it is "
                               "meant as text", N_("yaml.anchor_name"))
    return None


def _node(seen: Seen) -> tuple[tuple[int, int] | None, str] | None:
    if "for merging" in seen.problem:
        return seen.at, Phrase("<< (a merge key) needs a mapping after it, or an alias of one; write the keys out "
                               "instead", N_("yaml.merge_key"))
    match = re.search(r"expected a (sequence|mapping) node", seen.problem)
    if match is not None:
        return seen.at, phrase(N_("yaml.wrong_tag"), "the tag %(tag)s does not fit this value; remove the tag",
                               tag="!!seq" if match.group(1) == "sequence" else "!!map")
    if "flow node" in seen.context:
        return seen.at, Phrase("inside brackets a value was expected here; close the bracket opened before it, or "
                               "remove the stray character (a '- ' item cannot go inside [ ])",
                               N_("yaml.bracket_value"))
    if "mapping keys are not allowed" in seen.problem:
        return seen.at, Phrase("'? ' starts a complex key, which these files do not use; quote the value if the ? "
                               "is meant as text", N_("yaml.question_key"))
    if "scanning a tag" in seen.context:
        return seen.at, Phrase("a tag (!…) must be followed by a space; quote the value if the ! is meant as text",
                               N_("yaml.tag_space"))
    return None


_WORDINGS: tuple[Wording, ...] = (_tab, _cannot_start, _quote, _colon, _flow, _block, _duplicate, _document, _other,
                                  _node)


def syntax_problem(name: str, text: str, exc: Any) -> Problem:
    """The placed sentence for a parser's syntax error (ruamel.yaml's or libyaml's ``MarkedYAMLError``)."""
    seen = Seen.of(text, exc)
    for wording in _WORDINGS:
        said = wording(seen)
        if said is not None:
            place, message = said
            break
    else:
        words = " ".join(s for s in (seen.context, seen.problem) if s) or " ".join(str(exc).split())
        place, message = seen.at or seen.began, phrase(
            N_("yaml.not_yaml"), "this is not valid YAML; check the indentation, quotes, brackets and colons of this "
            "line and the one above (the parser says: %(what)s)", what=words)
    line, column = (place[0] + 1, place[1] + 1) if place is not None else (1, 1)
    return Problem(name, line, column, message)


__all__ = ["Seen", "syntax_problem"]
