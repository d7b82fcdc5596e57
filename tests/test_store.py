"""The store's contract, run against every backend: SQLite files and the PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from obligations.errors import ConfigurationError
from store import Store, open_store, redact_url
from store.db import MIGRATIONS
from store.event_versions import EventVersions
from store.subscribers import SubscriberStore
from store.tables import reminders, subscribers, subscriptions
from tests.conftest import CliResult

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)

def test_migrations_are_applied_on_open(store: Store, url: str) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == \
            ScriptDirectory.from_config(cfg).get_current_head()
    again = open_store(url)  # a second start finds the schema current and changes nothing
    again.close()


def test_new_events_start_at_sequence_zero(store: Store) -> None:
    versions = EventVersions(store).sync({"a": "h1", "b": "h2"}, T0)
    assert {uid: (v.sequence, v.last_modified) for uid, v in versions.items()} == {"a": (0, T0), "b": (0, T0)}


def test_unchanged_events_keep_their_version(store: Store) -> None:
    ev = EventVersions(store)
    ev.sync({"a": "h1"}, T0)
    later = T0 + dt.timedelta(days=1)
    assert ev.sync({"a": "h1"}, later)["a"].last_modified == T0


def test_a_change_bumps_sequence_and_last_modified_once(store: Store) -> None:
    ev = EventVersions(store)
    ev.sync({"a": "h1", "b": "h2"}, T0)
    later = T0 + dt.timedelta(hours=3)
    changed = ev.sync({"a": "h1-moved", "b": "h2"}, later)
    assert (changed["a"].sequence, changed["a"].last_modified) == (1, later)
    assert (changed["b"].sequence, changed["b"].last_modified) == (0, T0)
    assert ev.sync({"a": "h1-moved"}, later + dt.timedelta(hours=1))["a"].sequence == 1


def test_two_instances_publishing_the_same_change_bump_once(url: str) -> None:
    first, second = open_store(url), open_store(url)
    try:
        EventVersions(first).sync({"a": "h1"}, T0)
        later = T0 + dt.timedelta(hours=1)
        one = EventVersions(first).sync({"a": "h2"}, later)
        two = EventVersions(second).sync({"a": "h2"}, later + dt.timedelta(seconds=5))
        assert one["a"] == two["a"]
        assert two["a"].sequence == 1
    finally:
        first.close()
        second.close()


def test_many_events_in_chunks(store: Store) -> None:
    hashes = {f"uid-{i}": f"h{i}" for i in range(1234)}
    versions = EventVersions(store).sync(hashes, T0)
    assert len(versions) == 1234
    assert all(v.sequence == 0 for v in versions.values())


def test_bad_urls_are_configuration_errors_without_passwords() -> None:
    pass

    with pytest.raises(ConfigurationError) as info:
        open_store("postgresql+psycopg://app:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)
    assert redact_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    with pytest.raises(ConfigurationError, match="is not a database URL"):
        open_store("not a url")


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh-CN", "错误:database_url '<unparsable database URL>' 不是数据库地址;请写成 sqlite:///data/obligations.db 或 "
              "postgresql+psycopg://user@host/db 这样的形式"),
    ("en", "error: database_url '<unparsable database URL>' is not a database URL; "
           "use e.g. sqlite:///data/obligations.db or "
           "postgresql+psycopg://user@host/db"),
])
def test_a_database_url_that_is_not_one_is_said_in_the_readers_language(
        cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, lang: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", "nonsense")
    result = cli("history", "--lang", lang)
    assert (result.code, result.err.strip()) == (2, expected)


# -- the store refuses what the code cannot read (issue 9: one forged button stopped planning) -----------


def _subscriber(conn: sa.Connection) -> int:
    pass

    return conn.execute(sa.insert(subscribers).values(
        name="n", channel="telegram", address="1", language="zh-CN", mode="each", digest_at="08:30", source="self",
        active=True, is_admin=False, created_at=T0).returning(subscribers.c.id)).scalar_one()


def _reminder(n: int, **values: object) -> dict[str, object]:
    return {"key": f"k{n}", "kind": "reminder", "occurrence_uid": "u", "obligation": "ob", "unit": None,
            "occurrence_date": T0.date(), "subscriber_id": None, "channel": "log", "address": "a",
            "language": "zh-CN", "lead_time": "1d", "due_at": T0, "send_after": T0, "status": "pending",
            "attempts": 0, "late": False, "created_at": T0, **values}


def _as_of_0005() -> sa.TableClause:
    """The reminders table before migration 0006 (the current Table would also write its new columns)."""
    return sa.table("reminders", *(sa.column(name) for name in _reminder(0)))


@pytest.mark.parametrize(("table", "values"), [
    ("subscriptions", {"level": "bogus"}),
    ("subscriptions", {"level": "County"}),
    ("reminders", {"status": "bogus"}),
    ("reminders", {"kind": "snooze"}),
])
def test_the_database_refuses_an_invalid_level_status_or_kind(store: Store, table: str,
                                                              values: dict[str, str]) -> None:
    pass

    with store.engine.begin() as conn:
        sid = _subscriber(conn)
        conn.execute(sa.insert(subscriptions).values(subscriber_id=sid, children=False, level="county"))
        conn.execute(sa.insert(reminders).values(**_reminder(0)))
    row = ({"subscriber_id": sid, "children": False, **values} if table == "subscriptions"
           else _reminder(1, **values))
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(subscriptions if table == "subscriptions" else reminders).values(**row))


def test_the_subscriber_store_refuses_an_invalid_level(store: Store) -> None:
    pass

    with store.engine.begin() as conn:
        sid = _subscriber(conn)
    subs = SubscriberStore(store)
    with pytest.raises(ValueError, match="bogus"):
        subs.subscribe(sid, level="bogus")
    assert subs.subscribe(sid, level="county")
    assert subs.subscriptions_of(sid)[0]["level"] == "county"


def test_upgrading_a_damaged_database_repairs_it_first(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Migration 0005 on a database with the rows issue 9 left behind: repaired, then constrained."""


    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        sid = _subscriber(conn)
        for level in ("bogus", "county", None, "bogus"):
            conn.execute(sa.insert(subscriptions).values(subscriber_id=sid, children=False, level=level))
        conn.execute(sa.insert(_as_of_0005()), [_reminder(0), _reminder(1, status="bogus"),
                                                 _reminder(2, kind="weird")])
    engine.dispose()
    with caplog.at_level("WARNING"):
        store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert sorted(str(r[0]) for r in conn.execute(sa.select(subscriptions.c.level))) == ["None", "county"]
            rows = {r.key: r for r in conn.execute(sa.select(reminders))}
        assert sorted(rows) == ["k0", "k1"]
        assert (rows["k0"].status, rows["k1"].status) == ("pending", "failed")
        assert "migration 0005" in rows["k1"].last_error
        assert "deleted 2 subscription(s)" in caplog.text
        assert "deleted 1 reminder(s)" in caplog.text
        # the rebuilt tables (SQLite batch mode) keep their indexes, unique key and foreign key
        inspector = sa.inspect(store.engine)
        assert {i["name"] for i in inspector.get_indexes("reminders")} >= {
            "ix_reminders_status_send_after", "ix_reminders_occurrence"}
        assert inspector.get_foreign_keys("subscriptions")[0]["referred_table"] == "subscribers"
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(reminders).values(**_reminder(5, key="k0")))
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(subscriptions).values(subscriber_id=sid, children=False, level="bogus"))
    finally:
        store.close()
