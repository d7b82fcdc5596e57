"""Accounts at the command line: ``user add | list | disable | enable | passwd``.

A password is read from standard input with ``--password-stdin`` (its first line), else made
here and printed once: only its argon2 hash is stored, so it cannot be shown again. Passwords are
never logged nor echoed back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from cli.context import Context, check_ids, load_context
from i18n import N_, tr
from i18n.shown import local_time
from obligations.errors import FatalError
from store import open_store
from store.accounts import AccountError, AccountRow, Accounts, Role, new_password

ROLE_WORDS = {Role.ADMIN: N_("user.role_admin"), Role.SUPERVISOR: N_("user.role_supervisor"),
              Role.UNIT: N_("user.role_unit")}


def _password(ctx: Context, args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated): the first line of standard input with --password-stdin, else a new one."""
    if not args.password_stdin:
        return new_password(), True
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise FatalError(tr(ctx.lang, "user.no_password"))
    return line, False


def _failed(ctx: Context, exc: AccountError) -> FatalError:
    error = FatalError(tr(ctx.lang, "user.refused", reason=str(exc)))
    error.lang = ctx.lang
    return error


def _add(ctx: Context, accounts: Accounts, args: argparse.Namespace) -> None:
    role = Role(args.role or "")
    if role == Role.UNIT and not args.unit:
        raise FatalError(tr(ctx.lang, "user.unit_needed"))
    if role == Role.ADMIN and args.unit:
        raise FatalError(tr(ctx.lang, "user.admin_no_unit"))
    check_ids(ctx, args.unit, None)
    password, generated = _password(ctx, args)
    try:
        made = accounts.add(args.name, role, args.unit, password, now=dt.datetime.now(dt.UTC))
    except AccountError as exc:
        raise _failed(ctx, exc) from None
    print(tr(ctx.lang, "user.added", name=made.name, role=tr(ctx.lang, ROLE_WORDS[made.role]),
             unit=made.unit or tr(ctx.lang, "user.all_units")), file=sys.stderr)
    if generated:
        print(password)
        print(tr(ctx.lang, "user.password_once"), file=sys.stderr)


def _passwd(ctx: Context, accounts: Accounts, args: argparse.Namespace) -> None:
    password, generated = _password(ctx, args)
    try:
        changed = accounts.set_password(args.name, password)
    except AccountError as exc:
        raise _failed(ctx, exc) from None
    if changed is None:
        raise FatalError(tr(ctx.lang, "user.unknown", name=args.name))
    print(tr(ctx.lang, "user.password_set", name=changed.name), file=sys.stderr)
    if generated:
        print(password)
        print(tr(ctx.lang, "user.password_once"), file=sys.stderr)


def _list(ctx: Context, rows: list[AccountRow], fmt: str) -> None:
    if fmt == "json":
        out = [{"name": r.account.name, "role": r.account.role.value, "unit": r.account.unit,
                "disabled": r.account.disabled, "created_at": r.created_at.astimezone(ctx.snapshot.tz).isoformat(),
                "failed_logins": r.failed_logins,
                "locked_until": r.locked_until.astimezone(ctx.snapshot.tz).isoformat() if r.locked_until else None}
               for r in rows]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    for r in rows:
        a = r.account
        state = tr(ctx.lang, "user.disabled") if a.disabled else ""
        if r.locked_until is not None and r.locked_until > dt.datetime.now(dt.UTC):
            state = tr(ctx.lang, "user.locked", until=local_time(ctx.lang, r.locked_until, ctx.snapshot.tz))
        print("\t".join([a.name, tr(ctx.lang, ROLE_WORDS[a.role]), a.unit or "-", state]).rstrip())
    print(tr(ctx.lang, "user.count", n=len(rows)), file=sys.stderr)


def cmd_user(args: argparse.Namespace) -> int:
    """Add, list, disable, enable an account, or set its password."""
    ctx = load_context(args)
    if args.action != "list" and not args.name:
        raise FatalError(tr(ctx.lang, "user.name_needed", action=args.action))
    if args.action == "add" and not args.role:
        raise FatalError(tr(ctx.lang, "user.role_needed"))
    store = open_store(ctx.loaded.database_url)
    accounts = Accounts(store)
    try:
        if args.action == "add":
            _add(ctx, accounts, args)
        elif args.action == "passwd":
            _passwd(ctx, accounts, args)
        elif args.action in ("disable", "enable"):
            changed = accounts.disable(args.name, disabled=args.action == "disable")
            if changed is None:
                raise FatalError(tr(ctx.lang, "user.unknown", name=args.name))
            said = N_("user.now_disabled") if changed.disabled else N_("user.now_enabled")
            print(tr(ctx.lang, said, name=changed.name), file=sys.stderr)
        else:
            _list(ctx, accounts.listing(), args.format)
    finally:
        store.close()
    return 0


__all__ = ["ROLE_WORDS", "cmd_user"]
