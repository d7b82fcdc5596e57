"""Documentation stays complete: every command, option, rules field and config key is described."""

from __future__ import annotations

import argparse
import typing
from collections.abc import Callable

import pytest
from pydantic import BaseModel

import main
from obligations import config, model, schedules
from tests.conftest import ROOT, CliResult

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = main.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```")[1]
    assert "scripts/serve" in block
    assert "scripts/test" in block
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_readmes_validate_example_is_what_validate_prints(cli: Callable[..., CliResult], lang: str) -> None:
    result = cli("validate", "--alone", "--lang", lang, "tests/data/readme-example.yaml")
    assert result.code == 2
    blocks = [b.strip("\n") for b in README.split("```")[1::2]]
    assert result.err.strip("\n").splitlines()[:-1] == next(
        b.splitlines() for b in blocks if b.startswith("tests/data/readme-example.yaml:9:18: " + (
            "未知" if lang == "zh-CN" else "unknown")))


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_and_option_is_documented(name: str) -> None:
    sub = _subcommands()[name]
    assert f"`{name}" in CLI_DOC, f"command {name} is not in docs/cli.md's command table"
    assert sub.description, f"command {name} has no help text"
    for action in sub._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in CLI_DOC, f"{name} {option} is not in docs/cli.md"
                assert action.help, f"{name} {option} has no help text"


def _models(module: object) -> list[type[BaseModel]]:
    return [obj for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__
            and obj.__name__ != "Strict"]


@pytest.mark.parametrize(("module", "doc"), [(model, "docs/rules.md"), (schedules, "docs/rules.md"),
                                             (config, "docs/config.md")])
def test_every_field_is_documented(module: object, doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = []
    for cls in _models(module):
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if f"`{key}`" not in text:
                missing.append(f"{cls.__name__}.{key}")
    assert missing == []


def test_every_schedule_type_is_documented() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for cls in typing.get_args(typing.get_args(schedules.Schedule)[0]):
        kind = typing.get_args(cls.model_fields["type"].annotation)[0]
        assert f"`{kind}`" in text
