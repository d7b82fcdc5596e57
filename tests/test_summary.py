"""The weekly supervision summary (service.summary): its words, its parts under each channel's limit,
its recipients, and its time on APScheduler's clock (service.runner), with an injected clock.

The township of tests/test_window_scenario.py (测试镇: a weekly reception and a monthly report), in
force from 1 October 2025, on Monday 13 October 2025, 08:30 in Shanghai: the week of 6 October (due
Sat 11 Oct, a make-up working day) is overdue by 1 working day; the week of 13 October (due Fri 17
Oct) has 5 working days left (due soon, with due_soon_workdays 5); October's report (due Fri 31
Oct) is open. The week of 29 September has no working day in force (1-5 October off).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from notifiers.robots.text import utf8_size
from obligations.errors import ValidationFailed
from scheduler.snapshot import Snapshot, load_snapshot
from service import summary
from service.board import State
from service.engine import ReminderEngine
from service.runner import EngineRunner
from service.simulate import CaptureNotifier, VirtualClock
from store import Store
from store.reminders import ReminderStore
from tests.test_window_scenario import CONFIG, RULES, TZ

MONDAY = dt.datetime(2025, 10, 13, 8, 30, tzinfo=TZ)
URL = "http://duties.test/supervision?state=overdue"


def _snapshot(tmp_path: Path, **supervision: object) -> Snapshot:
    yaml = YAML()
    in_force = {"effective": {"from": dt.date(2025, 10, 1)}}
    rules = {**RULES, "obligations": [{**ob, **in_force} for ob in RULES["obligations"]]}
    with (tmp_path / "rules.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(rules, f)
    config = {**CONFIG, "supervision": {"due_soon_workdays": 5, **supervision}}
    with (tmp_path / "config.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(config, f)
    return load_snapshot(tmp_path / "config.yaml", 1, MONDAY)


def test_the_summary_lists_overdue_and_due_soon_windows_per_unit(tmp_path: Path, store: Store) -> None:
    snapshot = _snapshot(tmp_path)
    rows = summary.rows_for(snapshot, store, None, MONDAY.date())
    assert [(r.obligation, r.due.isoformat(), r.state) for r in rows] == [
        ("t.weekly", "2025-10-11", State.OVERDUE), ("t.weekly", "2025-10-17", State.DUE_SOON)]
    [zh] = summary.compose(rows, snapshot.rules, "zh-CN", today=MONDAY.date(), board_url=URL)
    assert zh == (
        "【督查督办周报】2025-10-13(周一):逾期 1 项,即将到期 1 项,涉及 1 个单位\n\n"
        "■ 测试镇:逾期 1,即将到期 1\n"
        "  · 逾期 乡镇领导干部接访(截止 2025-10-11,已逾期 1 个工作日)\n"
        "  · 即将到期 乡镇领导干部接访(截止 2025-10-17,剩 5 个工作日)\n\n"
        f"督查督办看板:{URL}")
    [en] = summary.compose([], snapshot.rules, "en", today=MONDAY.date(), board_url=URL)
    assert en.split("\n")[1] == "Nothing is overdue or due soon this week."


@pytest.mark.slow
def test_a_long_summary_is_split_under_the_limit_never_inside_a_unit(store: Store) -> None:
    snapshot = load_snapshot(Path(__file__).resolve().parent.parent / "config.yaml", 1, MONDAY)
    rows = summary.rows_for(snapshot, store, None, dt.date(2025, 3, 17))
    units = {r.unit for r in rows}
    assert len(units) > 40
    whole = summary.compose(rows, snapshot.rules, "zh-CN", today=dt.date(2025, 3, 17), board_url=URL)
    parts = summary.compose(rows, snapshot.rules, "zh-CN", today=dt.date(2025, 3, 17), board_url=URL,
                            limit=summary.LIMITS["wecom"])
    assert len(whole) == 1
    assert len(parts) > 5
    assert all(utf8_size(p) <= 3800 for p in parts)
    assert parts[0].split("\n")[0].endswith(f"(1/{len(parts)})")
    # every unit's block is whole in exactly one part (or cut there, with the link to the board)
    heads = [line for p in parts for line in p.split("\n") if line.startswith("■ ")]
    assert len(heads) == len(units) == len(set(heads))
    body = lambda text: [line for line in text.split("\n") if line.startswith(("■", "  · "))]  # noqa: E731
    assert sum(len(body(p)) for p in parts) <= len(body(whole[0]))


def test_recipients_are_the_admins_and_the_supervisors_once_each(tmp_path: Path) -> None:
    snapshot = _snapshot(tmp_path, summary_recipients=[
        {"name": "督查室", "channel": "log", "address": "duban", "unit": "cty.town", "language": "en"},
        {"name": "admin again", "channel": "log", "address": "admin"}])
    got = [(r.channel, r.address, r.unit, r.language) for r in summary.recipients(snapshot.loaded.config)]
    assert got == [("log", "admin", None, "zh-CN"), ("log", "duban", "cty.town", "en")]
    off = _snapshot(tmp_path, summary_to_admins=False)
    assert summary.recipients(off.loaded.config) == []


def test_send_weekly_on_an_injected_clock_and_its_time_on_apscheduler(tmp_path: Path, store: Store) -> None:
    snapshot = _snapshot(tmp_path, summary_recipients=[
        {"name": "督查室", "channel": "log", "address": "duban", "unit": "cty", "language": "en"}],
        summary_weekday="mon", summary_at="08:30")
    capture = CaptureNotifier()
    engine = ReminderEngine(lambda: snapshot, ReminderStore(store), {"log": capture},
                            clock=VirtualClock(MONDAY.astimezone(dt.UTC)), instance="t", base_url="http://duties.test")
    assert asyncio.run(summary.send_weekly(engine)) == 2
    admin, supervisor = capture.sent
    assert (admin.recipient, supervisor.recipient) == ("admin", "duban")
    assert admin.key == "summary|2025-W42|log:admin|1"
    assert admin.subject == "督查督办周报 2025-10-13"
    assert supervisor.text.startswith("【Supervision weekly】2025-10-13 (Mon): 1 overdue, 1 due soon, in 1 unit(s)")
    assert supervisor.text.endswith("http://duties.test/supervision?state=overdue&unit=cty")
    trigger = EngineRunner(engine).summary_trigger()
    after = trigger.get_next_fire_time(None, dt.datetime(2025, 10, 13, 9, 0, tzinfo=TZ))
    assert after == dt.datetime(2025, 10, 20, 8, 30, tzinfo=TZ)  # the next Monday, 08:30 Beijing time


def test_a_recipient_naming_an_unknown_unit_or_channel_is_refused_with_its_place(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _snapshot(tmp_path, summary_recipients=[{"name": "督查室", "channel": "wecom", "address": "x",
                                                 "unit": "cty.twon"}])
    said = [p.worded("en") for p in caught.value.problems]
    assert len(said) == 2
    assert "channel 'wecom' is not configured" in said[0]
    assert "unknown unit id 'cty.twon'; did you mean 'cty.town'?" in said[1]
