"""Shared state of the instances on one database (issue 12, more than one machine).

- ``shared_state``: one row per named value every instance reads and any may change, with a
  generation that grows by one on each change, who changed it and when. The first name is
  ``rules``: the fingerprint of the rules an instance last loaded from a change of its own (a file
  it saw change, a reload it was asked for, a start), which the others poll and follow
  (service.rulesync).

Downgrading drops the table: the older code has one instance and no use for it.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_state",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shared_state")
