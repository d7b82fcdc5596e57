"""Subscribers, subscriptions, completions and reminders.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("quiet_hours", sa.String(20)),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("digest_at", sa.String(5), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("token_sha256", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "address", name="uq_subscribers_channel_address"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit", sa.String(200)),
        sa.Column("children", sa.Boolean, nullable=False),
        sa.Column("level", sa.String(20)),
        sa.Column("obligation", sa.String(200)),
        sa.Column("tag", sa.String(100)),
        sa.Column("lead_times", sa.String(200)),
    )
    op.create_table(
        "completions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurrence_uid", sa.String(300), nullable=False, unique=True),
        sa.Column("obligation", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200)),
        sa.Column("occurrence_date", sa.Date, nullable=False),
        sa.Column("done_by", sa.String(200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("evidence_url", sa.String(500)),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(500), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("occurrence_uid", sa.String(300), nullable=False),
        sa.Column("obligation", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200)),
        sa.Column("occurrence_date", sa.Date, nullable=False),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("lead_time", sa.String(20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("provider_id", sa.String(300)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reminders_status_send_after", "reminders", ["status", "send_after"])
    op.create_index("ix_reminders_occurrence", "reminders", ["occurrence_uid"])


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_table("completions")
    op.drop_table("subscriptions")
    op.drop_table("subscribers")
