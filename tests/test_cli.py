"""The command line: expand's formats, ids, errors and exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from cli import build_parser, load
from cli.commands import TARGETS
from store import open_store
from store.lifecycle import ReminderStatus
from store.tables import reminders
from tests.conftest import DATA, ROOT, CliResult

CONFIG = str(DATA / "sample-config.yaml")


def test_expand_json_has_the_documented_fields(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-02-20", "--to", "2025-04-10", "--format", "json")
    assert result.code == 0, result.err
    items = result.json()
    assert [i["date"] for i in items] == sorted(i["date"] for i in items)
    report = next(i for i in items if i["obligation"] == "t.report" and i["unit"] == "cty")
    assert report == {
        "obligation": "t.report",
        "title": "报告上一年度法治政府建设情况",
        "unit": "cty",
        "unit_name": "测试县人民政府",
        "date": "2025-02-28",  # 1 March 2025 is a Saturday; the rule moves it to the previous working day
        "start": None,
        "end": None,
        "kind": "deadline",
        "uid": "t.report/cty/2025",
        "nominal_date": "2025-03-01",
        # a yearly deadline's window runs from 1 January to the deadline as written; due is the moved day
        "window_start": "2025-01-01",
        "window_end": "2025-03-01",
        "due": "2025-02-28",
        "planned": None,
        "note": None,
        "source": {"doc": "t-2024", "clause": "", "quote": "每年3月1日前"},
    }
    sessions = [i for i in items if i["obligation"] == "t.reception-prefecture"]
    # the Q1 session is due on the quarter's last working day, Mon 31 Mar; Q2's (30 Jun) is out of range
    assert [(s["date"], s["kind"]) for s in sessions] == [("2025-03-31", "session")]
    assert (sessions[0]["window_start"], sessions[0]["window_end"], sessions[0]["due"], sessions[0]["planned"]) == (
        "2025-01-01", "2025-03-31", "2025-03-31", None)


def test_expand_filters_by_unit_and_obligation(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-01-01", "--to", "2025-12-31",
                 "--format", "json", "--unit", "cty.town")
    units = {i["unit"] for i in result.json()}
    assert units == {"cty.town"}
    # every week has a working day, and a session due on its last one: the week of 30 Dec 2024 on
    # Fri 3 Jan 2025, the weeks of 6 Jan to 22 Dec 2025 (51) within 2025; the week of 29 Dec 2025 on
    # Sun 4 Jan 2026 (a make-up working day; 1-2 Jan 2026 are off), outside the range: 52
    assert len(result.json()) == 52
    result = cli("expand", "--config", CONFIG, "--from", "2025-01-01", "--to", "2025-12-31",
                 "--format", "json", "--obligation", "t.report")
    assert [(i["unit"], i["date"]) for i in result.json()] == [("cty", "2025-02-28"), ("pref", "2025-02-28")]


def test_expand_csv_and_table(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-09-29", "--to", "2025-10-12", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    # Q3 2025 is due Tue 30 Sep; the week of 29 Sep also (1-5 Oct off), the week of 6 Oct on Sat 11 Oct
    # (6-8 Oct off, 11 Oct a make-up working day)
    assert [(r["date"], r["obligation"], r["unit"]) for r in rows] == [
        ("2025-09-30", "t.reception-prefecture", "pref"),
        ("2025-09-30", "t.reception-township", "cty.town"),
        ("2025-10-11", "t.reception-township", "cty.town"),
    ]
    assert rows[0]["quote"] == "州领导干部每季度至少1天"
    assert (rows[2]["window_start"], rows[2]["window_end"], rows[2]["due"], rows[2]["planned"]) == (
        "2025-10-06", "2025-10-12", "2025-10-11", "")
    table = cli("expand", "--config", CONFIG, "--from", "2025-09-29", "--to", "2025-10-12")
    assert table.out.splitlines()[0].split() == ["日期", "类型", "单位", "名称", "事项"]
    rows_of_table = [line.split() for line in table.out.splitlines()]
    assert rows_of_table[1][:3] == ["2025-09-30", "活动", "测试州人民政府"]
    assert rows_of_table[3][:4] == ["2025-10-11", "调休上班", "活动", "测试镇"]  # Sat 11 Oct, a make-up working day
    english = cli("expand", "--config", CONFIG, "--from", "2025-09-29", "--to", "2025-10-12", "--lang", "en")
    assert english.out.splitlines()[0].split()[:2] == ["Date", "Kind"]


@pytest.mark.parametrize(("args", "message"), [
    (["--unit", "cty.twn"], "--unit cty.twn: unknown unit id; did you mean 'cty.town'?"),
    (["--obligation", "t.reprt"], "--obligation t.reprt: unknown obligation id; did you mean 't.report'?"),
])
def test_unknown_ids_are_named_with_the_closest(cli: Callable[..., CliResult], args: list[str], message: str) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-01-01", "--to", "2025-01-31", *args, "--lang", "en")
    assert result.code == 2
    assert message in result.err
    chinese = cli("expand", "--config", CONFIG, "--from", "2025-01-01", "--to", "2025-01-31", *args, "--lang", "zh-CN")
    assert chinese.err.startswith("错误:")
    assert "编号;是否应为 " in chinese.err


def test_reversed_range_and_missing_config(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-02-01", "--to", "2025-01-01", "--lang", "en")
    assert result.code == 1
    assert "--to 2025-01-01 is before --from 2025-02-01" in result.err
    result = cli("expand", "--config", "nope.yaml", "--from", "2025-01-01", "--to", "2025-01-02", "--lang", "en")
    assert result.code == 1
    assert "error: nope.yaml: config file not found" in result.err
    result = cli("expand", "--config", "nope.yaml", "--from", "2025-01-01", "--to", "2025-01-02")
    assert result.err == "错误:nope.yaml:找不到配置文件;请给 --config 一个存在的文件\n"


def test_year_without_holiday_data_is_a_clear_error(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2027-01-01", "--to", "2027-03-31", "--lang", "en")
    assert result.code == 1
    assert result.err.startswith("error: no official holiday data for 2027")
    zh = cli("expand", "--config", CONFIG, "--from", "2027-01-01", "--to", "2027-03-31")
    assert zh.err.startswith("错误:2027年没有官方节假日数据"), zh.err
    assert "Traceback" not in result.err


def test_weekends_only_opt_in_warns_visibly(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"rules: [{DATA / 'rules' / 'sample.yaml'}]\ncalendar: {{beyond_dataset: weekends_only}}\n",
                      encoding="utf-8")
    result = cli("expand", "--config", str(config), "--from", "2027-01-01", "--to", "2027-01-31", "--format", "json",
                 "--lang", "en")
    assert result.code == 0
    assert "warning: 2027: no official holiday data; working days are a weekends-only guess" in result.err
    assert result.json()[0]["date"] == "2027-01-01"  # a Friday; the real notice will make it a holiday


def test_bad_date_argument_is_a_usage_error(cli: Callable[..., CliResult]) -> None:
    result = cli("expand", "--config", CONFIG, "--from", "2025-02-30", "--to", "2025-03-01")
    assert result.code == 2
    assert "'2025-02-30' 不是日期" in result.err  # argparse's words too: tests/test_cli_help.py


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "error: port {port} on 127.0.0.1 is already in use (another server is listening there); "
           "stop it, or choose another port with --port N or server.port in {config}"),
    ("zh-CN", "错误:127.0.0.1 的端口 {port} 已被占用(已有别的服务在监听);请停止它,"
              "或用 --port N 或 {config} 中的 server.port 换一个端口"),
])
def test_port_in_use_is_one_line_naming_the_port_and_the_fix(tmp_path: Path, lang: str, expected: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "serve", "--config", CONFIG, "--port", str(port),
                               "--lang", lang], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.split(" ", 3)[2:3] != ["INFO"]]
    assert errors == [expected.format(port=port, config=CONFIG)]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_closed_pipe_ends_the_output_quietly(tmp_path: Path) -> None:


    # the shipped rules: 1.4 MB of JSON for 2025, far more than a pipe holds, so the writer meets the closed end
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "expand", "--config", str(ROOT / "config.yaml"),
                             "--from", "2025-01-01", "--to", "2025-12-31", "--format", "json"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline() == b"[\n"  # what `| head -1` reads before it exits
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_every_command_of_the_table_names_a_function_that_exists() -> None:
    """The table names functions as strings (cli.load imports them by name), so no linter checks them."""
    action = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(TARGETS) == sorted(action.choices)  # type: ignore[arg-type]
    for name, target in TARGETS.items():
        assert callable(load(target)), f"{name}: {target} is not a function"


# What a command may not import: the modules of the other commands (Starlette, SQLAlchemy, the extractor).
LAZY = """
import sys
sys.path.insert(0, sys.argv[1])
import main
try:
    code = main.run(sys.argv[2:])
except SystemExit as exc:  # --help
    code = exc.code
watched = ('web.server', 'store', 'extract.cli', 'service.schema', 'obligations.loader', 'cli.rules', 'cli.dates')
print(' '.join(sorted(m for m in watched if m in sys.modules)))
sys.exit(code)
"""


@pytest.mark.parametrize(("args", "imported"), [
    (["--help"], ""),
    (["validate", "--help"], ""),
    (["validate", "--config", CONFIG], "cli.rules obligations.loader"),
    (["expand", "--config", CONFIG, "--from", "2025-03-01", "--to", "2025-03-02", "--format", "csv"],
     "cli.dates obligations.loader"),
    (["extract", "--help"], "extract.cli obligations.loader"),
])
@pytest.mark.slow
def test_a_command_imports_only_what_it_needs(tmp_path: Path, args: list[str], imported: str) -> None:
    """Startup time: `validate` took 1.4 s once every command was imported at the top of main.py."""
    proc = subprocess.run([sys.executable, "-c", LAZY, str(ROOT), *args], check=False, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == imported


def test_extract_runs_through_the_table(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    policy = tmp_path / "plan.txt"
    policy.write_text("每年至少举办一期法治专题培训班。\n", encoding="utf-8")
    result = cli("extract", str(policy), "--doc-name", "t-2025")
    assert result.code == 0, result.err
    assert "每年至少举办一期法治专题培训班" in result.out
    assert cli("extract", str(policy), "--max-mb", "lots").code == 2


def test_reminders_lists_the_waiting_ones_or_with_failed_the_failed_and_missed(
        cli: Callable[..., CliResult], scratch_store: Path) -> None:
    """``reminders`` picks its statuses from store.lifecycle.ReminderStatus, not bare strings."""
    at = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    store = open_store(f"sqlite:///{scratch_store}")
    with store.engine.begin() as conn:
        conn.execute(sa.insert(reminders), [
            {"key": f"k-{status}", "kind": "reminder", "occurrence_uid": f"u-{status}", "obligation": "t.report",
             "occurrence_date": at.date(), "channel": "log", "address": status, "due_at": at, "send_after": at,
             "status": status, "created_at": at}
            for status in ReminderStatus
        ])
    store.close()
    waiting = cli("reminders", "--config", CONFIG, "--format", "json")
    assert waiting.code == 0, waiting.err
    assert sorted(r["status"] for r in waiting.json()) == ["claimed", "pending"]
    failed = cli("reminders", "--config", CONFIG, "--failed")
    assert failed.code == 0, failed.err
    assert sorted(line.split()[2] for line in failed.out.splitlines()) == ["发送失败", "已错过"]  # words, not codes
    assert failed.err.strip() == "共2条提醒"
    english = cli("reminders", "--config", CONFIG, "--failed", "--lang", "en").out.splitlines()
    assert sorted(line.split()[4] for line in english) == ["failed", "missed"]  # 2025-03-01 17:00 (Beijing time)
    assert cli("reminders", "--config", CONFIG, "--failed", "--lang", "en").err.strip() == "2 reminder(s)"
