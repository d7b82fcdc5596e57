"""The reminder's lifecycle (store.lifecycle) and the columns that replaced lead_time's other meanings.

The database tests run on SQLite and PostgreSQL (the ``url`` and ``store`` fixtures run both).
"""

from __future__ import annotations

import datetime as dt
import itertools
import runpy
from dataclasses import replace

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from scheduler.planner import Planned, ReminderKind
from store import Store, open_store
from store.claimed import as_utc
from store.db import MIGRATIONS
from store.lifecycle import (
    FINAL,
    TRANSITIONS,
    Event,
    IllegalTransition,
    Notice,
    ReminderStatus,
    advance,
    sources,
    target,
)
from store.reminders import ReminderStore
from store.tables import NOTICES, REMINDER_KINDS, REMINDER_STATUSES, reminders

T0 = dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
S, E = ReminderStatus, Event

LEGAL = [
    (S.PENDING, E.CLAIMED, S.CLAIMED),
    (S.CLAIMED, E.LEASE_LAPSED, S.CLAIMED),
    (S.CLAIMED, E.RENEWED, S.CLAIMED),
    (S.CLAIMED, E.SENT, S.SENT),
    (S.CLAIMED, E.RETRY, S.PENDING),
    (S.CLAIMED, E.FAILED, S.FAILED),
    (S.CLAIMED, E.MISSED, S.MISSED),
    (S.PENDING, E.CANCELLED, S.CANCELLED),
]
ILLEGAL = sorted(set(itertools.product(S, E)) - {(s, e) for s, e, _ in LEGAL})


@pytest.mark.parametrize(("status", "event", "after"), LEGAL)
def test_every_legal_transition(status: ReminderStatus, event: Event, after: ReminderStatus) -> None:
    assert advance(status, event) is after
    assert advance(status.value, event.value) is after  # as read from a row
    assert status in sources(event)
    assert target(event) is after


@pytest.mark.parametrize(("status", "event"), ILLEGAL)
def test_every_illegal_transition_is_refused(status: ReminderStatus, event: Event) -> None:
    with pytest.raises(IllegalTransition) as info:
        advance(status, event)
    assert (info.value.status, info.value.event) == (status, event)
    assert f"a {status.value} reminder cannot be {event.value}" in str(info.value)
    assert status not in sources(event)


def test_the_table_is_the_one_above_and_final_statuses_stay_final() -> None:
    assert {(s, e, to) for e, (froms, to) in TRANSITIONS.items() for s in froms} == set(LEGAL)
    assert len(ILLEGAL) == len(S) * len(E) - len(LEGAL)
    for status in FINAL:
        assert not [e for e in E if status in sources(e)], status
    assert str(IllegalTransition(S.SENT, E.CANCELLED)).endswith("it can be: nothing (final)")
    assert str(IllegalTransition(S.PENDING, E.SENT)).endswith("it can be: cancelled, claimed")


def test_a_status_or_event_that_is_not_one_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'bogus' is not a valid ReminderStatus"):
        advance("bogus", E.SENT)
    with pytest.raises(ValueError, match="'snooze' is not a valid Event"):
        advance(S.PENDING, "snooze")


def test_the_database_allows_exactly_the_enums() -> None:
    assert REMINDER_STATUSES == ("pending", "claimed", "sent", "failed", "missed", "cancelled")
    assert REMINDER_KINDS == ("reminder", "changed", "escalation", "admin", "opening", "summary")
    frozen_kinds = runpy.run_path(str(MIGRATIONS / "versions" / "0012_summary_kind.py"))["KINDS"]
    assert frozen_kinds == REMINDER_KINDS  # a new kind needs a migration that allows it
    assert NOTICES == ("failed", "missed", "bad subscription", "invite lockout", "login lockout")
    frozen = runpy.run_path(str(MIGRATIONS / "versions" / "0009_accounts.py"))["NOTICES"]
    assert frozen == NOTICES  # a new notice needs a migration that allows it


# -- the store follows the table ---------------------------------------------------------------------------


def _planned(n: int, due: dt.datetime = T0 + HOUR, **fields: object) -> Planned:
    return replace(Planned(f"k{n}", ReminderKind.REMINDER, f"ob/u{n}", "ob", None, dt.date(2025, 4, 1), None,
                           "log", f"to{n}", "zh-CN", "1d", due, due), **fields)


def _status(rs: ReminderStore, rid: int) -> str:
    row = rs.get(rid)
    assert row is not None
    return str(row["status"])


def test_the_store_settles_only_what_the_table_allows(store: Store) -> None:
    rs = ReminderStore(store)
    rs.add([_planned(i) for i in range(3)], T0)
    at, lease = T0 + 2 * HOUR, dt.timedelta(minutes=5)
    ids = [r.id for r in rs.claim("a", at, limit=10, lease=lease)]
    assert [_status(rs, i) for i in ids] == ["claimed"] * 3
    assert rs.mark_sent(ids[:1], "a", now=at, late=False, provider_id=None) == 1
    assert rs.mark_failed(ids[:1], "a", error="x") == 0  # sent is final
    assert rs.mark_retry(ids[1:2], "a", error="busy", at=at + HOUR) == 1
    assert rs.mark_missed(ids[1:2], "a", reason="x") == 0  # pending again: only a claim may settle
    assert rs.mark_done(uid="ob/u1", obligation="ob", unit=None, date=dt.date(2025, 4, 1), by="me", at=at)
    assert rs.mark_done(uid="ob/u2", obligation="ob", unit=None, date=dt.date(2025, 4, 1), by="me", at=at)
    # a claimed reminder is not cancelled: its holder settles it
    assert [_status(rs, i) for i in ids] == ["sent", "cancelled", "claimed"]
    assert rs.mark_missed(ids[2:], "a", reason="the date passed") == 1
    assert [_status(rs, i) for i in ids] == ["sent", "cancelled", "missed"]


def test_the_database_refuses_a_notice_that_is_not_one(store: Store) -> None:
    rs = ReminderStore(store)
    with pytest.raises(ValueError, match="'exploded' is not a valid Notice"):
        rs.add([_planned(0, notice="exploded")], T0)
    row = ReminderStore._row(_planned(1, notice="failed"), T0) | {"notice": "exploded"}
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(reminders).values(**row))


def test_a_snoozed_reminder_survives_planning(store: Store) -> None:
    """Regression: a "remind me tomorrow" row was a pending reminder in no plan, so the next
    planning run cancelled it as stale. It is now marked ``snoozed`` and planning leaves it alone."""
    rs = ReminderStore(store)
    original = _planned(0, lead_time="3d")
    rs.add([original], T0)
    rid = rs.claim("a", T0 + 2 * HOUR, limit=1, lease=dt.timedelta(minutes=5))[0].id
    rs.mark_sent([rid], "a", now=T0 + 2 * HOUR, late=False, provider_id=None)
    at = dt.datetime(2025, 3, 17, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert rs.snooze(rid, at=at, address="to0", language="en", now=T0 + 3 * HOUR)
    assert rs.snooze(rid, at=at, address="to0", language="en", now=T0 + 3 * HOUR)  # twice: one row
    assert not rs.snooze(999_999, at=at, address="to0", language="en", now=T0)
    report = rs.sync_plan([], now=T0 + 4 * HOUR, until=T0 + 72 * HOUR)
    assert report.cancelled == 0
    [row] = rs.listing("pending")
    assert (row["key"], row["kind"], row["lead_time"], row["snoozed"], row["language"]) == (
        "k0|snooze|2025-03-17", "reminder", "3d", True, "en")
    assert as_utc(row["send_after"]) == dt.datetime(2025, 3, 17, 1, 0, tzinfo=dt.UTC)  # 09:00 at UTC+8
    # marking the duty done cancels the snooze too
    assert rs.mark_done(uid="ob/u0", obligation="ob", unit=None, date=dt.date(2025, 4, 1), by="me", at=T0)
    assert rs.listing("pending") == []


# -- migration 0006 moves lead_time's other meanings into their columns --------------------------------------


def _old_row(n: int, kind: str, lead_time: str) -> dict[str, object]:
    return {"key": f"k{n}", "kind": kind, "occurrence_uid": "u", "obligation": "ob", "unit": None,
            "occurrence_date": dt.date(2025, 4, 3), "subscriber_id": None, "channel": "log", "address": "a",
            "language": "zh-CN", "lead_time": lead_time, "due_at": T0, "send_after": T0, "status": "pending",
            "attempts": 0, "late": False, "created_at": T0}


def test_migration_0006_moves_old_lead_time_values_into_their_columns(url: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    old = [_old_row(0, "reminder", "1wd"), _old_row(1, "changed", "2025-04-01"), _old_row(2, "admin", "missed"),
           _old_row(3, "admin", "bad subscription"), _old_row(4, "reminder", "snooze"),
           _old_row(5, "escalation", "2d"), _old_row(6, "admin", "something else"), _old_row(7, "changed", "?")]
    with engine.begin() as conn:
        conn.execute(sa.insert(sa.table("reminders", *(sa.column(name) for name in old[0]))), old)
    engine.dispose()
    with caplog.at_level("INFO"):
        store = open_store(url)
    try:
        with store.engine.connect() as conn:
            got = {r.key: (r.lead_time, r.previous_date, r.notice, r.snoozed)
                   for r in conn.execute(sa.select(reminders).order_by(reminders.c.key))}
        assert got == {
            "k0": ("1wd", None, None, False),
            "k1": ("", dt.date(2025, 4, 1), None, False),
            "k2": ("", None, "missed", False),
            "k3": ("", None, "bad subscription", False),
            "k4": ("", None, None, True),
            "k5": ("2d", None, None, False),
            "k6": ("", None, None, False),
            "k7": ("", None, None, False),
        }
        assert "moved 2 change date(s), 2 admin notice(s) and 1 snooze(s)" in caplog.text
        assert "1 admin notice(s) carried a subject that is not one of" in caplog.text
        # the rebuilt table (SQLite batch mode) keeps its indexes and the new CHECK holds
        assert {i["name"] for i in sa.inspect(store.engine).get_indexes("reminders")} >= {
            "ix_reminders_status_send_after", "ix_reminders_occurrence"}
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.update(reminders).where(reminders.c.key == "k2").values(notice="exploded"))
        # and the dispatcher reads the moved values
        claimed = {r.key: r for r in ReminderStore(store).claim("x", T0, limit=10, lease=HOUR)}
        assert (claimed["k1"].previous_date, claimed["k2"].notice, claimed["k4"].snoozed) == (
            dt.date(2025, 4, 1), Notice.MISSED, True)
    finally:
        store.close()


def test_migration_0006_downgrades_back_to_lead_time(url: str) -> None:
    store = open_store(url)
    try:
        rs = ReminderStore(store)
        rs.add([_planned(0, kind=ReminderKind.CHANGED, lead_time="", previous_date=dt.date(2025, 3, 30)),
                _planned(1, kind=ReminderKind.ADMIN, lead_time="", notice=Notice.FAILED),
                _planned(2, snoozed=True)], T0)
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        with store.engine.connect() as conn:
            got = dict(conn.execute(sa.text("SELECT key, lead_time FROM reminders ORDER BY key")).all())
            columns = {c["name"] for c in sa.inspect(conn).get_columns("reminders")}
        assert got == {"k0": "2025-03-30", "k1": "failed", "k2": "snooze"}
        assert not columns & {"previous_date", "notice", "snoozed"}
    finally:
        store.close()


def test_migration_0008_allows_opening_notices_and_downgrades_without_them(url: str) -> None:
    """0008 widens the kind CHECK for ``opening``; its downgrade deletes those rows and narrows it again."""
    store = open_store(url)
    try:
        ReminderStore(store).add([_planned(0), _planned(1, kind=ReminderKind.OPENING, lead_time="")], T0)
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with store.engine.connect() as conn:
            assert dict(conn.execute(sa.text("SELECT key, kind FROM reminders")).all()) == {"k0": "reminder"}
        opening = {**_old_row(2, "opening", ""), "status": "pending"}
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(sa.table("reminders", *(sa.column(name) for name in opening))), [opening])
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
            conn.execute(sa.insert(sa.table("reminders", *(sa.column(name) for name in opening))), [opening])
    finally:
        store.close()
