"""The day a duty was done, and an append-only history of every change people make.

- ``completions.done_on`` (a Date, required): the day the work was done, as the person says,
  distinct from ``occurrence_date`` (the duty's date) and from ``done_at`` (the moment the mark was
  recorded). Existing completions are backfilled with ``done_at``'s date in Asia/Shanghai: the
  old doors recorded a completion when the work was reported done, so that day is the best
  knowledge there is (``occurrence_date`` may be a deadline weeks after the work, or a day not yet
  come). A migration cannot read the configured time zone; Asia/Shanghai is the shipped one (and
  has had no daylight saving since 1991). The count is logged.
- ``history``: one row per change (done, undo, redate, snooze) with who (``actor``), through
  which door (``door``: cli, bot, web), when (``at``), and what (the occurrence, ``done_on``,
  ``note``, ``evidence_url``, ``remind_at`` for a snooze). Written in the transaction of the
  change; the code only ever inserts into it (tests/test_history.py holds the store to that).
  CHECK constraints refuse a door or action the code does not know.

The value sets are frozen here (a migration must not change with the code); store.tables
states the same sets for the current code.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

DOORS = ("cli", "bot", "web")
ACTIONS = ("done", "undo", "redate", "snooze")
BACKFILL_ZONE = ZoneInfo("Asia/Shanghai")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _local_day(at: dt.datetime) -> dt.date:
    if at.tzinfo is None:  # SQLite keeps no offset: the store writes UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(BACKFILL_ZONE).date()


def upgrade() -> None:
    with op.batch_alter_table("completions") as batch:
        batch.add_column(sa.Column("done_on", sa.Date(), nullable=True))
    completions = sa.table("completions", sa.column("id"), sa.column("done_at", sa.DateTime(timezone=True)),
                           sa.column("done_on", sa.Date()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(completions.c.id, completions.c.done_at)).all()
    for row in rows:
        bind.execute(sa.update(completions).where(completions.c.id == row.id).values(done_on=_local_day(row.done_at)))
    log.info("0007: %d completion(s) given done_on, the day of done_at in %s", len(rows), BACKFILL_ZONE.key)
    with op.batch_alter_table("completions") as batch:
        batch.alter_column("done_on", existing_type=sa.Date(), nullable=False)
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("door", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("occurrence_uid", sa.String(300), nullable=False),
        sa.Column("obligation", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("occurrence_date", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("evidence_url", sa.String(500), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("door", DOORS), name="ck_history_door"),
        sa.CheckConstraint(_in("action", ACTIONS), name="ck_history_action"),
    )
    op.create_index("ix_history_at", "history", ["at"])
    op.create_index("ix_history_occurrence", "history", ["occurrence_uid"])


def downgrade() -> None:
    op.drop_index("ix_history_occurrence", table_name="history")
    op.drop_index("ix_history_at", table_name="history")
    op.drop_table("history")
    with op.batch_alter_table("completions") as batch:
        batch.drop_column("done_on")
