"""Waivers (issue 11): a window an administrator exempted from reminders and from being overdue.

- ``waivers``: one row per waived window (``occurrence_uid`` unique), with the duty, unit and
  date of the occurrence, the reason (合并举办, 上级统一组织, …), who waived it and when. Taking
  the waiver back deletes the row; the history (actions ``waive`` and ``unwaive``, allowed since
  0009) keeps both.

Downgrading drops the table: the older code neither reads nor plans around it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurrence_uid", sa.String(300), nullable=False),
        sa.Column("obligation", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200)),
        sa.Column("occurrence_date", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("waived_by", sa.String(200), nullable=False),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("occurrence_uid", name="uq_waivers_occurrence_uid"),
    )


def downgrade() -> None:
    op.drop_table("waivers")
