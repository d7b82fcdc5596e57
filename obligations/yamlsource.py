"""Reading YAML while remembering where every key and item stands in the file.

ruamel.yaml's round-trip loader records line and column for each mapping key
and sequence item; :func:`position` walks a path (as pydantic reports it in an
error's ``loc``) onto that tree so every message can say ``file:line:column``.
The fast libyaml loader is in :mod:`obligations.yaml12`, the limits in
:mod:`obligations.yamllimits`, the wording of syntax errors in :mod:`obligations.yamlerrors`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.errors import Problem
from obligations.yaml12 import Unreadable, Yaml12Loader
from obligations.yamlerrors import syntax_problem
from obligations.yamllimits import (
    DEEP,
    MAX_BYTES,
    YamlSyntaxError,
    check_characters,
    check_limits,
    text_place,
    too_big,
)

PathItem = str | int


class YamlDocument:
    """A parsed YAML file: its data as plain Python, and, on demand, the positioned tree.

    Loading goes through libyaml (about ten times faster than the round-trip
    parser); the tree of places, which knows every line and column, is built
    (from libyaml's nodes, so it is as fast) only when a problem has to be placed.
    """

    def __init__(self, file: str, text: str, data: Any, tree: Any = None) -> None:
        self.file = file
        self.text = text
        self.data = data
        self._tree = tree

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = _place_tree(self.text)
        return self._tree

    def problem(self, path: Sequence[PathItem], message: str) -> Problem:
        line, column = position(self.tree, path)
        return Problem(self.file, line, column, message)


def read_yaml(path: Path, display: str | None = None) -> YamlDocument:
    """Parse ``path``; a syntax error becomes a :class:`YamlSyntaxError` with its place."""
    name = display or str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # never more than the limit in memory
    except FileNotFoundError:
        raise YamlSyntaxError(Problem(name, 0, 0, Phrase("file not found", N_("yaml.no_file")))) from None
    except IsADirectoryError:
        raise YamlSyntaxError(Problem(name, 0, 0, Phrase("is a folder; name a YAML file", N_("yaml.folder")))) from None
    except OSError as exc:
        raise YamlSyntaxError(Problem(name, 0, 0, phrase(N_("yaml.cannot_read"), "cannot read: %(reason)s",
                                                         reason=str(exc.strerror or exc)))) from None
    if len(data) > MAX_BYTES:
        raise YamlSyntaxError(too_big(name))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_place(data, exc.start)
        raise YamlSyntaxError(
            Problem(name, line, column, phrase(N_("yaml.not_utf8"), "not UTF-8 text (%(reason)s at byte %(byte)s); "
                                               "save it as UTF-8", reason=exc.reason, byte=exc.start))
        ) from None
    return load_yaml(text, name)


def _byte_place(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode("utf-8", "replace")) + 1


def load_yaml(text: str, name: str) -> YamlDocument:
    """Fast path through libyaml, after the limits are checked on its events.

    A syntax error is placed with the round-trip parser's message (it names the construct
    and where it began); every other failure raises :class:`YamlSyntaxError` with its place.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlSyntaxError(too_big(name))
    check_characters(text, name)
    try:
        check_limits(yaml.parse(text, Loader=Yaml12Loader), name)
        loader = Yaml12Loader(text)  # a SafeLoader subclass: no arbitrary objects
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except Unreadable as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(Problem(name, mark.line + 1, mark.column + 1, exc.problem or "")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "maximum nesting depth" in str(exc) and mark is not None:  # libyaml's own limit, 1000
            raise YamlSyntaxError(Problem(name, mark.line + 1, mark.column + 1, DEEP)) from None
        raise YamlSyntaxError(_syntax_problem(text, name, exc)) from None
    return YamlDocument(name, text, data)


# The round-trip parser names a syntax error best, but it is pure Python: slower by far on a
# large file, and quadratic in the depth of brackets. Above this size libyaml's message is used.
_ROUND_TRIP_MAX = 512 * 1024


def _syntax_problem(text: str, name: str, fast: yaml.YAMLError) -> Problem:
    """The round-trip parser's placed sentence for what libyaml refused; from libyaml's error if it has none."""
    try:
        if len(text) <= _ROUND_TRIP_MAX:
            parse_yaml(text, name)
    except YamlSyntaxError as exc:
        return exc.problem
    except Exception:  # the round-trip parser's own failure: libyaml's error below
        pass
    return syntax_problem(name, text, fast)


class _DatesAsText(RoundTripConstructor):
    """Keep timestamps as text so that pydantic, not the YAML parser, rejects
    ``2025-02-30``: the parser's error would have no line and column."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def parse_yaml(text: str, name: str) -> YamlDocument:
    """The round-trip parse, which records the place of every key and item."""
    rt = YAML(typ="rt")
    rt.Constructor = _DatesAsText
    try:
        check_limits(rt.parse(text), name)
        tree = rt.load(text)
    except MarkedYAMLError as exc:
        raise YamlSyntaxError(syntax_problem(name, text, exc)) from None
    except YAMLError as exc:  # a reader error: a character YAML does not allow
        position = getattr(exc, "position", None)
        line, column = text_place(text, position) if isinstance(position, int) else (1, 1)
        raise YamlSyntaxError(Problem(name, line, column, syntax_problem(name, text, exc).message)) from None
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise YamlSyntaxError(Problem(name, 1, 1, phrase(N_("yaml.unreadable"), "YAML: cannot read the file "
                                                         "(%(kind)s: %(error)s)", kind=type(exc).__name__,
                                                         error=str(exc)[:200]))) from None
    return YamlDocument(name, text, to_plain(tree), tree)


def _place_tree(text: str) -> Any:
    """Mappings and lists that know the line and column of every key, value and item.

    Built from libyaml's nodes of a text that :func:`load_yaml` has accepted (so within the
    limits, and never deeper than :data:`MAX_DEPTH`); keys are converted as in the data.
    """
    loader = Yaml12Loader(text)
    try:
        root = loader.get_single_node()
        built: dict[int, Any] = {}

        def build(node: yaml.Node) -> Any:
            if id(node) in built:
                return built[id(node)]
            if isinstance(node, yaml.MappingNode):
                out = built[id(node)] = CommentedMap()
                for key_node, value_node in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    try:
                        key = loader.construct_object(key_node, deep=True)
                        hash(key)
                    except Exception:  # a key load_yaml accepted; be safe anyway
                        key = str(key_node.value)
                    out[key] = build(value_node)
                    ks, vs = key_node.start_mark, value_node.start_mark
                    out.lc.add_kv_line_col(key, [ks.line, ks.column, vs.line, vs.column])
                return out
            if isinstance(node, yaml.SequenceNode):
                seq = built[id(node)] = CommentedSeq()
                for i, item in enumerate(node.value):
                    seq.append(build(item))
                    seq.lc.add_kv_line_col(i, [item.start_mark.line, item.start_mark.column])
                return seq
            return node.value

        return build(root) if root is not None else CommentedMap()
    except (yaml.YAMLError, RecursionError):
        return CommentedMap()  # places become 1:1 rather than the problem being lost
    finally:
        loader.dispose()


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
    "PathItem",
    "YamlDocument",
    "load_yaml",
    "parse_yaml",
    "position",
    "read_yaml",
    "to_plain",
    "value_position",
]
