"""The shipped rules: one file per seed document, every duty traceable to its exact words."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from obligations.loader import load_config, load_rules
from obligations.model import Level, Selector
from obligations.ruleset import RuleSet
from obligations.schedules import QuotaSchedule, UnscheduledSchedule, YearlyDeadlineSchedule
from scheduler.expand import Expander
from scheduler.workdays import calendar_from_config
from tests.conftest import DATA, ROOT, SHANGHAI, d

RULES = sorted((ROOT / "rules").glob("*.yaml"))
SEEDS = {p.name[:3]: p for p in (DATA / "seeds").glob("*.txt")}


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    loaded = load_config(ROOT / "config.yaml")
    return load_rules(loaded.rules_paths())


@pytest.fixture(scope="module")
def expander(shipped: RuleSet) -> Expander:
    return Expander(shipped, calendar_from_config(load_config(ROOT / "config.yaml").config.calendar), SHANGHAI)


def test_one_rules_file_per_seed_document() -> None:
    assert sorted(p.name[:3] for p in RULES) == sorted(SEEDS) == ["000", "001", "002", "003", "004"]


def test_the_default_config_loads_every_file(shipped: RuleSet) -> None:
    assert [Path(f.name).name for f in shipped.files] == [p.name for p in RULES]


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_every_quote_is_the_documents_own_words(path: Path) -> None:
    rules = load_rules([path])
    text = SEEDS[path.name[:3]].read_text(encoding="utf-8")
    missing = [ob.id for ob in rules.obligations.values() if ob.source.quote not in text]
    assert missing == []


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_ids_carry_their_jurisdiction(path: Path) -> None:
    rules = load_rules([path])
    doc = rules.files[0].rules.document.id
    assert all(ob_id.startswith(f"{doc}.") for ob_id in rules.obligations)
    roots = {uid.split(".")[0] for uid in rules.units}
    assert len(roots) == 1


def test_bayingolin_petition_reception_per_level(shipped: RuleSet) -> None:
    found = {}
    for ob in shipped.obligations.values():
        s = ob.schedule
        if ob.id.startswith("bz-2024.") and isinstance(s, QuotaSchedule) and s.unit == "day":
            levels = {shipped.units[u].level.value for u in shipped.applies_to(ob) if u}
            found[(s.per.value, s.count)] = levels
    assert found[("quarter", 1)] == {"prefecture"}
    assert found[("month", 1)] == {"county"}
    assert found[("week", 1)] == {"township"}


def test_bayingolin_yearly_deadlines_and_quotas(shipped: RuleSet) -> None:
    bz = [ob for ob in shipped.obligations.values() if ob.id.startswith("bz-2024.")]
    deadlines = {(ob.schedule.month, ob.schedule.day) for ob in bz if isinstance(ob.schedule, YearlyDeadlineSchedule)}
    assert {(3, 1), (4, 1), (4, 30)} <= deadlines
    quotas = Counter((ob.schedule.per.value, ob.schedule.count) for ob in bz if isinstance(ob.schedule, QuotaSchedule))
    assert quotas[("year", 2)] >= 1  # 每年至少举办2次以上法治专题讲座
    assert quotas[("two_months", 1)] >= 1  # 每两个月不少于1次
    assert any(isinstance(ob.schedule, UnscheduledSchedule) for ob in bz)  # vague duties are listed too


def test_bayingolin_has_nine_counties_with_townships(shipped: RuleSet) -> None:
    counties = shipped.select(Selector(level=Level.county, under="bz"))
    assert len(counties) == 9
    assert all(any(shipped.units[c].level.value == "township" for c in shipped.children.get(cty, []))
               for cty in counties)


def test_korla_first_quarter_2025(expander: Expander) -> None:
    """Hand-checked: what 库尔勒市 must do in Q1 2025."""
    occ = expander.expand(d("2025-01-01"), d("2025-03-31"), units={"bz.korla"}).occurrences
    reception = [o.date for o in occ if o.obligation.id == "bz-2024.petition-reception-county"]
    # due on each month's last working day: Mon 27 Jan (28-31 Jan are Spring Festival), Fri 28 Feb, Mon 31 Mar
    assert reception == [d("2025-01-27"), d("2025-02-28"), d("2025-03-31")]
    report = [o.date for o in occ if o.obligation.id.startswith("bz-2024.") and o.kind == "deadline"
              and o.nominal is None and o.date == d("2025-03-01")]
    assert report, "the 3月1日 report deadline falls on Saturday 1 March 2025 and is kept as written"


def test_township_weekly_reception_skips_national_day(expander: Expander) -> None:
    occ = expander.expand(d("2025-09-22"), d("2025-10-19"), units={"bz.korla.tuanjie"}).occurrences
    weekly = [o.date for o in occ if o.obligation.id == "bz-2024.petition-reception-township"]
    # due on each week's last working day: Sun 28 Sep (a make-up working day); Tue 30 Sep (1-5 Oct off);
    # Sat 11 Oct (6-8 Oct off, 11 Oct a make-up working day); Fri 17 Oct
    assert weekly == [d("2025-09-28"), d("2025-09-30"), d("2025-10-11"), d("2025-10-17")]
    assert not [x for x in weekly if d("2025-10-01") <= x <= d("2025-10-08")]


def test_shipped_data_expands_for_every_year_with_data(expander: Expander) -> None:
    for year in (2017, 2020, 2021, 2024, 2025, 2026):
        result = expander.expand(dt.date(year, 1, 1), dt.date(year, 12, 31))
        assert result.occurrences, year
