"""Reminders by e-mail end to end: the engine, the real e-mail channel, aiosmtpd on loopback.

Every reminder arrives exactly once: through STARTTLS with AUTH, through a
server that drops the connection mid-message, and through one that is down and
then up; a server that refuses the address gives a recorded failure and a
notice to the admins, not a silent loss.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import random
from pathlib import Path

import pytest

from notifiers.email import EmailConfig, EmailNotifier
from notifiers.log import LogNotifier
from obligations.config import Recipient, RemindersConfig, SubscriberConfig, SubscriptionConfig
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import Store
from store.reminders import ReminderStore
from tests.conftest import DATA
from tests.smtp_servers import (
    HOST,
    Authenticator,
    DroppingAfterData,
    Recorder,
    RefusingRecipients,
    free_port,
    make_pki,
    smtp_server,
)

pytestmark = pytest.mark.network

PLAN_AT = dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)  # 1d before the 28 Feb 2026 report deadline, 09:00


def make_engine(store: Store, port: int, clock: list[dt.datetime], *, ca_file: Path | None = None,
                security: str = "none", username: str | None = None) -> ReminderEngine:
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, PLAN_AT)
    subscribers = [SubscriberConfig(name=f"单位{i}", channel="email", address=f"office{i}@example.org",
                                    subscriptions=[SubscriptionConfig(unit=unit, lead_times=["1d"])])
                   for i, unit in enumerate(["cty", "pref"])]
    config = snapshot.loaded.config.model_copy(update={
        "subscribers": subscribers,
        "reminders": RemindersConfig(admins=[Recipient(channel="log", address="admin")], backoff_seconds=30),
    })
    snap = Snapshot(1, snapshot.loaded.__class__(config, snapshot.loaded.path), snapshot.rules, snapshot.calendar,
                    snapshot.tz, snapshot.loaded_at)
    channel = EmailNotifier(EmailConfig(
        host=HOST, port=port, security=security, from_address="duty@example.org", timeout_seconds=5,
        ca_file=str(ca_file) if ca_file else None, username=username,
        password_env="TEST_SMTP_PASSWORD" if username else None))
    engine = ReminderEngine(lambda: snap, ReminderStore(store), {"email": channel, "log": LogNotifier()},
                            clock=lambda: clock[0], instance="t", base_url="http://duties.test")
    engine.dispatcher.rng = random.Random(3)
    engine.sync_subscribers()
    engine.plan()
    clock[0] = DUE
    return engine


def dispatch_until_quiet(engine: ReminderEngine, clock: list[dt.datetime], rounds: int = 5) -> None:
    for _ in range(rounds):
        asyncio.run(engine.dispatch())
        nxt = engine.store.next_due(before=clock[0] + dt.timedelta(days=1))
        if nxt is None:
            return
        clock[0] = max(clock[0], nxt)


def recipients(handler: Recorder) -> list[str]:
    return sorted(r for m in handler.received for r in m.rcpt_tos)


def test_starttls_and_auth_each_reminder_once_with_its_calendar_file(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    pki = make_pki(tmp_path)
    handler = Recorder()
    with smtp_server(handler, tls_context=pki.server_context, require_starttls=True, auth_require_tls=True,
                     authenticator=Authenticator("robot", "s3cret")) as server:
        clock = [PLAN_AT]
        engine = make_engine(store, server.port, clock, ca_file=pki.ca_file, security="starttls", username="robot")
        dispatch_until_quiet(engine, clock)
    assert recipients(handler) == ["office0@example.org", "office1@example.org"]
    assert all(m.tls and m.login == b"robot" for m in handler.received)
    mail = email.message_from_bytes(handler.received[0].content, policy=email.policy.default)
    assert "报告上一年度法治政府建设情况" in str(mail["Subject"])
    attachments = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(attachments) == 1
    ics = attachments[0].get_content()
    assert "METHOD:PUBLISH" in ics
    assert "DTSTART;VALUE=DATE:20260228" in ics
    assert "/done/" in mail.get_body(preferencelist=("plain",)).get_content()  # the signed "mark done" link
    assert {r["status"] for r in engine.store.listing("sent")} == {"sent"}


def test_a_dropped_connection_is_retried_and_delivered_once(store: Store) -> None:
    dropping = DroppingAfterData()
    port = free_port()
    clock = [PLAN_AT]
    with smtp_server(dropping, port=port):
        engine = make_engine(store, port, clock)
        asyncio.run(engine.dispatch())
    assert dropping.dropped == 2  # one message per recipient, both dropped before the server's 250
    assert dropping.received == []
    assert len([r for r in engine.store.listing("pending") if r["attempts"] == 1]) == 2  # both to be retried
    good = Recorder()
    with smtp_server(good, port=port):
        dispatch_until_quiet(engine, clock)
    assert recipients(good) == ["office0@example.org", "office1@example.org"]


def test_a_server_that_is_down_then_up(store: Store) -> None:
    port = free_port()
    clock = [PLAN_AT]
    engine = make_engine(store, port, clock)
    first = asyncio.run(engine.dispatch())  # nothing listens: connection refused
    assert (first.sent, first.retried) == (0, 2)
    handler = Recorder()
    with smtp_server(handler, port=port):
        dispatch_until_quiet(engine, clock)
    assert recipients(handler) == ["office0@example.org", "office1@example.org"]
    assert len(handler.received) == 2


def test_a_refusing_server_fails_loudly_not_silently(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    handler = RefusingRecipients()
    caplog.set_level("INFO", logger="notifiers.log")
    with smtp_server(handler) as server:
        clock = [PLAN_AT]
        engine = make_engine(store, server.port, clock)
        dispatch_until_quiet(engine, clock)
    assert handler.received == []
    failed = engine.store.listing("failed")
    assert len(failed) == 2
    assert all("550" in r["last_error"] for r in failed)
    assert caplog.text.count("reminder to admin") == 1  # the two notices arrive as one digest
