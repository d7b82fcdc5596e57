"""Accounts for the web pages: who may log in, with which role and over which units.

Only an argon2id hash of each password is kept (argon2-cffi's defaults, RFC 9106's low-memory
profile). :meth:`Accounts.login` answers a name and a password the same way, in about the same
time, whether the name is unknown, the account disabled or the password wrong: each attempt
verifies one argon2 hash (a fixed dummy one when there is no account). Wrong passwords are
counted by the name typed in ``login_attempts``, so a name that does not exist locks out exactly
as one that does: after ``max_failures`` wrong attempts within ``window`` the name is locked for
``lockout`` (attempts then are neither checked nor counted). Every attempt, and every logout, is
appended to the history (actions login, login_failed, logout) in the same transaction.

``session_epoch`` grows when the password changes or the account is disabled or enabled: a
session cookie names the epoch it was made in and is refused once that changed.
"""

from __future__ import annotations

import datetime as dt
import secrets as random_secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from obligations.errors import FatalError
from store.claimed import as_utc
from store.db import Store
from store.history import Action, Entry, append
from store.tables import accounts, login_attempts

MAX_NAME = 100  # the column
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # longer input is refused before hashing (argon2 would hash it, slowly)


class Role(StrEnum):
    """What an account may do (store.tables.ROLES): admin everything; supervisor see a subtree; unit act for one."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    UNIT = "unit"


@dataclass(frozen=True)
class Account:
    """One account; ``unit`` is what it sees (a unit user's unit, a supervisor's subtree; None: the root)."""

    id: int
    name: str
    role: Role
    unit: str | None
    disabled: bool


@dataclass(frozen=True)
class AccountRow:
    """An account with what ``user list`` shows besides."""

    account: Account
    created_at: dt.datetime
    failed_logins: int
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class LoginLimits:
    """Wrong passwords allowed for one name within ``window`` before the name is locked for ``lockout``."""

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Login:
    """The answer to a login: ``account`` when it succeeded; else ``locked_until`` when the name is locked
    (``lockout_began``: this attempt locked it, tell the admins; ``failures`` counted in the window)."""

    account: Account | None
    locked_until: dt.datetime | None = None
    lockout_began: bool = False
    failures: int = 0


class AccountError(FatalError):
    """An account that cannot be made or changed as asked (a name taken, a password too short)."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash no password matches, made with ``hasher`` (its cost is in the hash), verified for unknown names so
    they take as long as known ones."""
    return hasher.hash(random_secrets.token_urlsafe(24))


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _hasher().hash(password)


def _matches(hashed: str, password: str) -> bool:
    try:
        return _hasher().verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _account(row: Row[Any]) -> Account:
    return Account(row.id, row.name, Role(row.role), row.unit, bool(row.disabled))


def _event(conn: Connection, action: Action, actor: str, door: str, now: dt.datetime, note: str = "") -> None:
    append(conn, Entry(now, actor[:MAX_NAME], door, action, "", "", None, None, note=note))


class Accounts:
    """The ``accounts`` table, and logins against it."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # -- managing accounts (main.py user ...) ------------------------------------------------------

    def add(self, name: str, role: Role, unit: str | None, password: str, *, now: dt.datetime) -> Account:
        """A new account; AccountError when the name is taken, empty or too long, or the password too short."""
        name = name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise AccountError(f"an account name has 1 to {MAX_NAME} printable characters")
        hashed = hash_password(password)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(accounts).values(name=name, role=Role(role).value, unit=unit,
                                                     password_hash=hashed, created_at=now))
        except IntegrityError:
            raise AccountError(f"an account named {name!r} exists already") from None
        found = self.by_name(name)
        assert found is not None
        return found

    def get(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return _account(row) if row else None

    def by_name(self, name: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name == name.strip())).first()
        return _account(row) if row else None

    def listing(self) -> list[AccountRow]:
        """Every account, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.name)).all()
        return [AccountRow(_account(r), as_utc(r.created_at) or r.created_at, r.failed_logins,
                           as_utc(r.locked_until)) for r in rows]

    def disable(self, name: str, *, disabled: bool = True) -> Account | None:
        """Disable (or enable again) an account; its sessions end. None when there is no such account."""
        with self.engine.begin() as conn:
            done = conn.execute(update(accounts).where(accounts.c.name == name.strip()).values(
                disabled=disabled, session_epoch=accounts.c.session_epoch + 1)).rowcount
        return self.by_name(name) if done else None

    def set_password(self, name: str, password: str) -> Account | None:
        """A new password (the lockout is lifted, sessions end); None when there is no such account."""
        hashed = hash_password(password)
        with self.engine.begin() as conn:
            done = conn.execute(update(accounts).where(accounts.c.name == name.strip()).values(
                password_hash=hashed, failed_logins=0, locked_until=None,
                session_epoch=accounts.c.session_epoch + 1)).rowcount
        return self.by_name(name) if done else None

    # -- sessions ------------------------------------------------------------------------------

    def epoch(self, account_id: int) -> int | None:
        """The account's session epoch (None when there is no such account)."""
        with self.engine.connect() as conn:
            return conn.execute(select(accounts.c.session_epoch).where(accounts.c.id == account_id)).scalar()

    def for_session(self, account_id: int, epoch: int) -> Account | None:
        """The account a session cookie names, if it still may be used: enabled, same epoch."""
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        if row is None or row.disabled or row.session_epoch != epoch:
            return None
        return _account(row)

    def logout(self, account: Account, *, now: dt.datetime, door: str = "web") -> None:
        with self.engine.begin() as conn:
            _event(conn, Action.LOGOUT, account.name, door, now)

    # -- logging in -----------------------------------------------------------------------------

    def _failures(self, conn: Connection, name: str, now: dt.datetime, limits: LoginLimits) -> list[dt.datetime]:
        """When ``name``'s wrong attempts were that may still count (a window and a lockout back, after its
        last success), oldest first."""
        last_ok = conn.execute(select(func.max(login_attempts.c.at)).where(
            login_attempts.c.name == name, login_attempts.c.ok.is_(True))).scalar()
        since = now - limits.window - limits.lockout
        if last_ok is not None:
            since = max(since, as_utc(last_ok) or since)
        rows = conn.execute(select(login_attempts.c.at).where(
            login_attempts.c.name == name, login_attempts.c.ok.is_(False), login_attempts.c.at > since)
            .order_by(login_attempts.c.at)).scalars().all()
        return [at for at in (as_utc(r) for r in rows) if at is not None]

    @staticmethod
    def _lock(failures: list[dt.datetime], now: dt.datetime, limits: LoginLimits) -> tuple[dt.datetime | None, int]:
        """(until, count): the lock the last failure began, if it still holds; the failures in its window."""
        if not failures:
            return None, 0
        last = failures[-1]
        count = sum(1 for at in failures if at > last - limits.window)
        until = last + limits.lockout
        return (until if count >= limits.max_failures and now < until else None), count

    def locked_until(self, name: str, now: dt.datetime, limits: LoginLimits) -> dt.datetime | None:
        """When ``name`` may try again, if it is locked now."""
        with self.engine.connect() as conn:
            failures = self._failures(conn, name.strip()[:MAX_NAME], now, limits)
        return self._lock(failures, now, limits)[0]

    def login(self, name: str, password: str, *, now: dt.datetime, limits: LoginLimits, door: str = "web",
              address: str | None = None) -> Login:
        """Check a login; every attempt is counted, recorded and takes one argon2 verification."""
        name = name.strip()[:MAX_NAME]
        locked = self.locked_until(name, now, limits)
        row = None
        if name and locked is None:
            with self.engine.connect() as conn:
                row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        stored = row.password_hash if row is not None else _dummy_hash(_hasher())
        right = len(password) <= MAX_PASSWORD and _matches(stored, password)
        if locked is not None:
            return Login(None, locked)
        ok = right and row is not None and not row.disabled
        with self.engine.begin() as conn:
            conn.execute(insert(login_attempts).values(at=now, name=name, ok=ok, address=(address or "")[:64] or None))
            _event(conn, Action.LOGIN if ok else Action.LOGIN_FAILED, name, door, now)
            if ok:
                conn.execute(update(accounts).where(accounts.c.id == row.id).values(failed_logins=0, locked_until=None))
                self._rehash(conn, row, password)
                return Login(_account(row))
            until, count = self._lock(self._failures(conn, name, now, limits), now, limits)
            if row is not None:
                conn.execute(update(accounts).where(accounts.c.id == row.id).values(
                    failed_logins=accounts.c.failed_logins + 1, locked_until=until))
        return Login(None, until, until is not None, count)

    def _rehash(self, conn: Connection, row: Row[Any], password: str) -> None:
        """Store a new hash when the hasher's parameters grew since this one was made."""
        if _hasher().check_needs_rehash(row.password_hash):
            conn.execute(update(accounts).where(accounts.c.id == row.id).values(password_hash=_hasher().hash(password)))


def new_password() -> str:
    """A generated password, printed once by ``user add`` / ``user passwd`` when none is given."""
    return random_secrets.token_urlsafe(15)


__all__ = ["MAX_NAME", "MIN_PASSWORD", "Account", "AccountError", "AccountRow", "Accounts", "Login", "LoginLimits",
           "Role", "hash_password", "new_password"]
