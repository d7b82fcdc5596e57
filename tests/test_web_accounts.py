"""Accounts over real HTTP: login, logout, sessions, CSRF, lockout, acting on a window, evidence files, roles.

The server is ours on loopback (tests/liveserver.py) with a frozen clock; the store is SQLite and,
in the slow run, PostgreSQL. Every refusal is checked to have recorded nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from store.accounts import Accounts
from store.history import History
from tests.accountsite import CTY, PASSWORD, client, completion, csrf_of, done_form, login
from tests.liveserver import Live
from tests.test_server import _sent_done_link

pytestmark = pytest.mark.network

# -- logging in and out ---------------------------------------------------------------------------


def test_login_page_in_chinese_and_english(web: Live) -> None:
    c = client(web)
    zh, en = c.get("/login?next=/supervision"), c.get("/login?lang=en")
    assert (zh.status_code, en.status_code) == (200, 200)
    assert "用户名" in zh.text
    assert 'value="/supervision"' in zh.text
    assert "User name" in en.text
    assert 'action="/login?lang=en"' in en.text
    assert zh.headers["cache-control"] == "no-store"


def test_the_language_link_keeps_the_pages_other_parameters(web: Live) -> None:
    # regression: the header's link was "?lang=en", which dropped next= (and a board's filters)
    c = client(web)
    zh = c.get("/login?next=/supervision/window/" + CTY)
    link = re.search(r'<a href="([^"]+)" id="lang">', zh.text)
    assert link is not None
    switched = link.group(1).replace("&amp;", "&")
    assert switched == "/login?next=" + quote("/supervision/window/" + CTY, safe="") + "&lang=en"
    en = c.get(switched)
    assert 'value="/supervision/window/' + CTY + '"' in en.text
    back = re.search(r'<a href="([^"]+)" id="lang">', en.text)
    assert back is not None
    assert back.group(1).endswith("&amp;lang=zh-CN")


def test_login_sets_a_signed_session_and_logout_ends_it_both_recorded(web: Live) -> None:
    c = client(web)
    r = c.post("/login", data={"name": "county", "password": PASSWORD, "csrf": csrf_of(c.get("/login")),
                               "next": "/supervision/window/" + CTY})
    assert (r.status_code, r.headers["location"]) == (303, "/supervision/window/" + CTY)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=28800" in cookie
    assert PASSWORD not in cookie
    page = c.get("/supervision/window/" + CTY)
    assert page.status_code == 200
    assert 'id="account-name">county<' in page.text
    out = c.post("/logout", data={"csrf": csrf_of(page)})
    assert out.status_code == 303
    assert c.get("/supervision/window/" + CTY).status_code == 303  # to the login page again
    actions = [(e["action"], e["actor"], e["door"]) for e in History(web.service.store).entries()]
    assert actions == [("login", "county", "web"), ("logout", "county", "web")]


@pytest.mark.parametrize("nxt", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_goes_only_to_this_sites_paths(web: Live, nxt: str) -> None:
    c = client(web)
    r = c.post("/login", data={"name": "county", "password": PASSWORD, "csrf": csrf_of(c.get("/login")),
                               "next": nxt})
    assert (r.status_code, r.headers["location"]) == (303, "/")


def test_a_page_that_needs_a_login_sends_there_with_next(web: Live) -> None:
    r = client(web).get(f"/supervision/window/{CTY}?lang=en")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fsupervision%2Fwindow%2Ft.report%2Fcty%2F2025%3Flang%3Den"


def test_unknown_name_disabled_account_and_wrong_password_answer_alike(web: Live) -> None:
    Accounts(web.service.store).disable("town")
    answers = []
    for name, password in [("county", "wrong password!"), ("town", PASSWORD), ("nobody-here", PASSWORD)]:
        c = client(web)
        r = c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(c.get("/login"))})
        body = re.sub(r'name="csrf" value="[0-9a-f]{32}"', "CSRF", r.text.replace(f'value="{name}"', 'value="N"'))
        answers.append((r.status_code, body, "set-cookie" in r.headers))
    assert answers[0][0] == 401
    assert answers[0] == answers[1] == answers[2]


# -- sessions -------------------------------------------------------------------------------------


def test_a_session_expires_after_session_hours(web: Live) -> None:
    c = login(web, "county")
    assert c.get(f"/supervision/window/{CTY}").status_code == 200
    web.clock.advance(hours=7, minutes=59)
    assert c.get(f"/supervision/window/{CTY}").status_code == 200
    web.clock.advance(minutes=2)
    assert c.get(f"/supervision/window/{CTY}").status_code == 303


def test_a_tampered_or_foreign_cookie_is_no_session(web: Live) -> None:
    c = login(web, "county")
    value = c.cookies["oc_session"]
    payload, _, signature = value.rpartition(".")
    flipped = payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:]
    for forged in (payload + "." + signature[::-1], flipped + "." + signature,
                   "eyJhIjoxLCJlIjowLCJuIjoiMDAiLCJ0IjoxNzQyMDAwNDAwfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        other = client(web)
        other.cookies.set("oc_session", forged)
        assert other.get(f"/supervision/window/{CTY}").status_code == 303
    assert c.get(f"/supervision/window/{CTY}").status_code == 200


def test_a_new_password_or_disabling_ends_sessions_at_once(web: Live) -> None:
    c, d = login(web, "county"), login(web, "town")
    Accounts(web.service.store).set_password("county", "another long password")
    Accounts(web.service.store).disable("town")
    assert c.get(f"/supervision/window/{CTY}").status_code == 303
    assert d.get("/supervision/window/t.reception-township/cty.town/2025-W11").status_code == 303


# -- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "0" * 32, "not a token"])
def test_a_post_without_the_right_csrf_token_is_403_and_records_nothing(web: Live, token: str | None) -> None:
    c = login(web, "county")
    form = done_form(c, CTY)
    if token is None:
        del form["csrf"]
    else:
        form["csrf"] = token
    assert c.post(f"/supervision/window/{CTY}", data=form).status_code == 403
    assert completion(web, CTY) is None
    anonymous = client(web)  # the login form too
    r = anonymous.post("/login", data={"name": "county", "password": PASSWORD, **({"csrf": token} if token else {})})
    assert r.status_code == 403


def test_another_sessions_token_is_refused(web: Live) -> None:
    mine, theirs = login(web, "county"), login(web, "county")
    form = done_form(theirs, CTY)
    assert mine.post(f"/supervision/window/{CTY}", data=form).status_code == 403
    assert completion(web, CTY) is None
    assert theirs.post(f"/supervision/window/{CTY}", data=form).status_code == 303


def test_logging_in_makes_a_new_token(web: Live) -> None:
    c = client(web)
    before = csrf_of(c.get("/login"))
    c.post("/login", data={"name": "county", "password": PASSWORD, "csrf": before})
    assert csrf_of(c.get(f"/supervision/window/{CTY}")) != before


def test_the_header_logout_form_carries_the_session_token_on_a_page_with_its_own(web: Live) -> None:
    """Regression: the done page passes its own ``csrf`` (the link's), which the header's logout form used too, so
    logging out from that page was refused with 403."""
    link, _ = _sent_done_link(web)
    c = login(web, "county")
    page = c.get(link.replace("http://127.0.0.1", web.url.rsplit(":", 1)[0]))
    logout_token = re.search(r'action="/logout"[^>]*><input type="hidden" name="csrf" value="([0-9a-f]{32})"',
                             page.text)
    assert logout_token, page.text
    assert c.post("/logout", data={"csrf": logout_token.group(1)}).status_code == 303
