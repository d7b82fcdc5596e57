"""JSON Schemas generated from the pydantic models, for editors (yaml-language-server) and validators.

The config schema comes from :func:`notifiers.config_model`: the config model with every
channel's settings under ``notifiers:``, so an editor completes and checks a channel's keys as
``validate`` does. That model needs the channels, which sit above obligations/, so the writer
lives here rather than beside the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import notifiers
from obligations.model import RulesFile

SCHEMAS: dict[str, type[BaseModel]] = {"rules.schema.json": RulesFile, "config.schema.json": notifiers.config_model()}

# pydantic writes a time as ``format: time``, which JSON Schema defines as RFC 3339's full-time
# (``08:30:00Z``, with seconds and an offset): a validator that checks formats would refuse the
# '08:30' the files use. A pattern says what the models accept instead.
HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}


# A day of the year written as month and day (a yearly deadline): the model refuses a day its month never
# has (30 February, 31 April) with a validator, which pydantic cannot write into the schema; these
# conditions say the same, so an editor marks 2月30日 as validate does.
REAL_DAYS = [
    {"if": {"properties": {"month": {"enum": months}}, "required": ["month"]},
     "then": {"properties": {"day": {"maximum": most}}}}
    for most, months in ((29, [2]), (30, [4, 6, 9, 11]))
]


def _month_and_day(node: dict[str, Any]) -> bool:
    required = node.get("required", [])
    return node.get("type") == "object" and "month" in required and "day" in required


def _portable(node: Any) -> Any:
    """``node`` with every ``format: time`` string replaced by :data:`HHMM` (its description kept), and
    :data:`REAL_DAYS` on every object that requires a month and a day."""
    if isinstance(node, list):
        return [_portable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _portable(value) for key, value in node.items()}
    if out.get("format") == "time" and out.get("type") == "string":
        del out["format"]
        out.update(HHMM)
    if _month_and_day(out):
        out["allOf"] = [*out.get("allOf", []), *REAL_DAYS]
    return out


def schema_text(model: type[BaseModel]) -> str:
    schema = _portable(model.model_json_schema(by_alias=True))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = out / name
        path.write_text(schema_text(model), encoding="utf-8")
        written.append(path)
    return written


__all__ = ["HHMM", "REAL_DAYS", "SCHEMAS", "schema_text", "write_schemas"]
