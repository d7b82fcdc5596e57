"""The HTTP service over real HTTP on loopback: feeds, caching, errors, reloads."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obligations.config import SubscriberConfig, SubscriptionConfig
from scheduler.planner import Subscription, plan
from service.engine import ReminderEngine
from store import links
from store.history import History
from store.reminders import ReminderStore
from tests.conftest import DATA
from tests.liveserver import FrozenClock, Live, make_site, running
from tests.test_dispatch import Recorder

pytestmark = pytest.mark.network

SAMPLE = DATA / "rules" / "sample.yaml"
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with running(make_site(tmp_path, [SAMPLE]), FrozenClock(NOW)) as server:
        yield server


def get(live: Live, path: str, **headers: str) -> httpx.Response:
    return httpx.get(live.url + path, headers={"Accept-Encoding": "identity", **headers}, timeout=10)


def events(body: bytes) -> dict[str, icalendar.Event]:
    return {str(ev["UID"]): ev for ev in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_healthz(live: Live) -> None:
    r = get(live, "/healthz")
    assert r.status_code == 200
    assert r.json()["rules_version"] == 1
    assert r.json()["rules_problems"] == 0


def test_feed_headers_and_content(live: Live) -> None:
    r = get(live, "/feeds/unit/cty.ics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["etag"].startswith('"')
    assert r.headers["last-modified"] == "Sat, 15 Mar 2025 01:00:00 GMT"
    cal = icalendar.Calendar.from_ical(r.content)
    assert str(cal["X-WR-CALNAME"]) == "法定职责日历 · 测试县人民政府"
    assert str(cal["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    assert "X-PUBLISHED-TTL:PT1H" in r.text
    report = events(r.content)["t.report/cty/2025@obligation-calendar"]
    assert report.decoded("DTSTART") == dt.date(2025, 2, 28)
    assert report.decoded("DTEND") == dt.date(2025, 3, 1)
    assert int(report["SEQUENCE"]) == 0
    assert report.decoded("DTSTAMP") == NOW
    assert report.decoded("LAST-MODIFIED") == NOW
    assert str(report["URL"]) == "http://duties.test/obligation/t.report"
    assert "http://duties.test/obligation/t.report" in str(report["DESCRIPTION"])
    # reminders 7d and 1d before an all-day deadline: 09:00 local, 7 days and 1 day before
    triggers = sorted(str(a["TRIGGER"].to_ical().decode()) for a in report.walk("VALARM"))
    assert triggers == ["-P6DT15H", "-PT15H"]  # 09:00 on 21 Feb and on 27 Feb


def test_conditional_requests_and_gzip(live: Live) -> None:
    first = get(live, "/feeds/all.ics")
    again = get(live, "/feeds/all.ics", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = get(live, "/feeds/all.ics", **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    older = get(live, "/feeds/all.ics", **{"If-Modified-Since": "Fri, 14 Mar 2025 00:00:00 GMT"})
    assert older.status_code == 200
    raw = httpx.get(live.url + "/feeds/all.ics", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["etag"] != first.headers["etag"]  # a different representation, a different tag
    assert raw.content == first.content  # httpx decoded it; the bytes are the same feed
    with httpx.stream("GET", live.url + "/feeds/all.ics", headers={"Accept-Encoding": "gzip"}) as s:
        compressed = b"".join(s.iter_raw())
    assert gzip.decompress(compressed) == first.content
    assert len(compressed) < len(first.content) / 3


def test_every_feed_kind(live: Live) -> None:
    for path in ["/feeds/all.ics", "/feeds/unit/pref.ics?children=1", "/feeds/level/township.ics",
                 "/feeds/obligation/t.report.ics"]:
        r = get(live, path)
        assert r.status_code == 200, path
        assert events(r.content), path
    with_children = events(get(live, "/feeds/unit/pref.ics?children=1").content)
    alone = events(get(live, "/feeds/unit/pref.ics").content)
    assert set(alone) < set(with_children)
    assert any("/cty.town/" in uid for uid in with_children)


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/feeds/unit/cty.twn.ics", 404, "未知的单位 'cty.twn';是否应为 'cty.town'?"),
    ("/feeds/level/city.ics", 404, "未知的层级 'city'"),
    ("/feeds/obligation/t.reprt.ics", 404, "是否应为 't.report'?"),
    ("/feeds/unit/cty.ics?children=maybe", 400, "children 只能是 0 或 1,不能是 'maybe'"),
    ("/feeds/unit/cty.ics?windows=week", 400, "windows 只能是 due 或 span,不能是 'week'"),
    ("/feeds/t/not-a-token.ics", 404, "未知的订阅链接"),
    ("/feeds/nothing", 404, ""),
    ("/unit/cty.twn?lang=en", 404, "did you mean &#39;cty.town&#39;?"),
    ("/unit/cty.twn", 404, "未找到单位“cty.twn”。您是否要找“cty.town”?"),
    ("/obligation/nope?lang=en", 404, "duty"),
    ("/obligation/nope", 404, "未找到事项“nope”"),
    ("/unit/cty?year=next&lang=en", 400, "year must be a year"),
    ("/unit/cty?year=next", 400, "年份应为四位数字"),
    ("/unit/cty?lang=fr", 400, "lang 只能是 zh-CN 或 en"),
])
def test_bad_requests_are_4xx_with_a_helpful_body(live: Live, path: str, status: int, text: str) -> None:
    r = get(live, path)
    assert r.status_code == status
    assert text in r.text
    assert "Traceback" not in r.text


def test_year_without_holiday_data_is_a_400_not_a_500(live: Live) -> None:
    r = get(live, "/unit/cty?year=2030")
    assert r.status_code == 400
    assert "2030年没有官方节假日数据" in r.text  # the page's language (issue 10, item 7)
    assert "no official holiday data for 2030" in get(live, "/unit/cty?year=2030&lang=en").text


@pytest.mark.slow  # over half a second
def test_uids_and_bytes_stable_across_a_restart(tmp_path: Path) -> None:
    config = make_site(tmp_path, [SAMPLE])
    with running(config, FrozenClock(NOW)) as first:
        before = get(first, "/feeds/all.ics")
    later = FrozenClock(NOW + dt.timedelta(hours=5))  # a restart later the same day
    with running(config, later) as second:
        after = get(second, "/feeds/all.ics")
    assert after.content == before.content
    assert after.headers["etag"] == before.headers["etag"]


def test_sequence_bumps_when_a_date_moves(live: Live) -> None:
    uid = "t.reception-prefecture/pref/2025-Q2@obligation-calendar"
    before = events(get(live, "/feeds/unit/pref.ics").content)[uid]
    assert before.decoded("DTSTART") == dt.date(2025, 6, 30)  # Q2's last working day, Mon 30 Jun 2025
    rules = live.root / "rules" / "sample.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "    schedule: {type: quota, count: 1, per: quarter, unit: day}",
        "    schedule: {type: quota, count: 1, per: quarter, unit: day}\n"
        "    exceptions: [{move: 2025-06-30, to: 2025-04-03, note: 州委全会}]"), encoding="utf-8")
    live.clock.advance(hours=2)
    assert live.service.reload()
    after_feed = events(get(live, "/feeds/unit/pref.ics").content)
    after = after_feed[uid]
    assert after.decoded("DTSTART") == dt.date(2025, 4, 3)
    assert int(after["SEQUENCE"]) == 1
    assert after.decoded("LAST-MODIFIED") == NOW + dt.timedelta(hours=2)
    assert "州委全会" in str(after["DESCRIPTION"])
    untouched = after_feed["t.reception-prefecture/pref/2025-Q3@obligation-calendar"]
    assert int(untouched["SEQUENCE"]) == 0
    assert untouched.decoded("LAST-MODIFIED") == NOW


def test_broken_yaml_keeps_the_last_good_rules(live: Live) -> None:
    good = get(live, "/feeds/all.ics")
    rules = live.root / "rules" / "sample.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("per: week", "per: weak"), encoding="utf-8")
    assert not live.service.reload()
    assert get(live, "/feeds/all.ics").content == good.content
    health = get(live, "/healthz").json()
    assert health["rules_version"] == 1
    assert health["rules_problems"] == 1
    page = get(live, "/").text
    assert "rules/sample.yaml:" in page
    assert "per:&#39;weak&#39; 不是以下之一" in page  # the problems in the reader's language
    assert "仍在使用第1版规则" in page


@pytest.mark.slow  # over half a second
def test_the_watcher_reloads_on_save(tmp_path: Path) -> None:
    with running(make_site(tmp_path, [SAMPLE]), FrozenClock(NOW), watch=True) as live:
        rules = live.root / "rules" / "sample.yaml"
        rules.write_text(rules.read_text(encoding="utf-8").replace("title: 乡镇领导干部接访", "title: 乡镇接访日"),
                         encoding="utf-8")
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while get(live, "/healthz").json()["rules_version"] < 2:  # waits for the reload, bounded
            assert dt.datetime.now() < deadline, "the rules were not reloaded after the file changed"
        assert "乡镇接访日" in get(live, "/feeds/unit/cty.town.ics").text


def test_private_feeds_by_token_and_no_public_feeds(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pass

    token = "s3cret-token-for-tests"
    digest = hashlib.sha256(token.encode()).hexdigest()
    extra = ("feeds: {public: false, months_back: 2, months_ahead: 10, private: "
             f"[{{name: 测试县值班, token_sha256: {digest}, unit: cty, children: true}}]}}\n")
    config = make_site(tmp_path, [SAMPLE])
    config.write_text(config.read_text(encoding="utf-8").replace(
        "feeds: {months_back: 2, months_ahead: 10}\n", extra), encoding="utf-8")
    caplog.set_level(logging.INFO, logger="calendars.access")
    with running(config, FrozenClock(NOW)) as live:
        private = get(live, f"/feeds/t/{token}.ics")
        assert private.status_code == 200
        assert private.headers["cache-control"].startswith("private")
        uids = set(events(private.content))
        assert any("/cty.town/" in u for u in uids)
        assert any("/cty/" in u for u in uids)
        assert get(live, "/feeds/unit/cty.ics").status_code == 403
    assert token not in caplog.text
    assert "/feeds/t/<token> 200" in caplog.text


def test_head_requests(live: Live) -> None:
    r = httpx.head(live.url + "/feeds/all.ics", timeout=10)
    assert r.status_code == 200
    assert r.headers["etag"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=40),
       prefix=st.sampled_from(["/feeds/unit/", "/feeds/level/", "/feeds/obligation/", "/feeds/t/", "/unit/",
                               "/obligation/", "/qr/unit/", "/"]),
       suffix=st.sampled_from(["", ".ics", ".svg", "?children=1", "?year=2025", "?year=-1", "?lang=en"]))
@pytest.mark.slow
def test_no_path_gives_a_server_error(live: Live, segment: str, prefix: str, suffix: str) -> None:
    pass

    r = httpx.get(live.url + prefix + quote(segment, safe="") + suffix, timeout=10)
    assert r.status_code < 500, (prefix, segment, suffix, r.text[:200])
    assert "Traceback" not in r.text


def test_mark_done_through_the_signed_link_in_a_reminder(live: Live) -> None:


    service = live.service
    snapshot = service.feeds.snapshot
    config = snapshot.loaded.config.model_copy(update={"subscribers": [SubscriberConfig(
        name="县政府办公室", channel="test", address="cty-office",
        subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"])])]})
    snap = snapshot.__class__(snapshot.version, snapshot.loaded.__class__(config, snapshot.loaded.path),
                              snapshot.rules, snapshot.calendar, snapshot.tz, snapshot.loaded_at)
    clock = [dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)]
    channel = Recorder()
    engine = ReminderEngine(lambda: snap, ReminderStore(service.store), {"test": channel}, clock=lambda: clock[0],
                            instance="t", base_url=live.url)
    engine.sync_subscribers()
    engine.plan()
    clock[0] = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    asyncio.run(engine.dispatch())
    link = re.search(r"(http://\S+/done/\d+\?s=[0-9a-f]+)", channel.sent[0].text).group(1)

    form = httpx.get(link, timeout=10)
    assert form.status_code == 200
    assert 'id="done-form"' in form.text
    assert "将记录为:县政府办公室" in form.text
    assert httpx.get(link[:-4] + "0000", timeout=10).status_code == 403  # a forged signature
    reminder_id = int(link.split("/done/")[1].split("?")[0])
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # what a browser sends: the form's
    done = httpx.post(link.split("?")[0], data={"s": link.split("s=")[1], "csrf": csrf, "note": "已报送",
                                                "evidence": "https://example.org/report.pdf"},
                      headers={"Origin": live.url}, timeout=10)  # fields, and the page's origin
    assert done.status_code == 200
    assert "已由 县政府办公室 于" in done.text
    completion = ReminderStore(service.store).completion("t.report/cty/2026")
    assert completion["note"] == "已报送"
    assert completion["evidence_url"] == "https://example.org/report.pdf"
    assert ReminderStore(service.store).get(reminder_id)["status"] == "sent"
    page = httpx.get(live.url + "/unit/cty?year=2026", timeout=10).text
    assert "✓ 已完成" in page


def test_unit_page_colours_deadlines(live: Live) -> None:
    """Yellow from the duty's last reminder (1d before), red once overdue and not done (clock: 15 Mar 2025)."""
    page = get(live, "/unit/cty?year=2025").text
    assert 'class="red" data-uid="t.report/cty/2025"' in page  # due 28 Feb, not marked done
    assert "已逾期" in page


_LEAD_TIME_RULES = """\
version: 1
document: {id: t-lead, title: 提前量测试}
units:
  - {id: cty, name: 测试县人民政府, level: county}
obligations:
  - id: t.wd
    title: 国庆后第一周报送
    applies_to: [cty]
    reminders: [3wd]
    source: {quote: 10月9日前报送}
    schedule: {type: once, date: 2025-10-09}
  - id: t.h
    title: 当天上午报送
    applies_to: [cty]
    reminders: [2h]
    source: {quote: 10月9日报送}
    schedule: {type: once, date: 2025-10-09}
"""


def test_page_colours_counted_3wd_as_calendar_days_and_ignored_hours(tmp_path: Path) -> None:
    """Regression: the unit page's yellow ("due soon") started ``3wd`` three calendar days before the
    deadline and never for ``2h``, while the engine counts working days on the unit's calendar and
    hours from 09:00. Due Thursday 9 October 2025, after the National Day days off (1-8 October):
    the engine reminds on Sunday 28 September (a make-up working day) and on 9 October at 07:00;
    the page must turn yellow on exactly those days, not on 6 October (a holiday) or never.
    """
    rules = tmp_path / "lead.yaml"
    rules.write_text(_LEAD_TIME_RULES, encoding="utf-8")
    clock = FrozenClock(dt.datetime(2025, 9, 1, 1, 0, tzinfo=dt.UTC))
    with running(make_site(tmp_path / "site", [rules]), clock) as live:
        snapshot = live.service.feeds.snapshot
        expander = snapshot.expander()
        occurrences = expander.expand(dt.date(2025, 9, 1), dt.date(2025, 10, 31)).occurrences
        planned = plan(occurrences, [Subscription(1, "log", "a", unit="cty")], rules=snapshot.rules,
                       tz=snapshot.tz, workdays_before=lambda occ: expander.calendar_for(occ).workdays_before,
                       done=set(), now=clock.now, until=dt.datetime(2025, 12, 31, tzinfo=dt.UTC))
        fires = {p.obligation: p.due_at.astimezone(snapshot.tz).date() for p in planned}
        assert fires == {"t.wd": dt.date(2025, 9, 28), "t.h": dt.date(2025, 10, 9)}

        def colour(uid: str, day: dt.date) -> str:
            clock.now = dt.datetime.combine(day, dt.time(12, 0), snapshot.tz)
            page = get(live, "/unit/cty?year=2025").text
            return re.search(rf'class="(\w+)" data-uid="{re.escape(uid)}"', page).group(1)

        for uid, obligation in (("t.wd/cty/2025-10-09", "t.wd"), ("t.h/cty/2025-10-09", "t.h")):
            fired = fires[obligation]
            assert colour(uid, fired - dt.timedelta(days=1)) == "normal", uid
            assert colour(uid, fired) == "yellow", uid


# -- "mark done" links: expiry, origin and CSRF checks (issue 9, item 7) ---------------------------------


def _sent_done_link(live: Live, extra_config: str = "") -> tuple[str, int]:
    """A reminder for 县政府办公室 sent through a recording channel; its done link and the reminder id.

    The duty is t.report for cty, due 28 Feb 2026; the clock is left on 27 Feb 2026, 09:00 local.
    """


    service = live.service
    if extra_config:
        config = live.root / "config.yaml"
        config.write_text(config.read_text(encoding="utf-8") + extra_config, encoding="utf-8")
        assert service.reload()
    snapshot = service.feeds.snapshot
    config = snapshot.loaded.config.model_copy(update={"subscribers": [SubscriberConfig(
        name="县政府办公室", channel="test", address="cty-office",
        subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"])])]})
    snap = snapshot.__class__(snapshot.version, snapshot.loaded.__class__(config, snapshot.loaded.path),
                              snapshot.rules, snapshot.calendar, snapshot.tz, snapshot.loaded_at)
    live.clock.now = dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)
    channel = Recorder()
    engine = ReminderEngine(lambda: snap, ReminderStore(service.store), {"test": channel}, clock=live.clock,
                            instance="t", base_url=live.url)
    engine.sync_subscribers()
    engine.plan()
    live.clock.now = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)
    asyncio.run(engine.dispatch())
    link = re.search(r"(http://\S+/done/\d+\?s=[0-9a-f]+)", channel.sent[0].text).group(1)
    return link, int(link.split("/done/")[1].split("?")[0])


def _form_fields(live: Live, link: str) -> dict[str, str]:
    pass

    page = httpx.get(link, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    return {"s": link.split("s=")[1], "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
            "note": "已报送"}


def _completion(live: Live) -> object:
    pass

    return ReminderStore(live.service.store).completion("t.report/cty/2026")


def test_done_link_expires_30_days_after_the_duty(live: Live) -> None:
    """Done links used to work forever; now until reminders.done_link_days (default 30) after the duty's date."""
    link, _ = _sent_done_link(live)
    fields = _form_fields(live, link)
    assert "此链接有效期至 2026-03-30" in httpx.get(link, timeout=10).text  # due 28 Feb + 30 days
    live.clock.now = dt.datetime(2026, 3, 30, 15, 59, tzinfo=dt.UTC)  # 23:59 on the last day, local time
    assert httpx.get(link, timeout=10).status_code == 200
    live.clock.now = dt.datetime(2026, 3, 30, 16, 0, tzinfo=dt.UTC)  # the next day
    expired = httpx.get(link, timeout=10)
    assert expired.status_code == 410
    assert "此链接已于 2026-03-30 过期" in expired.text
    assert "expired on 2026-03-30" in httpx.get(link + "&lang=en", timeout=10).text
    posted = httpx.post(link.split("?")[0], data=fields, headers={"Origin": live.url}, timeout=10)
    assert posted.status_code == 410
    assert _completion(live) is None  # nothing recorded


def test_done_link_days_is_configurable(live: Live) -> None:
    """reminders.done_link_days: 0 ends the link with the duty's own date, read at each request."""
    link, _ = _sent_done_link(live, "reminders: {done_link_days: 0}\n")
    live.clock.now = dt.datetime(2026, 2, 28, 15, 59, tzinfo=dt.UTC)  # 23:59 on 28 Feb, the duty's date
    assert httpx.get(link, timeout=10).status_code == 200
    live.clock.now = dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)  # 1 March, local time
    assert httpx.get(link, timeout=10).status_code == 410


@pytest.mark.parametrize(("headers", "why"), [
    ({"Origin": "http://evil.example"}, "another site's page"),
    ({"Origin": "null"}, "an opaque origin (a sandboxed frame, a data: URL)"),
    ({}, "no Origin and no Referer"),
    ({"Referer": "http://evil.example/done/1"}, "another site's Referer"),
    ({"Origin": "http://duties.test.evil.example"}, "a host that only starts like ours"),
])
def test_done_post_from_elsewhere_is_refused(live: Live, headers: dict[str, str], why: str) -> None:
    """The done POST had no origin check: a page elsewhere could post the form. Now 403, nothing recorded."""
    link, _ = _sent_done_link(live)
    fields = _form_fields(live, link)
    refused = httpx.post(link.split("?")[0], data=fields, headers=headers, timeout=10)
    assert refused.status_code == 403, why
    assert "此表单只能从本站的页面提交,未作任何记录" in refused.text
    assert _completion(live) is None


def test_done_post_needs_this_reminders_fresh_csrf_token(live: Live) -> None:
    """The done POST had no CSRF token: now the form's token, for this reminder, at most a day old."""


    link, reminder_id = _sent_done_link(live)
    fields = _form_fields(live, link)
    origin = {"Origin": live.url}
    url = link.split("?")[0]
    key = links.signing_key(live.service.store)
    other = links.csrf_token(key, reminder_id + 1, "cty-office", live.clock())
    spoiled = fields["csrf"][:-1] + ("1" if fields["csrf"].endswith("0") else "0")
    for token in ["", "x", "²", "1.abc", other, spoiled, "9" * 5000 + "." + "0" * 32]:
        refused = httpx.post(url, data={**fields, "csrf": token}, headers=origin, timeout=10)
        assert refused.status_code == 403, token
        assert "此表单已失效" in refused.text
    live.clock.advance(hours=25)  # a form left open for more than a day
    assert httpx.post(url, data=fields, headers=origin, timeout=10).status_code == 403
    assert _completion(live) is None
    fresh = _form_fields(live, link)  # reloading the page gives a new token
    same_site = {"Referer": live.url + "/done/1"}  # a browser that sends only the Referer
    done = httpx.post(url, data=fresh, headers=same_site, timeout=10)
    assert done.status_code == 200, done.text
    assert re.search("已由 县政府办公室 于", done.text)
    assert _completion(live)["note"] == "已报送"


def test_done_post_from_the_public_url_is_accepted(live: Live) -> None:
    """Behind a proxy the Origin is server.public_url, not the host the request reached."""
    link, _ = _sent_done_link(live)
    done = httpx.post(link.split("?")[0], data=_form_fields(live, link), headers={"Origin": "http://duties.test"},
                      timeout=10)
    assert done.status_code == 200
    assert _completion(live) is not None


def test_healthz_reports_ok_with_no_reasons(live: Live) -> None:
    body = get(live, "/healthz").json()
    assert (body["status"], body["reasons"], body["rules_failed_at"]) == ("ok", [], None)
    assert body["channels"] == {}  # this test app has no reminder engine


def test_the_done_form_asks_for_the_day_and_offers_undo(live: Live) -> None:
    """The form's day: a date input, today (Beijing time) by default, not after today nor a year before the
    duty; once done the page offers undo, a POST with the same origin and CSRF checks. Both are in the
    history, door web."""
    link, _ = _sent_done_link(live)  # the clock: 27 Feb 2026, 09:00 local; the duty's date 28 Feb
    page = httpx.get(link, timeout=10).text
    day_input = re.search(r'<input name="done_on" type="date"[^>]*>', page).group(0)
    assert 'value="2026-02-27"' in day_input
    assert 'max="2026-02-27"' in day_input
    assert 'min="2025-02-27"' in day_input  # 366 days before the duty's date
    url, origin = link.split("?")[0], {"Origin": live.url}
    for day, status in (("2026-02-28", 400), ("2024-01-01", 400), ("27.02.2026", 400), ("２026-02-27", 400)):
        refused = httpx.post(url, data={**_form_fields(live, link), "done_on": day}, headers=origin, timeout=10)
        assert refused.status_code == status, day
        assert "未作任何记录" in refused.text
    assert _completion(live) is None
    done = httpx.post(url, data={**_form_fields(live, link), "done_on": "2026-02-25"}, headers=origin, timeout=10)
    assert done.status_code == 200, done.text
    assert "完成日期:2026-02-25" in done.text
    assert 'id="undo-form"' in done.text
    assert _completion(live)["done_on"] == dt.date(2026, 2, 25)
    undo = {**_form_fields(live, link), "action": "undo"}
    assert httpx.post(url, data=undo, headers={"Origin": "http://evil.example"}, timeout=10).status_code == 403
    assert httpx.post(url, data={**undo, "csrf": "x"}, headers=origin, timeout=10).status_code == 403
    assert _completion(live) is not None
    undone = httpx.post(url, data=undo, headers=origin, timeout=10)
    assert undone.status_code == 200
    assert "已撤销完成标记" in undone.text
    assert 'id="done-form"' in undone.text
    assert _completion(live) is None
    entries = History(live.service.store).entries(uid="t.report/cty/2026")
    assert [(e["action"], e["door"], e["actor"], e["done_on"]) for e in entries] == [
        ("done", "web", "县政府办公室", dt.date(2026, 2, 25)), ("undo", "web", "县政府办公室", dt.date(2026, 2, 25))]
