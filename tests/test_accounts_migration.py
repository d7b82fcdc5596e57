"""Migration 0009 (accounts, login attempts, evidence; the wider history) both ways, on every backend."""

from __future__ import annotations

import datetime as dt
import runpy

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from store import open_store
from store.db import MIGRATIONS
from store.history import Action
from store.tables import HISTORY_ACTIONS, NOTICES, ROLES

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)


def _cfg(conn: sa.Connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _row(action: str, day: dt.date | None) -> dict[str, object]:
    return {"at": T0, "actor": "王五", "door": "web", "action": action, "occurrence_uid": "", "obligation": "",
            "unit": None, "occurrence_date": day, "note": ""}


def test_frozen_sets_match_the_code() -> None:
    frozen = runpy.run_path(str(MIGRATIONS / "versions" / "0009_accounts.py"))
    assert set(frozen["ACTIONS"]) == set(HISTORY_ACTIONS) == {a.value for a in Action}
    assert set(frozen["ROLES"]) == set(ROLES)
    assert frozen["NOTICES"] == NOTICES


def test_migration_0009_both_ways(url: str) -> None:
    """Upgrade makes the tables and admits logins in the history; downgrade deletes those rows."""
    store = open_store(url)
    history = sa.table("history", *(sa.column(n) for n in _row("done", None)))
    try:
        with store.engine.begin() as conn:
            conn.execute(sa.insert(history), [_row("login", None), _row("done", dt.date(2025, 3, 1))])
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO accounts (name, role, password_hash, created_at) "
                                 "VALUES ('x', 'boss', 'h', CURRENT_TIMESTAMP)"))
        with store.engine.begin() as conn:
            command.downgrade(_cfg(conn), "0008")
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT action FROM history")).scalars().all() == ["done"]
            assert not {"accounts", "login_attempts", "evidence"} & set(sa.inspect(conn).get_table_names())
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(history), [_row("login", dt.date(2025, 3, 1))])
        with store.engine.begin() as conn:
            command.upgrade(_cfg(conn), "0009")
            conn.execute(sa.insert(history), [_row("upload", None)])
    finally:
        store.close()
