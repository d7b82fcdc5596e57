"""People see their language and their time (issue 10, item 7).

Every time a person reads is in the configured zone and says so; warnings, 404 pages, bot
statistics and reminder offsets are words of the catalog, not developers' text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
import sqlalchemy as sa

from bot.admin import _SOURCES, _STATUSES, _counts
from bot.agenda import lines
from i18n.shown import lead_time, local_time, zone_label
from obligations.loader import load_rules
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.snapshot import load_snapshot
from scheduler.warning import ExpansionWarning, word
from scheduler.workdays import WorkdayCalendar
from store import open_store
from store.lifecycle import ReminderStatus
from store.tables import reminders
from tests.conftest import DATA, ROOT, CliResult, d, obligation, write_rules
from tests.liveserver import FrozenClock, Live, make_site, running

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 2, 20, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing


def test_a_utc_instant_is_shown_in_the_configured_zone_with_its_label() -> None:
    """``reminders`` printed ``01:00`` for a reminder due at 09:00 Beijing time, and did not say UTC."""
    assert local_time("zh-CN", NOW, SHANGHAI) == "2026-02-20 09:00(北京时间)"
    assert local_time("en", NOW, SHANGHAI) == "2026-02-20 09:00 (Beijing time)"
    assert local_time("en", NOW.replace(tzinfo=None), SHANGHAI).startswith("2026-02-20 09:00")  # naive is UTC
    # a zone with daylight saving time says its own name
    assert local_time("zh-CN", dt.datetime(2026, 7, 1, 7, tzinfo=dt.UTC), BERLIN) == "2026-07-01 09:00(Europe/Berlin)"
    assert zone_label("en", ZoneInfo("PRC")) == "Beijing time"


def test_the_done_page_time_is_not_the_previous_day_in_utc() -> None:
    """The web "done" page said ``23:00`` on the previous day for work recorded at 07:00 Beijing time."""
    at = dt.datetime(2026, 2, 19, 23, 0, tzinfo=dt.UTC)
    assert local_time("zh-CN", at, SHANGHAI) == "2026-02-20 07:00(北京时间)"


def test_reminders_lists_send_times_in_beijing_time(cli: Callable[..., CliResult], scratch_store: Path) -> None:
    store = open_store(f"sqlite:///{scratch_store}")
    with store.engine.begin() as conn:
        conn.execute(sa.insert(reminders), [{
            "key": "k", "kind": "reminder", "occurrence_uid": "u", "obligation": "t.report",
            "occurrence_date": NOW.date(), "channel": "log", "address": "a", "due_at": NOW, "send_after": NOW,
            "status": ReminderStatus.PENDING, "created_at": NOW}])
    store.close()
    zh = cli("reminders", "--config", str(DATA / "sample-config.yaml"))
    assert zh.code == 0, zh.err
    assert zh.out.startswith("2026-02-20 09:00(北京时间)"), zh.out
    assert "01:00" not in zh.out
    assert zh.err.strip() == "共1条提醒"
    en = cli("reminders", "--config", str(DATA / "sample-config.yaml"), "--lang", "en")
    assert en.out.startswith("2026-02-20 09:00 (Beijing time)")
    assert en.err.strip() == "1 reminder(s)"


@pytest.mark.parametrize(("amount", "unit", "zh", "en"), [
    (1, "d", "提前1天", "1 day(s) before"),
    (1, "wd", "提前1个工作日", "1 working day(s) before"),
    (2, "h", "提前2小时", "2 hour(s) before"),
    (1, "w", "提前1周", "1 week(s) before"),
])
def test_offsets_are_words(amount: int, unit: str, zh: str, en: str) -> None:
    """The duty page said ``提前提醒 1d``."""
    assert lead_time("zh-CN", amount, unit) == zh
    assert lead_time("en", amount, unit) == en


def _weekly(rules_from: Callable[..., RuleSet]) -> list[str]:
    rules = rules_from([obligation("t.weekly", {"type": "quota", "count": 1, "per": "week"})])
    return Expander(rules, WorkdayCalendar(), SHANGHAI, "en").expand(d("2026-02-09"), d("2026-03-01")).warnings


def test_expansion_warnings_carry_a_code_and_are_worded_in_the_readers_language(
        rules_from: Callable[..., RuleSet]) -> None:
    """``t.weekly: 2026-W08: no working day…`` was shown in English on every unit page."""
    warning = next(w for w in _weekly(rules_from) if "2026-W08" in w)
    assert isinstance(warning, ExpansionWarning)
    assert warning.code == "warning.no_working_day"
    assert warning.duty == "t.weekly"
    assert warning.startswith("t.weekly: 2026-W08: no working day")  # the developer's text stays the str
    zh = word(warning, "zh-CN", lambda duty: "每周接访")
    assert zh == "每周接访:2026年第8周(2026-02-16至2026-02-22)没有工作日,第1次(共1次)无法安排"
    assert word(warning, "en").startswith("t.weekly: week 8 of 2026: no working day between 2026-02-16")
    assert word("plain text", "zh-CN") == "plain text"


def test_calendar_warnings_are_worded_again_in_another_language() -> None:
    warning = ExpansionWarning("2028: predicted", "calendar.warn_predicted", year=2028)
    assert word(warning, "zh-CN").startswith("2028年:国务院节假日安排尚未发布")
    assert word(warning, "en").startswith("2028: the State Council holiday notice is not out yet")


def test_bot_stats_name_sources_and_statuses_in_words() -> None:
    """/stats said ``订阅者:config 4, pending (inactive) 1``."""
    subs = _counts("zh-CN", {"config": 4, "pending (inactive)": 1}, _SOURCES)
    assert subs == "配置文件 4、待批准(未启用) 1"
    assert _counts("en", {"sent": 2, "failed": 1}, _STATUSES) == "failed 1, sent 2"
    assert _counts("zh-CN", {"sent": 2, "failed": 1}, _STATUSES) == "发送失败 1、已发送 2"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Live]:
    rules = write_rules(tmp_path, [obligation("t.weekly", {"type": "quota", "count": 1, "per": "week"},
                                              applies_to=["cty"], reminders=["1d", "1wd", "2h"]),
                                   obligation("t.once", {"type": "once", "date": "2026-02-14"}, applies_to=["cty"])])
    with running(make_site(tmp_path / "site", [rules]), FrozenClock(NOW)) as server:
        yield server


def _get(live: Live, path: str) -> str:
    reply = httpx.get(live.url + path, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.text


@pytest.mark.network
def test_the_unit_page_words_its_warnings_and_labels_make_up_working_days(site: Live) -> None:
    zh = _get(site, "/unit/cty?year=2026")
    assert "no working day" not in zh
    assert "测试 t.weekly:2026年第8周(2026-02-16至2026-02-22)没有工作日" in zh
    assert "2026-W08" not in zh
    assert "2026-02-14 周六(调休上班)" in zh  # Saturday 14 February 2026 is a working day
    en = _get(site, "/unit/cty?year=2026&lang=en")
    assert "week 8 of 2026: no working day between 2026-02-16 and 2026-02-22" in en
    assert "(make-up working day)" in en


@pytest.mark.network
def test_the_duty_page_says_its_reminders_in_words(site: Live) -> None:
    zh = _get(site, "/obligation/t.weekly")
    assert "提前1天、提前1个工作日、提前2小时" in zh
    assert "1wd" not in zh
    assert "1 day(s) before, 1 working day(s) before, 2 hour(s) before" in _get(site, "/obligation/t.weekly?lang=en")


@pytest.mark.network
def test_a_404_page_is_all_in_the_readers_language(site: Live) -> None:
    """``未找到: unit 'bz.korl'; did you mean 'bz.korla'?``: half Chinese, half English."""
    reply = httpx.get(site.url + "/unit/cty.twn", timeout=30)
    assert reply.status_code == 404
    assert "未找到单位“cty.twn”。您是否要找“cty.town”?" in reply.text
    assert "did you mean" not in reply.text


def _notes_of_shipped_rules() -> list[str]:
    rules = load_rules(sorted((ROOT / "rules").glob("*.yaml")))
    return [ob.notes for ob in rules.obligations.values() if ob.notes]


@pytest.mark.slow  # builds every feed for three years (~10 s)
def test_authors_notes_of_the_shipped_rules_are_in_no_feed(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """Event descriptions carried the authors' notes (``县市政府的部门不在单位树中``, ``按…编码``)."""
    notes = _notes_of_shipped_rules()
    assert len(notes) > 40
    assert any("县市政府的部门不在单位树中" in n for n in notes)
    assert cli("ics", "--out", str(tmp_path), "--from", "2024-01-01", "--to", "2026-12-31").code == 0
    described = [str(event.get("DESCRIPTION", "")) for path in sorted(tmp_path.rglob("*.ics"))
                 for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")]
    assert len(described) > 1000
    text = "\n".join(described)
    assert [word for word in ("单位树", "單位樹", "编码;", "编码。") if word in text] == []
    assert [n for n in notes if n in text] == []


@pytest.mark.network
def test_an_authors_note_is_not_on_the_public_pages(tmp_path: Path) -> None:
    rules = write_rules(tmp_path, [obligation("t.noted", {"type": "once", "date": "2026-03-02"}, applies_to=["cty"],
                                              description="公开的说明。", notes="作者的注释:按年内完成编码。"),
                                   obligation("t.vague", {"type": "unscheduled", "reason": "作者的注释, no period"},
                                              applies_to=["cty"], notes="作者的注释:定期。")])
    with running(make_site(tmp_path / "site", [rules]), FrozenClock(NOW)) as server:
        for path in ["/obligation/t.noted", "/obligation/t.vague", "/unit/cty?year=2026", "/", "/feeds/all.ics",
                     "/feeds/all.ics?windows=span", "/feeds/unit/cty.ics", "/feeds/unit/cty.ics?windows=span",
                     "/feeds/obligation/t.noted.ics", "/feeds/level/county.ics", "/unit/cty?year=2026&lang=en"]:
            reply = httpx.get(server.url + path, timeout=30)
            assert reply.status_code == 200, path
            assert "作者的注释" not in reply.text, path
        assert "无固定时间" in httpx.get(server.url + "/unit/cty?year=2026", timeout=30).text
        nowhere = httpx.get(server.url + "/nowhere", timeout=30)  # Starlette's own 404 said "Not Found"
        assert nowhere.status_code == 404
        assert "未找到" in nowhere.text
        assert "Not Found" not in nowhere.text
        assert "公开的说明" in httpx.get(server.url + "/obligation/t.noted", timeout=30).text


def test_the_cli_table_labels_make_up_working_days(cli: Callable[..., CliResult]) -> None:
    """Sunday 4 January 2026 is a working day (调休上班); the table showed a bare date."""
    zh = cli("expand", "--from", "2026-01-04", "--to", "2026-01-05")
    assert zh.code == 0, zh.err
    rows = zh.out.splitlines()[1:]
    assert any(row.startswith("2026-01-04 调休上班 ") for row in rows)
    assert not any(row.startswith("2026-01-05 调休上班") for row in rows)  # a Monday is just a working day
    en = cli("expand", "--from", "2026-01-04", "--to", "2026-01-04", "--lang", "en")
    assert en.out.splitlines()[1].startswith("2026-01-04 make-up working day ")


def test_cli_warnings_are_in_the_chosen_language(cli: Callable[..., CliResult]) -> None:
    """The shipped township reception has no working day in the Spring Festival week of 2026."""
    zh = cli("expand", "--from", "2026-02-16", "--to", "2026-02-22")
    assert "警告:bz-2024.petition-reception-township:2026年第8周(2026-02-16至2026-02-22)没有工作日" in zh.err
    en = cli("expand", "--from", "2026-02-16", "--to", "2026-02-22", "--lang", "en")
    assert "warning: bz-2024.petition-reception-township: week 8 of 2026: no working day between 2026-02-16" in en.err


@pytest.mark.parametrize(("name", "zh"), [
    ("missing-source", "7:5: 缺少必填的键 'source'"),
    ("once-feb-30", "10:34: date:2025-02-30 不是有效日期:2025年2月只有28天;请用1到28日"),
])
def test_validation_speaks_chinese_under_zh_cn(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch,
                                               name: str, zh: str) -> None:
    """``validate --lang zh-CN`` printed English; the English lines stay the en catalog's (tests/data/broken)."""
    monkeypatch.chdir(ROOT)
    result = cli("validate", f"tests/data/broken/{name}.yaml", "--lang", "zh-CN")
    assert result.code == 2
    assert result.err.splitlines() == [f"tests/data/broken/{name}.yaml:{zh}", "发现1个问题"]


def test_unknown_keys_units_and_wrong_types_in_chinese(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bad = obligation("t.bad", {"type": "quota", "count": "twice", "per": "year"}, applies_to=["cty.twn"], schedul={})
    path = write_rules(tmp_path, [bad])
    zh = cli("validate", str(path), "--lang", "zh-CN").err
    assert "未知的键 'schedul';是否应为 'schedule'?(可用的键:id, title," in zh
    assert "count:应为整数,实际为 'twice'" in zh
    en = cli("validate", str(path), "--lang", "en").err
    assert "unknown key 'schedul'; did you mean 'schedule'? (valid keys: id, title," in en
    assert "count: expected a whole number, got 'twice'" in en
    del bad["schedul"]
    bad["schedule"]["count"] = 1
    path = write_rules(tmp_path, [bad])
    assert "未知的单位编号 'cty.twn';是否应为 'cty.town'?" in cli("validate", str(path), "--lang", "zh-CN").err
    assert "unknown unit id 'cty.twn'; did you mean 'cty.town'?" in cli("validate", str(path), "--lang", "en").err


def test_the_bots_agenda_labels_make_up_working_days() -> None:
    snapshot = load_snapshot(ROOT / "config.yaml", 1, NOW)
    found = snapshot.expander().expand(d("2026-01-04"), d("2026-01-31")).occurrences
    sunday = tuple(o for o in found if o.date == d("2026-01-04"))[:1]
    weekday = next(o for o in found if o.date.isoweekday() < 6)
    assert lines(sunday, snapshot, "zh-CN").startswith("2026-01-04 调休上班 [")
    assert lines(sunday, snapshot, "en").startswith("2026-01-04 make-up working day [")
    assert lines((weekday,), snapshot, "zh-CN").startswith(f"{weekday.date.isoformat()} [")


def test_schedule_types_and_choices_in_chinese(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    zh = cli("validate", "tests/data/broken/unknown-type.yaml", "--lang", "zh-CN").err
    assert "未知的日程类型 'qouta';是否应为 'quota'?(可用:quota, yearly_deadline" in zh
    config = tmp_path / "config.yaml"
    config.write_text("calendar:\n  beyond_dataset: guess\n", encoding="utf-8")
    assert "beyond_dataset:'guess' 不是以下之一:error, predict, weekends_only" in cli(
        "validate", "--config", str(config), "--lang", "zh-CN").err


@pytest.mark.parametrize("fixture", sorted(p.name for p in (DATA / "broken").glob("*.yaml")))
def test_every_broken_fixture_is_reported_in_chinese_by_default(cli: Callable[..., CliResult],
                                                                monkeypatch: pytest.MonkeyPatch, fixture: str) -> None:
    """``validate`` without ``--lang`` printed the reference, schedule, cap and YAML messages in English."""
    monkeypatch.chdir(ROOT)
    result = cli("validate", f"tests/data/broken/{fixture}")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines
    for line in lines:
        message = re.sub(r"^tests/data/broken/[\w.-]+:\d+:\d+: ", "", line)
        assert not message.isascii(), line


def test_invite_and_simulate_summaries_in_the_readers_language(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """``invite`` and ``simulate --out`` said what they did in English under the zh-CN default."""
    config = str(DATA / "sample-config.yaml")
    zh = cli("invite", "--config", config, "--unit", "cty", "--admin")
    assert zh.code == 0, zh.err
    assert zh.err.strip() == "cty 的管理员的一次性邀请码;请把上面一行发给机器人"
    en = cli("invite", "--config", config, "--lang", "en")
    assert en.err.strip() == "one-time code for a subscriber; send the line above to the bot"
    out = tmp_path / "sim.jsonl"
    sim = cli("simulate", "--config", config, "--from", "2026-02-01", "--to", "2026-02-03", "--out", str(out))
    assert sim.code == 0, sim.err
    assert sim.err.strip().startswith("已将")
    assert str(out) in sim.err
