"""Shared fixtures: rule sets built in memory, the national calendar, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

import main
from obligations.loader import load_rules
from obligations.ruleset import RuleSet
from scheduler.expand import Expander
from scheduler.workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")

UNITS = [
    {"id": "pref", "name": "测试州人民政府", "level": "prefecture"},
    {"id": "pref.petition", "name": "州信访局", "level": "department", "parent": "pref"},
    {"id": "cty", "name": "测试县人民政府", "level": "county", "parent": "pref"},
    {"id": "cty2", "name": "第二县人民政府", "level": "county", "parent": "pref"},
    {"id": "cty.town", "name": "测试镇", "level": "township", "parent": "cty"},
    {"id": "cty2.town", "name": "第二镇", "level": "township", "parent": "cty2"},
]


def write_rules(tmp_path: Path, obligations: list[dict[str, Any]], **extra: Any) -> Path:
    doc = {"version": 1, "document": {"id": "t-2024", "title": "测试工作要点", "date": "2024-01-01"},
           "units": UNITS, "obligations": obligations, **extra}
    path = tmp_path / "rules.yaml"
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(doc, fh)
    return path


def obligation(oid: str, schedule: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": oid, "title": f"测试 {oid}", "source": {"quote": "测试原文"}, "schedule": schedule, **fields}


@pytest.fixture
def national() -> WorkdayCalendar:
    return WorkdayCalendar()


@pytest.fixture
def rules_from(tmp_path: Path) -> Callable[..., RuleSet]:
    def build(obligations: list[dict[str, Any]], **extra: Any) -> RuleSet:
        return load_rules([write_rules(tmp_path, obligations, **extra)])

    return build


@pytest.fixture
def dates_of(rules_from: Callable[..., RuleSet]) -> Callable[..., list[dt.date]]:
    """Dates of one schedule for one unit-less duty over a range."""

    def run(schedule: dict[str, Any], first: str, last: str, calendar: WorkdayCalendar | None = None,
            **fields: Any) -> list[dt.date]:
        rules = rules_from([obligation("t.one", schedule, **fields)])
        exp = Expander(rules, calendar or WorkdayCalendar(), SHANGHAI)
        return [o.date for o in exp.expand(dt.date.fromisoformat(first), dt.date.fromisoformat(last)).occurrences]

    return run


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def scratch_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's commands use a scratch SQLite store, never one next to the repo's configs."""
    path = tmp_path_factory.mktemp("store") / "store.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``main.run`` in-process (fast) with captured output."""

    def run(*args: str) -> CliResult:
        err = io.StringIO()
        buffer = io.BytesIO()
        stdout = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)  # has .buffer, like sys.stdout
        with redirect_stdout(stdout), redirect_stderr(err):
            try:
                code = main.run(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = int(exc.code or 0)
        stdout.flush()
        return CliResult(code, buffer.getvalue().decode("utf-8"), err.getvalue())

    monkeypatch.setattr(sys, "argv", ["main.py"])
    return run


from tests.accountsite import cheap_hashes, closed_clients, web  # noqa: E402,F401 - our server with accounts
from tests.parts import require_part  # noqa: E402,F401 - re-exported for test modules
from tests.sockets import pytest_runtest_call, pytest_runtest_setup  # noqa: E402,F401 - the socket guard
from tests.stores import postgresql_url, sqlite_url, store, url  # noqa: E402,F401 - fixtures for every test module
