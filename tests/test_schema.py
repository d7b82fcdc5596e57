"""The JSON Schema files that editors use are generated from the model and kept in sync."""

from __future__ import annotations

import json
import re

import pytest

import notifiers
from service.schema import HHMM, SCHEMAS, schema_text
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


def test_config_schema_lists_every_channel_and_its_keys() -> None:
    """Editors complete and check a channel's keys: each channel is a closed object with described keys."""
    schema = json.loads(schema_text(SCHEMAS["config.schema.json"]))
    defs = schema["$defs"]
    channels = defs[schema["properties"]["notifiers"]["$ref"].rsplit("/", 1)[1]]
    assert channels["additionalProperties"] is False
    assert sorted(channels["properties"]) == sorted(notifiers.available())
    for name, prop in channels["properties"].items():
        assert prop["description"], name
        settings = defs[prop["$ref"].rsplit("/", 1)[1]]
        assert settings["additionalProperties"] is False, name
        undescribed = [key for key, value in settings["properties"].items() if not value.get("description")]
        assert undescribed == [], name
    robot = defs[defs["WeComConfig"]["properties"]["robots"]["additionalProperties"]["$ref"].rsplit("/", 1)[1]]
    assert robot["additionalProperties"] is False
    assert "webhook_env" in robot["required"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_times_are_patterns_not_the_rfc3339_format(name: str) -> None:
    """``format: time`` is RFC 3339's full-time (08:30:00Z): a validator checking formats refused '08:30'."""
    text = schema_text(SCHEMAS[name])
    assert '"format": "time"' not in text
    assert HHMM["pattern"] in text


@pytest.mark.parametrize(("value", "ok"), [
    ("08:30", True), ("23:59", True), ("08:30:00", True), ("00:00", True),
    ("24:00", False), ("8:30", False), ("08:60", False), ("08:30Z", False), ("", False),
])
def test_the_time_pattern_takes_what_the_models_take(value: str, ok: bool) -> None:
    assert bool(re.fullmatch(HHMM["pattern"], value)) is ok
