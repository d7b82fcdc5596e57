"""The history of changes (store.history), the day done (completions.done_on) and migration 0007.

A store contract, run on SQLite and (in the slow run) PostgreSQL: every change made through
service.actions from each door appends one row in the change's transaction, and rows never change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from scheduler.occurrence import Occurrence
from scheduler.planner import Planned, ReminderKind
from scheduler.snapshot import Snapshot, load_snapshot
from service import actions
from service.actions import Actor, Door, Target
from store import Store, open_store
from store.db import MIGRATIONS
from store.history import History
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore
from store.tables import completions, history
from tests.conftest import DATA, ROOT

NOW = dt.datetime(2026, 2, 21, 1, 0, tzinfo=dt.UTC)  # Saturday 21 Feb 2026, 09:00 in Shanghai
TODAY = dt.date(2026, 2, 21)
REPORT_DAY = dt.date(2026, 2, 28)


@pytest.fixture
def snapshot() -> Snapshot:
    return load_snapshot(DATA / "sample-config.yaml", 1, NOW)


def _report(snapshot: Snapshot) -> Occurrence:
    found = actions.find_occurrence(snapshot, "t.report", "cty", REPORT_DAY)
    assert isinstance(found, Occurrence)
    return found


def _rows(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(history).order_by(history.c.id))]


def test_every_change_from_every_door_is_appended_and_never_changed(store: Store, snapshot: Snapshot) -> None:
    reminders = ReminderStore(store)
    occ = _report(snapshot)
    target = Target.of(occ)
    subscribers = SubscriberStore(store)
    person = subscribers.redeem(subscribers.create_invite(unit=None, admin=False, now=NOW), channel="telegram",
                                address="4242", name="李四", language="zh-CN", now=NOW)
    assert person is not None
    reminders.add([Planned("k", ReminderKind.REMINDER, occ.uid, "t.report", "cty", REPORT_DAY, person.id,
                           "telegram", "4242", "zh-CN", "1d", NOW, NOW)], NOW)
    reminder = reminders.listing("pending")[0]
    cli, bot, web = Actor("张三", Door.CLI), Actor("李四", Door.BOT, person), Actor("王五", Door.WEB)
    seen: list[tuple[Any, ...]] = []

    def step(at: dt.datetime, change: Callable[[], object]) -> None:
        change()
        rows = _rows(store)
        assert rows[:len(seen)] == seen  # what was there is unchanged ...
        assert len(rows) == len(seen) + 1  # ... and each change appended one row
        seen[:] = rows
        assert rows[-1][1].replace(tzinfo=rows[-1][1].tzinfo or dt.UTC) == at

    later = [NOW + dt.timedelta(minutes=m) for m in range(6)]
    step(later[0], lambda: actions.mark_done(reminders, target, cli, now=later[0], done_on=dt.date(2026, 2, 20),
                                             today=TODAY, note="已报送", evidence_url="https://example.org/r.pdf"))
    step(later[1], lambda: actions.undo_done(reminders, target, web, now=later[1]))
    step(later[2], lambda: actions.mark_done(reminders, target, bot, now=later[2], done_on=TODAY, today=TODAY))
    step(later[3], lambda: actions.set_done_on(reminders, target, bot, now=later[3], done_on=dt.date(2026, 2, 20),
                                               today=TODAY))
    step(later[4], lambda: actions.undo_done(reminders, target, bot, now=later[4]))
    step(later[5], lambda: actions.snooze(reminders, snapshot, reminder, bot, now=later[5]))
    # nothing that is not a change is recorded: an undo of what is not done, a second snooze that day
    actions.undo_done(reminders, target, cli, now=later[5])
    actions.snooze(reminders, snapshot, reminder, bot, now=later[5])
    assert _rows(store) == seen
    entries = History(store).entries(obligation="t.report", unit="cty")
    assert [(e["action"], e["door"], e["actor"], e["done_on"]) for e in entries] == [
        ("done", "cli", "张三", dt.date(2026, 2, 20)), ("undo", "web", "王五", dt.date(2026, 2, 20)),
        ("done", "bot", "李四", TODAY), ("redate", "bot", "李四", dt.date(2026, 2, 20)),
        ("undo", "bot", "李四", dt.date(2026, 2, 20)), ("snooze", "bot", "李四", None)]
    assert entries[0]["note"] == "已报送"
    assert entries[0]["evidence_url"] == "https://example.org/r.pdf"
    assert all(e["occurrence_uid"] == occ.uid and e["occurrence_date"] == REPORT_DAY for e in entries)
    assert entries[-1]["remind_at"] is not None
    since = History(store).entries(since=later[3])
    assert [e["action"] for e in since] == ["redate", "undo", "snooze"]
    assert History(store).entries(unit="cty2") == []


@pytest.mark.parametrize("values", [{"door": "email"}, {"action": "delete"}])
def test_the_database_refuses_an_unknown_door_or_action(store: Store, values: dict[str, str]) -> None:
    row = {"at": NOW, "actor": "x", "door": "cli", "action": "done", "occurrence_uid": "u", "obligation": "ob",
           "unit": None, "occurrence_date": TODAY, **values}
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(history).values(**row))


def test_no_store_code_updates_or_deletes_history_rows() -> None:
    """Append-only by construction: the store only ever inserts into the history table."""
    offenders = []
    for path in sorted((ROOT / "store").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"(update|delete)\(\s*history\b", r"history\.(update|delete)\(",
                        r"(?i)(UPDATE|DELETE\s+FROM)\s+history\b"):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []
    assert not [name for name in dir(History) if name.startswith(("update", "delete", "remove", "edit"))]


def _alembic(url: str, action: Callable[..., None], revision: str) -> None:
    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg, revision)
    engine.dispose()


def test_migration_0007_backfills_done_on_and_goes_down_and_up_again(url: str) -> None:
    """done_on of an old completion is the day of done_at in Asia/Shanghai (23:30 UTC is the next day)."""
    _alembic(url, command.upgrade, "0006")
    engine = sa.create_engine(url)
    old = sa.table("completions", *(sa.column(c) for c in (
        "occurrence_uid", "obligation", "unit", "occurrence_date", "done_by", "done_at", "note")))
    with engine.begin() as conn:
        conn.execute(sa.insert(old), [
            {"occurrence_uid": "a", "obligation": "ob", "unit": None, "occurrence_date": dt.date(2025, 3, 1),
             "done_by": "me", "done_at": dt.datetime(2025, 2, 20, 23, 30, tzinfo=dt.UTC), "note": ""},
            {"occurrence_uid": "b", "obligation": "ob", "unit": "u", "occurrence_date": dt.date(2025, 3, 1),
             "done_by": "me", "done_at": dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC), "note": ""}])
    engine.dispose()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            found = dict(conn.execute(sa.select(completions.c.occurrence_uid, completions.c.done_on)).all())
        assert found == {"a": dt.date(2025, 2, 21), "b": dt.date(2025, 3, 2)}
        assert not sa.inspect(store.engine).get_columns("completions")[-1]["nullable"]
        with store.engine.begin() as conn:
            conn.execute(sa.insert(history).values(at=NOW, actor="x", door="cli", action="done", occurrence_uid="a",
                                                   obligation="ob", occurrence_date=TODAY))
    finally:
        store.close()
    _alembic(url, command.downgrade, "0006")
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    assert "history" not in inspector.get_table_names()
    assert "done_on" not in {c["name"] for c in inspector.get_columns("completions")}
    engine.dispose()
    again = open_store(url)  # up again: the completions come back with their day
    try:
        with again.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(completions)).scalar_one() == 2
            assert conn.execute(sa.select(sa.func.count()).select_from(history)).scalar_one() == 0
    finally:
        again.close()


# -- the command line ------------------------------------------------------------------------------------


def test_done_on_undo_and_history_at_the_command_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    config = str(DATA / "sample-config.yaml")
    marked = cli("done", "--config", config, "t.report", "cty", "2026-02-28", "--on", "2026-02-20", "--by", "张三",
                 "--note", "已报送", "--evidence", "https://example.org/r.pdf")
    assert marked.code == 0, marked.err
    assert marked.out == "已标记完成(完成日期 2026-02-20):t.report/cty/2026\n"
    future = cli("done", "--config", config, "t.report", "cty", "2026-02-28", "--on", "2999-01-01", "--lang", "en")
    assert future.code == 1
    assert "--on 2999-01-01 is after today" in future.err
    assert "Beijing time); nothing was recorded" in future.err
    assert cli("done", "--config", config, "t.report", "cty", "2026-03-01", "--undo", "--by", "李四").code == 0
    table = cli("history", "--config", config, "--obligation", "t.report", "--unit", "cty")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].startswith("时间(北京时间)")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d\s+张三\s+命令行\s+标记完成\s+t\.report\s+cty\s+2026-02-28\s+"
                    r"2026-02-20\s+已报送 https://example.org/r.pdf$", lines[1]), lines[1]
    assert re.search(r"李四\s+命令行\s+撤销完成", lines[2])
    assert table.err.strip() == "共2条记录,时间为 北京时间"
    records = cli("history", "--config", config, "--format", "json", "--since", "2026-01-01").json()
    assert [(r["action"], r["door"], r["actor"], r["done_on"]) for r in records] == [
        ("done", "cli", "张三", "2026-02-20"), ("undo", "cli", "李四", "2026-02-20")]
    assert records[0]["at"].endswith("+08:00")
    assert records[0]["time_zone"] == "Asia/Shanghai"
    assert json.loads(cli("history", "--config", config, "--format", "json", "--since", "2999-01-01").out) == []
    assert cli("history", "--config", config, "--unit", "cty.twn").code == 2
