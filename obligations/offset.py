"""A reminder's lead time or an escalation's delay: ``7d``, ``3wd``, ``2h``, ``1w``.

Parsed once, where the rules or the config are read; the planner, the calendar
feeds and the page then work with :class:`Offset` values, never with the text.
In the models an ``Offset`` reads from the text, writes back to it, and its
JSON Schema is a string with :data:`OFFSET_PATTERN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from i18n import N_
from i18n.phrase import phrase

OFFSET_PATTERN = r"^(\d+)(d|wd|h|w)$"
_OFFSET_RE = re.compile(OFFSET_PATTERN)


class OffsetUnit(StrEnum):
    """What an offset counts; the value is its suffix in the text."""

    days = "d"
    working_days = "wd"  # on the unit's working-day calendar
    hours = "h"
    weeks = "w"


@dataclass(frozen=True)
class Offset:
    """``amount`` units before (a reminder) or after (an escalation) a duty's date."""

    amount: int
    unit: OffsetUnit

    @classmethod
    def parse(cls, text: str) -> Offset:
        """``Offset(3, OffsetUnit.working_days)`` from ``"3wd"``; ValueError naming the valid forms."""
        m = _OFFSET_RE.match(text.strip())
        if not m:
            raise ValueError(phrase(N_("problem.bad_offset"), "bad reminder offset %(text)s: use a number and d "
                                    "(days), wd (working days), w (weeks) or h (hours), e.g. 7d, 3wd, 2h",
                                    text=repr(text)))
        return cls(int(m.group(1)), OffsetUnit(m.group(2)))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    @classmethod
    def _validate(cls, value: Any) -> Offset:
        if isinstance(value, Offset):
            return value
        if not isinstance(value, str):
            raise ValueError(phrase(N_("problem.offset_type"), "expected an offset such as 7d, 3wd or 2h, got %(got)s",
                                    got=f"{type(value).__name__} {value!r}"))
        return cls.parse(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": OFFSET_PATTERN}


def _parse_each(value: Any) -> Any:
    """The texts of a list parsed before the list is validated, so a bad one is placed on the list's key."""
    if isinstance(value, list):
        return [Offset.parse(item) if isinstance(item, str) else item for item in value]
    return value


Offsets = Annotated[list[Offset], BeforeValidator(_parse_each)]
"""A list of offsets, as rules and subscriptions write them: ``[7d, 3wd, 2h]``."""


__all__ = ["OFFSET_PATTERN", "Offset", "OffsetUnit", "Offsets"]
