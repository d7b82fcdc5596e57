"""Acting on a window over real HTTP, by role: what each account may see and change, evidence files, undo.

The accounts (tests/accountsite.py): ``admin``; ``county`` (unit user of cty, which has cty.town
below it); ``town`` (unit user of cty.town); ``inspector`` (supervisor of pref, the root).
Every refusal is checked to have recorded nothing: no completion, no file, no history row.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
import pytest

from store.evidence import EvidenceStore
from store.history import History
from store.waivers import Waivers
from tests.accountsite import CTY, NOW, PDF, PREF, client, completion, csrf_of, done_form, login
from tests.liveserver import Live

pytestmark = pytest.mark.network

TOWN_WEEK = "t.reception-township/cty.town/2025-W11"  # 10–14 March 2025, the town's weekly reception


def files_of(web: Live, uid: str) -> list[str]:
    loaded = web.service.live.current.loaded
    return [e.filename for e in EvidenceStore(web.service.store, loaded.base_dir / "data/evidence").of_occurrence(uid)]


def post_done(c: httpx.Client, uid: str, files: dict[str, tuple[str, bytes, str]] | None = None,
              **fields: str) -> httpx.Response:
    return c.post(f"/supervision/window/{uid}", data=done_form(c, uid, **fields), files=files)


def changes(web: Live) -> list[str]:
    """The history's actions other than logins (which every test makes)."""
    return [e["action"] for e in History(web.service.store).entries() if e["action"] not in {"login", "logout"}]


# -- a unit user -----------------------------------------------------------------------------------


def test_a_unit_user_marks_its_window_done_with_a_file_and_undoes_it(web: Live) -> None:
    c = login(web, "county")
    r = post_done(c, CTY, files={"file": ("会议纪要.pdf", PDF, "application/pdf")}, note="已报送州政府",
                  evidence="https://example.gov.cn/report")
    assert r.status_code == 303
    done = completion(web, CTY)
    assert done is not None
    assert (done["done_by"], str(done["done_on"]), done["note"], done["evidence_url"]) == (
        "county", "2025-02-27", "已报送州政府", "https://example.gov.cn/report")
    page = c.get(f"/supervision/window/{CTY}")
    assert "会议纪要.pdf" in page.text
    assert "已完成:2025-02-27,county" in page.text
    link = page.text.split('href="/supervision/evidence/')[1].split('"')[0]
    file = c.get(f"/supervision/evidence/{link}")
    assert (file.status_code, file.content, file.headers["content-type"]) == (200, PDF, "application/pdf")
    assert file.headers["content-disposition"].startswith("attachment")
    assert file.headers["x-content-type-options"] == "nosniff"
    stored = web.root / "data" / "evidence" / hashlib.sha256(PDF).hexdigest()
    assert stored.read_bytes() == PDF  # under the data folder, named by its hash
    entries = [(e["action"], e["actor"], e["door"]) for e in History(web.service.store).entries(uid=CTY)]
    assert entries == [("done", "county", "web"), ("upload", "county", "web")]
    undo = c.post(f"/supervision/window/{CTY}", data={"csrf": csrf_of(page), "action": "undo"})
    assert undo.status_code == 303
    assert completion(web, CTY) is None
    assert changes(web) == ["done", "upload", "undo"]


def test_a_unit_user_acts_for_the_units_below_it(web: Live) -> None:
    c = login(web, "county")
    assert post_done(c, TOWN_WEEK, done_on="2025-03-12").status_code == 303
    assert completion(web, TOWN_WEEK) is not None


def test_a_unit_user_cannot_see_or_change_another_units_window(web: Live) -> None:
    town, county = login(web, "town"), login(web, "county")
    assert county.get(f"/supervision/window/{PREF}").status_code == 404  # the parent
    assert town.get(f"/supervision/window/{CTY}").status_code == 404  # a unit above its own
    token = csrf_of(county.get(f"/supervision/window/{CTY}"))
    forged = {"csrf": token, "action": "done", "done_on": "2025-02-27", "unit": "cty", "uid": CTY,
              "obligation": "t.report"}
    assert county.post(f"/supervision/window/{PREF}", data=forged).status_code == 404
    assert county.post(f"/supervision/window/{PREF}", data=forged,
                       files={"file": ("x.pdf", PDF, "application/pdf")}).status_code == 404
    assert completion(web, PREF) is None
    assert files_of(web, PREF) == []
    assert changes(web) == []


def test_another_units_files_and_history_are_not_served(web: Live) -> None:
    admin = login(web, "admin")
    assert post_done(admin, PREF, files={"file": ("州.pdf", PDF, "application/pdf")}).status_code == 303
    page = admin.get(f"/supervision/window/{PREF}")
    evidence_id = page.text.split('href="/supervision/evidence/')[1].split('"')[0]
    assert admin.get(f"/supervision/evidence/{evidence_id}").status_code == 200
    county = login(web, "county")
    for path in (f"/supervision/evidence/{evidence_id}", f"/supervision/window/{PREF}",
                 "/supervision/evidence/999999", "/supervision/evidence/abc", "/supervision/window/t.report/pref"):
        r = county.get(path)
        assert r.status_code == 404, path
        assert "州.pdf" not in r.text
    assert client(web).get(f"/supervision/evidence/{evidence_id}").status_code == 303  # to the login page


# -- a supervisor and an admin ------------------------------------------------------------------------


def test_a_supervisor_sees_its_subtree_and_changes_nothing(web: Live) -> None:
    c = login(web, "inspector")
    page = c.get(f"/supervision/window/{CTY}")
    assert page.status_code == 200
    assert 'id="done-form"' not in page.text
    assert 'id="undo-form"' not in page.text
    for action in ("done", "undo", "upload"):
        r = c.post(f"/supervision/window/{CTY}", data={"csrf": csrf_of(page), "action": action,
                                                      "done_on": "2025-02-27"},
                   files={"file": ("x.pdf", PDF, "application/pdf")})
        assert r.status_code == 403, action
    assert completion(web, CTY) is None
    assert files_of(web, CTY) == []
    assert changes(web) == []


def test_an_admin_acts_on_every_unit(web: Live) -> None:
    c = login(web, "admin")
    for uid in (PREF, CTY, TOWN_WEEK):
        assert post_done(c, uid, done_on="2025-03-12").status_code == 303
    assert all(completion(web, uid) for uid in (PREF, CTY, TOWN_WEEK))


# -- what a form may carry -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "kind", "status"), [
    ("big.pdf", PDF + b"0" * (11 * 1024 * 1024), "application/pdf", 413),  # over evidence.max_mb (10)
    ("tool.exe", b"MZ\x90\x00", "application/pdf", 400),  # a type not in evidence.types
    ("fake.pdf", b"<html><script>alert(1)</script>", "application/pdf", 400),  # not what .pdf says
    ("photo.png", PDF, "image/png", 400),
    ("empty.pdf", b"", "application/pdf", 400),
])
def test_a_file_refused_records_nothing(web: Live, name: str, data: bytes, kind: str, status: int) -> None:
    c = login(web, "county")
    assert post_done(c, CTY, files={"file": (name, data, kind)}).status_code == status
    assert completion(web, CTY) is None
    assert files_of(web, CTY) == []
    assert not (web.root / "data" / "evidence").exists() or not any((web.root / "data" / "evidence").iterdir())


@pytest.mark.parametrize(("fields", "status"), [
    ({"done_on": "2025-03-16"}, 400),  # after today (15 March 2025)
    ({"done_on": "2023-01-01"}, 400),  # more than a year before the duty's date
    ({"done_on": "yesterday"}, 400),
    ({"evidence": "javascript:alert(1)"}, 400),
    ({"action": "delete"}, 400),
])
def test_a_bad_form_records_nothing(web: Live, fields: dict[str, str], status: int) -> None:
    c = login(web, "county")
    assert post_done(c, CTY, **fields).status_code == status
    assert completion(web, CTY) is None
    assert changes(web) == []


def test_a_file_name_cannot_leave_the_folder(web: Live) -> None:
    c = login(web, "county")
    assert post_done(c, CTY, files={"file": ("../../../etc/会议.pdf", PDF, "application/pdf")}).status_code == 303
    assert files_of(web, CTY) == ["会议.pdf"]
    assert [p.name for p in (web.root / "data" / "evidence").iterdir()] == [hashlib.sha256(PDF).hexdigest()]


def test_the_window_page_shows_a_waiver_and_links_admins_to_the_waiver_form(web: Live) -> None:
    Waivers(web.service.store).waive(uid=CTY, obligation="t.report", unit="cty", date=dt.date(2025, 2, 28),
                                     reason="上级统一组织", by="admin", at=NOW)
    county = login(web, "county").get(f"/supervision/window/{CTY}")
    assert "上级统一组织" in county.text
    assert 'id="to-waive"' not in county.text
    assert 'id="to-waive"' in login(web, "admin").get(f"/supervision/window/{CTY}").text


def test_the_day_done_is_corrected_on_the_page(web: Live) -> None:
    c = login(web, "county")
    assert post_done(c, CTY, done_on="2025-02-27").status_code == 303
    token = csrf_of(c.get(f"/supervision/window/{CTY}"))
    assert c.post(f"/supervision/window/{CTY}", data={"csrf": token, "action": "redate",
                                                      "done_on": "2025-03-16"}).status_code == 400  # after today
    assert c.post(f"/supervision/window/{CTY}", data={"csrf": token, "action": "redate",
                                                      "done_on": "2025-02-20"}).status_code == 303
    done = completion(web, CTY)
    assert done is not None
    assert str(done["done_on"]) == "2025-02-20"
    assert changes(web) == ["done", "redate"]
    assert c.post(f"/supervision/window/{TOWN_WEEK}", data={"csrf": token, "action": "redate",
                                                           "done_on": "2025-03-12"}).status_code == 400  # not done
