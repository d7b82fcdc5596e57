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
    # The engine counts its reminders (7d, 1d) back from an occurrence's date, which for an unplaced
    # quarterly session is now its due day, the quarter's last working day: Tue 31 Dec 2024 (its
    # reminders fall before the range), Mon 31 Mar 2025 (7d: 24 Mar, 1d: Sun 30 Mar) and Mon 30 Jun
    # 2025 (7d: 23 Jun, after the range). Before windows it was 2 Jan and 1 Apr: three reminders.
    # The Q1 window (1 Jan - 31 Mar) opens on its first working day, Thu 2 Jan: one opening notice.
    got = [(r["due"][:16], r["kind"]) for r in by(q1, "bz-petition-duty")]
    assert got == [("2025-01-02T09:00", "opening"), ("2025-03-24T09:00", "reminder"),
                   ("2025-03-30T09:00", "reminder")]


def test_korla_office(q1: list[dict]) -> None:
    got = Counter(r["obligation"].removeprefix("bz-2024.") for r in by(q1, "korla-office"))
    # reminders 7d and 1d before each date in the quarter; an unplaced session's date is now its due
    # day, the last working day of its window, so nothing falls on 1 January any more
    assert got == {
        # monthly, due Mon 27 Jan (28-31 Jan Spring Festival), Fri 28 Feb, Mon 31 Mar: 2 + 2 + 2
        # (31 Dec 2024's reminders are before the range, 30 Apr's after it); + an opening notice on
        # each month's first working day: Thu 2 Jan, Wed 5 Feb (1-4 Feb off), Mon 3 Mar
        "petition-reception-county": 6 + 3,
        # every two months: Jan-Feb due Fri 28 Feb (21 and 27 Feb); opening notices Thu 2 Jan
        # (Jan-Feb) and Mon 3 Mar (Mar-Apr, due 30 Apr)
        "petition-report-to-committee": 2 + 2,
        # yearly deadlines: no opening notice (their window from 1 January is a convention)
        "annual-report-submit": 2,  # 1 Mar: 22 Feb and 28 Feb
        "annual-report-publish": 2,  # 1 Apr: 25 Mar and 31 Mar
        # the yearly and half-yearly lectures are due 31 Dec 2024 and 30 Jun / 31 Dec 2025: no
        # reminder in Q1 2025
    }
    same_time = [r for r in by(q1, "korla-office") if r["due"].startswith("2025-02-21T09:00")]
    assert len(same_time) == 2  # the monthly reception and the report to the committee, both due 28 Feb
    assert all(r["digest"] for r in same_time)  # two reminders at once: one message, not two
    assert same_time[0]["text"].startswith("【法定职责提醒】共2项")


def test_township_weekly_reception_one_day_ahead(q1: list[dict]) -> None:
    weekly = [r["date"] for r in by(q1, "korla-tuanjie")
              if r["obligation"].endswith("reception-township") and r["kind"] == "reminder"]
    # each week's session is due on its last working day, reminded 1d before (2 Jan - 31 Mar):
    # Fri 3 Jan; Sun 26 Jan (a make-up working day); Mon 27 Jan (28 Jan - 2 Feb off); Sat 8 Feb (a
    # make-up working day); Fridays otherwise. The week of 31 Mar is due Thu 3 Apr (4 Apr off): its
    # reminder, 2 Apr, is after the range
    assert weekly == ["2025-01-03", "2025-01-10", "2025-01-17", "2025-01-26", "2025-01-27", "2025-02-08",
                      "2025-02-14", "2025-02-21", "2025-02-28", "2025-03-07", "2025-03-14", "2025-03-21",
                      "2025-03-28"]
    # each week's window opens on its first working day, unless that is its due day: Mon 30 Dec
    # (before the range), Mondays 6, 13, 20 Jan; the week of 27 Jan is due its first working day (no
    # notice); Wed 5 Feb (3-4 Feb off); Mondays 10 Feb - 31 Mar (the last for the week due 3 Apr)
    opened = [r["due"][:10] for r in by(q1, "korla-tuanjie") if r["kind"] == "opening"]
    assert opened == ["2025-01-06", "2025-01-13", "2025-01-20", "2025-02-05", "2025-02-10", "2025-02-17",
                      "2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31"]
    first = next(r for r in by(q1, "korla-tuanjie") if r["kind"] == "opening")
    assert first["text"].splitlines()[3] == "日期: 2025-01-10(本周需完成,截止 1月10日(周五))"
    # + the publication (1 Apr) on 31 Mar; the lectures, due 31 Dec 2024 and 30 Jun 2025, no longer
    # fall on 1 January
    assert len(by(q1, "korla-tuanjie")) == 14 + 12


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
        # the undated yearly products, year windows due 31 Dec 2024 (docs/rules.md, Reading a duty
        # without a day): the prefecture, 9 counties and 27 townships; + the 18 government departments
        ("bz-2024.annual-measures", "2025-01-04"): 37,
        ("bz-2024.information-disclosure-annual-report", "2025-01-04"): 55,
        ("bz-2024.year-end-debrief", "2025-01-04"): 55,
    }
    assert all(r["kind"] == "escalation" for r in by(q1, "admin"))


def test_simulate_cli_prints_json_lines(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    # 30 Mar: the prefecture's Q1 reception (due 31 Mar) 1d ahead, also korla-office's monthly one;
    # 31 Mar: the publication by 1 April, for korla-office, korla-tuanjie and the digest
    result = cli("simulate", "--config", str(ROOT / "config.yaml"), "--from", "2025-03-30", "--to", "2025-03-31")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert {r["recipient"] for r in lines} == {"bz-petition-duty", "korla-office", "korla-tuanjie",
                                               "bz-justice-digest"}
