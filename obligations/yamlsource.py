"""Reading YAML while remembering where every key and item stands in the file.

ruamel.yaml's round-trip loader records line and column for each mapping key
and sequence item; :func:`position` walks a path (as pydantic reports it in an
error's ``loc``) onto that tree so every message can say ``file:line:column``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from obligations.errors import Problem

PathItem = str | int


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: the positioned tree and the same data as plain Python."""

    file: str
    tree: Any
    data: Any

    def problem(self, path: Sequence[PathItem], message: str) -> Problem:
        line, column = position(self.tree, path)
        return Problem(self.file, line, column, message)


class YamlSyntaxError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path, display: str | None = None) -> YamlDocument:
    """Parse ``path``; a syntax error becomes a :class:`YamlSyntaxError` with its place."""
    name = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise YamlSyntaxError(Problem(name, 0, 0, "file not found")) from None
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(
            Problem(name, 0, 0, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8")
        ) from None
    except OSError as exc:
        raise YamlSyntaxError(Problem(name, 0, 0, f"cannot read: {exc.strerror}")) from None
    return parse_yaml(text, name)


class _DatesAsText(RoundTripConstructor):
    """Keep timestamps as text so that pydantic, not the YAML parser, rejects
    ``2025-02-30``: the parser's error would have no line and column."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def parse_yaml(text: str, name: str) -> YamlDocument:
    yaml = YAML(typ="rt")
    yaml.Constructor = _DatesAsText
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        hint = ""
        if "found duplicate key" in (exc.problem or "") or "duplicate key" in what:
            hint = "; each key may appear once in a mapping: remove or rename one of them"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            hint += f" (the construct began at line {opened.line + 1}, column {opened.column + 1})"
        raise YamlSyntaxError(Problem(name, line, column, f"YAML syntax: {what}{hint}")) from None
    return YamlDocument(name, tree, to_plain(tree))


def to_plain(node: Any) -> Any:
    """Round-trip nodes to plain dict/list/str/int/date, as pydantic expects."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, dt.date)) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, dt.datetime):
        if (node.hour, node.minute, node.second, node.microsecond) == (0, 0, 0, 0) and node.tzinfo is None:
            return dt.date(node.year, node.month, node.day)
        return dt.datetime(
            node.year, node.month, node.day, node.hour, node.minute, node.second,
            node.microsecond, node.tzinfo,
        )
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def position(tree: Any, path: Sequence[PathItem]) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of ``path`` found in ``tree``.

    Path items that are not in the tree (pydantic adds the names of union
    members, e.g. ``'quota'`` or ``'str'``) are skipped; a missing key points
    at its parent mapping.
    """
    node = tree
    line, column = (1, 1)
    for item in path:
        if isinstance(node, CommentedMap) and item in node:
            ln, col = node.lc.key(item)
            line, column = ln + 1, col + 1
            node = node[item]
        elif isinstance(node, CommentedSeq) and isinstance(item, int) and 0 <= item < len(node):
            ln, col = node.lc.item(item)
            line, column = ln + 1, col + 1
            node = node[item]
        # anything else: a union tag or a key that is missing; stay where we are
    return line, column


def value_position(tree: Any, path: Sequence[PathItem]) -> tuple[int, int]:
    """Like :func:`position`, but of the value of the last key rather than the key."""
    if not path:
        return position(tree, path)
    parent_line_col = position(tree, path)
    node = tree
    for item in path[:-1]:
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            return parent_line_col
    last = path[-1]
    if isinstance(node, CommentedMap) and last in node:
        ln, col = node.lc.value(last)
        return ln + 1, col + 1
    return parent_line_col


__all__ = ["YamlDocument", "YamlSyntaxError", "parse_yaml", "position", "read_yaml", "to_plain", "value_position"]
