"""What the unit tree says about each unit: its branch, where it comes from, and when it ended (issue 15).

州人民政府有关部门 are the government's own departments, not the court or the Party committee's organs
(``branch``); a body abolished in the 2019 reform gets no dates after it ended (``until``); the
unit's page says whether the document names the unit or it was added for the sample (``origin``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from i18n.phrase import say
from obligations.errors import ValidationFailed
from obligations.loader import load_config, load_rules
from obligations.model import Branch, Level, Origin, Selector
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.workdays import calendar_from_config
from tests.conftest import ROOT, SHANGHAI
from tests.liveserver import FrozenClock, Live, make_site, running

BAYINGOLIN = ROOT / "rules" / "000-bayingolin-2024.yaml"
LIUJIANG = ROOT / "rules" / "003-liujiang-2017.yaml"
ABOLISHED = ["lj.legal", "lj.price", "lj.work-safety", "lj.food-drug", "lj.gongshang-zhijian"]


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(load_config(ROOT / "config.yaml").rules_paths())


@pytest.fixture(scope="module")
def expander(shipped: RuleSet) -> Expander:
    return Expander(shipped, calendar_from_config(load_config(ROOT / "config.yaml").config.calendar), SHANGHAI)


def test_the_government_branch_leaves_out_the_court_and_the_party_organs(shipped: RuleSet) -> None:
    every = set(shipped.select(Selector(level=Level.department, under="bz")))
    government = set(shipped.select(Selector(level=Level.department, under="bz", branch=Branch.government)))
    assert every - government == {"bz.court", "bz.procuratorate", "bz.org", "bz.staffing", "bz.discipline",
                                  "bz.npc-office", "bz.cppcc-office"}
    assert {"bz.justice", "bz.petition", "bz.kedz"} <= government


def test_no_shipped_participants_reach_the_court_through_a_selector(shipped: RuleSet) -> None:
    """州人民政府有关部门 as participants: every Bayingolin department selector names the government branch."""
    for ob in shipped.obligations.values():
        for ref in ob.participants:
            if isinstance(ref, Selector) and ref.level is Level.department:
                reached = shipped.select(ref, shipped.obligation_file[ob.id])
                assert {shipped.units[u].branch for u in reached} == {Branch.government}, ob.id


def test_liujiangs_abolished_bodies_get_no_date_after_2019(expander: Expander) -> None:
    old = expander.expand(dt.date(2017, 7, 24), dt.date(2018, 12, 31), units=set(ABOLISHED)).occurrences
    assert {o.unit for o in old} == set(ABOLISHED)  # each had duties while it existed
    later = expander.expand(dt.date(2019, 4, 1), dt.date(2026, 12, 31), units=set(ABOLISHED)).occurrences
    assert later == []
    assert expander.expand(dt.date(2025, 1, 1), dt.date(2026, 12, 31), units={"lj.justice"}).occurrences


def test_an_ended_unit_keeps_what_falls_on_or_before_its_last_day(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("""\
version: 1
document: {id: t-2018, title: 测试, date: 2018-01-01}
units:
  - {id: cty, name: 测试县人民政府, level: county}
  - {id: cty.legal, name: 测试县法制办, level: department, parent: cty, until: 2019-03-29, successor: 测试县司法局}
obligations:
  - id: t.monthly
    title: 每月报送
    applies_to: [cty, cty.legal]
    source: {quote: 每月报送}
    schedule: {type: window, period: month}
    effective: {from: 2019-01-01}
""", encoding="utf-8")
    rules = load_rules([path])
    got = Expander(rules, calendar_from_config(load_config(ROOT / "config.yaml").config.calendar), SHANGHAI).expand(
        dt.date(2019, 1, 1), dt.date(2019, 5, 31)).occurrences
    legal = [o.date for o in got if o.unit == "cty.legal"]
    # January and February are due before the end; March is due Fri 29 March, its last day
    assert legal == [dt.date(2019, 1, 31), dt.date(2019, 2, 28), dt.date(2019, 3, 29)]
    assert len([o for o in got if o.unit == "cty"]) == 5


_BROKEN = """\
version: 1
document: {id: t-2020, title: 测试, date: 2020-01-01}
units:
  - {id: cty, name: 测试县人民政府, level: county}
  - {id: cty.legal, name: 测试县法制办, level: department, parent: cty, until: 2019-03-31}
  - {id: cty.price, name: 测试县物价局, level: department, parent: cty, successor: 测试县发改局}
obligations:
  - id: t.report
    title: 报送
    applies_to: [cty, cty.legal]
    source: {quote: 每年报送}
    schedule: {type: window, period: year}
    effective: {from: 2020-01-01}
"""


def test_validate_places_a_successor_without_an_end_and_a_duty_for_a_body_already_gone(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(_BROKEN, encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        load_rules([path])
    got = [(p.line, p.column, p.message) for p in caught.value.problems]
    assert got == [
        (6, 78, "successor is given but not until: add until, the last day 'cty.price' existed, or remove "
                "successor"),
        (10, 23, "unit 'cty.legal' ended on 2019-03-31, before this duty is in force (from 2020-01-01), so it never "
                 "gets an occurrence; remove it or name the body that took over"),
    ]
    assert say(caught.value.problems[1].message, "zh-CN").startswith("单位 'cty.legal' 已于 2019-03-31 撤销")


def test_every_shipped_unit_says_where_it_comes_from(shipped: RuleSet) -> None:
    added = [u for u in shipped.units.values() if u.origin is Origin.added]
    assert all(u.origin_note for u in added)
    # the documents name categories (各县市人民政府, 乡镇(街道)); the sample's names come from the code list
    assert {u.level for u in added} == {Level.county, Level.township, Level.department}
    assert shipped.units["bz.kedz"].origin is Origin.document  # named in every 参加单位 line
    assert shipped.units["bz.korla.tuanjie"].origin is Origin.added


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    clock = FrozenClock(dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC))
    with running(make_site(tmp_path, [BAYINGOLIN, LIUJIANG]), clock) as server:
        yield server


def _page(live: Live, path: str) -> str:
    reply = httpx.get(live.url + path, timeout=30)
    assert reply.status_code == 200
    return reply.text


@pytest.mark.network
def test_the_unit_page_says_where_the_unit_comes_from_and_when_it_ended(live: Live) -> None:
    town = _page(live, "/unit/bz.korla.tuanjie")
    assert "单位来源" in town
    assert "为示例补充,文件中未列明(文件只写“乡镇(街道)”;名称取自国家统计局统计用区划代码)" in town
    assert "added for the sample; the document does not name it" in _page(live, "/unit/bz.korla.tuanjie?lang=en")
    assert "<dd>文件中列明</dd>" in _page(live, "/unit/bz.justice")
    court = _page(live, "/unit/bz.court?lang=en")
    assert "<dt>Kind of body</dt><dd>a court</dd>" in court
    legal = _page(live, "/unit/lj.legal")
    assert "已撤销" in legal
    assert "2019-03-31 后撤销,此后不再安排日程;职责由柳江区司法局承接" in legal
    assert "after 2019-03-31: no dates from then on; its work passed to 柳江区司法局" in _page(
        live, "/unit/lj.legal?lang=en")
    assert "已撤销" not in _page(live, "/unit/lj.justice")
