"""What a rules or config file may not be: too large, too deep, an alias bomb, exotic tags.

Checked before anything is built from the text, on the parser's events, in one pass
that never recurses; a refusal is a :class:`YamlSyntaxError` with its place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

from i18n import N_
from i18n.phrase import phrase
from obligations.errors import Problem

MAX_BYTES = 5 * 1024 * 1024  # the largest shipped rules file is 82 KB
MAX_DEPTH = 50  # a rules file nests 6 deep, config.yaml 5
MAX_ALIASES = 100  # the shipped files use none
MAX_NODES = 100_000  # values after following every alias; the largest shipped file has about 4,000
# Tags that only say what a plain value already is; !!set, !!omap, !!binary, !!timestamp,
# !!python/... and local tags build objects a rule cannot hold.
_CORE_TAGS = {"!", *(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map"))}
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_VALUES = {"ScalarEvent", "AliasEvent", "SequenceStartEvent", "MappingStartEvent"}
_ENDS = {"SequenceEndEvent", "MappingEndEvent"}

DEEP = phrase(N_("yaml.too_deep"), "nested more than %(depth)s levels deep; a rules file needs 6: check for "
              "unclosed brackets or runaway indentation", depth=MAX_DEPTH)


class YamlSyntaxError(Exception):
    """A file that cannot be read as YAML, or that a limit refuses, with the place of the problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def too_big(name: str) -> Problem:
    return Problem(name, 1, 1, phrase(N_("yaml.too_big"), "the file is larger than %(mb)s MB, the limit for a rules "
                                      "or config file; split it into several rules files",
                                      mb=MAX_BYTES // (1024 * 1024)))


def text_place(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def check_characters(text: str, name: str) -> None:
    """Refuse a character YAML does not allow, naming it and how to write it instead."""
    m = _NON_PRINTABLE.search(text)
    if m is not None:
        line, column = text_place(text, m.start())
        code = ord(m.group())
        raise YamlSyntaxError(Problem(name, line, column, phrase(
            N_("yaml.control_character"), "control character U+%(code)s is not allowed in YAML; delete it (inside "
            'double quotes it can be written as an escape, e.g. "%(escape)s")', code=f"{code:04X}",
            escape=f"\\x{code:02x}") if code < 0x100 else phrase(
            N_("yaml.bad_character"), "character U+%(code)s is not allowed in YAML; delete it", code=f"{code:04X}")))


@dataclass
class _Open:
    """A collection whose end event has not come yet."""

    anchor: str | None
    size: int = 1  # values it expands to, itself included
    height: int = 0  # levels of collections inside it


class _Walk:
    """The counts of one pass over a document's events."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes = 0
        self.aliases = 0
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values it expands to, collection height)

    def fail(self, mark: Any, message: str) -> NoReturn:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise YamlSyntaxError(Problem(self.name, line, column, message))

    def add_to_parent(self, size: int, height: int) -> None:
        if self.stack:
            self.stack[-1].size += size
            self.stack[-1].height = max(self.stack[-1].height, height + 1)

    def close(self) -> None:
        done = self.stack.pop()
        if done.anchor is not None:
            self.anchors[done.anchor] = (done.size, done.height)
        self.add_to_parent(done.size, done.height)

    def check_tag(self, event: Any) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and str(tag) not in _CORE_TAGS:
            self.fail(event.start_mark, phrase(N_("yaml.tag"), "the tag %(tag)s is not supported; remove it (a rules "
                                               "or config file holds text, numbers, true/false, lists and mappings)",
                                               tag=short_tag(str(tag))))

    def open(self, event: Any) -> None:
        self.nodes += 1
        if len(self.stack) + 1 > MAX_DEPTH:
            self.fail(event.start_mark, DEEP)
        if self.nodes > MAX_NODES:
            self.fail(event.start_mark, phrase(N_("yaml.too_many_values"), "more than %(most)s values; split the file",
                                               most=f"{MAX_NODES:,}"))
        self.stack.append(_Open(event.anchor))

    def alias(self, event: Any) -> tuple[int, int]:
        """What the alias expands to: (values, height); undefined aliases are left to the parser."""
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            self.fail(event.start_mark, phrase(N_("yaml.too_many_aliases"), "more than %(most)s aliases (*name); write "
                                               "the values out instead", most=MAX_ALIASES))
        if any(frame.anchor == event.anchor for frame in self.stack):
            self.fail(event.start_mark, phrase(N_("yaml.recursive_alias"), "the alias *%(anchor)s refers to a "
                                               "collection it is inside; a value cannot contain itself",
                                               anchor=event.anchor))
        return self.anchors.get(event.anchor, (1, 0))

    def value(self, event: Any, is_alias: bool) -> None:
        """A scalar or an alias: counted at what it expands to, without expanding it."""
        size, height = self.alias(event) if is_alias else (1, 0)
        self.nodes += size
        if self.nodes > MAX_NODES:
            self.fail(event.start_mark, phrase(
                N_("yaml.alias_bomb") if is_alias else N_("yaml.values_bomb"),
                ("the aliases expand to" if is_alias else "the file holds") + " more than %(most)s values (an alias "
                "bomb?); write the values out without aliases of aliases, or split the file", most=f"{MAX_NODES:,}"))
        if len(self.stack) + height > MAX_DEPTH:
            self.fail(event.start_mark, phrase(N_("yaml.alias_too_deep"), "the alias *%(anchor)s makes the file nested "
                                               "more than %(depth)s levels deep; write the value out",
                                               anchor=event.anchor, depth=MAX_DEPTH))
        if not is_alias and event.anchor is not None:
            self.anchors[event.anchor] = (1, 0)
        self.add_to_parent(size, height)


def check_limits(events: Iterable[Any], name: str) -> None:
    """Walk a stream of parser events (libyaml's or ruamel's) and refuse what could hurt.

    One pass, before any node or object is built: it counts aliases and the values the
    document expands to (an anchored collection's size and height are remembered, so an
    alias costs what it expands to without being expanded), and the nesting depth with
    aliases followed. Nothing recurses, so no input can raise RecursionError here.
    """
    walk = _Walk(name)
    for event in events:
        kind = type(event).__name__
        if kind in _ENDS:
            walk.close()
        elif kind in _VALUES:
            walk.check_tag(event)
            if kind.endswith("StartEvent"):
                walk.open(event)
            else:
                walk.value(event, kind == "AliasEvent")


__all__ = [
    "DEEP",
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "YamlSyntaxError",
    "check_characters",
    "check_limits",
    "short_tag",
    "text_place",
    "too_big",
]
