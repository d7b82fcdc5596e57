"""A rule whose date, period or scope is not in its quote says so (docs/rules.md, "Reading a duty without a day").

The suite, not ``validate``, holds the shipped files to it: every dated rule's schedule is carried
by the words of its quote, or the rule has ``review: true`` and a ``review_reason``. The
counter-examples show the check fails when it should.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from obligations.loader import load_config, load_rules
from obligations.provenance import unflagged
from obligations.ruleset import RuleSet
from tests.conftest import ROOT, UNITS, obligation


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(load_config(ROOT / "config.yaml").rules_paths())


def test_every_shipped_reading_that_is_not_in_its_quote_is_flagged(shipped: RuleSet) -> None:
    assert [str(f) for f in unflagged(shipped)] == []


@pytest.mark.parametrize("oid", ["hs-2021.decision-catalogue-annual", "lj-2017.fee-catalogue",
                                 "bz-2024.major-decision-catalog", "dl-2020.legislation-plan-2020",
                                 "bz-2024.information-disclosure-annual-report"])
def test_unflagging_a_shipped_reading_fails(shipped: RuleSet, oid: str) -> None:
    """The shipped rules pass because they are flagged, not because the check sees nothing."""
    ob = shipped.obligations[oid]
    shipped.obligations[oid] = ob.model_copy(update={"review": False})
    try:
        assert [f.obligation for f in unflagged(shipped)] == [oid]
    finally:
        shipped.obligations[oid] = ob


def _one(rules_from: Callable[..., RuleSet], quote: str, schedule: dict[str, Any], **fields: Any) -> list[str]:
    ob = obligation("t.x", schedule, applies_to=["cty"], source={"quote": quote}, **fields)
    return [f"{f.what}: {f.detail}" for f in unflagged(rules_from([ob]))]


@pytest.mark.parametrize(("quote", "schedule"), [
    ("每年3月1日前报告上一年度法治政府建设情况", {"type": "yearly_deadline", "month": 3, "day": 1}),
    ("乡镇领导干部每周至少1天到信访接待场所接待群众来访", {"type": "quota", "count": 1, "per": "week", "unit": "day"}),
    ("每年第一季度要向同级党委报告", {"type": "window", "period": "quarter", "index": 1}),
    ("年内开展案卷评查不少于1次", {"type": "window", "period": "year"}),
    ("2024年底前完成评估", {"type": "once", "date": "2024-12-31"}),
    ("6月15日前报送自查报告", {"type": "once", "date": "2024-06-15"}),  # the document's year (2024)
    ("每年6月底前公布", {"type": "yearly_deadline", "month": 6, "day": 30}),
    ("定期开展", {"type": "unscheduled"}),
])
def test_a_schedule_its_quote_carries_needs_no_flag(rules_from: Callable[..., RuleSet], quote: str,
                                                     schedule: dict[str, Any]) -> None:
    assert _one(rules_from, quote, schedule) == []


@pytest.mark.parametrize(("quote", "schedule", "what"), [
    ("研究制定年度法治政府工作具体措施", {"type": "window", "period": "year"}, "period"),  # 年度 names no period
    ("制定重大行政决策事项目录", {"type": "once", "date": "2024-12-31"}, "date"),  # a date from nowhere
    ("4月30日前完成目录编制", {"type": "yearly_deadline", "month": 4, "day": 30}, "period"),  # no 每年
    ("县市领导干部每月至少1天", {"type": "quota", "count": 1, "per": "week", "unit": "day"}, "period"),
    ("每年3月1日前报告", {"type": "yearly_deadline", "month": 4, "day": 1}, "date"),
    ("3月31日前报告2019年度立法工作情况", {"type": "once", "date": "2021-03-31"}, "date"),  # not the plan's year
    ("每月第一个星期一", {"type": "rrule", "rrule": "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "start": "2024-01-01"},
     "date"),
])
def test_a_schedule_its_quote_does_not_carry_must_be_flagged(rules_from: Callable[..., RuleSet], quote: str,
                                                             schedule: dict[str, Any], what: str) -> None:
    found = _one(rules_from, quote, schedule)
    assert len(found) == 1
    assert found[0].startswith(what)
    assert _one(rules_from, quote, schedule, review=True, review_reason="日期系推定") == []


def test_a_flag_needs_its_reason(rules_from: Callable[..., RuleSet]) -> None:
    assert _one(rules_from, "定期开展", {"type": "unscheduled"}, review=True) == [
        "reason: review: true without a review_reason"]


def test_a_department_selector_must_say_its_branch_when_the_tree_has_a_court(tmp_path: Path) -> None:
    """州人民政府有关部门 is the government's departments: a selector that also reaches the court says which."""
    units = [*UNITS, {"id": "pref.court", "name": "州中级人民法院", "level": "department", "parent": "pref",
                      "branch": "court"}]
    text = {"version": 1, "document": {"id": "t-2024", "title": "测试", "date": "2024-01-01"}, "units": units}

    def findings(selector: dict[str, str]) -> list[str]:
        ob = obligation("t.x", {"type": "unscheduled"}, participants=[selector], applies_to=["pref"])
        path = tmp_path / "rules.yaml"
        path.write_text(_dump({**text, "obligations": [ob]}), encoding="utf-8")
        return [f"{f.what}: {f.detail}" for f in unflagged(load_rules([path]))]

    found = findings({"level": "department", "under": "pref"})
    assert len(found) == 1
    assert found[0].startswith("scope:")
    assert "court" in found[0]
    assert findings({"level": "department", "under": "pref", "branch": "government"}) == []


def _dump(doc: dict[str, Any]) -> str:
    """JSON is YAML, and keeps the test free of a YAML writer's line wrapping."""
    return json.dumps(doc, ensure_ascii=False, indent=1)
