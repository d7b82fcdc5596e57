"""Table definitions (SQLAlchemy Core). Changes here need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from store.lifecycle import Notice, ReminderKind, ReminderStatus

metadata = MetaData()

# The values the code writes and reads, refused otherwise by the database (migration 0005; kinds 0008, 0012).
LEVELS = ("province", "prefecture", "county", "township", "department")  # obligations.model.Level
REMINDER_STATUSES = tuple(s.value for s in ReminderStatus)  # store.lifecycle
REMINDER_KINDS = tuple(k.value for k in ReminderKind)  # a snooze keeps its kind (column "snoozed")
NOTICES = tuple(n.value for n in Notice)  # an admin notice's subject (migration 0006)
DOORS = ("cli", "bot", "web")  # service.actions.Door (migration 0007)
HISTORY_ACTIONS = ("done", "undo", "redate", "snooze",  # store.history.Action (migration 0007)
                   "login", "login_failed", "logout", "upload", "export", "waive", "unwaive")  # (migration 0009)
ROLES = ("admin", "supervisor", "unit")  # store.accounts.Role (migration 0009)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# One row per calendar event ever published: the content hash of its last
# version, so SEQUENCE and LAST-MODIFIED change only when the event does.
event_versions = Table(
    "event_versions",
    metadata,
    Column("uid", String(300), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("sequence", Integer, nullable=False, default=0),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

# Who receives reminders: fixed ones from config.yaml (source "config") and
# self-service ones from the bot or the page (source "self").
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("address", String(300), nullable=False),
    Column("language", String(10), nullable=False, default="zh-CN"),
    Column("quiet_hours", String(20)),
    Column("mode", String(10), nullable=False, default="each"),
    Column("digest_at", String(5), nullable=False, default="08:30"),
    Column("source", String(10), nullable=False, default="config"),
    Column("active", Boolean, nullable=False, default=True),
    Column("token_sha256", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    UniqueConstraint("channel", "address", name="uq_subscribers_channel_address"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column("unit", String(200)),
    Column("children", Boolean, nullable=False, default=False),
    Column("level", String(20)),
    Column("obligation", String(200)),
    Column("tag", String(100)),
    Column("lead_times", String(200)),  # comma-separated offsets; NULL: the duty's own reminders
    CheckConstraint(f"level IS NULL OR {_one_of('level', LEVELS)}", name="ck_subscriptions_level"),
)

# An occurrence marked done: no more reminders, shown as done on the page. ``done_on`` is the day
# the work was done (as the person says), ``done_at`` the moment it was recorded (migration 0007).
completions = Table(
    "completions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurrence_uid", String(300), nullable=False, unique=True),
    Column("obligation", String(200), nullable=False),
    Column("unit", String(200)),
    Column("occurrence_date", Date, nullable=False),
    Column("done_by", String(200), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("evidence_url", String(500)),
    Column("done_on", Date, nullable=False),
)

# Every change people make to a duty's state, through which door: append-only (the store only
# inserts; tests/test_history.py). ``remind_at``: when a snoozed reminder comes again.
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("door", String(10), nullable=False),  # DOORS
    Column("action", String(20), nullable=False),  # HISTORY_ACTIONS
    Column("occurrence_uid", String(300), nullable=False),
    Column("obligation", String(200), nullable=False),
    Column("unit", String(200)),
    Column("occurrence_date", Date),  # NULL: about no occurrence (a login; migration 0009)
    Column("done_on", Date),
    Column("note", Text, nullable=False, default="", server_default=""),
    Column("evidence_url", String(500)),
    Column("remind_at", DateTime(timezone=True)),
    Index("ix_history_at", "at"),
    Index("ix_history_occurrence", "occurrence_uid"),
    CheckConstraint(_one_of("door", DOORS), name="ck_history_door"),
    CheckConstraint(_one_of("action", HISTORY_ACTIONS), name="ck_history_action"),
)

# Every planned message. ``key`` makes planning idempotent; ``status`` moves as store.lifecycle
# says: pending -> claimed -> sent | failed | missed (or back to pending for a retry), or
# pending -> cancelled; a claim is a lease, so a crashed dispatcher's claims are retried once
# the lease expires.
reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(500), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # REMINDER_KINDS
    Column("occurrence_uid", String(300), nullable=False),
    Column("obligation", String(200), nullable=False),
    Column("unit", String(200)),
    Column("occurrence_date", Date, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="SET NULL")),
    Column("channel", String(40), nullable=False),
    Column("address", String(300), nullable=False),
    Column("language", String(10), nullable=False, default="zh-CN"),
    Column("lead_time", String(20), nullable=False, default=""),  # an offset ("3d", "1wd", "2h") or ""
    Column("previous_date", Date),  # kind "changed": the date subscribers knew
    Column("notice", String(40)),  # kind "admin": what happened (NOTICES)
    Column("snoozed", Boolean, nullable=False, default=False, server_default=false()),  # "remind me tomorrow"
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("send_after", DateTime(timezone=True), nullable=False),  # due_at, quiet hours or backoff applied
    Column("status", String(12), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("late", Boolean, nullable=False, default=False),
    Column("last_error", Text),
    Column("provider_id", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text),  # kind "summary": the part's text, written when it is planned (migration 0012)
    Index("ix_reminders_status_send_after", "status", "send_after"),
    Index("ix_reminders_occurrence", "occurrence_uid"),
    CheckConstraint(_one_of("status", REMINDER_STATUSES), name="ck_reminders_status"),
    CheckConstraint(_one_of("kind", REMINDER_KINDS), name="ck_reminders_kind"),
    CheckConstraint(f"notice IS NULL OR {_one_of('notice', NOTICES)}", name="ck_reminders_notice"),
)

# One-time codes that bind a chat to a subscriber (``main.py invite``); only the hash is kept.
invites = Table(
    "invites",
    metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("unit", String(200)),
    Column("admin", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", String(300)),
)

# People who log in to the web pages (migration 0009): only an argon2 hash of the password is kept;
# ``unit`` is what the account sees (NULL: the root); ``session_epoch`` grows when the password
# changes or the account is disabled, which ends the sessions made before.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),  # ROLES
    Column("unit", String(200)),
    Column("password_hash", String(300), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("session_epoch", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("name", name="uq_accounts_name"),
    CheckConstraint(_one_of("role", ROLES), name="ck_accounts_role"),
)

# Every login attempt by the name typed, whether or not an account has it: a name that does not
# exist locks out like one that does, so the answers never tell which names exist.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("name", String(100), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("address", String(64)),
    Index("ix_login_attempts_name_at", "name", "at"),
)

# Files uploaded as evidence that a window was done: kept under the data folder by their SHA-256,
# outside the web root, served only to accounts that may see the unit.
evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("occurrence_uid", String(300), nullable=False),
    Column("obligation", String(200), nullable=False),
    Column("unit", String(200)),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("stored_name", String(100), nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Index("ix_evidence_occurrence", "occurrence_uid"),
)

# The service's own secrets, shared by every instance on the database.
secrets = Table(
    "secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Values every instance on the database reads and any may change (migration 0011): ``rules`` is
# the fingerprint of the rules last loaded after a change, which the other instances follow.
shared_state = Table(
    "shared_state",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

__all__ = [
    "DOORS",
    "HISTORY_ACTIONS",
    "LEVELS",
    "NOTICES",
    "REMINDER_KINDS",
    "REMINDER_STATUSES",
    "ROLES",
    "accounts",
    "completions",
    "event_versions",
    "evidence",
    "history",
    "invites",
    "login_attempts",
    "metadata",
    "reminders",
    "secrets",
    "shared_state",
    "subscribers",
    "subscriptions",
]
