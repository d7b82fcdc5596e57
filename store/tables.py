"""Table definitions (SQLAlchemy Core). Changes here need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

# One row per calendar event ever published: the content hash of its last
# version, so SEQUENCE and LAST-MODIFIED change only when the event does.
event_versions = Table(
    "event_versions",
    metadata,
    Column("uid", String(300), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

__all__ = ["event_versions", "metadata"]
