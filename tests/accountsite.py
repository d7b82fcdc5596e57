"""Accounts on our server over real HTTP, for tests: a site with four accounts, logging in, forms and tokens."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from store import accounts as accounts_module
from store.accounts import Accounts, Role
from store.reminders import ReminderStore
from tests.liveserver import FrozenClock, Live, make_site, running

SAMPLE = Path(__file__).resolve().parent / "data" / "rules" / "sample.yaml"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
PASSWORD = "a long enough password"
CTY = "t.report/cty/2025"  # the county's yearly report (due 28 February 2025)
PREF = "t.report/pref/2025"  # the prefecture's: another unit's window for a county user
PDF = b"%PDF-1.4\n% evidence\n1 0 obj << >> endobj\n%%EOF\n"


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", lambda: cheap)


def site(root: Path, url: str | None = None, extra: str = "") -> Path:
    config = make_site(root, [SAMPLE], extra_config=extra)
    if url is not None:
        text = config.read_text(encoding="utf-8").replace("sqlite:///store.db", url)
        config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def web(request: pytest.FixtureRequest, tmp_path: Path, cheap_hashes: None, closed_clients: None) -> Iterator[Live]:
    """Our server on the sample rules (pref > cty > cty.town) with accounts admin, county (unit cty), town (unit
    cty.town) and inspector (supervisor of pref), all with :data:`PASSWORD`."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgresql_url")
    with running(site(tmp_path, url), FrozenClock(NOW)) as server:
        accounts = Accounts(server.service.store)
        accounts.add("admin", Role.ADMIN, None, PASSWORD, now=NOW)
        accounts.add("county", Role.UNIT, "cty", PASSWORD, now=NOW)
        accounts.add("town", Role.UNIT, "cty.town", PASSWORD, now=NOW)
        accounts.add("inspector", Role.SUPERVISOR, "pref", PASSWORD, now=NOW)
        yield server


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{32})"', page.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


OPEN: list[httpx.Client] = []


@pytest.fixture
def closed_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def client(live: Live) -> httpx.Client:
    c = httpx.Client(base_url=live.url, timeout=10, follow_redirects=False)
    OPEN.append(c)
    return c


def login(live: Live, name: str, password: str = PASSWORD) -> httpx.Client:
    c = client(live)
    r = c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(c.get("/login")), "next": "/"})
    assert r.status_code == 303, r.text
    return c


def done_form(c: httpx.Client, uid: str, **fields: str) -> dict[str, str]:
    page = c.get(f"/supervision/window/{uid}")
    return {"csrf": csrf_of(page), "action": "done", "done_on": "2025-02-27", "note": "已报送", **fields}


def completion(live: Live, uid: str) -> dict[str, object] | None:
    return ReminderStore(live.service.store).completion(uid)
