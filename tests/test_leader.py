"""The planner lock (store.leader): one holder per store, free again when the holder lets go or its
connection is gone, and a different lock for each PostgreSQL schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store import Store, open_store
from store.leader import PlannerLock, lock_key


def test_one_holder_at_a_time_and_free_after_release(store: Store) -> None:
    first, second = PlannerLock(store), PlannerLock(store)
    try:
        assert first.acquire()
        assert first.held()
        assert first.acquire()  # again: still ours
        assert not second.acquire()
        assert not second.held()
        first.release()
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.slow
@pytest.mark.network
def test_a_lost_connection_loses_the_lock_and_frees_it(postgresql_url: str) -> None:
    """What a killed process or a vanished machine does to its session: the server ends it, the lock
    goes with it, the holder notices at its next check and a standby takes it."""
    store = open_store(postgresql_url)
    holder, standby = PlannerLock(store), PlannerLock(store)
    try:
        assert holder.acquire()
        assert not standby.acquire()
        with store.engine.begin() as conn:
            ended = conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :k"), {"k": holder._key}).scalars().all()
        assert ended == [True]
        assert standby.acquire()
        assert not holder.held()
        assert not holder.acquire()
    finally:
        holder.release()
        standby.release()
        store.close()


def test_each_schema_has_its_own_lock() -> None:
    assert lock_key("test", "t_a") != lock_key("test", "t_b")
    assert lock_key("test", "t_a") == lock_key("test", "t_a")
    assert -2**63 <= lock_key("test", "t_a") < 2**63
