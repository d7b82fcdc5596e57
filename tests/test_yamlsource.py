"""The fast libyaml path and the round-trip parser must read every file the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from obligations.yamlsource import YamlSyntaxError, load_yaml, parse_yaml
from tests.conftest import DATA, ROOT

FILES = [*sorted((ROOT / "rules").glob("*.yaml")), *sorted((DATA / "rules").glob("*.yaml")), ROOT / "config.yaml"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fast_and_round_trip_agree_on_shipped_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text, path.name).data == parse_yaml(text, path.name).data


TRICKY = """\
time: 09:00
on: on
yes: yes
octal: 0o17
leading_zero: 017
underscored: 1_000
date: 2024-03-31
bad_date: 2025-02-30
float: .5
bool: true
null_value: ~
quoted: '09:00'
"""


def test_yaml_1_2_scalars_not_1_1() -> None:
    """Regression guard: YAML 1.1 (PyYAML's default) reads 09:00 as 540 and on as true."""
    fast = load_yaml(TRICKY, "t.yaml").data
    assert fast == parse_yaml(TRICKY, "t.yaml").data
    assert fast["time"] == "09:00"
    assert fast["on"] == "on"
    assert fast["yes"] == "yes"
    assert fast["date"] == "2024-03-31"  # dates stay text; pydantic parses and places errors
    assert fast["bad_date"] == "2025-02-30"
    assert fast["bool"] is True


def test_duplicate_keys_are_an_error_on_the_fast_path_too() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert str(info.value).startswith("dup.yaml:3:1: YAML syntax:")
    assert 'found duplicate key "a"' in str(info.value)


def test_positions_are_built_only_when_needed() -> None:
    doc = load_yaml("a:\n  - x: 1\n", "t.yaml")
    assert doc._tree is None
    assert doc.problem(["a", 0, "x"], "m").line == 2
