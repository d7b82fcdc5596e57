"""The loop of an administrator editing one rules file: ``validate FILE`` with the other rules, and YAML
syntax errors in the reader's language with the fix, placed at ``file:line:column`` (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from i18n.phrase import Phrase, say
from obligations.yamlerrors import syntax_problem
from obligations.yamllimits import YamlSyntaxError
from obligations.yamlsource import load_yaml
from tests.conftest import DATA, ROOT, CliResult

BROKEN = sorted((DATA / "broken").glob("*.yaml"))
SYNTAX = [p for p in BROKEN if p.stem == "syntax" or p.stem.startswith("yaml-")]


def expected(path: Path, lang: str) -> list[str]:
    prefix = "# expect: " if lang == "en" else f"# expect {lang}: "
    return [line.removeprefix(prefix) for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(prefix)]


# -- YAML syntax errors: a sentence with the fix, in the reader's language ----------------------------------------


@pytest.mark.parametrize("path", SYNTAX, ids=[p.stem for p in SYNTAX])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_yaml_syntax_error_says_the_fix_in_the_readers_language(path: Path, lang: str,
                                                                  cli: Callable[..., CliResult],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    lines = expected(path, lang)
    assert lines, f"{path.name} needs '# expect {lang}:' lines"
    result = cli("validate", path.relative_to(ROOT).as_posix(), "--lang", lang)
    assert result.code == 2
    assert result.err.splitlines()[:-1] == lines


def test_the_syntax_fixtures_cover_what_the_issue_lists() -> None:
    names = {p.stem for p in SYNTAX}
    assert {"yaml-tab", "yaml-unclosed-quote", "yaml-indentation", "yaml-missing-colon", "yaml-duplicate-key",
            "yaml-unclosed-bracket", "syntax"} <= names
    assert "用空格缩进,不要用 Tab" in expected(DATA / "broken" / "yaml-tab.yaml", "zh-CN")[0]


# every kind of syntax error either parser reports: (text, line, column, a word of the English sentence)
KINDS = [
    ("a:\n\tb: 1\n", 2, 1, "tab character"),
    ("a:\n  b: 1\n\tc: 2\n", 3, 1, "tab character"),
    ('a: "abc\nb: 2\n', 1, 4, 'this " is never closed'),
    ("a: 'abc\nb: 2\n", 1, 4, "this ' is never closed"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "indented wrongly"),
    ("a:\n  - 1\n - 2\n", 3, 2, "indented wrongly"),
    ("a: 1\n- 2\n", 2, 1, "indented wrongly"),
    ("- 1\na: 2\n", 2, 1, "indented wrongly"),
    ("a: 1\nb\nc: 2\n", 2, 1, "has no colon"),
    ("a:\n  b 1\n  c: 2\n", 2, 3, "has no colon"),
    ("a: b: c\n", 1, 5, "put it in quotes"),
    ("a:\n  b: 1\n    c: 2\n", 3, 6, "align it with the keys above"),
    ("a: 1\na: 2\n", 2, 1, "the key 'a' appears twice"),
    ("a: {b: 1, c: 2\n", 1, 4, "this { is never closed"),
    ("a: [1, 2\n", 1, 4, "this [ is never closed"),
    ("a:\n  - {b: 1\n  - c\n", 2, 5, "this { is never closed"),
    ("a: {b: 1, c: 2\nd: 3\n", 2, 2, "or } to close the { of line 1, column 4"),
    ("a: {b: 1 c: 2}\n", 1, 11, "expected ',' between two items"),
    ("a: [1, 2]]\n", 1, 10, "] closes nothing"),
    ("a: 'x' y\n", 1, 8, "text after the closing quote"),
    ("a: @x\n", 1, 4, "cannot begin with @"),
    ("a: `x\n", 1, 4, "cannot begin with `"),
    ('a: "\\q"\n', 1, 6, "unknown escape"),
    ("a: *x\n", 1, 4, "without an anchor"),
    ("a: 1\n---\nb: 2\n", 2, 1, "a second document"),
    ("%YAML 2.0\n---\na: 1\n", 1, 1, "YAML directive"),
    ("a: |x\n  b\n", 1, 5, "after | or >"),
    ("a: &\n", 1, 5, "& and * must be followed by a name"),
    ("a: 1\rb\rc: 2\r", 2, 1, "has no colon"),  # lines end with CR (an old Mac editor): counted as YAML does
    ("a:\r\n  b: 1\r\n c: 2\r\n", 3, 2, "indented wrongly"),
    ("a:\u2028  b 1\u2028  c: 2\n", 2, 3, "has no colon"),
    ("a: 'x' y\x85", 1, 8, "text after the closing quote"),
    ("a:\n  <<: x\n", 2, 7, "merge key"),
    ("a: !!seq {b: 1}\n", 1, 4, "the tag !!seq does not fit"),
    ("a: [b,\n- c]\n", 2, 1, "inside brackets a value was expected"),
    ("a:\n  name: ? x\n", 2, 9, "complex key"),
    ("a: {b: !x}\n", 1, 10, "must be followed by a space"),
]


@pytest.mark.parametrize(("text", "line", "column", "words"), KINDS, ids=[k[3] for k in KINDS])
def test_every_kind_of_syntax_error_has_a_sentence_of_its_own(text: str, line: int, column: int,
                                                              words: str) -> None:
    """Never the parser's English alone: a catalog phrase with the fix, in both languages, at the place to fix."""
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml(text, "t.yaml")
    problem = info.value.problem
    message = problem.message
    assert (problem.line, problem.column) == (line, column), str(problem)
    assert isinstance(message, Phrase)
    assert message.code.startswith("yaml."), message.code
    assert message.code != "yaml.not_yaml", message.code
    assert words in message
    assert say(message, "en") == message  # the English catalog says what the code says
    chinese = say(message, "zh-CN")
    assert chinese != message
    assert any("\u4e00" <= c <= "\u9fff" for c in chinese)
    for english in ("while parsing", "while scanning", "expected <block end>", "could not find"):
        assert english not in chinese


def test_an_unmapped_kind_still_gets_a_sentence_with_the_parsers_words_as_a_hint() -> None:
    class Odd:
        context, problem = "while doing something new", "found something odd"
        problem_mark = context_mark = None

    problem = syntax_problem("t.yaml", "a: 1\n", Odd())
    assert (problem.line, problem.column) == (1, 1)
    assert say(problem.message, "zh-CN").startswith("这里不是有效的 YAML")
    assert "while doing something new found something odd" in problem.message


@pytest.mark.parametrize("problem", [
    "found character '\\t' that cannot start any token", "could not find expected ':'", "found duplicate key",
    "mapping values are not allowed here", "expected <block end>, but found '<scalar>'",
    "found unexpected end of stream",
])
@pytest.mark.parametrize("mark", [(0, 0), (5, 0), (0, 99), (99, 99), None])
def test_a_place_outside_the_text_is_no_crash(problem: str, mark: tuple[int, int] | None) -> None:
    """The words are matched and the text around the place is read: a place past a line's end or the last line
    (lines counted otherwise than by the parser) still gives a placed sentence."""

    class Mark:
        def __init__(self, line: int, column: int) -> None:
            self.line, self.column = line, column

    class Exc:
        context = "while parsing a block mapping"
        problem_mark = context_mark = Mark(*mark) if mark else None

    Exc.problem = problem
    found = syntax_problem("t.yaml", "a:\n  b 1\n  c: 2\n", Exc())
    assert found.line >= 1
    assert found.message


@pytest.mark.slow
def test_validate_prints_no_traceback_for_any_syntax_error(tmp_path: Path) -> None:
    """A real process, in the default language (zh-CN): the expected lines and never a traceback."""
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "validate",
                           *[p.relative_to(ROOT).as_posix() for p in SYNTAX]],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[:-1] == sorted(line for p in SYNTAX for line in expected(p, "zh-CN"))


# -- validate FILE: the file with the rest of the configured rules ---------------------------------------------------

BASE = """\
version: 1
document: {id: base-2025, title: 基础, date: 2025-01-01}
units:
  - {id: pref, name: 州政府, level: prefecture}
  - {id: pref.korla, name: 库尔勒市, level: county, parent: pref}
obligations:
  - id: base.report
    title: 报告
    applies_to: [pref]
    source: {quote: 每年3月1日前报告}
    schedule: {type: yearly_deadline, month: 3, day: 1}
"""

# a second document's rules that name the first file's units
OTHER = """\
version: 1
document: {id: other-2025, title: 其他, date: 2025-01-01}
units:
  - {id: pref.korla.tuanjie, name: 团结街道, level: township, parent: pref.korla}
obligations:
  - id: other.reception
    title: 接访
    applies_to: [pref.korla, %s]
    source: {quote: 每月至少1天}
    schedule: {type: quota, count: 1, per: month}
"""


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose rules are base.yaml and other.yaml (other refers to base's units), as the cwd."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "rules" / "other.yaml").write_text(OTHER % "pref.korla.tuanjie", encoding="utf-8")
    (tmp_path / "config.yaml").write_text("rules: [rules/*.yaml]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "rules"


def test_a_file_that_names_units_of_another_rules_file_validates(rules_dir: Path,
                                                                cli: Callable[..., CliResult]) -> None:
    """Regression (issue 15): ``validate rules/x.yaml`` checked x.yaml alone, so every unit of another file was
    unknown, with no suggestion; the file an administrator edits is now checked with the others."""
    result = cli("validate", "rules/other.yaml", "--lang", "en")
    assert result.code == 0, result.err
    assert result.out.startswith("ok: 1 file(s), 1 units, 1 obligations")
    alone = cli("validate", "rules/other.yaml", "--alone", "--lang", "en")
    assert alone.code == 2
    assert alone.err.splitlines()[0] == ("rules/other.yaml:4:67: unknown unit id 'pref.korla'; "
                                         "did you mean 'pref.korla.tuanjie'?")


def test_the_given_files_problems_are_placed_and_suggest_units_of_other_files(rules_dir: Path,
                                                                             cli: Callable[..., CliResult]) -> None:
    (rules_dir / "other.yaml").write_text(OTHER % "pref.korl", encoding="utf-8")
    result = cli("validate", "rules/other.yaml", "--lang", "en")
    assert result.code == 2
    assert result.err.splitlines() == [
        "rules/other.yaml:8:30: unknown unit id 'pref.korl'; did you mean 'pref.korla'?", "1 problem(s) found"]
    zh = cli("validate", "rules/other.yaml")
    assert zh.err.splitlines()[0] == "rules/other.yaml:8:30: 未知的单位编号 'pref.korl';是否应为 'pref.korla'?"


def test_only_the_given_files_problems_are_reported(rules_dir: Path, cli: Callable[..., CliResult]) -> None:
    """A problem of another rules file is not the edited file's: counted in a note, not listed, exit 0."""
    (rules_dir / "base.yaml").write_text(BASE.replace("applies_to: [pref]", "applies_to: [pref.nope]"),
                                         encoding="utf-8")
    (rules_dir / "more.yaml").write_text(OTHER.replace("other", "more").replace("tuanjie", "x") % "pref",
                                         encoding="utf-8")
    result = cli("validate", "rules/more.yaml", "--lang", "en")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "note: the config's other rules files have 1 problem(s), not listed here; `validate` without files lists them"]
    everything = cli("validate", "--lang", "en")
    assert everything.code == 2
    assert everything.err.splitlines()[0] == ("rules/base.yaml:9:18: unknown unit id 'pref.nope'; "
                                              "did you mean 'pref.korla'?")


def test_an_id_the_given_file_shares_with_another_is_reported_in_the_given_file(
        rules_dir: Path, cli: Callable[..., CliResult]) -> None:
    (rules_dir / "zz.yaml").write_text(OTHER.replace("other-2025", "zz-2025") % "pref", encoding="utf-8")
    for mine, theirs in (("zz", "other"), ("other", "zz")):
        result = cli("validate", f"rules/{mine}.yaml", "--lang", "en")
        assert result.code == 2
        assert result.err.splitlines() == [
            f"rules/{mine}.yaml:4:10: duplicate unit id 'pref.korla.tuanjie': already defined at "
            f"rules/{theirs}.yaml:4; ids must be unique across all rules files",
            f"rules/{mine}.yaml:6:9: duplicate obligation id 'other.reception': already defined at "
            f"rules/{theirs}.yaml:6; ids must be unique across all rules files",
            "2 problem(s) found",
        ]


def test_a_draft_outside_the_rules_folder_stands_in_for_the_file_of_its_name(
        rules_dir: Path, cli: Callable[..., CliResult]) -> None:
    """A new version of other.yaml drafted elsewhere is checked with base.yaml, instead of the old other.yaml
    (whose ids it repeats); a new file is checked with both."""
    drafts = rules_dir.parent / "drafts"
    drafts.mkdir()
    (drafts / "other.yaml").write_text(OTHER % "pref", encoding="utf-8")
    result = cli("validate", "drafts/other.yaml", "--lang", "en")
    assert result.code == 0, result.err
    (drafts / "new.yaml").write_text(OTHER % "pref", encoding="utf-8")
    result = cli("validate", "drafts/new.yaml", "--lang", "en")
    assert result.code == 2
    assert "duplicate document id 'other-2025': already used by rules/other.yaml" in result.err
    (drafts / "base.yaml").write_text(BASE.replace("pref.korla, name", "pref.korla2, name"), encoding="utf-8")
    result = cli("validate", "drafts/base.yaml", "--lang", "en")  # other.yaml's problems are not base's
    assert result.code == 0, result.err
    assert "have 2 problem(s), not listed here" in result.err


def test_exit_codes_and_a_file_that_is_not_there(rules_dir: Path, cli: Callable[..., CliResult]) -> None:
    missing = cli("validate", "rules/nothing.yaml", "--lang", "en")
    assert (missing.code, missing.err.splitlines()[0]) == (2, "rules/nothing.yaml: file not found")
    assert cli("validate", "rules/base.yaml", "rules/other.yaml").code == 0
    assert cli("validate", "rules/base.yaml", "--alone").code == 0
    assert cli("validate").code == 0
