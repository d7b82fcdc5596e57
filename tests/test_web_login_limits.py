"""Lockout (and the admins told), no user enumeration by time, feeds.public: false, and no password in any log."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

import redaction
from store import Store
from store.accounts import Accounts, LoginLimits, Role
from store.history import History
from store.tables import reminders
from tests.accountsite import NOW, PASSWORD, SAMPLE, client, csrf_of, login, site
from tests.conftest import ROOT
from tests.liveserver import FrozenClock, Live, make_site, running
from tests.serveprocess import serving

LIMITS = """\
accounts: {max_failed_logins: 3, window_minutes: 10, lockout_minutes: 30}
reminders: {admins: [{channel: log, address: ops}, {channel: log, address: duty-office}]}
"""


@pytest.fixture
def limited(tmp_path: Path, cheap_hashes: None, closed_clients: None) -> Iterator[Live]:
    with running(site(tmp_path, extra=LIMITS), FrozenClock(NOW)) as server:
        Accounts(server.service.store).add("county", Role.UNIT, "cty", PASSWORD, now=NOW)
        yield server


def attempt(web: Live, name: str, password: str) -> httpx.Response:
    c = client(web)
    return c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(c.get("/login"))})


def lockout_notices(web: Live) -> list[tuple[str, str, str]]:
    with web.service.store.engine.connect() as conn:
        rows = conn.execute(sa.select(reminders.c.channel, reminders.c.address, reminders.c.obligation)
                            .where(reminders.c.notice == "login lockout").order_by(reminders.c.id)).all()
    return [tuple(r) for r in rows]


@pytest.mark.network
@pytest.mark.parametrize("name", ["county", "nobody-at-all"])
def test_wrong_passwords_lock_the_name_out_and_the_admins_are_told_once(limited: Live, name: str) -> None:
    statuses = [attempt(limited, name, f"wrong password {i}").status_code for i in range(3)]
    assert statuses == [401, 401, 429]
    locked = attempt(limited, name, PASSWORD)
    assert locked.status_code == 429
    assert "2025-03-15 09:30" in locked.text  # locked until 30 minutes after the third, in Beijing time
    assert [attempt(limited, name, "wrong again!!").status_code for _ in range(3)] == [429] * 3
    notices = lockout_notices(limited)
    assert [(c, a) for c, a, _ in notices] == [("log", "ops"), ("log", "duty-office")]
    limited.clock.advance(minutes=30)
    assert attempt(limited, name, PASSWORD).status_code == (303 if name == "county" else 401)
    failed = [e["actor"] for e in History(limited.service.store).entries() if e["action"] == "login_failed"]
    assert failed == [name] * (3 if name == "county" else 4)


@pytest.mark.slow
def test_unknown_and_known_names_take_the_same_time(store: Store) -> None:
    """One real argon2 verification per attempt either way: the fastest of three differ by less than 2x."""
    accounts = Accounts(store)
    accounts.add("county", Role.UNIT, "cty", PASSWORD, now=NOW)
    roomy = LoginLimits(max_failures=100)

    def fastest(name: str) -> float:
        times = []
        for i in range(3):
            started = time.perf_counter()
            accounts.login(name, "wrong password", now=NOW + dt.timedelta(seconds=i), limits=roomy)
            times.append(time.perf_counter() - started)
        return min(times)

    known, unknown = fastest("county"), fastest("no-such-account")
    assert known > 0.01
    assert unknown > 0.01
    assert 0.5 < known / unknown < 2.0


# -- feeds.public: false ---------------------------------------------------------------------------


@pytest.fixture
def private_site(tmp_path: Path, cheap_hashes: None, closed_clients: None) -> Iterator[Live]:
    config = site(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "feeds: {months_back: 2, months_ahead: 10}", "feeds: {public: false, months_back: 2, months_ahead: 10}"),
        encoding="utf-8")
    with running(config, FrozenClock(NOW)) as server:
        accounts = Accounts(server.service.store)
        accounts.add("admin", Role.ADMIN, None, PASSWORD, now=NOW)
        accounts.add("county", Role.UNIT, "cty", PASSWORD, now=NOW)
        yield server


@pytest.mark.network
def test_not_public_feeds_and_pages_need_a_login_that_sees_them(private_site: Live) -> None:
    anonymous = client(private_site)
    assert anonymous.get("/feeds/unit/cty.ics").status_code == 403
    assert anonymous.get("/").status_code == 303
    assert anonymous.get("/unit/cty").headers["location"] == "/login?next=%2Funit%2Fcty"
    county = login(private_site, "county")
    assert county.get("/unit/cty").status_code == 200
    assert county.get("/unit/cty.town").status_code == 200
    assert county.get("/unit/pref").status_code == 403
    assert county.get("/").headers["location"] == "/unit/cty"
    assert county.get("/obligation/t.report").status_code == 403
    feed = county.get("/feeds/unit/cty.ics?children=1")
    assert (feed.status_code, feed.headers["cache-control"]) == (200, "private, max-age=300")
    for path in ("/feeds/unit/pref.ics", "/feeds/all.ics", "/feeds/level/county.ics", "/feeds/obligation/t.report.ics"):
        assert county.get(path).status_code == 403, path
    admin = login(private_site, "admin")
    assert [admin.get(p).status_code for p in ("/", "/obligation/t.report", "/feeds/all.ics")] == [200, 200, 200]


@pytest.mark.network
def test_public_feeds_and_pages_need_no_login(web: Live) -> None:
    anonymous = client(web)
    assert [anonymous.get(p).status_code for p in ("/", "/unit/cty", "/feeds/all.ics")] == [200, 200, 200]
    assert "set-cookie" not in anonymous.get("/").headers  # no session for a visitor who posts nothing


# -- secrets ---------------------------------------------------------------------------------------


@pytest.mark.network
def test_no_password_or_session_key_in_the_log(limited: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    attempt(limited, "county", "Wrong-Pa55word/secret")
    for _ in range(3):
        attempt(limited, "nobody", "Another-Pa55word+x")
    c = login(limited, "county")
    c.post("/logout", data={"csrf": csrf_of(c.get("/login"))})
    key = limited.service.store.engine.connect().execute(sa.text("SELECT value FROM secrets WHERE name = 'session'"))
    session_key = key.scalar_one()
    key.close()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (PASSWORD, "Wrong-Pa55word/secret", "Another-Pa55word+x", session_key):
        assert secret not in text
    assert session_key not in redaction.redact(f"a line that quotes the key {session_key}")  # registered
    assert "locked out" in caplog.text  # the lockout was logged (without the password)


def test_the_session_secret_from_the_environment_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET", "session-Secret-for-tests-0123456789")
    assert "session-Secret" not in redaction.redact("key=session-Secret-for-tests-0123456789 in a line")


@pytest.mark.slow
@pytest.mark.network
def test_serve_and_user_add_log_no_password(tmp_path: Path) -> None:
    """``user add --password-stdin`` and ``serve --debug`` with logins, wrong and right: the log holds neither
    password nor the session key."""
    config = make_site(tmp_path / "site", [SAMPLE], public_url=None,
                       extra_config="calendar: {beyond_dataset: weekends_only}\n")  # serve runs on today's clock
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SESSION_SECRET": "Session-Key-From-The-Env-42"}
    main = [sys.executable, str(ROOT / "main.py")]
    added = subprocess.run([*main, "user", "add", "县用户", "--role", "unit", "--unit", "cty", "--password-stdin",
                            "--config", str(config), "--debug"], input=f"{PASSWORD}\n", capture_output=True,
                           text=True, env=env, timeout=120, check=True)
    with serving(config, tmp_path, env) as served:
        served.wait(lambda: served.healthz() is not None, "serve to answer", timeout=60)
        with httpx.Client(base_url=served.url, timeout=30) as c:
            for password in ("Wrong-Pa55word/secret", PASSWORD):
                r = c.post("/login", data={"name": "县用户", "password": password, "csrf": csrf_of(c.get("/login"))})
            assert r.status_code == 303
            assert c.get("/supervision/window/t.report/cty/2025").status_code == 200
    output = added.stdout + added.stderr + served.output()
    for secret in (PASSWORD, "Wrong-Pa55word", "Session-Key-From-The-Env-42"):
        assert secret not in output
    assert "logged in" in output
    assert "Traceback" not in output
