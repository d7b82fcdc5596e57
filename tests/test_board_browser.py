"""The supervision board in a real headless browser (Debian's chromium driven by Playwright):
log in, filter, mark a window done with an uploaded file, export; screenshots at desktop and phone
widths in tests/artifacts/ (board.png and board-full.png, board-phone.png, board-window.png)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from argon2 import PasswordHasher

from service import actions, supervision
from service.actions import Actor, Door, Target
from store import accounts as accounts_module
from store.accounts import Accounts, Role
from store.reminders import ReminderStore
from tests.browser import ARTIFACTS, chromium
from tests.conftest import ROOT
from tests.liveserver import FrozenClock, Live, make_site, running

pytestmark = [pytest.mark.slow, pytest.mark.network]

NOW = dt.datetime(2025, 3, 19, 2, 0, tzinfo=dt.UTC)  # Wed 19 March 2025, 10:00 in Shanghai
PASSWORD = "a long enough password"
WEEKLY = "bz-2024.petition-reception-township"
PDF = b"%PDF-1.4\n% sign-in sheet\n%%EOF\n"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts_module, "_hasher", lambda: cheap)
    root = tmp_path_factory.mktemp("board")
    config = make_site(root, [ROOT / "rules" / "000-bayingolin-2024.yaml"], public_url=None)
    with running(config, FrozenClock(NOW)) as server:
        store = server.service.store
        accounts = Accounts(store)
        accounts.add("督查室", Role.ADMIN, None, PASSWORD, now=NOW)
        accounts.add("团结街道", Role.UNIT, "bz.korla.tuanjie", PASSWORD, now=NOW)
        snapshot = server.service.live.current
        clerk = Actor("王五", Door.CLI)
        for unit, day, done_on in (("bz.korla.tuanjie", "2025-01-08", "2025-01-09"),
                                   ("bz.korla.shanghu", "2025-01-27", "2025-02-06"),
                                   ("bz.korla.sayibage", "2025-02-12", "2025-02-12")):
            occ = actions.find_occurrence(snapshot, WEEKLY, unit, dt.date.fromisoformat(day))
            assert not isinstance(occ, actions.NoOccurrence)
            actions.mark_done(ReminderStore(store), Target.of(occ), clerk, now=NOW,
                              done_on=dt.date.fromisoformat(done_on), today=NOW.date())
        occ = actions.find_occurrence(snapshot, WEEKLY, "bz.korla.shanghu", dt.date(2025, 3, 5))
        assert not isinstance(occ, actions.NoOccurrence)
        supervision.waive(store, Target.of(occ), clerk, reason="合并举办", now=NOW)
        yield server
    patch.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _login(page: object, live: Live, name: str) -> None:
    page.goto(live.url + "/supervision")  # type: ignore[attr-defined]
    page.wait_for_url("**/login?next=*")  # type: ignore[attr-defined]
    page.fill('input[name="name"]', name)  # type: ignore[attr-defined]
    page.fill('input[name="password"]', PASSWORD)  # type: ignore[attr-defined]
    page.locator('form button[type="submit"]').last.click()  # type: ignore[attr-defined]
    page.wait_for_url("**/supervision")  # type: ignore[attr-defined]


def test_admin_logs_in_filters_and_exports(live: Live, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    _login(page, live, "督查室")
    assert page.locator("#board-title").inner_text().startswith("督查督办")
    page.select_option("#f-unit", "bz.korla")
    page.fill("#f-period", "2025-Q1")
    page.locator("#f-apply").click()
    page.wait_for_url("**unit=bz.korla**")
    counts = {a.get_attribute("data-state"): int(a.locator("strong").inner_text())
              for a in page.locator("#counts a").all()}
    assert (counts["on_time"], counts["late"], counts["waived"]) == (2, 1, 1)
    assert sum(counts.values()) == 44
    assert page.locator("#grid-chart rect").count() == 4 * 3  # four units × January–March
    assert page.locator('#bars-chart rect[data-state="on_time"]').count() == 2
    titles = page.locator("#grid-chart rect title").all_text_contents()
    # 上户镇's January: weeks 1-4 overdue, week 5 done late (6 Feb, after the Spring Festival break)
    assert "库尔勒市上户镇人民政府 · 2025年1月: 逾期 4, 逾期完成 1" in titles  # the column in words, not 2025-01
    page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=False)  # the first screen
    page.screenshot(path=str(ARTIFACTS / "board-full.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("#dl-xlsx").click()
    data = Path(info.value.path()).read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["明细"].max_row == 45
    page.locator('#counts a[data-state="waived"]').click()
    page.wait_for_url("**state=waived**")
    assert page.locator("#board-rows tr[data-state]").count() == 1
    context.close()


def test_a_unit_user_marks_done_with_a_file_and_the_board_shows_it(live: Live, browser: object,
                                                                  tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    _login(page, live, "团结街道")
    page.goto(live.url + "/supervision?period=2025-Q1&state=due_soon")
    row = page.locator("#board-rows tr[data-state=due_soon]").first
    assert "2025-03-21" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_url("**/supervision/window/**")
    sheet = tmp_path / "签到表.pdf"
    sheet.write_bytes(PDF)
    page.fill('textarea[name="note"]', "接访群众5人")
    page.set_input_files('input[name="file"]', str(sheet))
    page.locator("#done-button").click()
    page.wait_for_selector("#completion")
    assert "签到表.pdf" in page.locator("#files").inner_text()
    page.screenshot(path=str(ARTIFACTS / "board-window.png"), full_page=True)
    page.goto(live.url + "/supervision?period=2025-Q1")
    assert page.locator('#counts a[data-state="on_time"] strong').inner_text() == "2"  # 团结街道's own subtree
    assert page.locator("#f-unit option").count() == 2  # 全部 and 团结街道 itself: nothing else is visible
    context.close()


def test_the_board_reads_on_a_phone(live: Live, browser: object) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)  # type: ignore[attr-defined]
    page = context.new_page()
    _login(page, live, "督查室")
    page.goto(live.url + "/supervision?period=2025-Q1&unit=bz.korla")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the board is {overflow}px wider than a phone screen"
    page.screenshot(path=str(ARTIFACTS / "board-phone.png"), full_page=False)
    page.goto(live.url + "/supervision?period=2025-Q1&unit=bz.korla&lang=en")
    assert page.locator("#board-title").inner_text().startswith("Supervision")
    context.close()
