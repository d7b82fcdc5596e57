"""Accounts in the store (SQLite and PostgreSQL): hashes, logins, lockout by name, sessions; who sees what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type

from obligations.loader import load_rules
from service.access import may_act, may_see, visible_units
from store import Store
from store import accounts as accounts_module
from store.accounts import Account, AccountError, Accounts, LoginLimits, Role
from store.history import History
from store.tables import accounts

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
LIMITS = LoginLimits(max_failures=3, window=dt.timedelta(minutes=10), lockout=dt.timedelta(minutes=30))
PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # the service's takes 64 MiB and ~0.1 s


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts_module, "_hasher", lambda: CHEAP)


def test_the_service_hashes_with_argon2id_and_64_mib() -> None:
    hasher = accounts_module.PasswordHasher()
    assert (hasher.type, hasher.memory_cost >= 65536) == (Type.ID, True)


def test_only_a_hash_is_kept_and_a_login_is_recorded(store: Store) -> None:
    made = Accounts(store).add("王五", Role.UNIT, "bz.korla", PASSWORD, now=T0)
    assert made == Account(made.id, "王五", Role.UNIT, "bz.korla", False)
    with store.engine.connect() as conn:
        hashed = conn.execute(sa.select(accounts.c.password_hash)).scalar_one()
    assert PASSWORD not in hashed
    assert hashed.startswith("$argon2id$")
    assert Accounts(store).login("王五", PASSWORD, now=T0, limits=LIMITS).account == made
    assert [(e["action"], e["actor"], e["door"], e["occurrence_date"]) for e in History(store).entries()] == [
        ("login", "王五", "web", None)]


def test_names_are_unique_and_passwords_long_enough(store: Store) -> None:
    Accounts(store).add("a", Role.ADMIN, None, PASSWORD, now=T0)
    with pytest.raises(AccountError, match="exists already"):
        Accounts(store).add("a", Role.ADMIN, None, PASSWORD, now=T0)
    with pytest.raises(AccountError, match="10 to"):
        Accounts(store).add("b", Role.ADMIN, None, "short", now=T0)
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(accounts).values(name="c", role="boss", password_hash="x", created_at=T0))


def test_unknown_name_disabled_account_and_wrong_password_get_the_same_answer(store: Store) -> None:
    acc = Accounts(store)
    acc.add("on", Role.UNIT, "bz.korla", PASSWORD, now=T0)
    acc.add("off", Role.UNIT, "bz.korla", PASSWORD, now=T0)
    acc.disable("off")
    answers = {acc.login(name, password, now=T0, limits=LIMITS)
               for name, password in [("on", "wrong password"), ("off", PASSWORD), ("nobody", PASSWORD)]}
    assert len(answers) == 1
    assert next(iter(answers)).account is None


@pytest.mark.parametrize("name", ["exists", "does-not-exist"])
def test_wrong_passwords_lock_a_name_out_whether_or_not_it_exists(store: Store, name: str) -> None:
    acc = Accounts(store)
    acc.add("exists", Role.ADMIN, None, PASSWORD, now=T0)
    answers = [acc.login(name, f"wrong {i}", now=T0 + dt.timedelta(minutes=i), limits=LIMITS) for i in range(3)]
    assert [(a.locked_until is not None, a.lockout_began) for a in answers] == [(False, False), (False, False),
                                                                               (True, True)]
    until = T0 + dt.timedelta(minutes=2) + LIMITS.lockout
    assert answers[-1].locked_until == until
    # while locked even the right password is refused, and nothing is counted or told again
    during = acc.login(name, PASSWORD, now=until - dt.timedelta(minutes=1), limits=LIMITS)
    assert (during.account, during.locked_until, during.lockout_began) == (None, until, False)
    after = acc.login(name, PASSWORD, now=until, limits=LIMITS)
    assert (after.account is not None) == (name == "exists")
    actions = [e["action"] for e in History(store).entries()]
    assert actions == ["login_failed"] * 3 + (["login"] if name == "exists" else ["login_failed"])


def test_failures_outside_the_window_or_before_a_success_do_not_count(store: Store) -> None:
    acc = Accounts(store)
    acc.add("a", Role.ADMIN, None, PASSWORD, now=T0)
    acc.login("a", "wrong one", now=T0, limits=LIMITS)
    acc.login("a", "wrong two", now=T0 + dt.timedelta(minutes=1), limits=LIMITS)
    acc.login("a", PASSWORD, now=T0 + dt.timedelta(minutes=2), limits=LIMITS)
    acc.login("a", "wrong three", now=T0 + dt.timedelta(minutes=3), limits=LIMITS)
    assert acc.locked_until("a", T0 + dt.timedelta(minutes=4), LIMITS) is None
    acc.login("a", "wrong four", now=T0 + dt.timedelta(minutes=20), limits=LIMITS)
    last = acc.login("a", "wrong five", now=T0 + dt.timedelta(minutes=21), limits=LIMITS)
    assert last.locked_until is None
    assert last.failures == 2


def test_a_new_password_or_disabling_ends_sessions(store: Store) -> None:
    acc = Accounts(store)
    made = acc.add("a", Role.UNIT, "bz.korla", PASSWORD, now=T0)
    epoch = acc.epoch(made.id)
    assert epoch is not None
    assert acc.for_session(made.id, epoch) == made
    acc.set_password("a", "another long password")
    assert acc.for_session(made.id, epoch) is None
    epoch = acc.epoch(made.id)
    assert epoch is not None
    acc.disable("a")
    assert acc.for_session(made.id, epoch) is None
    assert acc.login("a", "another long password", now=T0, limits=LIMITS).account is None
    assert acc.set_password("nobody", PASSWORD) is None
    assert acc.disable("nobody") is None


def test_who_sees_and_acts_on_what() -> None:
    rules = load_rules(sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.yaml")))
    county = "bz.korla"
    below = rules.descendants(county)
    other = next(u for u in rules.units if u != county and u not in below)
    admin, sup = Account(1, "a", Role.ADMIN, None, False), Account(2, "s", Role.SUPERVISOR, county, False)
    root_sup, unit = Account(3, "r", Role.SUPERVISOR, None, False), Account(4, "u", Role.UNIT, county, False)
    assert visible_units(admin, rules) is None
    assert visible_units(root_sup, rules) is None
    assert visible_units(sup, rules) == visible_units(unit, rules) == frozenset([county, *below])
    assert may_act(admin, other, rules)
    assert may_act(unit, below[0], rules)
    assert may_act(unit, county, rules)
    assert not may_act(unit, other, rules)
    assert not may_act(unit, None, rules)
    assert not any(may_act(s, county, rules) for s in (sup, root_sup))
    assert may_see(sup, below[0], rules)
    assert not may_see(sup, other, rules)
    assert not may_see(unit, None, rules)
    assert visible_units(Account(5, "x", Role.UNIT, county, True), rules) == frozenset()
