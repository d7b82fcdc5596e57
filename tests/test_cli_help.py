"""argparse's help and usage errors in the reader's language (issue 10, item 7: the last English).

``用法:``, ``位置参数``, ``选项``, ``显示此帮助信息并退出``, ``错误:缺少必需的参数:…`` and every
command's and option's help come from the catalog: Chinese by default, English with ``--lang en``
or a config whose ``language`` is ``en`` (i18n/arguments.py, cli/language.py).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import main
from i18n import DEFAULT, messages
from i18n.arguments import ARGPARSE, ARGPARSE_PLURAL, speaking
from tests.conftest import DATA, ROOT, CliResult

SAMPLE = str(DATA / "sample-config.yaml")
# argparse's messages that only a programmer meets (a parser built wrongly), never a reader
DEVELOPERS = {".__call__() not defined", "conflicting subparser: %s", "conflicting subparser alias: %s",
              'argument "-" with mode %r', "cannot merge actions - two groups are named %r",
              "'required' is an invalid argument for positionals",
              "invalid option string %(option)r: must start with a character %(prefix_chars)r",
              "dest= is required for options like %r", "invalid conflict_resolution value: %r",
              "mutually exclusive arguments must be optional", "cannot have multiple subparser arguments",
              "%r is not callable", "subcommands"}
DEVELOPERS_PLURAL = {("conflicting option string: %s", "conflicting option strings: %s")}


def _argparse_msgids() -> tuple[set[str], set[tuple[str, str]]]:
    """Every literal argparse passes to ``_`` and ``ngettext`` (its source, as gettext's extractor reads it)."""
    single, plural = set(), set()
    for node in ast.walk(ast.parse(inspect.getsource(argparse))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if node.func.id == "_" and texts:
            single.add(texts[0])
        elif node.func.id == "ngettext" and len(texts) >= 2:
            plural.add((texts[0], texts[1]))
    return single, plural


def test_every_message_a_reader_can_meet_is_in_the_catalog() -> None:
    """A Python whose argparse rewords a message fails here, rather than printing it in English."""
    single, plural = _argparse_msgids()
    assert single - DEVELOPERS - set(ARGPARSE) == set()
    assert set(ARGPARSE) <= single  # no entry for a message argparse no longer has
    assert set(ARGPARSE_PLURAL) == plural - DEVELOPERS_PLURAL


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_help_text_is_a_msgid() -> None:
    """No English help string is left in the table of commands, extract's arguments or the common options."""
    known = messages(DEFAULT)
    for prog, parser in _parsers(main.build_parser()):
        assert parser.description in known, prog
        for action in parser._actions:
            if action.help is not None and "--help" not in action.option_strings:
                assert action.help in known, (prog, action.dest, action.help)
            for choice in getattr(action, "_choices_actions", []):
                assert choice.help in known, (prog, choice.dest)


def test_help_is_chinese_by_default_and_english_with_lang_en(cli: Callable[..., CliResult]) -> None:
    zh = cli("--help")
    assert zh.code == 0
    assert zh.out.startswith("用法:python main.py [-h] COMMAND ...\n")
    assert "位置参数:" in zh.out
    assert "选项:\n  -h, --help  显示此帮助信息并退出" in zh.out
    assert "    expand    列出某段日期内的事项\n" in zh.out
    assert "法定职责日历" in zh.out
    en = cli("--help", "--lang", "en")
    assert en.out.startswith("usage: python main.py [-h] COMMAND ...\n")
    assert "positional arguments:" in en.out
    assert "show this help message and exit" in en.out
    assert "    expand    list dated occurrences in a range\n" in en.out


def test_a_commands_help_says_its_options_in_the_readers_language(cli: Callable[..., CliResult]) -> None:
    zh = cli("expand", "--help")
    assert zh.code == 0
    assert zh.out.startswith("用法:python main.py expand [-h]")
    for line in ("列出某段日期内按日期排好的事项。", "选项:", "显示此帮助信息并退出",
                 "--from DATE           第一天,格式 YYYY-MM-DD", "--unit ID             只列出该单位的事项",
                 "--lang {zh-CN,en}     输出语言(默认:配置中的 language)"):
        assert line in zh.out, line
    assert "options" not in zh.out
    en = cli("expand", "--help", "--lang", "en").out
    for line in ("usage: python main.py expand", "Print the dated occurrences of a range.", "options:",
                 "first day, YYYY-MM-DD", "only this unit's occurrences"):
        assert line in en, line
    extract = cli("extract", "--help").out  # its arguments live in extract/cli.py
    assert "拒绝文字超过 MB 兆字节的文件(默认 5.0;0 表示不限)" in extract


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["expand"], "python main.py expand:错误:缺少必需的参数:--from, --to",
     "python main.py expand: error: the following arguments are required: --from, --to"),
    (["frobnicate"], "python main.py:错误:参数 COMMAND:无效的取值 'frobnicate'(可选值:'validate', 'expand',",
     "python main.py: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'validate', 'expand',"),
    (["list", "--format", "xml"], "python main.py list:错误:参数 --format:无效的取值 'xml'(可选值:'table', 'json')",
     "python main.py list: error: argument --format: invalid choice: 'xml' (choose from 'table', 'json')"),
    (["validate", "--bogus"], "python main.py:错误:无法识别的参数:--bogus",
     "python main.py: error: unrecognized arguments: --bogus"),
    (["expand", "--from", "2025-02-30", "--to", "2025-03-01"],
     "python main.py expand:错误:参数 --from:'2025-02-30' 不是日期;请写成 YYYY-MM-DD,如 2025-03-01",
     "python main.py expand: error: argument --from: '2025-02-30' is not a date; write YYYY-MM-DD, e.g. 2025-03-01"),
    (["ics", "--jobs", "many"], "python main.py ics:错误:参数 --jobs:'many' 不是整数",
     "python main.py ics: error: argument --jobs: 'many' is not a whole number"),
    (["reminders", "--pending", "--failed"],
     "python main.py reminders:错误:参数 --failed:不能与参数 --pending 同时使用",
     "python main.py reminders: error: argument --failed: not allowed with argument --pending"),
    (["done", "x", "--on"], "python main.py done:错误:参数 --on:需要一个值",
     "python main.py done: error: argument --on: expected one argument"),
])
def test_a_usage_error_is_one_line_in_the_readers_language_and_exit_2(
        cli: Callable[..., CliResult], args: list[str], zh: str, en: str) -> None:
    chinese = cli(*args, "--config", SAMPLE)
    assert chinese.code == 2
    usage, said = chinese.err.rstrip("\n").rsplit("\n", 1)
    assert usage.startswith("用法:python main.py")
    assert said.startswith(zh), said
    english = cli(*args, "--config", SAMPLE, "--lang", "en")
    assert english.code == 2
    assert english.err.startswith("usage: python main.py")
    assert english.err.rstrip("\n").rsplit("\n", 1)[1].startswith(en)


def test_the_configs_language_chooses_when_there_is_no_lang(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """The parser is built after a first pass reads --lang and --config (cli/language.py)."""
    config = tmp_path / "config.yaml"
    config.write_text("language: en\n", encoding="utf-8")
    assert cli("expand", "--config", str(config)).err.startswith("usage: ")
    assert cli("expand", "--config", str(config), "--lang", "zh-CN").err.startswith("用法:")
    assert cli("expand", "--config", str(tmp_path / "missing.yaml")).err.startswith("用法:")  # the default
    config.write_text("language: [\n", encoding="utf-8")  # unreadable: the default; validate says why
    assert cli("expand", "--config", str(config)).err.startswith("用法:")
    assert cli("expand", "--lang").err.splitlines()[-1] == "python main.py expand:错误:参数 --lang:需要一个值"


def test_speaking_gives_argparse_its_own_words_back() -> None:
    before = argparse._  # type: ignore[attr-defined]
    with speaking("zh-CN"):
        assert argparse._("usage: ") == "用法:"  # type: ignore[attr-defined]
        assert argparse._("cannot have multiple subparser arguments") == "cannot have multiple subparser arguments"  # type: ignore[attr-defined]
    assert argparse._ is before  # type: ignore[attr-defined]
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_usage_error_as_a_process_is_chinese_and_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "report"], check=False, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "python main.py report:错误:缺少必需的参数:--from, --to"
    assert proc.stdout == ""
