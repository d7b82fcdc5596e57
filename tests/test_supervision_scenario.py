"""Issue 11's proof: a quarter of the shipped rules, completions scripted through every door, and the
board, its CSV and its XLSX agreeing with a table written by hand.

库尔勒市 (`bz.korla`) and its three townships in Q1 2025, seen on Tuesday 1 April 2025 (every window
of the quarter is past its due day). The 2025 calendar: 28 January - 4 February off (Spring
Festival), Sunday 26 January and Saturday 8 February make-up working days.

- the townships' weekly reception (每周至少1天): 13 windows each, due each week's last working day
  (Fri 3 Jan, 10 Jan, 17 Jan, Sun 26 Jan, Mon 27 Jan, Sat 8 Feb, 14 Feb, …, 28 Mar);
- 库尔勒市: the monthly reception (每月至少1天; due Mon 27 Jan, Fri 28 Feb, Mon 31 Mar), the two-monthly
  report to the committee (due Fri 28 Feb) and last year's report (due Sat 1 Mar, kept as written).

What happens, and through which door:

| door | who | window | done on | state |
|---|---|---|---|---|
| cli | 王五 | 团结街道 week 2 (due Fri 10 Jan) | Thu 9 Jan | on time |
| cli | 王五 | 团结街道 week 5 (due Mon 27 Jan, before the break) | Wed 5 Feb | late, 1 working day |
| cli | 督查室 | 库尔勒市 January reception | — | waived: 上级统一组织 |
| bot | 张三 | 上户镇 week 3 (due Fri 17 Jan): 已完成 under its 1d reminder of Thu 16 Jan | Thu 16 Jan | on time |
| web | admin | 萨依巴格街道 week 10 (due Fri 7 Mar) | — | waived: 合并举办 |
| web | tuanjie (unit user) | 团结街道 week 11 (due Fri 14 Mar), with a PDF | Wed 12 Mar | on time |
| web | korla (unit user) | 库尔勒市 February reception (due Fri 28 Feb) | Wed 5 Mar | late, 3 working days |

Everything else is overdue.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from argon2 import PasswordHasher

from scheduler.snapshot import load_snapshot
from store import accounts as accounts_module
from store.accounts import Accounts, Role
from tests.bot_harness import CHAT, TOKEN
from tests.bot_harness import running as running_bot
from tests.conftest import ROOT, CliResult
from tests.fake_telegram import FakeTelegram, fake_bot_api
from tests.liveserver import FrozenClock, Live, make_site, running

pytestmark = [pytest.mark.slow, pytest.mark.network]

APRIL = dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC)  # Tue 1 April 2025, 09:00 in Shanghai
REMINDED = dt.datetime(2025, 1, 16, 1, 0, tzinfo=dt.UTC)  # Thu 16 Jan, 09:00: the 1d reminder of week 3
PASSWORD = "a long enough password"
WEEKLY = "bz-2024.petition-reception-township"
MONTHLY = "bz-2024.petition-reception-county"
TOWNS = {"bz.korla.tuanjie": "团结", "bz.korla.shanghu": "上户", "bz.korla.sayibage": "萨依巴格"}
PDF = b"%PDF-1.4\n% minutes of the reception\n%%EOF\n"
EXTRA = f"""
subscribers:
  - name: 上户镇值班
    channel: telegram
    address: '{CHAT}'
    subscriptions: [{{unit: bz.korla.shanghu, lead_times: [1d]}}]
"""

# the hand-written table: unit -> (on time, late, overdue, waived, windows)
EXPECTED = {
    "bz.korla": (0, 1, 3, 1, 5),
    "bz.korla.sayibage": (0, 0, 12, 1, 13),
    "bz.korla.shanghu": (1, 0, 12, 0, 13),
    "bz.korla.tuanjie": (2, 1, 10, 0, 13),
}
# the windows not overdue: (unit, duty, due) -> (state, done on, working days late, by, waiver reason)
SETTLED = {
    ("bz.korla.tuanjie", WEEKLY, "2025-01-10"): ("按期完成", "2025-01-09", "", "王五", ""),
    ("bz.korla.tuanjie", WEEKLY, "2025-01-27"): ("逾期完成", "2025-02-05", "1", "王五", ""),
    ("bz.korla", MONTHLY, "2025-01-27"): ("已豁免", "", "", "督查室", "上级统一组织"),
    ("bz.korla.shanghu", WEEKLY, "2025-01-17"): ("按期完成", "2025-01-16", "", "张三", ""),
    ("bz.korla.sayibage", WEEKLY, "2025-03-07"): ("已豁免", "", "", "admin", "合并举办"),
    ("bz.korla.tuanjie", WEEKLY, "2025-03-14"): ("按期完成", "2025-03-12", "", "tuanjie", ""),
    ("bz.korla", MONTHLY, "2025-02-28"): ("逾期完成", "2025-03-05", "3", "korla", ""),
}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", lambda: cheap)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    with fake_bot_api(TOKEN) as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)  # the telegram channel is on (before the config loads)
        monkeypatch.setenv("TELEGRAM_API_URL", api.base_url)
        yield api


@pytest.fixture
def live(tmp_path: Path, fake: FakeTelegram) -> Iterator[Live]:
    config = make_site(tmp_path, sorted((ROOT / "rules").glob("*.yaml")), extra_config=EXTRA)
    with running(config, FrozenClock(APRIL)) as server:
        accounts = Accounts(server.service.store)
        accounts.add("admin", Role.ADMIN, None, PASSWORD, now=APRIL)
        accounts.add("tuanjie", Role.UNIT, "bz.korla.tuanjie", PASSWORD, now=APRIL)
        accounts.add("korla", Role.UNIT, "bz.korla", PASSWORD, now=APRIL)
        yield server


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{32})"', text)
    assert found, "no CSRF field"
    return found.group(1)


OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def closed_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def login(live: Live, name: str) -> httpx.Client:
    c = httpx.Client(base_url=live.url, timeout=30, follow_redirects=False)
    OPEN.append(c)
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf_of(c.get("/login").text), "next": "/"})
    assert r.status_code == 303, r.text
    return c


def through_the_cli(cli: Callable[..., CliResult], config: Path) -> None:
    for args in (["done", WEEKLY, "bz.korla.tuanjie", "2025-01-08", "--on", "2025-01-09", "--by", "王五"],
                 ["done", WEEKLY, "bz.korla.tuanjie", "2025-01-27", "--on", "2025-02-05", "--by", "王五"],
                 ["waive", MONTHLY, "bz.korla", "2025-01-15", "--reason", "上级统一组织", "--by", "督查室"]):
        result = cli(*args, "--config", str(config))
        assert result.code == 0, result.err


def through_the_bot(fake: FakeTelegram, live: Live) -> None:
    """The 1d reminder of 上户镇's third week reaches the chat on Thu 16 Jan; 已完成 records that day."""
    async def scenario() -> None:
        snapshot = load_snapshot(live.root / "config.yaml", 1, REMINDED)
        async with running_bot(fake, live.service.store, snapshot=snapshot, now=REMINDED - dt.timedelta(hours=1),
                               url=live.url) as h:
            h.engine.sync_subscribers()
            h.engine.plan()
            h.clock[0] = REMINDED
            await h.engine.dispatch()
            reminder = fake.sent_messages(CHAT)[-1]
            assert "2025-01-17" in reminder["params"]["text"]
            markup = reminder["params"]["reply_markup"]
            markup = json.loads(markup) if isinstance(markup, str) else markup
            done = markup["inline_keyboard"][0][0]["callback_data"]
            edited = await h.press(reminder["result"]["message_id"], done, "editMessageText")
            assert "完成日期 2025-01-16" in edited["params"]["text"]

    asyncio.run(scenario())


def through_the_web(live: Live) -> None:
    admin = login(live, "admin")
    waive = "/supervision/waive/" + f"{WEEKLY}/bz.korla.sayibage/2025-W10"
    r = admin.post(waive, data={"csrf": csrf_of(admin.get(waive).text), "action": "waive", "reason": "合并举办"})
    assert r.status_code == 303
    for user, uid, day, with_file in (("tuanjie", f"{WEEKLY}/bz.korla.tuanjie/2025-W11", "2025-03-12", True),
                                      ("korla", f"{MONTHLY}/bz.korla/2025-02", "2025-03-05", False)):
        c = login(live, user)
        page = c.get(f"/supervision/window/{uid}")
        assert page.status_code == 200, page.text
        files = {"file": ("纪要.pdf", PDF, "application/pdf")} if with_file else None
        r = c.post(f"/supervision/window/{uid}", data={"csrf": csrf_of(page.text), "action": "done", "done_on": day,
                                                      "note": "已办理"}, files=files)
        assert r.status_code == 303, r.text


def test_a_quarter_through_every_door_agrees_with_the_table(live: Live, fake: FakeTelegram,
                                                           cli: Callable[..., CliResult]) -> None:
    through_the_cli(cli, live.root / "config.yaml")
    through_the_bot(fake, live)
    through_the_web(live)

    admin = login(live, "admin")
    query = "period=2025-Q1&unit=bz.korla"
    board = admin.get(f"/supervision?{query}").text
    counts = dict(re.findall(r'data-state="(\w+)"[^>]*>.*?<strong>(\d+)</strong>', board))
    assert {k: int(v) for k, v in counts.items()} == {
        "on_time": 3, "late": 2, "waived": 2, "overdue": 37, "due_soon": 0, "open": 0, "not_open": 0}
    for unit, (on_time, late, overdue, waived, total) in EXPECTED.items():
        row = re.search(rf'<tr data-unit="{re.escape(unit)}">(.*?)</tr>', board, re.S)
        assert row, unit
        numbers = [int(n) for n in re.findall(r'<td class="num[^"]*">(\d+)</td>', row.group(1))]
        assert numbers == [total, on_time, late, overdue, waived], unit

    rows = list(csv.reader(io.StringIO(admin.get(f"/supervision/report.csv?{query}").content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 44
    settled = {(r[1], r[3], r[8]): (r[9], r[10], r[11], r[12], r[15]) for r in rows[1:] if r[9] != "逾期"}
    assert settled == SETTLED
    evidence = {(r[1], r[8]): r[14] for r in rows[1:]}
    assert evidence[("bz.korla.tuanjie", "2025-03-14")] == "纪要.pdf"

    book = openpyxl.load_workbook(io.BytesIO(admin.get(f"/supervision/report.xlsx?{query}").content))
    summary = {r[1]: r for r in book["单位汇总"].iter_rows(min_row=2, values_only=True)}
    for unit, (on_time, late, overdue, waived, total) in EXPECTED.items():
        assert summary[unit][2:7] == (total, on_time, late, overdue, waived), unit
        assert summary[unit][10] == pytest.approx(on_time / (on_time + late + overdue))
    detail = [r for r in book["明细"].iter_rows(min_row=2, values_only=True) if r[9] != "逾期"]
    assert {(r[1], r[3], r[8].date().isoformat()) for r in detail} == set(SETTLED)

    # the command line's report of the same quarter says the same (its "today" is later still)
    cli_csv = cli("report", "--from", "2025-01-01", "--to", "2025-03-31", "--unit", "bz.korla", "--children",
                  "--config", str(live.root / "config.yaml")).out.lstrip("\ufeff")
    cli_rows = list(csv.reader(io.StringIO(cli_csv)))
    assert {(r[1], r[3], r[8]): (r[9], r[10], r[11], r[12], r[15]) for r in cli_rows[1:] if r[9] != "逾期"} == SETTLED
