"""``simulate`` on the shipped config for the first quarter of 2025, against counts checked by hand.

The shipped config subscribes four sample recipients on the log channel (config.yaml):
bz-petition-duty (the prefecture's quarterly reception), korla-office (everything of
库尔勒市), korla-tuanjie (团结街道, one day ahead only) and bz-justice-digest (the two
annual-report deadlines of every unit, as a daily digest at 08:30), plus the admin,
who is told three days after a deadline passes undone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import main
from tests.conftest import ROOT, CliResult

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def q1(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    pass

    out = tmp_path_factory.mktemp("sim") / "q1.jsonl"
    assert main.run(["simulate", "--config", str(ROOT / "config.yaml"), "--from", "2025-01-01",
                     "--to", "2025-03-31", "--out", str(out)]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def by(records: list[dict], recipient: str) -> list[dict]:
    return [r for r in records if r["recipient"] == recipient]


def test_every_record_has_the_documented_fields(q1: list[dict]) -> None:
    for r in q1:
        assert {"due", "channel", "recipient", "obligation", "unit", "date", "late", "text"} <= set(r)
        assert r["channel"] == "log"
        assert r["late"] is False  # a simulation has no downtime
    assert [r["sent"] for r in q1] == sorted(r["sent"] for r in q1)


def test_prefecture_reception_duty(q1: list[dict]) -> None:
    # sessions on 2 Jan (1 Jan off) and 1 Apr: 1d before 2 Jan; 7d and 1d before 1 Apr
    # (7d before 2 Jan, on 26 Dec 2024, is before the range)
    assert [r["due"][:16] for r in by(q1, "bz-petition-duty")] == [
        "2025-01-01T09:00", "2025-03-25T09:00", "2025-03-31T09:00"]


def test_korla_office(q1: list[dict]) -> None:
    got = Counter(r["obligation"].removeprefix("bz-2024.") for r in by(q1, "korla-office"))
    assert got == {
        "petition-reception-county": 7,  # sessions 2 Jan, 5 Feb, 3 Mar, 1 Apr: 1 + 2 + 2 + 2
        "petition-report-to-committee": 3,  # 2 Jan (1d), 3 Mar (7d, 1d)
        "annual-report-submit": 2,  # 1 Mar: 22 Feb and 28 Feb
        "annual-report-publish": 2,  # 1 Apr: 25 Mar and 31 Mar
        "law-lectures": 1, "leaders-teach-law": 1, "court-hearing-attendance": 1,  # 2 Jan: 1d
    }
    first_of_january = [r for r in by(q1, "korla-office") if r["due"].startswith("2025-01-01")]
    assert len(first_of_january) == 5
    assert all(r["digest"] for r in first_of_january)  # five reminders at once: one message, not five
    assert first_of_january[0]["text"].startswith("【法定职责提醒】共5项")


def test_township_weekly_reception_one_day_ahead(q1: list[dict]) -> None:
    weekly = [r["date"] for r in by(q1, "korla-tuanjie") if r["obligation"].endswith("reception-township")]
    assert weekly == ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27", "2025-02-05", "2025-02-10",
                      "2025-02-17", "2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24",
                      "2025-03-31"]  # 5 Feb: 3-4 Feb are Spring Festival
    assert len(by(q1, "korla-tuanjie")) == 16  # + lectures and law class on 1 Jan, publication on 31 Mar


def test_daily_digest(q1: list[dict]) -> None:
    digest = by(q1, "bz-justice-digest")
    assert Counter(r["due"][:16] for r in digest) == {
        "2025-02-22T08:30": 10, "2025-02-28T08:30": 10,  # report by 1 March: prefecture + 9 counties
        "2025-03-25T08:30": 55, "2025-03-31T08:30": 55,  # publish by 1 April: 55 governments and departments
    }


def test_admins_hear_of_undone_deadlines(q1: list[dict]) -> None:
    bz = Counter((r["obligation"], r["due"][:10]) for r in by(q1, "admin") if r["obligation"].startswith("bz-"))
    assert bz == {
        ("bz-2024.annual-report-submit", "2025-03-05"): 10,  # 1 March + the morning after + 3 days
        ("bz-2024.case-file-review", "2025-01-04"): 10,  # 2024's year-end items, never marked done
        ("bz-2024.devolved-powers-evaluation", "2025-01-04"): 10,
        ("bz-2024.enforcement-supervision-system", "2025-01-04"): 10,
    }
    assert all(r["kind"] == "escalation" for r in by(q1, "admin"))


def test_simulate_cli_prints_json_lines(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("simulate", "--config", str(ROOT / "config.yaml"), "--from", "2025-03-31", "--to", "2025-03-31")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert {r["recipient"] for r in lines} == {"bz-petition-duty", "korla-office", "korla-tuanjie",
                                               "bz-justice-digest"}
