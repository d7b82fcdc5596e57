"""Real columns for what ``lead_time`` carried: previous_date, notice and snoozed.

Until now ``reminders.lead_time`` held a lead time ("3d", "1wd", "2h") for reminders and the
tier's delay for escalations, but also:
- for a change notice (kind "changed"), the ISO date subscribers knew: now ``previous_date``
  (a Date);
- for an admin notice (kind "admin"), what happened ("failed", "missed", "bad subscription",
  "invite lockout"): now ``notice``, with a CHECK of those values (a value this migration does
  not know is left out: the notice keeps its title, which says the details);
- for a snoozed reminder ("remind me tomorrow"), the word "snooze": now ``snoozed`` (a Boolean,
  default false). A flag rather than a kind of its own, because a snoozed reminder is still a
  reminder (or an escalation, or a change notice): same words, buttons and calendar file, and
  marking the duty done cancels it like the others. Planning leaves snoozed rows alone: they
  are not in any plan, and must not be cancelled as stale.
Each moved value is cleared from ``lead_time``, which from here on holds only a lead time or
"". Counts are logged.

The value set is frozen here (a migration must not change with the code); store.lifecycle
states the same set for the current code.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

NOTICES = ("failed", "missed", "bad subscription", "invite lockout")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("previous_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("notice", sa.String(40), nullable=True))
        batch.add_column(sa.Column("snoozed", sa.Boolean(), nullable=False, server_default=sa.false()))
    reminders = sa.table("reminders", sa.column("id"), sa.column("kind"), sa.column("lead_time"),
                         sa.column("previous_date", sa.Date()), sa.column("notice"), sa.column("snoozed", sa.Boolean()))
    bind = op.get_bind()
    changed = bind.execute(sa.select(reminders.c.id, reminders.c.lead_time).where(
        reminders.c.kind == "changed", reminders.c.lead_time != "")).all()
    for row in changed:
        bind.execute(sa.update(reminders).where(reminders.c.id == row.id).values(
            previous_date=_date(row.lead_time), lead_time=""))
    noticed = bind.execute(sa.update(reminders).where(
        reminders.c.kind == "admin", reminders.c.lead_time.in_(NOTICES)).values(
        notice=reminders.c.lead_time, lead_time="")).rowcount
    unknown = bind.execute(sa.update(reminders).where(
        reminders.c.kind == "admin", reminders.c.lead_time != "").values(lead_time="")).rowcount
    snoozed = bind.execute(sa.update(reminders).where(reminders.c.lead_time == "snooze").values(
        snoozed=True, lead_time="")).rowcount
    log.info("0006: moved %d change date(s), %d admin notice(s) and %d snooze(s) out of lead_time",
             len(changed), noticed, snoozed)
    if unknown:
        log.warning("0006: %d admin notice(s) carried a subject that is not one of %s; cleared",
                    unknown, ", ".join(NOTICES))
    with op.batch_alter_table("reminders") as batch:
        batch.create_check_constraint("ck_reminders_notice", f"notice IS NULL OR {_in('notice', NOTICES)}")


def downgrade() -> None:
    reminders = sa.table("reminders", sa.column("id"), sa.column("kind"), sa.column("lead_time"),
                         sa.column("previous_date", sa.Date()), sa.column("notice"), sa.column("snoozed", sa.Boolean()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(reminders.c.id, reminders.c.previous_date).where(
            reminders.c.previous_date.is_not(None))).all():
        bind.execute(sa.update(reminders).where(reminders.c.id == row.id).values(
            lead_time=row.previous_date.isoformat()))
    bind.execute(sa.update(reminders).where(reminders.c.notice.is_not(None)).values(lead_time=reminders.c.notice))
    bind.execute(sa.update(reminders).where(reminders.c.snoozed.is_(True)).values(lead_time="snooze"))
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_notice", type_="check")
        batch.drop_column("snoozed")
        batch.drop_column("notice")
        batch.drop_column("previous_date")
