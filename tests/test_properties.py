"""Properties of expansion that must hold for any schedule and range (hypothesis)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obligations.loader import load_rules
from scheduler.expand import Expander
from scheduler.workdays import WorkdayCalendar
from tests.conftest import SHANGHAI, obligation, write_rules

PERIODS = ["week", "month", "two_months", "quarter", "half_year", "year"]
MAX_COUNT = {"week": 5, "month": 8, "two_months": 8, "quarter": 8, "half_year": 8, "year": 8}

quotas = st.sampled_from(PERIODS).flatmap(
    lambda per: st.fixed_dictionaries({
        "type": st.just("quota"),
        "per": st.just(per),
        "count": st.integers(1, MAX_COUNT[per]),
        "place": st.one_of(
            st.just({}),
            st.fixed_dictionaries({"weekday": st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}),
            st.fixed_dictionaries({"nth_working_day": st.sampled_from([1, 2, 3, -1, -2])}),
        ),
    })
)
deadlines = st.fixed_dictionaries({
    "type": st.just("yearly_deadline"),
    "month": st.integers(1, 12),
    "day": st.integers(1, 28),
    "holiday_policy": st.sampled_from(["keep", "previous", "next"]),
})
rrules = st.fixed_dictionaries({
    "type": st.just("rrule"),
    "rrule": st.sampled_from(["FREQ=WEEKLY;BYDAY=MO", "FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=DAILY;INTERVAL=9"]),
    "start": st.just("2024-01-01"),
    "holiday_policy": st.sampled_from(["next", "previous", "skip"]),
})
days = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))


def _expand(tmp: Path, schedule: dict, first: dt.date, last: dt.date, effective: dict) -> list:
    clean = {k: v for k, v in schedule.items() if v != {}}
    path = write_rules(tmp, [obligation("p.one", clean, applies_to=["cty", "cty.town"], effective=effective)])
    rules = load_rules([path])
    return Expander(rules, WorkdayCalendar(), SHANGHAI).expand(first, last).occurrences


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=st.one_of(quotas, deadlines, rrules), a=days, b=days, eff_from=days, eff_len=st.integers(0, 900))
@pytest.mark.slow
def test_expansion_properties(tmp_path: Path, schedule: dict, a: dt.date, b: dt.date, eff_from: dt.date,
                              eff_len: int) -> None:
    first, last = min(a, b), max(a, b)
    if schedule["type"] == "rrule":
        eff_len = max(eff_len, 31)  # validate refuses an RRULE that never occurs while in force
    until = eff_from + dt.timedelta(days=eff_len)
    effective = {"from": eff_from.isoformat(), "until": until.isoformat()}
    occ = _expand(tmp_path, schedule, first, last, effective)
    again = _expand(tmp_path, schedule, first, last, effective)
    assert [(o.uid, o.date) for o in occ] == [(o.uid, o.date) for o in again]  # deterministic
    keys = [(o.date, o.obligation.id, o.unit, o.slot) for o in occ]
    assert keys == sorted(keys)  # sorted
    assert all(first <= o.date <= last for o in occ)  # inside the range
    assert all(eff_from <= o.date <= until for o in occ)  # inside the effective period
    assert len({o.uid for o in occ}) == len(occ)  # one occurrence per duty, unit and slot
    national = WorkdayCalendar()
    if schedule["type"] == "quota" or schedule.get("holiday_policy") in {"previous", "next", "skip"}:
        assert all(national.is_workday(o.date) for o in occ)  # sessions only on working days
