"""Which instance plans: one lock per store, held by the planning instance for as long as it lives.

Every instance serves feeds and dispatches (claims make dispatch exactly-once); planning, the
subscribers' sync and the weekly summary run on one instance only, the holder of this lock.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  kept open while the instance leads. A process that dies, however it dies, ends its session and
  the server releases the lock at once; a machine that vanishes (power, network) is noticed by the
  server's TCP keepalives, set on that session to give up within ``DEAD_PEER_SECONDS``. The key is
  derived from the database and schema, so deployments sharing a server never share a planner.
- SQLite: an exclusive ``flock`` on a file beside the database (``<database>.planner``), released
  by the kernel when its process ends. SQLite serves one machine, so this covers every instance
  that can open the file; an in-memory database has one instance by definition.

Standbys call :meth:`PlannerLock.acquire` every few seconds (``reminders.standby_seconds``); the
holder calls :meth:`PlannerLock.held` before each run, which also notices a lost connection.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from store.db import Store

log = logging.getLogger(__name__)
NAME = "obligation-calendar planner"
DEAD_PEER_SECONDS = 30  # keepalive idle 10 s + 4 probes 5 s apart: a vanished holder's lock is free within this
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 4,
               "tcp_user_timeout": DEAD_PEER_SECONDS * 1000, "connect_timeout": 10}
_SERVER_KEEPALIVES = ("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                      "SET tcp_keepalives_count = 4")


def lock_key(database: str, schema: str) -> int:
    """The advisory lock's 64-bit key for one database and schema (signed, as PostgreSQL's bigint)."""
    digest = hashlib.sha256(f"{NAME}|{database}|{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PlannerLock:
    """The planner's lock on ``store``: :meth:`acquire` without waiting, :meth:`held`, :meth:`release`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None
        self._memory = False
        self._key = 0
        self._mutex = threading.RLock()  # the lead check and a planning run may ask at once, from two threads

    @property
    def holding(self) -> bool:
        """Whether this instance holds the lock as far as it knows (:meth:`held` asks the database)."""
        return self._conn is not None or self._file is not None or self._memory

    def acquire(self) -> bool:
        """Take the lock if it is free; True while this instance holds it (again or still)."""
        with self._mutex:
            if self.holding:
                return self.held()
            try:
                return self._acquire_pg() if self.store.dialect == "postgresql" else self._acquire_sqlite()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("planner lock not taken: %s", exc)
                self.release()
                return False

    def held(self) -> bool:
        """Whether the lock is still ours; a connection that broke loses it (and releases everything)."""
        with self._mutex:
            return self._held()

    def _held(self) -> bool:
        if self._memory or self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            mine = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :k"
            ), {"k": self._key}).scalar_one()
            self._conn.rollback()
        except SQLAlchemyError as exc:
            log.warning("planner lock lost with its connection: %s", exc)
            self.release()
            return False
        if not mine:
            self.release()
        return bool(mine)

    def release(self) -> None:
        """Give the lock up (closing its connection or file releases it in any case)."""
        with self._mutex:
            self._release()

    def _release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
        self._memory = False

    def _acquire_pg(self) -> bool:
        engine = self._engine = create_engine(self.store.engine.url, poolclass=NullPool, connect_args=_KEEPALIVES)
        conn = engine.connect()
        conn.exec_driver_sql(_SERVER_KEEPALIVES)
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        self._key = lock_key(database, schema or "")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar_one()
        conn.commit()  # session locks outlive transactions; nothing stays open on the session
        if not got:
            conn.close()
            engine.dispose()
            self._engine = None
            return False
        self._conn = conn
        return True

    def _acquire_sqlite(self) -> bool:
        database = self.store.engine.url.database
        if database in (None, "", ":memory:"):
            self._memory = True
            return True
        path = Path(database).resolve().with_name(Path(database).name + ".planner")
        handle = path.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode())  # who plans, for a person looking
        handle.flush()
        self._file = handle
        return True


__all__ = ["DEAD_PEER_SECONDS", "PlannerLock", "lock_key"]
