"""Invites for the chat bot and administrators among subscribers.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invites",
        sa.Column("code_sha256", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(200)),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("used_by", sa.String(300)),
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("is_admin")
    op.drop_table("invites")
