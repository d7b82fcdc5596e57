"""The national tree of bench/national.py, shrunk: loading, selectors and expansion in blocks (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.national import national_tree, write_national
from obligations.model import Level, Selector
from scheduler.snapshot import Snapshot, load_snapshot

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2025, 3, 31)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    config, _, _ = write_national(tmp_path_factory.mktemp("national"), 0.01)
    return load_snapshot(config, 1, NOW)


def test_the_tree_has_every_level_in_proportion() -> None:
    units, per_level = national_tree(0.01)
    assert per_level == {"province": 1 + 1, "prefecture": 3, "department": 9, "county": 28, "township": 387}
    assert len({u["id"] for u in units}) == len(units)


@pytest.mark.slow
def test_the_full_tree_has_the_national_counts() -> None:
    _, per_level = national_tree()
    assert per_level == {"province": 32, "prefecture": 333, "department": 999, "county": 2844, "township": 38700}


@pytest.mark.slow
def test_level_selectors_reach_every_file(national: Snapshot) -> None:
    """The units are in one file per province; ``under: cn`` reaches all of them."""
    rules = national.rules
    townships = rules.select(Selector(level=Level.township, under="cn"))
    assert len(townships) == 387
    townships.clear()  # the cached selection is not handed out to be changed
    assert len(rules.select(Selector(level=Level.township, under="cn"))) == 387


@pytest.mark.slow
def test_expansion_in_blocks_is_sorted_and_equals_the_per_unit_expansions(national: Snapshot) -> None:
    """Occurrences come out sorted by (date, duty, unit, slot) though only blocks are sorted, and
    the whole expansion holds exactly what each unit's own expansion holds."""
    everything = national.expander().expand(FIRST, LAST).occurrences
    keys = [o.sort_key for o in everything]
    assert keys == sorted(keys)
    units = sorted(national.rules.units)[::40]
    for unit in units:
        own = national.expander().expand(FIRST, LAST, units={unit}).occurrences
        assert own == [o for o in everything if o.unit == unit]
