"""A new kind of reminder, "opening": the notice that an unplaced window has opened.

Issue 10, item 3: for a duty that may be done on any working day of its window (每周至少1天,
第一季度内), subscribers hear once when the window opens ("本周需完成…,截止 9月26日(周五)"), then
their lead-time reminders counted to the due day. The kind CHECK of migration 0005 is widened to
allow it; downgrading deletes the opening notices (the older code cannot read them) and narrows it
again.

The value sets are frozen here (a migration must not change with the code); store.lifecycle
states the same set for the current code.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

BEFORE = ("reminder", "changed", "escalation", "admin")
KINDS = (*BEFORE, "opening")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _in("kind", KINDS))


def downgrade() -> None:
    reminders = sa.table("reminders", sa.column("kind"))
    dropped = op.get_bind().execute(sa.delete(reminders).where(reminders.c.kind == "opening")).rowcount
    if dropped:
        log.warning("0008 downgrade: deleted %d opening notice(s)", dropped)
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _in("kind", BEFORE))
