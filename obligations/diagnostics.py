"""Turning pydantic's validation errors into sentences that name the fix."""

from __future__ import annotations

import calendar
import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from i18n import N_
from i18n.phrase import Phrase, month
from obligations.errors import Problem
from obligations.yamlsource import PathItem, YamlDocument, value_position


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word``, if any is reasonably close (for "did you mean")."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` (a :class:`Phrase`, worded in any language), or "" when nothing is close."""
    best = closest(word, choices)
    return Phrase(f"; did you mean {best!r}?", N_("problem.did_you_mean"), best=repr(best)) if best else ""


def keyed(key: object, message: str) -> Phrase:
    """``key: message``, the message worded in the reader's language too."""
    return Phrase(f"{key}: {message}", N_("problem.keyed"), key=str(key), text=message)


def _unwrap(annotation: Any) -> list[Any]:
    """The model or enum classes an annotation can hold, looking through containers."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for a in typing.get_args(annotation) for c in _unwrap(a)]
    if origin in (list, tuple, set, frozenset, dict):
        return [c for a in typing.get_args(annotation)[-1:] for c in _unwrap(a)]
    return [annotation]


def model_at(root: type[BaseModel], data: Any, path: Sequence[PathItem]) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``path`` of ``data``."""
    candidates: list[Any] = [root]
    node = data
    for item in path:
        nxt: list[Any] = []
        if isinstance(node, list) and isinstance(item, int):
            node = node[item] if 0 <= item < len(node) else None
            continue
        if isinstance(node, dict) and item in node:
            for cls in candidates:
                if isinstance(cls, type) and issubclass(cls, BaseModel):
                    field = _field(cls, str(item))
                    if field is not None:
                        nxt.extend(_unwrap(field.annotation))
            if not nxt:
                # a dict[int, Model] field: its keys are data (years), the models stay the same
                nxt = candidates
            node = node[item]
            candidates = nxt
        # a union tag or a missing key: stay
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    if isinstance(node, dict) and len(models) > 1:
        tag = node.get("type")
        for cls in models:
            field = cls.model_fields.get("type")
            if field is not None and tag in typing.get_args(field.annotation):
                return cls
    return models[0] if models else None


def _field(cls: type[BaseModel], key: str) -> Any:
    for name, field in cls.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def field_names(cls: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in cls.model_fields.items()]


def _enum_choices(ctx: dict[str, Any]) -> list[str]:
    expected = str(ctx.get("expected", ""))
    quoted = re.findall(r"'([^']*)'", expected)
    return quoted or [part.strip() for part in re.split(r",| or ", expected) if part.strip()]


def problems_from(error: ValidationError, doc: YamlDocument, root: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per pydantic error, placed on the offending key."""
    problems: list[Problem] = []
    for err in error.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        ctx = err.get("ctx") or {}
        value = err.get("input")
        path = _data_path(doc.data, loc, root)
        if kind == "union_tag_invalid" and isinstance(doc.data, dict):
            path = [*path, "type"]
        # a list item is named after its list: "dates: ..." rather than "1: ..."
        key = next((p for p in reversed(path) if isinstance(p, str)), None) if path else None
        if kind in {"missing", "extra_forbidden"}:
            key = path[-1] if path else None
        msg = _message(kind, err["msg"], ctx, value, key, path, doc, root)
        if kind in {"missing", "extra_forbidden"}:
            problems.append(doc.problem(path, msg))
        else:
            line, column = value_position(doc.tree, path)
            problems.append(Problem(doc.file, line, column, msg))
    return problems


def _data_path(data: Any, loc: Sequence[PathItem], root: type[BaseModel]) -> list[PathItem]:
    """``loc`` without the union-member names that pydantic inserts into it."""
    path: list[PathItem] = []
    node = data
    for item in loc:
        in_list = isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node)
        if in_list or (isinstance(node, dict) and item in node):
            path.append(item)
            node = node[item]
        elif isinstance(node, dict) and isinstance(item, str):
            owner = model_at(root, data, path)
            if owner is not None and item in field_names(owner):
                path.append(item)  # a key that is missing from the file
                node = None
        # otherwise a union member's name: not in the file
    return path


_BOUNDS = {
    "greater_than_equal": ("input should be greater than or equal to {limit}, got {got}", N_("problem.at_least"), "ge"),
    "less_than_equal": ("input should be less than or equal to {limit}, got {got}", N_("problem.at_most"), "le"),
    "greater_than": ("input should be greater than {limit}, got {got}", N_("problem.above"), "gt"),
    "less_than": ("input should be less than {limit}, got {got}", N_("problem.below_limit"), "lt"),
}


def _message(
    kind: str,
    raw: str,
    ctx: dict[str, Any],
    value: Any,
    key: PathItem | None,
    path: list[PathItem],
    doc: YamlDocument,
    root: type[BaseModel],
) -> str:
    if kind == "missing":
        return Phrase(f"missing required key {key!r}", N_("problem.missing_key"), key=repr(key))
    if kind == "extra_forbidden":
        owner = model_at(root, doc.data, path[:-1])
        valid = field_names(owner) if owner else []
        hint = did_you_mean(str(key), valid)
        listed = Phrase(f" (valid keys: {', '.join(valid)})", N_("problem.valid_keys"), keys=", ".join(valid)) \
            if valid else ""
        return Phrase(f"unknown key {key!r}{hint}{listed}", N_("problem.unknown_key"), key=repr(key), hint=hint,
                      listed=listed)
    if kind in {"literal_error", "enum"}:
        choices = _enum_choices(ctx)
        hint, listed = did_you_mean(str(value), choices), ", ".join(choices)
        return keyed(key, Phrase(f"{value!r} is not one of {listed}{hint}", N_("problem.not_one_of"),
                                 value=repr(value), choices=listed, hint=hint))
    if kind == "union_tag_invalid":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag", value)
        hint, listed = did_you_mean(str(tag), choices), ", ".join(choices)
        return Phrase(f"schedule type {tag!r} is unknown{hint} (valid: {listed})", N_("problem.unknown_schedule"),
                      tag=repr(tag), hint=hint, choices=listed)
    if kind == "union_tag_not_found":
        return Phrase("missing required key 'type' (quota, yearly_deadline, window, once, rrule or unscheduled)",
                      N_("problem.no_schedule_type"))
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"}:
        return keyed(key, _date_problem(value))
    if kind == "string_pattern_mismatch" and key == "token_sha256":
        return keyed(key, Phrase(f"{value!r} is not a SHA-256 digest: 64 lower-case hex digits; `python main.py token` "
                                 "prints the line to paste", N_("problem.not_sha256"), value=repr(value)))
    if kind == "string_pattern_mismatch":
        return keyed(key, Phrase(f"{value!r} is not a valid id: use lower-case letters, digits, '-', '_' and '.', "
                                 "e.g. bz.korla", N_("problem.bad_id"), value=repr(value)))
    if kind == "value_error":
        error = ctx.get("error")  # a validator's ValueError: its Phrase carries the code
        said = error.args[0] if isinstance(error, ValueError) and error.args else None
        text = said if isinstance(said, Phrase) else _invalid(raw.removeprefix("Value error, "))
        return keyed(key, text) if isinstance(key, str) else text
    if kind in _WRONG_TYPE:
        english, code = _WRONG_TYPE[kind]
        got = repr(value) if kind != "string_type" else f"{type(value).__name__} {value!r}"
        return keyed(key, Phrase(english.format(got=got), code, got=got))
    if kind in _BOUNDS:
        english, code, bound = _BOUNDS[kind]
        limit = str(ctx.get(bound, ""))
        return keyed(key, Phrase(english.format(limit=limit, got=repr(value)), code, limit=limit, got=repr(value)))
    if kind in {"time_parsing", "time_type"}:
        return keyed(key, Phrase(f"{value!r} is not a time; write it as 'HH:MM', e.g. '09:00'", N_("problem.bad_time"),
                                 value=repr(value)))
    return keyed(key, _invalid(raw)) if key is not None else _invalid(raw)


def _invalid(raw: str) -> Phrase:
    """A check without a phrase of its own (pydantic's words): framed in the reader's language."""
    return Phrase(raw, N_("problem.invalid"), text=raw)


# a wrong type: pydantic's kind -> (the English text, the msgid), both with the value as {got}
_WRONG_TYPE = {
    kind: texts
    for kinds, texts in [
        (("int_parsing", "int_type", "int_from_float"), ("expected a whole number, got {got}", N_("problem.not_int"))),
        (("string_type",), ("expected text, got {got} (quote it if it is meant as text)", N_("problem.not_text"))),
        (("list_type",), ("expected a list (one '- item' per line or [a, b]), got {got}", N_("problem.not_list"))),
        (("model_type", "model_attributes_type", "dict_type"),
         ("expected a mapping of keys, got {got}", N_("problem.not_mapping"))),
        (("bool_parsing", "bool_type"), ("expected true or false, got {got}", N_("problem.not_bool"))),
    ]
    for kind in kinds
}


def _date_problem(value: Any) -> str:
    text = str(value)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        year, number, day = (int(g) for g in m.groups())
        if 1 <= number <= 12:
            last = calendar.monthrange(year, number)[1]
            if day > last:
                name = calendar.month_name[number]
                return Phrase(f"{text} is not a date: {name} {year} has {last} days; use a day from 1 to {last}",
                              N_("problem.day_past_month"), text=text, month=month(number, name), year=year,
                              last=last)
        else:
            return Phrase(f"{text} is not a date: month {number} does not exist; use 1-12", N_("problem.no_month"),
                          text=text, month=number)
    return Phrase(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-01", N_("problem.not_date"),
                  value=repr(value))


__all__ = ["closest", "did_you_mean", "field_names", "model_at", "problems_from"]
