"""The JSON Schema files that editors use are generated from the model and kept in sync."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError

import notifiers
from i18n.phrase import Phrase
from obligations.errors import Problem, ValidationFailed
from obligations.loader import check_config_references, load_config, load_rules
from service.schema import HHMM, SCHEMAS, schema_text
from tests.conftest import DATA, ROOT


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


# -- a broken file is rejected by the schema as validate rejects it ------------------------------------------------

# What validate refuses before it parses (yamllimits: size, depth, aliases, tags): no schema says it, and a
# plain YAML reader would build the alias bomb.
LIMITS = {"alias-bomb", "bad-hex", "control-char", "deep-block", "deep-nesting", "huge-int", "int-tag",
          "recursive-alias", "set-tag"}
# The problems the schema states too: missing and unknown keys, types, choices, bounds, patterns, dates, times,
# and a day its month never has. Any other problem is a check across values, list items, files or the calendar
# (an RRULE's text, a quota against a week's working days, ids unique, references, every N with an anchor…)
# that no JSON Schema can make: a file whose problems are all such is refused by validate alone.
SCHEMA_CODES = {
    "problem.missing_key", "problem.unknown_key", "problem.not_one_of", "problem.unknown_schedule",
    "problem.no_schedule_type", "problem.not_date", "problem.day_past_month", "problem.no_month", "problem.bad_id",
    "problem.not_int", "problem.not_text", "problem.not_list", "problem.not_mapping", "problem.not_bool",
    "problem.at_least", "problem.at_most", "problem.above", "problem.below_limit", "problem.bad_time",
    "problem.empty_file", "problem.top_level", "problem.day_not_in_month",
}
FIXTURES = [("rules.schema.json", p) for p in sorted((DATA / "broken").glob("*.yaml")) if p.stem not in LIMITS] + [
    ("rules.schema.json", p) for p in sorted((DATA / "rules").glob("*.yaml"))] + [
    ("config.schema.json", p) for p in sorted(DATA.glob("*config.yaml"))]


def _validate_problems(name: str, path: Path) -> list[Problem]:
    """What ``validate FILE --alone`` (a rules file) or ``validate --config FILE`` says."""
    try:
        if name == "rules.schema.json":
            load_rules([path])
        else:
            loaded = load_config(path)  # and, as validate does, each channel's settings (notifiers/)
            return notifiers.problems(loaded.source) + check_config_references(loaded,
                                                                               load_rules(loaded.rules_paths()))
    except ValidationFailed as exc:
        return exc.problems
    return []


def _validate_refuses(name: str, path: Path) -> bool:
    return bool(_validate_problems(name, path))


def _codes(message: object) -> set[str]:
    """The msgids of a problem's message, through the phrases it wraps (``key: …``)."""
    if not isinstance(message, Phrase):
        return {"(text)"}
    inner = [_codes(value) for value in message.values.values() if isinstance(value, Phrase)]
    return {message.code}.union(*inner) if message.code != "problem.keyed" else set().union(*inner)


def _schema_refuses(name: str, text: str) -> bool:
    try:
        return bool(_errors(_validator(name), text))
    except YAMLError:  # not YAML: an editor marks the syntax error
        return True


@pytest.mark.parametrize(("name", "path"), FIXTURES, ids=[p.relative_to(DATA).as_posix() for _, p in FIXTURES])
def test_the_schema_refuses_a_fixture_exactly_when_validate_does(name: str, path: Path) -> None:
    """The same files fail: the schema never refuses a file validate accepts, and refuses every file with a
    problem it can state (SCHEMA_CODES)."""
    problems = _validate_problems(name, path)
    schema = _schema_refuses(name, path.read_text(encoding="utf-8"))
    if not problems:
        assert not schema
    elif any(code in SCHEMA_CODES or code.startswith("yaml.") for p in problems for code in _codes(p.message)):
        assert schema, [str(p) for p in problems]


RULES_HEAD = """\
version: 1
document: {id: b-2024, title: 测试, date: 2024-01-01}
units:
  - {id: pref, name: 州政府, level: prefecture}
obligations:
  - id: a.one
    title: 截止
    source: {quote: 每年3月1日前}
"""
# each one broken example of what the schema can say: (a name, the file)
BROKEN_EXAMPLES = [
    ("30 February", RULES_HEAD + "    schedule: {type: yearly_deadline, month: 2, day: 30}\n"),
    ("31 April", RULES_HEAD + "    schedule: {type: yearly_deadline, month: 4, day: 31}\n"),
    ("month 13", RULES_HEAD + "    schedule: {type: yearly_deadline, month: 13, day: 1}\n"),
    ("2025-02-30", RULES_HEAD + "    schedule: {type: once, date: 2025-02-30}\n"),
    ("a misspelt key", RULES_HEAD + "    schedul: {type: once, date: 2025-03-01}\n"),
    ("an unknown schedule type", RULES_HEAD + "    schedule: {type: qouta, count: 1, per: week}\n"),
    ("a count in words", RULES_HEAD + "    schedule: {type: quota, count: two, per: week}\n"),
    ("an unknown period", RULES_HEAD + "    schedule: {type: quota, count: 1, per: weekly}\n"),
    ("a count of 0", RULES_HEAD + "    schedule: {type: quota, count: 0, per: week}\n"),
    ("an id with capitals", RULES_HEAD.replace("a.one", "A.One") + "    schedule: {type: unscheduled}\n"),
    ("a unit level that does not exist", RULES_HEAD.replace("prefecture", "city")
     + "    schedule: {type: unscheduled}\n"),
    ("no source", RULES_HEAD.replace("    source: {quote: 每年3月1日前}\n", "")
     + "    schedule: {type: unscheduled}\n"),
    ("a time '9:00'", RULES_HEAD
     + "    schedule: {type: once, date: 2025-03-01, time: {start: '9:00', end: '10:00'}}\n"),
    ("version 2", RULES_HEAD.replace("version: 1", "version: 2") + "    schedule: {type: unscheduled}\n"),
    ("a tab in the indentation", RULES_HEAD + "\tschedule: {type: unscheduled}\n"),
    ("an unclosed bracket", RULES_HEAD + "    schedule: {type: unscheduled\n"),
    ("a key twice", RULES_HEAD + "    schedule: {type: unscheduled}\n    title: 二\n"),
]
BROKEN_CONFIGS = [
    ("digest_at '8:30'", "subscribers: [{name: a, channel: log, address: a, digest_at: '8:30'}]\n"),
    ("digest_at '24:00'", "subscribers: [{name: a, channel: log, address: a, digest_at: '24:00'}]\n"),
    ("an unknown language", "language: fr\n"),
    ("a misspelt key", "timzone: UTC\n"),
    ("30 February off", "calendar: {official: {2025: {holidays: [2025-02-30]}}}\n"),
    ("a port in words", "server: {port: eighty}\n"),
]


@pytest.mark.parametrize(("what", "text"), BROKEN_EXAMPLES, ids=[w for w, _ in BROKEN_EXAMPLES])
def test_a_broken_rules_file_is_refused_by_both(what: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    assert _validate_refuses("rules.schema.json", path), what
    assert _schema_refuses("rules.schema.json", text), what
    fixed = text.replace("day: 30", "day: 28").replace("day: 31", "day: 30")
    if fixed != text:  # the condition refuses the impossible day only, not the month
        assert not _validate_refuses("rules.schema.json", _write(tmp_path / "fixed.yaml", fixed))
        assert not _schema_refuses("rules.schema.json", fixed)


@pytest.mark.parametrize(("what", "text"), BROKEN_CONFIGS, ids=[w for w, _ in BROKEN_CONFIGS])
def test_a_broken_config_is_refused_by_both(what: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    shutil.copy(DATA / "rules" / "sample.yaml", tmp_path / "rules" / "sample.yaml")
    path = _write(tmp_path / "config.yaml", "rules: [rules/sample.yaml]\n" + text)
    assert _validate_refuses("config.schema.json", path), what
    assert _schema_refuses("config.schema.json", path.read_text(encoding="utf-8")), what


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_format_the_schemas_use_is_checked_as_the_models_read_it() -> None:
    """A ``format`` that a validator checks differently from the model marks a good file red (``time`` did:
    RFC 3339 wants seconds and an offset). The one format left is ``date``: YYYY-MM-DD, as pydantic reads it."""
    formats = {m for name in SCHEMAS for m in re.findall(r'"format": "([^"]+)"', schema_text(SCHEMAS[name]))}
    assert formats == {"date"}
    checker = Draft202012Validator.FORMAT_CHECKER
    for good in ("2025-03-01", "2024-02-29"):
        assert checker.conforms(good, "date")
    for bad in ("2025-02-30", "2025-3-1", "20250301", "2025-03-01T00:00"):
        assert not checker.conforms(bad, "date")


# -- check-jsonschema, the validator an editor's CI runs, as a process -------------------------------------------


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    """``check-jsonschema`` on local schemas only: proxies that refuse make any fetch fail at once."""
    tool = str(Path(sys.executable).parent / "check-jsonschema")  # installed with the test extras
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    return subprocess.run([tool, "--no-cache", "--schemafile", str(ROOT / "schema" / schema), *map(str, files)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.mark.slow
def test_check_jsonschema_accepts_every_shipped_file() -> None:
    pytest.importorskip("check_jsonschema")
    for name in SCHEMAS:
        files = [path for schema, path in SHIPPED if schema == name]
        proc = _check_jsonschema(name, *files)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_check_jsonschema_refuses_the_broken_examples(tmp_path: Path) -> None:
    pytest.importorskip("check_jsonschema")
    rules = [_write(tmp_path / f"rules-{i}.yaml", text) for i, (_, text) in enumerate(BROKEN_EXAMPLES)]
    configs = [_write(tmp_path / f"config-{i}.yaml", text) for i, (_, text) in enumerate(BROKEN_CONFIGS)]
    for schema, files in (("rules.schema.json", rules), ("config.schema.json", configs)):
        for path in files:
            proc = _check_jsonschema(schema, path)
            assert proc.returncode == 1, path.read_text(encoding="utf-8") + proc.stdout + proc.stderr
