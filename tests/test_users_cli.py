"""``main.py user`` (accounts of the web pages) and ``main.py history --format csv`` (the audit export)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import DATA

CONFIG = str(DATA / "sample-config.yaml")
PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def quick(cheap_hashes: None) -> None:
    """Cheap argon2 parameters: these tests are about the command, not the hash."""


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_user_add_prints_a_made_password_once_and_list_shows_the_account(cli: Callable[..., Any]) -> None:
    added = cli("user", "add", "督查室", "--role", "supervisor", "--unit", "pref", "--config", CONFIG)
    assert added.code == 0, added.err
    password = added.out.strip()
    assert len(added.out.splitlines()) == 1
    assert len(password) >= 20
    assert "只显示这一次" in added.err
    assert password not in added.err
    listed = cli("user", "list", "--config", CONFIG, "--format", "json").json()
    assert [(a["name"], a["role"], a["unit"], a["disabled"]) for a in listed] == [
        ("督查室", "supervisor", "pref", False)]
    assert password not in cli("user", "list", "--config", CONFIG).out


def test_user_add_reads_the_password_from_standard_input(cli: Callable[..., Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, f"{PASSWORD}\n")
    added = cli("user", "add", "county", "--role", "unit", "--unit", "cty", "--password-stdin", "--config", CONFIG)
    assert (added.code, added.out) == (0, "")
    assert PASSWORD not in added.err
    stdin(monkeypatch, "short\n")
    short = cli("user", "passwd", "county", "--password-stdin", "--config", CONFIG, "--lang", "en")
    assert short.code == 1
    assert "nothing changed: a password has 10 to 1024 characters" in short.err


@pytest.mark.parametrize(("args", "code", "said"), [
    (["user", "add", "x", "--role", "unit"], 1, "a unit account needs --unit"),
    (["user", "add", "x", "--role", "admin", "--unit", "cty"], 1, "leave out --unit"),
    (["user", "add", "x"], 1, "user add needs --role"),
    (["user", "add", "x", "--role", "unit", "--unit", "cty.twn"], 2, "unknown unit id"),
    (["user", "disable"], 1, "needs the account's name"),
    (["user", "passwd", "nobody"], 1, "no account named nobody"),
    (["user", "add", "x", "--role", "boss"], 2, "invalid choice"),
])
def test_user_refuses_with_the_reason(cli: Callable[..., Any], args: list[str], code: int, said: str) -> None:
    result = cli(*args, "--config", CONFIG, "--lang", "en")
    assert result.code == code, result.err
    assert said in result.err


def test_disable_enable_and_a_name_taken(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("user", "add", "a", "--role", "admin", "--config", CONFIG).code == 0
    taken = cli("user", "add", "a", "--role", "admin", "--config", CONFIG, "--lang", "en")
    assert (taken.code, "exists already" in taken.err) == (1, True)
    assert cli("user", "disable", "a", "--config", CONFIG).code == 0
    assert "已停用" in cli("user", "list", "--config", CONFIG).out
    assert cli("user", "enable", "a", "--config", CONFIG).code == 0
    assert "已停用" not in cli("user", "list", "--config", CONFIG).out


def test_history_exports_csv_and_records_the_export(cli: Callable[..., Any]) -> None:
    assert cli("done", "--config", CONFIG, "t.report", "cty", "2026-02-28", "--on", "2026-02-20", "--by", "张三",
               "--note", "已报送, 含附件").code == 0
    exported = cli("history", "--config", CONFIG, "--format", "csv", "--by", "督查室")
    assert exported.code == 0, exported.err
    assert exported.out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported.out.removeprefix("\ufeff"))))
    assert [(r["actor"], r["door"], r["action"], r["unit"], r["done_on"], r["note"]) for r in rows] == [
        ("张三", "cli", "done", "cty", "2026-02-20", "已报送, 含附件")]
    assert rows[0]["at"].endswith("+08:00")
    after = cli("history", "--config", CONFIG, "--format", "json").json()
    assert [(r["action"], r["actor"], r["occurrence_date"]) for r in after] == [
        ("done", "张三", "2026-02-28"), ("export", "督查室", None)]
    assert after[1]["note"] == "history --format csv: 1"
    table = cli("history", "--config", CONFIG)
    assert table.code == 0
    assert "导出" in table.out  # the two exports, in words
