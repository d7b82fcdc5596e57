"""The JSON Schema files that editors use are generated from the model and kept in sync."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

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


# -- what an editor does: the shipped files against schema/*.json, by a validator that is not pydantic ---------------


class _Yaml12Constructor(SafeConstructor):
    """YAML 1.2's core schema, as yaml-language-server reads it: an unquoted 2025-03-01 is a string."""


_Yaml12Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _as_json(node: Any) -> Any:
    """The YAML document as the JSON an editor validates (mapping keys are strings in JSON)."""
    if isinstance(node, dict):
        return {str(key): _as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_json(item) for item in node]
    return node


def _read_yaml12(text: str) -> Any:
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _Yaml12Constructor
    yaml.version = (1, 2)
    return _as_json(yaml.load(text))


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _errors(validator: Draft202012Validator, text: str) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                  for e in validator.iter_errors(_read_yaml12(text)))


SHIPPED = [("config.schema.json", ROOT / "config.yaml")] + [
    ("rules.schema.json", path) for path in sorted((ROOT / "rules").glob("*.yaml"))
]


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[p.relative_to(ROOT).as_posix() for _, p in SHIPPED])
def test_the_shipped_files_pass_an_independent_json_schema_validator(name: str, path: Path) -> None:
    """jsonschema (Draft 2020-12, formats checked) on the YAML 1.2 documents: what an editor reports."""
    assert _errors(_validator(name), path.read_text(encoding="utf-8")) == []


def test_the_independent_validator_refuses_what_validate_refuses() -> None:
    """Not vacuous: with this reader, a typo, an unknown language, '8:30' and 30 February are errors."""
    text = ("timezone: Asia/Shanghai\nlanguage: fr\ntimzone: UTC\n"
            "subscribers: [{name: a, channel: log, address: a, digest_at: '8:30'}]\n"
            "calendar: {official: {2025: {holidays: [2025-02-30]}}}\n")
    errors = _errors(_validator("config.schema.json"), text)
    assert [e.split(":")[0] for e in errors] == [
        "(top)", "calendar/official/2025/holidays/0", "language", "subscribers/0/digest_at"], errors
    assert "'timzone' was unexpected" in errors[0]
    assert "is not a 'date'" in errors[1]
