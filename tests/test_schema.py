"""The JSON Schema files that editors use are generated from the model and kept in sync."""

from __future__ import annotations

import json

import pytest

from obligations.schema import SCHEMAS, schema_text
from tests.conftest import ROOT


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_matches_the_model(name: str) -> None:
    committed = (ROOT / "schema" / name).read_text(encoding="utf-8")
    assert committed == schema_text(SCHEMAS[name]), "run: python main.py schema"


def test_rules_files_point_editors_at_the_schema() -> None:
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=../schema/rules.schema.json"), path.name


def test_schema_lists_every_schedule_type() -> None:
    schema = json.loads(schema_text(SCHEMAS["rules.schema.json"]))
    text = json.dumps(schema)
    for kind in ("quota", "yearly_deadline", "window", "once", "rrule", "unscheduled"):
        assert f'"const": "{kind}"' in text or f'"enum": ["{kind}"]' in text, kind
