"""Time zones are explicit: session times follow the configured zone, DST included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.workdays import WorkdayCalendar
from tests.conftest import d, obligation

TIMED = {"type": "quota", "count": 1, "per": "week", "time": {"start": "09:00", "end": "11:30"}}


def test_sessions_keep_local_time_across_a_dst_change(rules_from: Callable[..., RuleSet]) -> None:
    # Europe/Berlin leaves summer time on 26 October 2025; Asia/Shanghai has no DST
    berlin = ZoneInfo("Europe/Berlin")
    rules = rules_from([obligation("t.timed", TIMED)])
    occ = Expander(rules, WorkdayCalendar(), berlin).expand(d("2025-10-20"), d("2025-11-02")).occurrences
    # each week's session is due on its last working day: Fri 24 Oct (summer time), Fri 31 Oct (winter time)
    assert [o.start.isoformat() for o in occ] == ["2025-10-24T09:00:00+02:00", "2025-10-31T09:00:00+01:00"]
    assert [o.start.astimezone(dt.UTC).hour for o in occ] == [7, 8]
    assert all(o.end - o.start == dt.timedelta(hours=2, minutes=30) for o in occ)


def test_default_zone_is_shanghai_utc_plus_8(rules_from: Callable[..., RuleSet]) -> None:
    rules = rules_from([obligation("t.timed", TIMED)])
    occ = Expander(rules, WorkdayCalendar(), ZoneInfo("Asia/Shanghai")).expand(d("2025-10-20"), d("2025-10-26"))
    assert occ.occurrences[0].start.utcoffset() == dt.timedelta(hours=8)
