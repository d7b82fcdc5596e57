"""Accounts for the supervision pages (issue 11): who may log in, what they did, what they uploaded.

- ``accounts``: one row per person who logs in to the web pages. ``role`` is admin, supervisor or
  unit (CHECK); ``unit`` the unit the account sees (a unit user's own unit, a supervisor's
  subtree; NULL: the root). Only an argon2 hash of the password is kept. ``failed_logins`` and
  ``locked_until`` hold the lockout after repeated wrong passwords; ``session_epoch`` grows when
  the password changes or the account is disabled, so older session cookies stop working.
- ``login_attempts``: every login attempt by the name typed, known or not (``ok``), so a name
  that does not exist locks out exactly as one that does (no user enumeration).
- ``evidence``: files uploaded as evidence that a window was done, stored outside the web root
  under the data folder by their SHA-256 (``stored_name``); the row says whose window it is.
- ``reminders``: the notice CHECK admits ``login lockout`` (the admins are told when a name is
  locked out after repeated wrong passwords); downgrading deletes those notices.
- ``history``: the action CHECK admits login, login_failed, logout, upload, export, waive and
  unwaive; ``occurrence_date`` may be NULL (a login is about no occurrence).

The value sets are frozen here (a migration must not change with the code); store.tables
states the same sets for the current code.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

ROLES = ("admin", "supervisor", "unit")
BEFORE = ("done", "undo", "redate", "snooze")
ACTIONS = (*BEFORE, "login", "login_failed", "logout", "upload", "export", "waive", "unwaive")
NOTICES_BEFORE = ("failed", "missed", "bad subscription", "invite lockout")
NOTICES = (*NOTICES_BEFORE, "login lockout")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
        sa.CheckConstraint(_in("role", ROLES), name="ck_accounts_role"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
    )
    op.create_index("ix_login_attempts_name_at", "login_attempts", ["name", "at"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("occurrence_uid", sa.String(300), nullable=False),
        sa.Column("obligation", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(100), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evidence_occurrence", "evidence", ["occurrence_uid"])
    with op.batch_alter_table("history") as batch:
        batch.drop_constraint("ck_history_action", type_="check")
        batch.create_check_constraint("ck_history_action", _in("action", ACTIONS))
        batch.alter_column("occurrence_date", existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_notice", type_="check")
        batch.create_check_constraint("ck_reminders_notice", f"notice IS NULL OR {_in('notice', NOTICES)}")


def downgrade() -> None:
    history = sa.table("history", sa.column("action"), sa.column("occurrence_date"))
    dropped = op.get_bind().execute(
        sa.delete(history).where(sa.or_(history.c.action.not_in(BEFORE), history.c.occurrence_date.is_(None)))
    ).rowcount
    if dropped:
        log.warning("0009 downgrade: deleted %d history row(s) the older code cannot read", dropped)
    reminders = sa.table("reminders", sa.column("notice"))
    dropped = op.get_bind().execute(sa.delete(reminders).where(reminders.c.notice == "login lockout")).rowcount
    if dropped:
        log.warning("0009 downgrade: deleted %d login lockout notice(s)", dropped)
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("ck_reminders_notice", type_="check")
        batch.create_check_constraint("ck_reminders_notice", f"notice IS NULL OR {_in('notice', NOTICES_BEFORE)}")
    with op.batch_alter_table("history") as batch:
        batch.drop_constraint("ck_history_action", type_="check")
        batch.create_check_constraint("ck_history_action", _in("action", BEFORE))
        batch.alter_column("occurrence_date", existing_type=sa.Date(), nullable=False)
    op.drop_index("ix_evidence_occurrence", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index("ix_login_attempts_name_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("accounts")
