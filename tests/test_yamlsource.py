"""The fast libyaml path and the round-trip parser must read every file the same way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from obligations.yamllimits import MAX_BYTES, YamlSyntaxError
from obligations.yamlsource import load_yaml, parse_yaml, read_yaml
from tests.conftest import DATA, ROOT

FILES = [*sorted((ROOT / "rules").glob("*.yaml")), *sorted((DATA / "rules").glob("*.yaml")), ROOT / "config.yaml"]


@pytest.mark.slow  # the round-trip parser over every shipped file
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
    assert str(info.value) == ("dup.yaml:3:1: the key 'a' appears twice in this mapping; each key may appear once: "
                               "remove or rename one of them")


def test_positions_are_built_only_when_needed() -> None:
    doc = load_yaml("a:\n  - x: 1\n", "t.yaml")
    assert doc._tree is None
    assert doc.problem(["a", 0, "x"], "m").line == 2


# -- limits: YAML that cannot hurt -----------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize(("text", "place", "needle"), [
    (BOMB, (6, 8), "the aliases expand to more than 100,000 values"),
    ("x: &a 1\ny: [" + ", ".join(["*a"] * 101) + "]\n", (2, 405), "more than 100 aliases"),
    ("x: " + "[" * 60 + "]" * 60 + "\n", (1, 53), "nested more than 50 levels deep"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", (1, 1003), "nested more than 50 levels deep"),
    ("x:\n" + "".join("  " * i + "-\n" for i in range(1000)), (51, 99), "nested more than 50 levels deep"),
    ("a: &a [1]\nb: " + "[" * 49 + "*a" + "]" * 49 + "\n", (2, 53), "makes the file nested more than 50"),
    ("x: &x [*x]\n", (1, 8), "refers to a collection it is inside"),
    ("a: !!set {x, y}\n", (1, 4), "the tag !!set is not supported"),
    ("a: !!omap [x: 1]\n", (1, 4), "the tag !!omap is not supported"),
    ("a: !!python/object/apply:os.system [ls]\n", (1, 4), "the tag !!python/object/apply:os.system"),
    ("a: !local x\n", (1, 4), "the tag !local is not supported"),
    ("a: !!int x\n", (1, 4), "'x' is not a valid whole number (!!int)"),
    ("a: !!float x\n", (1, 4), "'x' is not a valid number (!!float)"),
    ("a: !!bool maybe\n", (1, 4), "'maybe' is not true or false (!!bool)"),
    ("version: 0x_\n", (1, 10), "'0x_' is not a valid whole number"),
    ("a: " + "9" * 5000 + "\n", (1, 4), "more than 4300 digits"),
    ("a: 0x" + "f" * 5000 + "\n", (1, 4), "more than 4300 digits"),
    ("a: 1\nb: x\x07y\n", (2, 5), "control character U+0007 is not allowed"),
    ("a: 1\n\x00", (2, 1), "control character U+0000"),
    ("[a, b]: 1\n", (1, 1), "a key must be a plain word or number"),
    ("a: !!map [x]\n", (1, 4), "!!map on something that is not a mapping"),
])
def test_what_could_hurt_is_a_placed_problem_at_once(text: str, place: tuple[int, int], needle: str) -> None:
    start = time.perf_counter()
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml(text, "t.yaml")
    assert time.perf_counter() - start < 2
    problem = info.value.problem
    assert (problem.line, problem.column) == place, str(problem)
    assert needle in problem.message


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(YamlSyntaxError) as info:
        read_yaml(path, "big.yaml")
    assert str(info.value) == ("big.yaml:1:1: the file is larger than 5 MB, the limit for a rules or config file; "
                               "split it into several rules files")


def test_bad_utf8_is_placed_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes("a: 1\nb: 测试\xff\n".encode().replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(YamlSyntaxError) as info:
        read_yaml(path, "bad.yaml")
    assert str(info.value).startswith("bad.yaml:2:6: not UTF-8 text (invalid start byte at byte 14)")


@pytest.mark.slow  # the round-trip parser over every shipped file
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_places_from_libyaml_are_the_round_trip_places(path: Path) -> None:
    """Problems are placed on a tree built from libyaml's nodes; it must agree with ruamel.yaml's."""
    text = path.read_text(encoding="utf-8")
    fast, slow = load_yaml(text, path.name).tree, parse_yaml(text, path.name).tree
    pending = [(fast, slow)]
    compared = 0
    while pending:
        a, b = pending.pop()
        if isinstance(b, dict):
            assert list(a) == list(b)
            for key in b:
                assert (a.lc.key(key), a.lc.value(key)) == (b.lc.key(key), b.lc.value(key)), key
                pending.append((a[key], b[key]))
                compared += 1
        elif isinstance(b, list):
            assert len(a) == len(b)
            for i, item in enumerate(b):
                assert a.lc.item(i) == b.lc.item(i)
                pending.append((a[i], item))
                compared += 1
    assert compared > 10
