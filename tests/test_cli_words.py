"""What the command line says, in the reader's language (issue 10, item 7, and its last gaps).

Every summary, warning and error line is a catalog text: Chinese by default, English with
``--lang en``. Also the administrator's view of authors' notes (``list --notes``, item 2), a day
that lies in two windows (``done`` and ``expand``, item 3) and ``ics --windows span`` (item 5).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
from starlette.exceptions import HTTPException
from starlette.requests import Request

import cli.rules as rules_commands
from cli.reminders import reason_words
from i18n.phrase import say
from obligations.errors import HolidayDataMissing
from obligations.loader import load_rules
from obligations.schedules import Period
from obligations.yamllimits import YamlSyntaxError
from obligations.yamlsource import read_yaml
from scheduler.periods import Span, period_words
from scheduler.planner import ReminderKind
from scheduler.snapshot import load_snapshot
from service.messages import _NOTICES, item_of
from store import open_store
from store.claimed import Claimed
from store.lifecycle import Notice, ReminderStatus
from store.tables import reminders
from tests.conftest import DATA, CliResult, d, obligation, write_rules
from web.app import http_error, server_error
from web.describe import describe

SAMPLE = str(DATA / "sample-config.yaml")
NOTE = "作者的注释:按年内完成编码。"
MONTHLY_NEXT = {"type": "window", "period": "month", "holiday_policy": "next"}


def site(tmp_path: Path, obligations: list[dict[str, Any]], extra: str = "") -> str:
    """A config next to a rules file with ``obligations`` (the units of tests/conftest.py)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_rules(tmp_path, obligations)
    config = tmp_path / "config.yaml"
    config.write_text(f"timezone: Asia/Shanghai\nrules: [rules.yaml]\n{extra}", encoding="utf-8")
    return str(config)


# -- summaries ------------------------------------------------------------------------------------


def test_validate_list_token_and_schema_summaries_are_chinese_by_default(cli: Callable[..., CliResult],
                                                                         tmp_path: Path) -> None:
    """``ok: 5 file(s), 131 units, 420 obligations``, ``17 duties`` and ``feed URL (give it only to …)``
    were English under the zh-CN default."""
    assert cli("validate", "--config", SAMPLE).out == "通过:1个文件,5个单位,3项职责\n"
    assert cli("validate", "--config", SAMPLE, "--lang", "en").out == "ok: 1 file(s), 5 units, 3 obligations\n"
    assert cli("list", "--config", SAMPLE).err == "共3项职责\n"
    assert cli("list", "--config", SAMPLE, "--lang", "en").err == "3 duties\n"
    zh = cli("token", "--config", SAMPLE, "--name", "值班", "--unit", "cty").out.splitlines()
    assert zh[0].startswith("订阅链接(只交给值班):http")
    assert zh[1:3] == ["在 config.yaml 的 feeds.private 下添加:", "  - name: 值班"]
    en = cli("token", "--config", SAMPLE, "--name", "duty", "--lang", "en").out.splitlines()
    assert en[0].startswith("feed URL (give it only to duty): http")
    assert en[1] == "add under feeds.private in config.yaml:"
    written = cli("schema", "--config", SAMPLE, "--out", str(tmp_path / "schema")).out.splitlines()
    assert written == [f"已写入 {tmp_path / 'schema' / name}" for name in ("rules.schema.json", "config.schema.json")]
    assert cli("schema", "--out", str(tmp_path / "s"), "--lang", "en").out.startswith("wrote ")


def test_ics_says_what_it_wrote_in_the_readers_language(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    args = ("ics", "--config", SAMPLE, "--from", "2025-01-01", "--to", "2025-01-31")
    zh = cli(*args, "--out", str(tmp_path / "zh"))
    assert zh.out.startswith("已写入"), zh.err
    assert f"个订阅源到 {tmp_path / 'zh'}(2025-01-01至2025-01-31)" in zh.out
    en = cli(*args, "--out", str(tmp_path / "en"), "--lang", "en")
    assert en.out.endswith(f"feed(s) to {tmp_path / 'en'} (2025-01-01 to 2025-01-31)\n")


def test_an_internal_error_is_one_line_in_the_readers_language(cli: Callable[..., CliResult],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules_commands, "cmd_validate", broken)
    zh = cli("validate", "--config", SAMPLE)
    assert (zh.code, zh.err) == (1, "内部错误:RuntimeError:boom(加 --debug 重新运行可查看详情)\n")
    en = cli("validate", "--config", SAMPLE, "--lang", "en")
    assert en.err == "internal error: RuntimeError: boom (run again with --debug for details)\n"


def test_no_holiday_data_is_said_in_chinese() -> None:
    error = HolidayDataMissing(2030, (2004, 2026))
    assert str(error).startswith("no official holiday data for 2030 (the chinesecalendar dataset covers 2004-2026)")
    assert say(error.args[0], "zh-CN").startswith("2030年没有官方节假日数据(chinesecalendar 数据集覆盖 2004-2026 年)")


def test_done_names_a_missing_occurrence_in_the_readers_language(cli: Callable[..., CliResult]) -> None:
    zh = cli("done", "t.report", "cty", "2025-07-15", "--config", SAMPLE)
    assert zh.code == 1
    assert zh.err == "错误:t.report(cty)在 2025-07-15 没有安排;附近的安排日期:无\n"
    en = cli("done", "t.report", "-", "2025-07-15", "--config", SAMPLE, "--lang", "en")
    assert en.err.startswith("error: t.report has no occurrence for no unit on 2025-07-15; nearby occurrences: none")


# -- validation texts that were left in English ----------------------------------------------------


def test_a_bad_token_digest_and_pydantics_own_words_are_framed_in_chinese(cli: Callable[..., CliResult],
                                                                          tmp_path: Path) -> None:
    config = site(tmp_path, [obligation("t.one", {"type": "once", "date": "2025-03-03"})],
                  "feeds:\n  private:\n    - {name: x, token_sha256: abc}\n")
    zh = cli("validate", "--config", config)
    assert zh.code == 2
    assert "token_sha256:'abc' 不是 SHA-256 摘要:应为64位小写十六进制数字" in zh.err, zh.err
    en = cli("validate", "--config", config, "--lang", "en")
    assert "token_sha256: 'abc' is not a SHA-256 digest: 64 lower-case hex digits" in en.err
    rules = write_rules(tmp_path, [obligation("t.one", {"type": "once", "date": "2025-03-03"})])
    text = rules.read_text(encoding="utf-8").replace("title: 测试工作要点", "title: ''")
    rules.write_text(text, encoding="utf-8")
    zh = cli("validate", str(rules))
    assert "title:取值无效:String should have at least 1 character" in zh.err, zh.err
    assert "title: String should have at least 1 character" in cli("validate", str(rules), "--lang", "en").err


def test_a_file_that_cannot_be_read_says_so_in_chinese() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        read_yaml(Path("/proc/self/mem"))  # an OSError that is neither "not found" nor "a folder"
    assert info.value.problem.worded("zh-CN").startswith("/proc/self/mem: 无法读取:")
    assert info.value.problem.worded("en").startswith("/proc/self/mem: cannot read: ")


# -- periods in words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "first", "last", "zh", "en"), [
    (Period.week, "2026-02-16", "2026-02-22", "2026年第8周", "week 8 of 2026"),
    (Period.month, "2026-02-01", "2026-02-28", "2026年2月", "February 2026"),
    (Period.two_months, "2025-03-01", "2025-04-30", "2025年3月—4月", "March–April 2025"),
    (Period.quarter, "2026-01-01", "2026-03-31", "2026年第一季度", "Q1 2026"),
    (Period.quarter, "2026-10-01", "2026-12-31", "2026年第四季度", "Q4 2026"),
    (Period.half_year, "2026-07-01", "2026-12-31", "2026年下半年", "the second half of 2026"),
    (Period.year, "2026-01-01", "2026-12-31", "2026年", "2026"),
])
def test_a_period_is_words_not_an_iso_label(period: Period, first: str, last: str, zh: str, en: str) -> None:
    """Chinese warnings said ``2026-W08``; the label stays the developer's text (and the slot key)."""
    words = period_words(period, Span(d(first), d(last)))
    assert (say(words, "zh-CN"), say(words, "en")) == (zh, en)
    assert "-" in words or words == "2026"  # str: 2026-W08, 2026-02, 2025-B2, 2026-Q1, 2026-H2, 2026


# -- the service's own texts ----------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "query", "expected"), [
    ("zh-CN", b"", "服务器内部错误,已记录日志\n"),
    ("zh-CN", b"lang=en", "internal error; it has been logged\n"),
    ("en", b"", "internal error; it has been logged\n"),
])
def test_a_500_is_in_the_services_language(lang: str, query: bytes, expected: str) -> None:
    app = SimpleNamespace(state=SimpleNamespace(service=SimpleNamespace(lang=lang)))
    request = Request({"type": "http", "method": "GET", "path": "/unit/x", "query_string": query, "headers": [],
                       "app": app})
    response = asyncio.run(server_error(request, RuntimeError("boom")))
    assert (response.status_code, bytes(response.body).decode()) == (500, expected)


# -- item 2: authors' notes only on an administrator's view ------------------------------------------------


def test_list_notes_shows_the_authors_notes_to_an_administrator(cli: Callable[..., CliResult],
                                                                tmp_path: Path) -> None:
    config = site(tmp_path, [obligation("t.noted", {"type": "once", "date": "2026-03-02"}, applies_to=["cty"],
                                        notes=NOTE, review=True),
                             obligation("t.plain", {"type": "once", "date": "2026-03-03"}, applies_to=["cty"])])
    plain = cli("list", "--config", config)
    assert NOTE not in plain.out
    assert "t.noted  2026-03-02前 [once]  测试 t.noted [待审核]" in plain.out.splitlines()  # the schedule in words
    zh = cli("list", "--config", config, "--notes").out.splitlines()
    assert zh[zh.index("t.noted  2026-03-02前 [once]  测试 t.noted [待审核]") + 1] == f"    作者备注:{NOTE}"
    assert len(zh) == 3  # t.plain has no notes: no line
    en = cli("list", "--config", config, "--notes", "--lang", "en").out
    assert f"t.noted  by 2026-03-02 [once]  测试 t.noted [review]\n    notes: {NOTE}\n" in en
    rows = {row["obligation"]: row for row in cli("list", "--config", config, "--format", "json").json()}
    assert (rows["t.noted"]["notes"], rows["t.plain"]["notes"]) == (NOTE, None)


def test_an_unscheduled_reason_is_an_authors_note(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """The unit page said ``无固定时间(动态调整, no period given)``: the author's English note on the reading."""
    config = site(tmp_path, [obligation("t.vague", {"type": "unscheduled", "reason": "动态调整, no period given"},
                                        applies_to=["cty"])])
    zh = cli("list", "--config", config, "--notes").out.splitlines()
    assert zh[1] == "    无固定时间的原因:动态调整, no period given"
    assert "no period given" not in cli("list", "--config", config).out
    assert cli("list", "--config", config, "--format", "json").json()[0]["reason"] == "动态调整, no period given"
    rules = load_rules([tmp_path / "rules.yaml"])
    schedule = rules.obligations["t.vague"].schedule
    assert (describe(schedule, "zh-CN"), describe(schedule, "en")) == ("无固定时间", "no fixed date")


@pytest.mark.slow  # a simulated quarter and every feed in both shapes
def test_authors_notes_are_in_no_feed_of_either_shape_and_no_reminder(cli: Callable[..., CliResult],
                                                                       tmp_path: Path) -> None:
    config = site(tmp_path, [obligation("t.noted", {"type": "quota", "count": 1, "per": "month"}, applies_to=["cty"],
                                        notes=NOTE, description="公开的说明。", reminders=["1d"])],
                  "subscribers:\n  - {name: 县政府办, channel: log, address: office, subscriptions: [{unit: cty}]}\n")
    for shape in ("due", "span"):
        out = tmp_path / shape
        result = cli("ics", "--config", config, "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(out),
                     "--windows", shape)
        assert result.code == 0, result.err
        bodies = [path.read_text(encoding="utf-8") for path in sorted(out.rglob("*.ics"))]
        assert len(bodies) > 5
        assert any("公开的说明" in body for body in bodies)
        assert [body for body in bodies if "作者的注释" in body] == []
    simulated = cli("simulate", "--config", config, "--from", "2026-01-01", "--to", "2026-03-31")
    assert simulated.code == 0, simulated.err
    assert len(simulated.out.splitlines()) >= 3
    assert "作者的注释" not in simulated.out


# -- item 3: a day in two windows ---------------------------------------------------------------------------


def test_done_says_when_a_day_lies_in_two_windows_and_which_it_chose(cli: Callable[..., CliResult],
                                                                     tmp_path: Path) -> None:
    """January 2025's window (``holiday_policy: next``) is due Wed 5 Feb, past the Spring Festival
    break, so 1-5 Feb are in January's window and in February's (due Fri 28 Feb)."""
    config = site(tmp_path, [obligation("t.month", MONTHLY_NEXT, applies_to=["cty"])])
    zh = cli("done", "t.month", "cty", "2025-02-03", "--on", "2025-02-03", "--config", config)
    assert zh.code == 0, zh.err
    assert zh.out.splitlines()[0] == (
        "2025-02-03 同时属于两个期限:已选截止日期在当天或之后且最近的 2025-01-01至2025-02-05(截止 2025-02-05);"
        "另一个是 2025-02-01至2025-02-28(截止 2025-02-28),如指它,请用其截止日期 2025-02-28")
    assert "t.month/cty/2025-01" in zh.out.splitlines()[1]
    en = cli("done", "t.month", "cty", "2025-02-03", "--undo", "--config", config, "--lang", "en")
    assert en.out.splitlines()[0] == (
        "2025-02-03 lies in two windows: chose 2025-01-01 to 2025-02-05 (due 2025-02-05), the one due nearest on "
        "or after it; the other is 2025-02-01 to 2025-02-28 (due 2025-02-28): to mean it, name it by its due day "
        "2025-02-28")
    other = cli("done", "t.month", "cty", "2025-02-28", "--on", "2025-02-10", "--config", config)
    assert other.out.splitlines() == [line for line in other.out.splitlines() if "两个期限" not in line]
    assert "t.month/cty/2025-02" in other.out
    alone = cli("done", "t.month", "cty", "2025-02-06", "--on", "2025-02-06", "--config", config)
    assert "两个期限" not in alone.out


def test_expand_notes_the_days_that_lie_in_two_windows(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    config = site(tmp_path, [obligation("t.month", MONTHLY_NEXT, applies_to=["cty"])])
    zh = cli("expand", "--config", config, "--from", "2025-01-01", "--to", "2025-03-31", "--format", "json")
    assert zh.code == 0, zh.err
    assert zh.err.splitlines() == [
        "注意:t.month(测试县人民政府)的 2025-02-01至2025-02-05 同时属于两个期限(截止 2025-02-05 与 2025-02-28);"
        "done 用这些日期时,记为截止日期在当天或之后且最近的那个"]
    windows = [(o["window_start"], o["window_end"]) for o in zh.json()]
    assert windows[:2] == [("2025-01-01", "2025-02-05"), ("2025-02-01", "2025-02-28")]
    en = cli("expand", "--config", config, "--from", "2025-01-01", "--to", "2025-03-31", "--lang", "en")
    assert en.err.startswith("note: t.month (测试县人民政府): 2025-02-01 to 2025-02-05 lie in two windows "
                             "(due 2025-02-05 and 2025-02-28)")
    keep = site(tmp_path / "keep", [obligation("t.month", {"type": "window", "period": "month"}, applies_to=["cty"])])
    assert cli("expand", "--config", keep, "--from", "2025-01-01", "--to", "2025-03-31").err == ""


# -- item 5: ics --windows span ----------------------------------------------------------------------------


def _events(body: bytes) -> dict[str, icalendar.Event]:
    return {str(ev["UID"]): ev for ev in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_ics_windows_span_writes_unplaced_windows_as_multi_day_events(cli: Callable[..., CliResult],
                                                                      tmp_path: Path) -> None:
    config = site(tmp_path, [obligation("t.month", {"type": "window", "period": "month"}, applies_to=["cty"])])
    args = ("ics", "--config", config, "--unit", "cty", "--from", "2025-03-01", "--to", "2025-03-31")
    due = _events(cli(*args).out.encode())
    span = _events(cli(*args, "--windows", "span").out.encode())
    assert set(due) == set(span)
    assert len(due) == 1
    (uid,) = due
    assert due[uid].decoded("DTSTART") == d("2025-03-31")  # one event on the due day
    assert (span[uid].decoded("DTSTART"), span[uid].decoded("DTEND")) == (d("2025-03-01"), d("2025-04-01"))
    assert span[uid]["SEQUENCE"] == due[uid]["SEQUENCE"]
    out = tmp_path / "out"
    assert cli(*args, "--out", str(out), "--windows", "span").code == 0
    written = _events((out / "unit" / "cty.ics").read_bytes())
    assert written[uid].decoded("DTEND") == d("2025-04-01")
    assert cli(*args, "--windows", "days").code == 2  # argparse: not a choice


# -- what administrators read about reminders -------------------------------------------------------------


@pytest.mark.parametrize(("error", "zh", "en"), [
    ("the duty's date passed before it could be sent", "事项日期已过,未能发出",
     "the duty's date passed before it could be sent"),
    ("gave up after 3 attempts: timed out", "尝试3次后放弃:timed out", "gave up after 3 attempts: timed out"),
    ("channel 'wecom' is not configured (notifiers: in config.yaml)",
     "渠道 'wecom' 未配置(见 config.yaml 的 notifiers)",
     "channel 'wecom' is not configured (notifiers: in config.yaml)"),
    ("403 bot was blocked; subscriber deactivated", "403 bot was blocked;该订阅者已停用",
     "403 bot was blocked; subscriber deactivated"),
    ("550 no such user", "550 no such user", "550 no such user"),  # the channel's own words
])
def test_the_dispatchers_reasons_are_words(error: str, zh: str, en: str) -> None:
    assert (reason_words("zh-CN", error), reason_words("en", error)) == (zh, en)


def _store_one_reminder(path: Path, status: ReminderStatus, **columns: object) -> None:
    """One log reminder of ``t.report`` due 2025-03-01 09:00 in Shanghai (01:00 UTC), in ``status``."""
    at = dt.datetime(2025, 3, 1, 1, tzinfo=dt.UTC)
    store = open_store(f"sqlite:///{path}")
    with store.engine.begin() as conn:
        conn.execute(sa.insert(reminders), [{
            "key": "k", "kind": "reminder", "occurrence_uid": "u", "obligation": "t.report",
            "occurrence_date": at.date(), "channel": "log", "address": "a", "due_at": at, "send_after": at,
            "status": status, "created_at": at, **columns}])
    store.close()


def test_reminders_failed_shows_the_reason_in_chinese(cli: Callable[..., CliResult], scratch_store: Path) -> None:
    _store_one_reminder(scratch_store, ReminderStatus.MISSED,
                        last_error="the duty's date passed before it could be sent")
    zh = cli("reminders", "--config", SAMPLE, "--failed").out
    assert zh.startswith("2025-03-01 09:00(北京时间)  已错过")
    assert zh.rstrip().endswith("2025-03-01  事项日期已过,未能发出")
    en = cli("reminders", "--config", SAMPLE, "--failed", "--lang", "en").out
    assert en.rstrip().endswith("the duty's date passed before it could be sent")


@pytest.mark.parametrize(("notice", "zh", "en"), [
    (Notice.FAILED, "提醒发送失败", "A reminder could not be sent"),
    (Notice.MISSED, "提醒未能在事项日期前发出,已错过", "A reminder was missed"),
    (Notice.BAD_SUBSCRIPTION, "有一项订阅设置无法读取", "A subscription could not be read"),
    (Notice.INVITE_LOCKOUT, "邀请码错误次数过多", "Too many wrong invite codes"),
    (Notice.LOGIN_LOCKOUT, "登录密码错误次数过多", "Too many wrong passwords"),
])
def test_an_admin_notice_says_what_happened_in_words(notice: Notice, zh: str, en: str) -> None:
    """The admins read ``日期: 2025-03-01(提醒发送失败:failed)``, the stored code."""
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    at = dt.datetime(2025, 2, 28, 1, tzinfo=dt.UTC)
    for lang, expected in (("zh-CN", zh), ("en", en)):
        row = Claimed(1, "k", ReminderKind.ADMIN, "t.report/cty/2025", "t.report", "cty", d("2025-03-01"), None, "log",
                      "admin", lang, "", at, at, 1, notice=notice)
        item = item_of(row, snapshot, "http://duties.test", d("2025-02-28"), lang)  # type: ignore[arg-type]
        assert item.extra.startswith(expected), item.extra
        assert f"{expected}:{notice.value}" not in item.extra
        assert f"{expected}: {notice.value}" not in item.extra
    assert notice.value not in item_of(row, snapshot, "http://duties.test", d("2025-02-28"), "zh-CN").extra


def test_reminders_json_says_its_times_in_the_configured_zone(cli: Callable[..., CliResult],
                                                              scratch_store: Path) -> None:
    """``reminders --format json`` printed the stored UTC (``2025-03-01 01:00:00``) without saying so."""
    _store_one_reminder(scratch_store, ReminderStatus.PENDING)
    (row,) = cli("reminders", "--config", SAMPLE, "--format", "json").json()
    assert (row["send_after"], row["due_at"], row["time_zone"]) == (
        "2025-03-01T09:00:00+08:00", "2025-03-01T09:00:00+08:00", "Asia/Shanghai")
    assert (row["occurrence_date"], row["status"]) == ("2025-03-01", "pending")


@pytest.mark.parametrize(("status", "detail", "lang", "expected"), [
    (404, None, "zh-CN", "未找到\n"),  # no route for the path: Starlette's "Not Found"
    (404, None, "en", "Not found\n"),
    (405, None, "zh-CN", "此地址不支持该请求方法\n"),  # "Method Not Allowed"
    (400, "windows 只能是 due 或 span,不能是 'x'", "zh-CN", "windows 只能是 due 或 span,不能是 'x'\n"),  # ours, kept
])
def test_starlettes_own_error_words_are_ours(status: int, detail: str | None, lang: str, expected: str) -> None:
    app = SimpleNamespace(state=SimpleNamespace(service=SimpleNamespace(lang=lang)))
    request = Request({"type": "http", "method": "PUT", "path": "/feeds/nothing", "query_string": b"", "headers": [],
                       "app": app})
    response = asyncio.run(http_error(request, HTTPException(status, detail)))
    assert (response.status_code, bytes(response.body).decode()) == (status, expected)


def test_every_admin_notice_has_its_words() -> None:
    """A notice without words fell back to ``提醒发送失败:login lockout``."""
    assert set(Notice) <= set(_NOTICES)


def test_a_file_that_is_not_utf8_says_so_in_chinese(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"version: 1\n\xff\xfe\n")
    zh = cli("validate", str(bad), "--alone")
    assert "bad.yaml:2:1: 不是 UTF-8 文本(第11字节:invalid start byte);请另存为 UTF-8" in zh.err, zh.err
    en = cli("validate", str(bad), "--alone", "--lang", "en")
    assert "bad.yaml:2:1: not UTF-8 text (invalid start byte at byte 11); save it as UTF-8" in en.err

