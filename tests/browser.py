"""Debian's chromium driven by Playwright, for the tests that look at a page in a real browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.parts import require_part

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # the screenshots, for people to look at
# no sandbox (tests run as root in CI containers); nothing that reaches beyond loopback
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless chromium (skips the test when it is not installed, fails under CI); ARTIFACTS made."""
    require_part(None if Path(CHROMIUM).exists() else
                 "Debian's chromium is not installed (apt-get install chromium; .ci/run does it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


__all__ = ["ARTIFACTS", "CHROMIUM", "FLAGS", "chromium"]
