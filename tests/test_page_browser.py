"""The page in a real headless browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from tests.browser import ARTIFACTS, chromium
from tests.conftest import ROOT
from tests.liveserver import FrozenClock, Live, make_site, running

pytestmark = [pytest.mark.slow, pytest.mark.network]

NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("site")
    config = make_site(root, [ROOT / "rules" / "000-bayingolin-2024.yaml"], public_url=None)
    with running(config, FrozenClock(NOW)) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_home_page_lists_units_with_working_feed_links(live: Live, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(live.url + "/")
    assert "法定职责日历" in page.title()
    korla = page.locator('li[data-unit="bz.korla"]').first
    webcal = korla.locator("a.webcal").first.get_attribute("href")
    https = korla.locator("a.https").first.get_attribute("href")
    assert webcal == f"webcal://{live.url.split('://')[1]}/feeds/unit/bz.korla.ics"
    assert https == f"{live.url}/feeds/unit/bz.korla.ics"
    # every feed link on the page resolves to a calendar
    links = page.locator("a.https").evaluate_all("els => els.map(e => e.href)")
    assert len(links) >= 60
    for link in links[:15] + links[-5:]:
        r = httpx.get(link, timeout=10)
        assert r.status_code == 200, link
        assert r.headers["content-type"].startswith("text/calendar")
    # the QR code behind the details element loads
    korla.locator("details.qr summary").first.click()
    qr = korla.locator("img.qr").first
    qr.wait_for(state="visible")
    # a lazy image may still be loading when it becomes visible: wait for it (with a deadline)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=10_000)
    # upcoming duties: the weekly township reception of the week of 17 March 2025, due on its last
    # working day, Friday 21 March (the week of 10 March was due Friday 14 March, before today)
    assert "2025-03-21" in page.locator("#upcoming").locator("xpath=following-sibling::div[1]").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=False)


def test_unit_page_lists_its_duties_with_quotes(live: Live, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(live.url + "/")
    page.locator('li[data-unit="bz.korla"] > a').first.click()
    page.wait_for_url("**/unit/bz.korla")
    assert page.locator("#unit-name").inner_text().startswith("库尔勒市人民政府")
    rows = page.locator("#occurrences tbody tr")
    text = rows.all_inner_texts()
    # the monthly reception is due on each month's last working day: Wed 30 April, Mon 31 March
    assert any("2025-04-30" in row and "信访" in row for row in text)
    assert any("2025-03-31" in row for row in text)
    assert "县市领导干部每月至少1天" in page.locator("#occurrences").inner_text()
    page.screenshot(path=str(ARTIFACTS / "unit.png"), full_page=False)


def test_reads_on_a_phone(live: Live, browser: object) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 812}, device_scale_factor=2)  # type: ignore[attr-defined]
    page.goto(live.url + "/unit/bz.korla")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
    page.screenshot(path=str(ARTIFACTS / "unit-phone.png"), full_page=False)
    page.goto(live.url + "/?lang=en")
    assert page.locator("#upcoming").inner_text().startswith("Next 30 days")
