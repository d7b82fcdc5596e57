"""Opening the store and keeping its schema current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from i18n import N_
from i18n.phrase import phrase
from obligations.errors import ConfigurationError
from redaction import redact_database_url as redact_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x6F626C6D69677221  # pg_advisory_xact_lock key: instances starting at once migrate one at a time


class Store:
    """An engine on a migrated database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy's recipe for pysqlite: let SQLAlchemy, not the driver, begin transactions ...
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=15000")  # first, so that switching to WAL below waits for a lock too
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # ... and begin IMMEDIATE: a transaction takes the write lock up front, so a claim's
    # SELECT-then-UPDATE can never race another process's (a deferred one would fail with BUSY)
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_store(url: str) -> Store:
    """Connect to ``url``, create a SQLite file's folder, and migrate to the newest schema."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(phrase(
            N_("store.bad_url"), "database_url %(url)s is not a database URL; use e.g. sqlite:///data/obligations.db "
            "or postgresql+psycopg://user@host/db", url=repr(redact_url(url)),
        )) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        raise ConfigurationError(phrase(
            N_("store.cannot_open"), "cannot open the database %(url)s: %(reason)s; check database_url "
            "(or the DATABASE_URL environment variable) and that the server is running",
            url=redact_url(url), reason=str(exc.orig),
        )) from None
    return Store(engine)


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (the schema's version is Alembic's)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # N instances starting on a fresh database: the first migrates, the others wait and find it done
            # (the lock ends with this transaction; SQLite's BEGIN IMMEDIATE serialises them already)
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


__all__ = ["MIGRATIONS", "Store", "migrate", "open_store", "redact_url"]
