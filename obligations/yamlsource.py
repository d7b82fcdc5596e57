"""Reading YAML while remembering where every key and item stands in the file.

ruamel.yaml's round-trip loader records line and column for each mapping key
and sequence item; :func:`position` walks a path (as pydantic reports it in an
error's ``loc``) onto that tree so every message can say ``file:line:column``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from obligations.errors import Problem

PathItem = str | int


class YamlDocument:
    """A parsed YAML file: its data as plain Python, and, on demand, the positioned tree.

    Loading goes through libyaml (about ten times faster than the round-trip
    parser); the round-trip tree, which knows every line and column, is built
    only when a problem has to be placed.
    """

    def __init__(self, file: str, text: str, data: Any, tree: Any = None) -> None:
        self.file = file
        self.text = text
        self.data = data
        self._tree = tree

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = parse_yaml(self.text, self.file).tree
        return self._tree

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
    return load_yaml(text, name)


def load_yaml(text: str, name: str) -> YamlDocument:
    """Fast path through libyaml; anything unusual goes to the round-trip parser for its message."""
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError:
        return parse_yaml(text, name)  # raises with the round-trip parser's placed message
    return YamlDocument(name, text, data)


class _Yaml12Loader(yaml.CSafeLoader):
    """libyaml with YAML 1.2 core scalars, as ruamel.yaml reads them.

    PyYAML follows YAML 1.1, where ``09:00`` is the integer 540 and ``on`` is
    true; that would silently change a rule. Timestamps stay text (pydantic
    parses them, with a message naming the place), and duplicate keys are an
    error instead of the last one silently winning.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
             "tag:yaml.org,2002:timestamp"}
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def _construct_int_1_2(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # 017 is seventeen in YAML 1.2, not octal


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int_1_2)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


class _DatesAsText(RoundTripConstructor):
    """Keep timestamps as text so that pydantic, not the YAML parser, rejects
    ``2025-02-30``: the parser's error would have no line and column."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def parse_yaml(text: str, name: str) -> YamlDocument:
    """The round-trip parse, which records the place of every key and item."""
    rt = YAML(typ="rt")
    rt.Constructor = _DatesAsText
    try:
        tree = rt.load(text)
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
    return YamlDocument(name, text, to_plain(tree), tree)


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


__all__ = [
    "YamlDocument",
    "YamlSyntaxError",
    "load_yaml",
    "parse_yaml",
    "position",
    "read_yaml",
    "to_plain",
    "value_position",
]
