"""The weekly supervision summary as reminder rows: kind "summary" and the column ``body``.

Issue 11, item 5: the weekly summary was sent straight from the runner, by every instance and with
no retry. Now each part of it, for each recipient and week, is a row of ``reminders`` (kind
``summary``, key ``summary|<ISO week>|<channel>:<address>|<part>``), claimed, retried and
settled like any reminder. ``body`` holds the part's text, written when the summary is planned
(docs/supervision.md says why). The kind CHECK is widened to allow it; downgrading deletes the
summary rows (the older code cannot read them), drops ``body`` and narrows the CHECK again.

The value sets are frozen here (a migration must not change with the code); store.lifecycle
states the same set for the current code.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

BEFORE = ("reminder", "changed", "escalation", "admin", "opening")
KINDS = (*BEFORE, "summary")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("body", sa.Text))
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _in("kind", KINDS))


def downgrade() -> None:
    reminders = sa.table("reminders", sa.column("kind"))
    dropped = op.get_bind().execute(sa.delete(reminders).where(reminders.c.kind == "summary")).rowcount
    if dropped:
        log.warning("0012 downgrade: deleted %d weekly summary part(s)", dropped)
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.create_check_constraint("ck_reminders_kind", _in("kind", BEFORE))
        batch.drop_column("body")
