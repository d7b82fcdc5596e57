"""Store fixtures: every contract test runs on a SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from store import Store, open_store
from tests.parts import require_part
from tests.sockets import require_network

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_missing() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL is not reachable at 127.0.0.1:5432 database test ({exc.orig})"
    return None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh schema in database `test` for each test, dropped afterwards."""
    require_network(request, "PostgreSQL")
    require_part(_postgres_missing())
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# The PostgreSQL half is slow (a server process) and network; the SQLite half stays in the fast run.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.network])])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")  # type: ignore[no-any-return]


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    s = open_store(url)
    yield s
    s.close()


