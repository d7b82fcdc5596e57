"""libyaml (PyYAML's C loader) reading YAML 1.2's core scalars, as ruamel.yaml does.

The fast path of :func:`obligations.yamlsource.load_yaml`: about ten times faster than the
round-trip parser. PyYAML follows YAML 1.1, where ``09:00`` is the integer 540 and ``on`` is
true; the resolvers here are YAML 1.2's, dates stay text, duplicate keys and values that cannot
be converted are placed errors.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.yamllimits import YamlSyntaxError, short_tag


class Yaml12Loader(yaml.CSafeLoader):
    """libyaml with YAML 1.2 core scalars, as ruamel.yaml reads them.

    PyYAML follows YAML 1.1, where ``09:00`` is the integer 540 and ``on`` is
    true; that would silently change a rule. Timestamps stay text (pydantic
    parses them, with a message naming the place), and duplicate keys are an
    error instead of the last one silently winning.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Any failure to convert a value (``!!int x``, ``0x_``, a 5,000-digit number) is placed."""
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, YamlSyntaxError):
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise Unreadable(None, None, _conversion_problem(node, exc), node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # !!map on a list or a word
            raise Unreadable(None, None, Phrase("!!map on something that is not a mapping; remove the tag",
                                                 N_("yaml.map_tag")), node.start_mark)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise Unreadable(
                    None, None, Phrase("a key must be a plain word or number, not a list or mapping "
                                       "(a value needs 'key: value')", N_("yaml.complex_key")), key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class Unreadable(yaml.constructor.ConstructorError):
    """A value libyaml parsed but that cannot be converted; placed with this message as it is."""


def _conversion_problem(node: yaml.Node, exc: Exception) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    tag = short_tag(node.tag)
    if isinstance(exc, ValueError) and "digits" in str(exc) and "integer" in str(exc):
        return Phrase("a number of more than 4300 digits cannot be read; shorten it, "
                      "or quote it if it is meant as text", N_("yaml.huge_number"))
    shown = value if len(value) <= 40 else value[:37] + "..."
    kind = Phrase(_KINDS[tag], _KIND_CODES[tag]) if tag in _KIND_CODES else tag
    return phrase(N_("yaml.not_kind"), "%(value)s is not %(kind)s (%(tag)s); fix the value, or quote it if it is "
                  "meant as text", value=repr(shown), kind=kind, tag=tag)


_KIND_CODES = {"!!int": N_("yaml.kind.int"), "!!float": N_("yaml.kind.float"), "!!bool": N_("yaml.kind.bool"),
               "!!null": N_("yaml.kind.null"), "!!str": N_("yaml.kind.str")}
_KINDS = {"!!int": "a valid whole number", "!!float": "a valid number", "!!bool": "true or false",
          "!!null": "empty", "!!str": "text"}


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
             "tag:yaml.org,2002:timestamp"}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def _construct_int_1_2(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text.startswith("0o"):
        value = int(text[2:], 8)
    elif text.startswith("0x"):
        value = int(text[2:], 16)
    else:
        value = int(text, 10)  # 017 is seventeen in YAML 1.2, not octal; over 4300 digits: ValueError
    if value.bit_length() > _MAX_INT_BITS:  # hex and octal have no digit limit, but printing them would
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
    return value


_MAX_INT_BITS = 14_000  # 10**4300 has 14,284 bits


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int_1_2)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


__all__ = ["Unreadable", "Yaml12Loader"]
