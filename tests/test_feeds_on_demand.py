"""Feeds built on their first request, within a memory budget, on disk, refused when too large (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from calendars.feeds import Selection, build_feed_set
from calendars.ondemand import FeedTooLarge, OnDemandFeeds
from service.feeds import FeedService
from store import open_store
from store.tables import event_versions
from tests.liveserver import FrozenClock
from web.feeds import too_large

ROOT = Path(__file__).resolve().parent.parent
RULES = sorted((ROOT / "rules").glob("*.yaml"))
NOW = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
DUTY = "bz-2024.petition-reception-township"  # every township, weekly
TOWNSHIP, COUNTY = "bz.korla.tuanjie", "bz.korla"  # reached by DUTY / not reached by it


def site(root: Path, feeds: str = "", language: str = "zh-CN") -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    for path in RULES:
        (root / "rules" / path.name).write_bytes(path.read_bytes())
    config = root / "config.yaml"
    config.write_text("timezone: Asia/Shanghai\nrules: [rules/*.yaml]\ndatabase_url: sqlite:///store.db\n"
                      f"language: {language}\nserver: {{public_url: 'http://duties.test'}}\n"
                      f"feeds: {{months_back: 2, months_ahead: 10{feeds}}}\n", encoding="utf-8")
    return config


@pytest.fixture
def service(tmp_path: Path) -> FeedService:
    made = FeedService(site(tmp_path), FrozenClock(NOW))
    yield made
    made.close()


def sequences(body: bytes) -> dict[str, int]:
    """SEQUENCE of each event by UID."""
    out = {}
    for event in body.split(b"BEGIN:VEVENT\r\n")[1:]:
        unfolded = event.replace(b"\r\n ", b"").decode()
        uid = re.search(r"^UID:(.*)\r$", unfolded, re.M)
        seq = re.search(r"^SEQUENCE:(\d+)\r$", unfolded, re.M)
        assert uid
        assert seq
        out[uid.group(1)] = int(seq.group(1))
    return out


@pytest.mark.slow
def test_a_cold_feed_request_builds_only_that_feed_with_the_bytes_of_a_full_build(service: FeedService) -> None:
    feeds = service.feeds
    assert isinstance(feeds, OnDemandFeeds)
    assert (feeds.builds, feeds.events_built) == (0, 0)  # starting builds nothing
    feed = feeds.feed(Selection("unit", COUNTY))
    assert (feeds.builds, feeds.events_built) == (1, feed.events)
    assert feeds.feed(Selection("unit", COUNTY)) is feed  # the second request is served from memory
    assert feeds.builds == 1
    full = build_feed_set(feeds.snapshot, feeds.first, feeds.last, versions=service.versions.sync, now=NOW,
                          base_url=service.public_url, lang=feeds.lang, refresh=feeds.refresh)
    for selection in (Selection("unit", COUNTY), Selection("unit", COUNTY, children=True), Selection("all"),
                      Selection("obligation", DUTY), Selection("level", "township")):
        for shape in ("due", "span"):
            assert feeds.feed(selection, shape=shape).body == full.feed(selection, shape=shape).body, selection
    assert feeds.feed(Selection("unit", COUNTY), "私人").body == full.feed(Selection("unit", COUNTY), "私人").body


@pytest.mark.slow
def test_the_memory_budget_evicts_the_least_recently_used_feed(service: FeedService) -> None:
    probe = service.feeds.feed(Selection("unit", COUNTY))
    size = len(probe.body) + len(probe.gzipped)
    feeds = OnDemandFeeds(service.feeds.snapshot, service.feeds.first, service.feeds.last,
                          versions=service.versions.sync, clock=service.clock, base_url=service.public_url,
                          lang="zh-CN", refresh=dt.timedelta(hours=1), budget=int(size * 2.5), max_units=1000)
    for unit in (COUNTY, "bz.luntai", "bz.yuli"):
        feeds.feed(Selection("unit", unit))
    assert feeds.builds == 3
    assert [key[0].key for key in feeds.cached()] == ["bz.luntai", "bz.yuli"]
    assert feeds.held_bytes <= feeds.budget
    feeds.feed(Selection("unit", "bz.luntai"))  # still held: no build, and now the most recently used
    assert feeds.builds == 3
    feeds.feed(Selection("unit", COUNTY))  # evicted: built again, and the least recently used goes
    assert feeds.builds == 4
    assert [key[0].key for key in feeds.cached()] == ["bz.luntai", COUNTY]


@pytest.mark.slow
def test_a_change_to_one_duty_reversions_only_its_events_and_keeps_feeds_it_does_not_reach(
        service: FeedService) -> None:
    """A new title for the weekly township receptions: the township's feed is built again with SEQUENCE 1 on
    those events only; the county's feed, which that duty does not reach, is kept as built."""
    county = service.feeds.feed(Selection("unit", COUNTY))
    before = sequences(service.feeds.feed(Selection("unit", TOWNSHIP)).body)
    assert set(before.values()) == {0}
    rules = service.live.current.loaded.base_dir / "rules" / "000-bayingolin-2024.yaml"
    text = rules.read_text(encoding="utf-8")
    changed = re.sub(rf"(- id: {re.escape(DUTY)}\n    title: )", r"\1(已调整)", text, count=1)
    assert changed != text
    rules.write_text(changed, encoding="utf-8")
    assert service.reload()
    feeds = service.feeds
    assert feeds.feed(Selection("unit", COUNTY)) is county  # kept: nothing it shows changed
    assert feeds.builds == 0
    after = sequences(feeds.feed(Selection("unit", TOWNSHIP)).body)
    assert feeds.builds == 1
    assert after.keys() == before.keys()
    bumped = {uid for uid, seq in after.items() if seq == 1}
    assert bumped
    assert all(uid.startswith(DUTY + "/") for uid in bumped)
    assert {uid for uid in after if uid.startswith(DUTY + "/")} == bumped
    assert all(seq == 0 for uid, seq in after.items() if uid not in bumped)


@pytest.mark.slow
@pytest.mark.parametrize(("language", "words"), [("zh-CN", "超过单个日历的上限20个"),
                                                 ("en", "more than the 20 one feed")])
def test_feeds_over_the_unit_cap_are_refused_with_a_feed_to_use(tmp_path: Path, language: str, words: str) -> None:
    service = FeedService(site(tmp_path, ", max_units: 20", language), FrozenClock(NOW))
    try:
        feeds = service.feeds
        for selection in (Selection("all"), Selection("level", "department"), Selection("obligation", DUTY),
                          Selection("unit", "bz", children=True)):
            with pytest.raises(FeedTooLarge) as caught:
                feeds.feed(selection)
            answer = too_large(service, caught.value)
            assert answer.status_code == 403
            assert words in answer.body.decode()
            assert "http://duties.test/feeds/unit/" in answer.body.decode()
        assert feeds.builds == 0  # refused before anything was expanded or written
        assert feeds.feed(Selection("unit", "bz.korla", children=True)).events > 0  # 5 units: served
    finally:
        service.close()


@pytest.mark.slow
def test_a_restart_serves_built_feeds_from_disk(tmp_path: Path, url: str) -> None:
    config = site(tmp_path, ", cache_dir: data/feeds")
    first = FeedService(config, FrozenClock(NOW), store=open_store(url))
    try:
        built = first.feeds.feed(Selection("unit", COUNTY))
    finally:
        first.close()
    assert len(list((tmp_path / "data" / "feeds").glob("*.ics"))) == 1
    second = FeedService(config, FrozenClock(NOW + dt.timedelta(hours=2)), store=open_store(url))
    try:
        again = second.feeds.feed(Selection("unit", COUNTY))
        assert (second.feeds.builds, second.feeds.disk_hits) == (0, 1)
        assert (again.body, again.etag, again.last_modified) == (built.body, built.etag, built.last_modified)
    finally:
        second.close()


def retitle(config: Path, title: str) -> None:
    """Rules version B (DUTY retitled) or, with "", version A again: the same bytes as before."""
    rules = config.parent / "rules" / "000-bayingolin-2024.yaml"
    original = (ROOT / "rules" / "000-bayingolin-2024.yaml").read_text(encoding="utf-8")
    changed = re.sub(rf"(- id: {re.escape(DUTY)}\n    title: )", rf"\1{title}", original, count=1)
    assert changed != original or not title
    rules.write_text(changed, encoding="utf-8")


def duty_sequences(body: bytes) -> set[int]:
    return {seq for uid, seq in sequences(body).items() if uid.startswith(DUTY + "/")}


@pytest.mark.slow
def test_rules_a_b_a_serve_the_stores_current_sequence_not_the_first_builds_file(tmp_path: Path, url: str) -> None:
    """A -> B -> A with a disk folder: the file written under A shows SEQUENCE 0, the store has since bumped
    DUTY's events to 1 (B) and, on A's bytes again, to 2. Serving the file would hand calendars that kept B's
    SEQUENCE 1 an older event, which they ignore (RFC 5545: the higher SEQUENCE wins)."""
    config = site(tmp_path, ", cache_dir: data/feeds")
    clock = FrozenClock(NOW)
    service = FeedService(config, clock, store=open_store(url))
    try:
        assert duty_sequences(service.feeds.feed(Selection("unit", TOWNSHIP)).body) == {0}
        for title, expected in (("(已调整)", 1), ("", 2)):
            retitle(config, title)
            clock.advance(hours=1)
            assert service.reload()
            served = service.feeds.feed(Selection("unit", TOWNSHIP))
            assert duty_sequences(served.body) == {expected}, title
            assert (service.feeds.builds, service.feeds.disk_hits) == (1, 0)
    finally:
        service.close()
    restarted = FeedService(config, FrozenClock(NOW + dt.timedelta(hours=3)), store=open_store(url))
    try:  # the store still shows what the rewritten file shows: read from disk, not built
        again = restarted.feeds.feed(Selection("unit", TOWNSHIP))
        assert (restarted.feeds.builds, restarted.feeds.disk_hits) == (0, 1)
        assert (again.body, again.etag) == (served.body, served.etag)
    finally:
        restarted.close()


@pytest.mark.slow
def test_a_reset_store_does_not_serve_the_old_files_versions(tmp_path: Path, url: str) -> None:
    """A new, empty store behind the same disk folder: the file's versions are no longer the store's, so the
    feed is built again, and the store and the feed agree on every event's LAST-MODIFIED."""
    config = site(tmp_path, ", cache_dir: data/feeds")
    first = FeedService(config, FrozenClock(NOW), store=open_store(url))
    try:
        old = first.feeds.feed(Selection("unit", COUNTY))
        with first.store.engine.begin() as conn:  # the store reset: no version history at all
            conn.execute(event_versions.delete())
    finally:
        first.close()
    later = NOW + dt.timedelta(days=1)
    second = FeedService(config, FrozenClock(later), store=open_store(url))
    try:
        served = second.feeds.feed(Selection("unit", COUNTY))
        assert (second.feeds.builds, second.feeds.disk_hits) == (1, 0)
        assert served.body != old.body
        assert served.last_modified == later
        third = FeedService(config, FrozenClock(later), store=open_store(url))
        try:  # the rebuilt file is the store's again
            assert third.feeds.feed(Selection("unit", COUNTY)).body == served.body
            assert (third.feeds.builds, third.feeds.disk_hits) == (0, 1)
        finally:
            third.close()
    finally:
        second.close()


@pytest.mark.slow
def test_a_file_without_recorded_versions_is_built_again(tmp_path: Path) -> None:
    """A file from before versions were recorded (its header has none): nothing to check, so built again."""
    config = site(tmp_path, ", cache_dir: data/feeds")
    first = FeedService(config, FrozenClock(NOW))
    try:
        built = first.feeds.feed(Selection("unit", COUNTY))
    finally:
        first.close()
    [path] = (tmp_path / "data" / "feeds").glob("*.ics")
    head, _, body = path.read_bytes().partition(b"\n")
    meta = json.loads(head)
    del meta["uids"], meta["versions"]
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)
    second = FeedService(config, FrozenClock(NOW))
    try:
        assert second.feeds.feed(Selection("unit", COUNTY)).body == built.body
        assert (second.feeds.builds, second.feeds.disk_hits) == (1, 0)
        assert "versions" in json.loads(path.read_bytes().partition(b"\n")[0])  # rewritten with them
    finally:
        second.close()


@pytest.mark.slow
@pytest.mark.network
def test_two_instances_on_one_postgresql_serve_the_same_bytes(tmp_path: Path, postgresql_url: str) -> None:
    """Two services (two machines) on one store, each building on its own request and clock: every feed is
    byte-identical (same ETag) whichever builds it first, before and after a change both reload."""
    config = site(tmp_path)
    clock_a, clock_b = FrozenClock(NOW), FrozenClock(NOW + dt.timedelta(minutes=7))
    a = FeedService(config, clock_a, store=open_store(postgresql_url))
    b = FeedService(config, clock_b, store=open_store(postgresql_url))
    try:
        for first, second in ((a, b), (b, a)):
            for unit in (COUNTY, TOWNSHIP) if first is a else ("bz.luntai", "bz.luntai.lunnan"):
                built = first.feeds.feed(Selection("unit", unit))
                assert second.feeds.feed(Selection("unit", unit)).body == built.body
                assert second.feeds.feed(Selection("unit", unit)).etag == built.etag
        rules = tmp_path / "rules" / "000-bayingolin-2024.yaml"
        text = rules.read_text(encoding="utf-8")
        rules.write_text(re.sub(rf"(- id: {re.escape(DUTY)}\n    title: )", r"\1(已调整)", text, count=1),
                         encoding="utf-8")
        clock_a.advance(hours=1)
        clock_b.advance(hours=1)
        assert a.reload()
        assert b.reload()
        changed_b = b.feeds.feed(Selection("unit", TOWNSHIP))  # b builds first this time
        changed_a = a.feeds.feed(Selection("unit", TOWNSHIP))
        assert (changed_a.body, changed_a.etag) == (changed_b.body, changed_b.etag)
        assert 1 in sequences(changed_a.body).values()  # bumped once, not once per instance
        assert 2 not in sequences(changed_a.body).values()
    finally:
        a.close()
        b.close()
