"""What a person reads from ``extract`` is in the reader's language (issue 14): the review reasons and the
reasons of unscheduled schedules are coded phrases (extract/reasons.py), worded by the command line in
``--lang`` (Chinese by default) and by the review page in the page's language; the draft keeps the codes.

Before, the reasons were English sentences built in extract/ and written as they were into every draft
and onto the Chinese review page."""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import re
from pathlib import Path

import pytest
import yaml

from extract import reasons
from extract.cli import add_parser
from extract.draft import build_rules
from extract.duties import extract
from extract.text import read_document
from i18n import messages
from i18n.phrase import Phrase, say
from tests.conftest import DATA

PLAN = DATA / "extract" / "dev" / "01-city-plan.txt"
SOURCE = Path(reasons.__file__).read_text(encoding="utf-8")
CODES = [c for c in re.findall(r'N_\("(extract\.(?:reason|unscheduled)\.\w+)"\)', SOURCE) if c != "extract.reason.and"]
# words of the rules format a Chinese reason names as they are written in the YAML
FIELD_NAMES = re.compile(r"effective\.from|yearly_deadline|anchor|every")
SAMPLES: dict[object, object] = {str: "每两周", int: 3, dt.date: dt.date(2025, 3, 1)}


def run_extract(*argv: str) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang")
    parser = argparse.ArgumentParser(prog="python main.py")
    add_parser(parser.add_subparsers(dest="command", required=True), common)
    args = parser.parse_args(["extract", *argv])
    return int(args.func(args))


def every_reason() -> list[Phrase]:
    """One phrase of each reason function of extract/reasons.py, made with sample values."""
    made = []
    for name, function in inspect.getmembers(reasons, inspect.isfunction):
        if function.__module__ != reasons.__name__ or name in ("codes", "joined", "period_word"):
            continue
        hints = inspect.get_annotations(function, eval_str=True)
        made.append(function(**{p: "quarter" if p == "period" else SAMPLES[hints[p]]
                                for p in inspect.signature(function).parameters}))
    return made


def test_every_reason_code_has_both_texts() -> None:
    assert len(CODES) == len(set(CODES)) == 35
    made = every_reason()
    assert sorted(p.code for p in made) == sorted(CODES)
    for code in CODES:
        assert messages("zh-CN").get(code), code
        assert messages("en").get(code), code
    for phrase in made:
        assert say(phrase, "en") == str(phrase), phrase.code  # the English default is the catalog's text
        chinese = say(phrase, "zh-CN")
        assert not re.search(r"[A-Za-z]{2,}", FIELD_NAMES.sub("", chinese)), (phrase.code, chinese)


def test_joined_reasons_keep_their_codes() -> None:
    both = reasons.joined([reasons.bad_date("2月30日"), reasons.also_vague("及时")])
    assert reasons.codes(both) == ["extract.reason.bad_date", "extract.reason.also_vague"]
    assert say(both, "zh-CN") == "“2月30日”不是有效日期,请核对;句中还有“及时”,请核实时间安排是否完整"
    assert str(both) == "“2月30日” is not a real date; check it; the sentence also says 及时"


def test_the_draft_keeps_the_codes() -> None:
    data = build_rules(extract(read_document(PLAN)), "zz-2025", "zz-2025")
    coded = {ob["id"]: reasons.codes(ob.get("review_reason")) for ob in data["obligations"] if ob.get("review")}
    assert coded == {"zz-2025.c2-2": ["extract.reason.yearly_like_before"],
                     "zz-2025.c8-1": ["extract.reason.anchor_guessed"],
                     "zz-2025.c9-1": ["extract.reason.anchor_guessed"],
                     "zz-2025.c10-1": ["extract.reason.relative"],
                     "zz-2025.c12-1": ["extract.reason.vague"]}
    relative = next(ob for ob in data["obligations"] if ob["id"] == "zz-2025.c10-1")
    assert relative["schedule"]["reason"].code == "extract.unscheduled.relative"


@pytest.mark.parametrize(("lang", "reason", "unscheduled", "header", "wrote"), [
    (None, "“4月1日前”按每年理解,与句中前面的“每年”期限一致", "相对期限:后5个工作日内", "# 规则草稿,",
     "已写入 "),
    ("en", "“4月1日前” read as every year, like the 每年 deadline before it in the sentence",
     "relative deadline: 后5个工作日内", "# DRAFT rules written by", "wrote "),
])
def test_the_command_writes_reasons_in_its_language(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    lang: str | None, reason: str, unscheduled: str, header: str,
                                                    wrote: str) -> None:
    out = tmp_path / "draft.yaml"
    assert run_extract(str(PLAN), "--doc-name", "zz-2025", "--out", str(out), *(["--lang", lang] if lang else [])) == 0
    assert capsys.readouterr().err.startswith(wrote)
    text = out.read_text(encoding="utf-8")
    assert text.startswith(header)
    drafted = {ob["id"]: ob for ob in yaml.safe_load(text)["obligations"]}
    assert drafted["zz-2025.c2-2"]["review_reason"] == reason
    assert drafted["zz-2025.c10-1"]["schedule"]["reason"] == unscheduled
    if lang is None:
        for ob in drafted.values():
            said = ob.get("review_reason", "") + str(ob["schedule"].get("reason", ""))
            assert not re.search(r"[A-Za-z]{2,}", FIELD_NAMES.sub("", said)), said


def test_errors_and_the_yearly_report_are_chinese_by_default(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run_extract(str(tmp_path / "missing.txt")) == 2
    assert capsys.readouterr().err == f"错误:{tmp_path / 'missing.txt'}:找不到文件;请检查路径\n"
    against = DATA / "extract" / "against-2024.yaml"
    assert run_extract(str(DATA / "extract" / "plan-2025.txt"), "--doc-name", "t-2025", "--against", str(against)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"对照 {against}:新增1项,变更1项,删除1项,未变1项,未起草但原文仍在1项"
    assert {line.split()[0] for line in lines[1:]} == {"新增", "变更", "删除"}
