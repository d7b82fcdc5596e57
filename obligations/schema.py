"""JSON Schemas generated from the pydantic models, for editors (yaml-language-server)."""

from __future__ import annotations

import json
from pathlib import Path

from obligations.config import Config
from obligations.model import RulesFile

SCHEMAS = {"rules.schema.json": RulesFile, "config.schema.json": Config}


def schema_text(model: type[RulesFile] | type[Config]) -> str:
    schema = model.model_json_schema(by_alias=True)
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


__all__ = ["SCHEMAS", "schema_text", "write_schemas"]
