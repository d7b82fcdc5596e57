"""``main.py waive`` and ``main.py report`` on the shipped rules: CSV with a BOM, XLSX read back with
openpyxl, HTML, and the export in the history.

The township 库尔勒市团结街道 (`bz.korla.tuanjie`) in March 2025: its weekly reception (每周至少1天)
is a window per week, due the week's last working day (Fri 7, 14, 21, 28 March); the range is in the
past, so a window not done nor waived is overdue whatever the day the test runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from store import open_store
from store.history import History
from tests.conftest import ROOT, CliResult

pytestmark = pytest.mark.slow  # each runs the CLI on the shipped rules a few times (about 3 s)

Cli = Callable[..., CliResult]
WEEKLY = "bz-2024.petition-reception-township"
TOWN = "bz.korla.tuanjie"
CONFIG = str(ROOT / "config.yaml")


def _script(cli: Cli) -> None:
    waived = cli("waive", WEEKLY, TOWN, "2025-03-05", "--reason", "合并举办", "--by", "督查室", "--config", CONFIG)
    assert waived.code == 0
    assert cli("done", WEEKLY, TOWN, "2025-03-12", "--on", "2025-03-11", "--by", "王五", "--note", "接访3人",
               "--evidence", "https://oa.example/1", "--config", CONFIG).code == 0
    assert cli("done", WEEKLY, TOWN, "2025-03-19", "--on", "2025-03-24", "--by", "王五", "--config", CONFIG).code == 0


def test_waive_needs_a_reason_names_the_window_and_undoes(cli: Cli) -> None:
    refused = cli("waive", WEEKLY, TOWN, "2025-03-05", "--config", CONFIG)
    assert refused.code == 1
    assert "豁免须写明理由" in refused.err
    done = cli("waive", WEEKLY, TOWN, "2025-03-05", "--reason", "上级统一组织", "--config", CONFIG)
    assert done.out.strip() == f"已豁免 {WEEKLY}/{TOWN}/2025-W10(截止 2025-03-07)"
    again = cli("waive", WEEKLY, TOWN, "2025-03-03", "--reason", "x", "--config", CONFIG, "--lang", "en")
    assert again.out.strip() == f"{WEEKLY}/{TOWN}/2025-W10 was already waived; that waiver stands"
    assert "no longer waived" in cli("waive", WEEKLY, TOWN, "2025-03-07", "--undo", "--config", CONFIG,
                                     "--lang", "en").out
    assert "was not waived" in cli("waive", WEEKLY, TOWN, "2025-03-07", "--undo", "--config", CONFIG,
                                   "--lang", "en").out
    history = cli("history", "--unit", TOWN, "--format", "json", "--config", CONFIG).json()
    assert [(h["action"], h["note"]) for h in history] == [("waive", "上级统一组织"), ("unwaive", "上级统一组织")]
    assert "no window" in cli("waive", WEEKLY, "bz", "2025-03-05", "--reason", "x", "--config", CONFIG,
                              "--lang", "en").err  # a township's duty: the prefecture has none


def test_csv_has_a_bom_and_one_row_per_window(cli: Cli) -> None:
    _script(cli)
    result = cli("report", "--from", "2025-03-01", "--to", "2025-03-31", "--unit", TOWN, "--config", CONFIG)
    assert result.code == 0
    assert result.out.startswith("\ufeff单位,单位编号,事项,")
    rows = list(csv.reader(io.StringIO(result.out.lstrip("\ufeff"))))
    weekly = [(r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]) for r in rows[1:] if r[3] == WEEKLY]
    assert weekly == [
        ("2025-03-07", "已豁免", "", "", "督查室", "", "", "合并举办"),
        ("2025-03-14", "按期完成", "2025-03-11", "", "王五", "接访3人", "https://oa.example/1", ""),
        ("2025-03-21", "逾期完成", "2025-03-24", "1", "王五", "", "", ""),  # Mon 24 Mar: 1 working day late
        ("2025-03-28", "逾期", "", weekly_late(rows), "", "", "", ""),
    ]
    summary = cli("report", "--from", "2025-03-01", "--to", "2025-03-31", "--unit", TOWN, "--table", "summary",
                  "--config", CONFIG, "--lang", "en").out.lstrip("\ufeff")
    head, town = list(csv.reader(io.StringIO(summary)))
    assert head[:4] == ["Unit", "Unit id", "Windows", "done on time"]
    assert town[1:] == ["bz.korla.tuanjie", "4", "1", "1", "1", "1", "0", "0", "0", "33.3%", "33.3%", "33.3%"]


def weekly_late(rows: list[list[str]]) -> str:
    """The overdue window's lateness grows with the day the test runs: at least the 2025 days after 28 March."""
    late = next(r[11] for r in rows if r[8] == "2025-03-28" and r[3] == WEEKLY)
    assert int(late) >= 180
    return late


def test_xlsx_reads_back_with_chinese_headers_frozen_filtered_and_dates(cli: Cli, tmp_path: Path) -> None:
    _script(cli)
    out = tmp_path / "r.xlsx"
    result = cli("report", "--from", "2025-01-01", "--to", "2025-03-31", "--unit", "bz.korla", "--children",
                 "--format", "xlsx", "--out", str(out), "--config", CONFIG)
    assert result.code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["明细", "单位汇总", "年度办理情况"]
    rows = book["明细"]
    assert [c.value for c in rows[1]][:3] == ["单位", "单位编号", "事项"]
    assert rows.freeze_panes == "A2"
    assert rows.auto_filter.ref == f"A1:P{rows.max_row}"
    assert rows.column_dimensions["A"].width == 24
    done = [r for r in rows.iter_rows(min_row=2, values_only=True) if r[3] == WEEKLY and r[1] == TOWN and r[10]]
    assert [(r[8], r[10]) for r in done] == [(dt.datetime(2025, 3, 14), dt.datetime(2025, 3, 11)),
                                             (dt.datetime(2025, 3, 21), dt.datetime(2025, 3, 24))]
    summary = {r[1]: r for r in book["单位汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary[TOWN][2:10] == (13, 1, 1, 10, 1, 0, 0, 0)  # 13 weeks of Q1 2025
    assert abs(summary[TOWN][10] - 1 / 12) < 1e-9
    assert book["单位汇总"]["K2"].number_format == "0.0%"
    yearly = [r for r in book["年度办理情况"].iter_rows(min_row=2, values_only=True) if r[0] == "库尔勒市团结街道办事处"
              and "信访" in r[2]]
    assert yearly[0][5:8] == (13, 2, "2025-03-11、2025-03-24")
    assert "每周至少1天" in yearly[0][4]


def test_html_and_every_export_is_in_the_history(cli: Cli) -> None:
    page = cli("report", "--from", "2025-03-01", "--to", "2025-03-31", "--unit", TOWN, "--format", "html",
               "--by", "督查室", "--config", CONFIG)
    assert page.out.startswith("<!doctype html>")
    assert "<h2>单位汇总</h2>" in page.out
    history = History(open_store(os.environ["DATABASE_URL"])).entries()
    assert [(h["action"], h["actor"], h["unit"], h["occurrence_date"]) for h in history] == [
        ("export", "督查室", TOWN, None)]
    assert history[0]["note"] == "html all 2025-03-01..2025-03-31: 4 rows"
