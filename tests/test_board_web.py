"""The board over real HTTP, per role: who sees which units, who may waive, bad parameters, CSRF.

The sample rules (tests/data/rules/sample.yaml: 示例州 `pref`, 测试县 `cty` and 测试镇 `cty.town`)
on Saturday 15 March 2025; the county's yearly report was due 28 February 2025.
"""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from store.history import History
from store.waivers import Waivers
from tests.accountsite import CTY, PASSWORD, client, csrf_of, login
from tests.liveserver import Live

pytestmark = pytest.mark.network


def test_anonymous_is_sent_to_login(web: Live) -> None:
    r = client(web).get("/supervision?period=2025")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fsupervision%3Fperiod%3D2025"


def test_each_role_sees_its_units_only(web: Live) -> None:
    admin = login(web, "admin").get("/supervision?period=2025")
    assert admin.status_code == 200
    assert admin.headers["cache-control"] == "no-store"
    assert {"pref", "cty", "cty.town"} <= set(re.findall(r'<tr data-unit="([\w.]+)"', admin.text))
    county = login(web, "county")
    page = county.get("/supervision?period=2025")
    assert set(re.findall(r'<tr data-unit="([\w.]+)"', page.text)) <= {"cty", "cty.town"}
    assert f'data-uid="{CTY}"' in page.text
    assert county.get("/supervision?period=2025&unit=pref").status_code == 404  # not its own: as unknown
    rows = list(csv.reader(io.StringIO(county.get("/supervision/report.csv?period=2025").content
                                       .decode("utf-8-sig"))))
    assert {r[1] for r in rows[1:]} <= {"cty", "cty.town"}
    assert "/supervision/waive/" not in page.text  # only admins are offered waivers


def test_only_admins_waive_and_every_post_needs_its_token(web: Live) -> None:
    path = f"/supervision/waive/{CTY}"
    inspector = login(web, "inspector")
    assert inspector.get(path).status_code == 403
    county = login(web, "county")
    token = csrf_of(county.get("/supervision?period=2025"))
    assert county.post(path, data={"csrf": token, "action": "waive", "reason": "x"}).status_code == 403
    admin = login(web, "admin")
    page = admin.get(path)
    assert page.status_code == 200
    assert admin.post(path, data={"action": "waive", "reason": "合并举办"}).status_code == 403  # no token
    assert admin.post(path, data={"csrf": csrf_of(page), "action": "waive", "reason": ""}).status_code == 400
    assert Waivers(web.service.store).waived_uids() == set()
    r = admin.post(path, data={"csrf": csrf_of(page), "action": "waive", "reason": "合并举办"})
    assert r.status_code == 303
    assert "合并举办" in admin.get(path).text
    board = admin.get("/supervision?period=2025&state=waived").text
    assert f'data-uid="{CTY}"' in board
    r = admin.post(path, data={"csrf": csrf_of(admin.get(path)), "action": "unwaive"})
    assert r.status_code == 303
    entries = [(e["action"], e["door"], e["actor"], e["note"]) for e in History(web.service.store).entries(uid=CTY)]
    assert entries == [("waive", "web", "admin", "合并举办"), ("unwaive", "web", "admin", "合并举办")]
    assert admin.get("/supervision/waive/t.report/nowhere/2025").status_code == 404


def test_bad_parameters_are_400s_or_404s_never_500s(web: Live) -> None:
    admin = login(web, "admin")
    for query in ("period=2025-Q5", "period=２０２５", "from=2025-13-01", "state=late-ish", "unit=nowhere", "sort=x",
                  "level=city", "from=2025-03-01&to=2025-01-01", "period=" + "9" * 5000):
        assert admin.get(f"/supervision?{query}").status_code in (400, 404), query
    assert "period" in admin.get("/supervision?period=2025-Q5&lang=en").text


def test_downloads_are_exports_in_the_history(web: Live) -> None:
    admin = login(web, "admin")
    for fmt, kind in (("xlsx", "spreadsheetml"), ("html", "text/html"), ("csv", "text/csv")):
        r = admin.get(f"/supervision/report.{fmt}?period=2025&lang=en")
        assert r.status_code == 200
        assert kind in r.headers["content-type"]
        assert r.headers["content-disposition"].startswith('attachment; filename="supervision-2025-01-01-2025-12-31')
    assert admin.get("/supervision/report.pdf?period=2025").status_code == 404
    exports = [e for e in History(web.service.store).entries() if e["action"] == "export"]
    assert [(e["actor"], e["door"], e["note"].split(" ")[0]) for e in exports] == [
        ("admin", "web", "xlsx"), ("admin", "web", "html"), ("admin", "web", "csv")]


def test_english_and_chinese(web: Live) -> None:
    admin = login(web, "admin")
    assert "督查督办" in admin.get("/supervision?period=2025").text
    en = admin.get("/supervision?period=2025&lang=en").text
    assert "Each unit&#39;s on-time rate" in en or "Each unit's on-time rate" in en
    assert PASSWORD not in en
    assert isinstance(admin, httpx.Client)
