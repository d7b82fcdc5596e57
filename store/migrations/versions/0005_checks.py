"""The store refuses values the code cannot read: CHECK constraints on levels, statuses and kinds.

A subscription with a level that is not one stopped every planning run (issue 9); from here
on the database refuses it. Rows a damaged database already holds are repaired first, so the
upgrade succeeds: subscriptions with an unknown level are deleted, reminders with an unknown
status are marked failed (the reason in last_error), reminders of an unknown kind deleted;
each count is logged.

The value sets are frozen here (a migration must not change with the code); store.tables
states the same sets for the current code.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

LEVELS = ("province", "prefecture", "county", "township", "department")
STATUSES = ("pending", "claimed", "sent", "failed", "missed", "cancelled")
KINDS = ("reminder", "changed", "escalation", "admin")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    subscriptions = sa.table("subscriptions", sa.column("id"), sa.column("level"))
    reminders = sa.table("reminders", sa.column("id"), sa.column("status"), sa.column("kind"),
                         sa.column("last_error"), sa.column("claimed_by"), sa.column("lease_until"))
    bind = op.get_bind()
    gone = bind.execute(sa.delete(subscriptions).where(
        subscriptions.c.level.is_not(None), subscriptions.c.level.not_in(LEVELS))).rowcount
    if gone:
        log.warning("0005: deleted %d subscription(s) with a level that is not one of %s", gone, ", ".join(LEVELS))
    failed = bind.execute(sa.update(reminders).where(reminders.c.status.not_in(STATUSES)).values(
        status="failed", claimed_by=None, lease_until=None,
        last_error="its status was not one the service knows; marked failed by migration 0005")).rowcount
    if failed:
        log.warning("0005: marked %d reminder(s) with an unknown status failed", failed)
    dropped = bind.execute(sa.delete(reminders).where(reminders.c.kind.not_in(KINDS))).rowcount
    if dropped:
        log.warning("0005: deleted %d reminder(s) of a kind that is not one of %s", dropped, ", ".join(KINDS))
    with op.batch_alter_table("subscriptions") as batch:
        batch.create_check_constraint("ck_subscriptions_level", f"level IS NULL OR {_in('level', LEVELS)}")
    with op.batch_alter_table("reminders") as batch:
        batch.create_check_constraint("ck_reminders_status", _in("status", STATUSES))
        batch.create_check_constraint("ck_reminders_kind", _in("kind", KINDS))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_kind", type_="check")
        batch.drop_constraint("ck_reminders_status", type_="check")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_constraint("ck_subscriptions_level", type_="check")
