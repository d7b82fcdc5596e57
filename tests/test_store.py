"""The store's contract, run against every backend: SQLite files and the PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from store import Store, open_store, redact_url
from store.event_versions import EventVersions

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)

def test_migrations_are_applied_on_open(store: Store, url: str) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
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
    from obligations.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        open_store("postgresql+psycopg://app:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)
    assert redact_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    with pytest.raises(ConfigurationError, match="is not a database URL"):
        open_store("not a url")
