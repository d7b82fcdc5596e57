"""The e-mail channel against real SMTP servers on loopback ports (aiosmtpd, and scripted ones)."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import logging
import time
from contextlib import AbstractContextManager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError

import notifiers.email
from notifiers.base import Message, PermanentError, TransientError
from notifiers.email import EmailConfig, EmailNotifier, build_email, message_id
from store import open_store
from tests.smtp_servers import (
    HOST,
    Authenticator,
    DroppingAfterAccept,
    DroppingAfterData,
    Pki,
    Received,
    Recorder,
    RefusingRecipients,
    free_port,
    make_pki,
    scripted_server,
    smtp_server,
)
from tests.test_email_engine import PLAN_AT, dispatch_until_quiet, make_engine

pytestmark = pytest.mark.network

USER = "duty-robot"
PASSWORD = "s3cret-密码-Tr0ub4dor&3"
PASSWORD_ENV = "TEST_SMTP_PASSWORD"
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:PUBLISH\r\n"
    b"BEGIN:VEVENT\r\nUID:korla.monthly-report.2025-03@test\r\nDTSTAMP:20250301T000000Z\r\n"
    b"DTSTART;VALUE=DATE:20250310\r\nSUMMARY:\xe6\x9c\x88\xe5\xba\xa6\xe4\xbf\xa1\xe8\xae\xbf\xe6\x8a\xa5\xe8\xa1\xa8\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def reminder(key: str = "korla.monthly-report/2025-03-10/3d", **fields: Any) -> Message:
    values: dict[str, Any] = {
        "key": key,
        "recipient": "korla-office@example.org",
        "subject": "提醒：月度信访情况报表 3月10日截止",
        "text": "库尔勒市信访局：\n月度信访情况报表应于2025年3月10日前报送州信访局。\n依据：<工作要点> 第三条 & 附件",
        "html": "<p>库尔勒市信访局：</p><p>月度信访情况报表应于<b>2025年3月10日</b>前报送。</p>",
        "ics": ICS,
        "ics_name": "月度报表.ics",
    }
    values.update(fields)
    return Message(**values)


def config(port: int, **fields: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": HOST,
        "port": port,
        "security": "none",
        "from_address": "duty@example.gov.cn",
        "timeout_seconds": 5,
    }
    values.update(fields)
    return EmailConfig(**values)


def tls_config(port: int, pki: Pki, **fields: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "security": "starttls",
        "username": USER,
        "password_env": PASSWORD_ENV,
        "ca_file": str(pki.ca_file),
    }
    values.update(fields)
    return config(port, **values)


def send(cfg: EmailConfig, message: Message | None = None) -> str:
    return asyncio.run(EmailNotifier(cfg).send(message or reminder()))


def parse(received: Received) -> EmailMessage:
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def starttls_server(pki: Pki, handler: object, **kwargs: Any) -> AbstractContextManager[Controller]:
    return smtp_server(
        handler,
        tls_context=pki.server_context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=Authenticator(USER, PASSWORD),
        **kwargs,
    )


def test_starttls_with_auth_delivers_the_whole_message(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    recorder = Recorder()
    with starttls_server(pki, recorder) as server:
        message = reminder()
        returned = send(tls_config(server.port, pki), message)

        assert len(recorder.received) == 1
        got = recorder.received[0]
        assert got.tls
        assert got.login == USER.encode()
        assert got.mail_from == "duty@example.gov.cn"
        assert got.rcpt_tos == ["korla-office@example.org"]
        assert b"\xe6" not in got.content.split(b"\r\n\r\n", 1)[0]  # headers went out encoded (RFC 2047)

        mail = parse(got)
        sender = mail["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == ("法定职责提醒", "duty@example.gov.cn")
        assert mail["To"] == "korla-office@example.org"
        assert mail["Subject"] == message.subject
        assert mail["Date"].datetime is not None
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail["Message-ID"] == returned == message_id(message.key)
        assert returned.startswith("<")
        assert returned.endswith("@obligation-calendar>")

        plain = mail.get_body(preferencelist=("plain",))
        html = mail.get_body(preferencelist=("html",))
        assert plain is not None
        assert html is not None
        assert plain.get_content().rstrip("\n") == message.text
        assert html.get_content().rstrip("\n") == message.html

        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_filename() == "月度报表.ics"
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_param("method") == "PUBLISH"
        assert str(attachment.get_param("charset")).upper() == "UTF-8"
        assert attachment.get_content_disposition() == "attachment"
        assert attachment.get_payload(decode=True) == ICS

        # The same reminder sent again carries the same Message-ID: receivers can drop the copy.
        assert send(tls_config(server.port, pki), reminder()) == returned
        assert parse(recorder.received[1])["Message-ID"] == returned
    assert message_id("another key") != returned


def test_text_only_reminder_gets_an_escaped_html_alternative_and_no_attachment() -> None:
    message = reminder(html=None, ics=None)
    mail = build_email(message, config(25))
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert "<pre" in content
    assert "&lt;工作要点&gt; 第三条 &amp; 附件" in content
    assert "<工作要点>" not in content
    assert list(mail.iter_attachments()) == []
    assert build_email(message, config(25))["Message-ID"] == mail["Message-ID"]


def test_implicit_tls_delivers(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    recorder = Recorder()
    # aiosmtpd counts only STARTTLS as TLS for AUTH, so on an SMTPS listener AUTH is
    # allowed (not required, which would warn) without its TLS check.
    with smtp_server(
        recorder,
        ssl_context=pki.server_context,
        auth_require_tls=False,
        authenticator=Authenticator(USER, PASSWORD),
    ) as server:
        send(tls_config(server.port, pki, security="tls"))
    assert len(recorder.received) == 1
    assert recorder.received[0].tls
    assert recorder.received[0].login == USER.encode()
    assert parse(recorder.received[0])["Subject"] == reminder().subject


def test_wrong_password_is_permanent_and_never_shown(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "wrong-Pa55word-错误"
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    recorder = Recorder()
    with starttls_server(pki, recorder) as server, pytest.raises(PermanentError) as caught:
        send(tls_config(server.port, pki))
    text = str(caught.value)
    assert wrong not in text
    assert PASSWORD not in text
    assert f"{HOST}:{server.port}" in text
    assert "535" in text
    assert recorder.received == []
    cause: BaseException | None = caught.value
    while cause is not None:  # nor anywhere in the chain a traceback would print
        assert wrong not in str(cause)
        cause = cause.__cause__ or cause.__context__


def test_password_echoed_by_the_server_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)

    async def scenario() -> None:
        async with scripted_server(echo_auth=True) as (port, script):
            with pytest.raises(PermanentError) as caught:
                await EmailNotifier(config(port, username=USER, password_env=PASSWORD_ENV)).send(reminder())
            assert any(c.startswith("AUTH PLAIN") for c in script.commands)
            text = str(caught.value)
            assert "535 5.7.8 bad credentials" in text
            assert "***" in text
            assert PASSWORD not in text
            assert base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode() not in text
            assert caught.value.__cause__ is None
            assert caught.value.__suppress_context__

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("550 5.1.1 no such user", PermanentError),
        ("451 4.3.0 try later", TransientError),
        ("452 4.2.2 mailbox full", TransientError),
    ],
)
def test_recipient_refusal_is_mapped_by_reply_code(reply: str, error: type[Exception]) -> None:
    handler = RefusingRecipients(reply=reply)
    with smtp_server(handler) as server, pytest.raises(error) as caught:
        send(config(server.port))
    assert type(caught.value) is error
    assert reply in str(caught.value)
    assert "korla-office@example.org" in str(caught.value)
    assert f"{HOST}:{server.port}" in str(caught.value)
    assert handler.received == []


def test_connection_dropped_during_data_is_transient() -> None:
    async def scenario() -> None:
        async with scripted_server(drop_in_data=True) as (port, script):
            with pytest.raises(TransientError) as caught:
                await EmailNotifier(config(port)).send(reminder())
            assert f"{HOST}:{port}" in str(caught.value)
            assert [c.split(" ", 1)[0] for c in script.commands] == ["EHLO", "MAIL", "RCPT", "DATA"]
            assert script.data_lines == 1
            assert script.completed == 0
        async with scripted_server() as (port, script):  # control: the same script, no drop
            await EmailNotifier(config(port)).send(reminder())
            assert script.completed == 1

    asyncio.run(scenario())


def test_connection_dropped_before_the_data_reply_is_transient() -> None:
    """The server read the message but died before its 250: not delivered as far as we know."""
    handler = DroppingAfterData()
    with smtp_server(handler) as server, pytest.raises(TransientError):
        send(config(server.port))
    assert handler.dropped == 1
    assert handler.received == []


def test_a_drop_before_the_250_is_retried_and_the_resend_has_the_same_message_id() -> None:
    """At-least-once where the 250 itself is lost: the server may have kept the first copy, and the
    resend carries the same Message-ID, so the receiving side can drop the duplicate."""
    handler = DroppingAfterData(drops=1)
    with smtp_server(handler) as server:
        with pytest.raises(TransientError, match="connection lost"):
            send(config(server.port))
        returned = send(config(server.port))
    assert handler.dropped == 1
    assert len(handler.seen) == 2
    assert len(handler.received) == 1
    first, second = (email.message_from_bytes(content, policy=email.policy.default) for content in handler.seen)
    assert first["Message-ID"] == second["Message-ID"] == returned == message_id(reminder().key)


@pytest.mark.parametrize("when", ["now", "quit"])
@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_a_message_the_server_accepted_before_the_connection_dropped_is_sent(
        pki: Pki, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, security: str, when: str) -> None:
    """The DATA's 250 came back, then the connection dropped (at once, or at QUIT): delivered, not failed."""
    caplog.set_level(logging.DEBUG, logger="notifiers")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    handler = DroppingAfterAccept(when=when)
    tls = {"none": {}, "starttls": {"tls_context": pki.server_context, "require_starttls": True},
           "tls": {"ssl_context": pki.server_context}}[security]
    with smtp_server(handler, **tls) as server:  # type: ignore[arg-type]
        cfg = config(server.port, timeout_seconds=2) if security == "none" else \
            tls_config(server.port, pki, security=security, username=None, password_env=None, timeout_seconds=2)
        started = time.monotonic()
        returned = send(cfg)
        took = time.monotonic() - started
    assert returned == message_id(reminder().key)
    assert len(handler.received) == 1
    assert parse(handler.received[0])["Message-ID"] == returned
    assert took < 1.5  # the drop was seen at once, not waited out
    assert not [r for r in caplog.records if r.exc_info]


def test_a_server_that_never_answers_quit_does_not_hold_an_accepted_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifiers.email, "QUIT_TIMEOUT", 0.2)  # 5 s in service; the step timeout below is 30 s

    async def scenario() -> None:
        async with scripted_server(silent_quit=True) as (port, script):
            started = time.monotonic()
            returned = await EmailNotifier(config(port, timeout_seconds=30)).send(reminder())
            assert time.monotonic() - started < 1.5
            assert returned == message_id(reminder().key)
            assert script.completed == 1

    asyncio.run(scenario())


def tried(engine: Any) -> list[dict[str, Any]]:
    """The e-mail rows the engine has tried to send (later occurrences wait, untried, as pending)."""
    return [r for r in engine.store.listing("sent", "failed", "pending")
            if r["channel"] == "email" and (r["status"] != "pending" or r["attempts"] > 0)]


@pytest.mark.parametrize("when", ["now", "quit"])
def test_through_the_engine_a_mail_accepted_before_a_drop_ends_sent(tmp_path: Path, when: str) -> None:
    handler = DroppingAfterAccept(when=when)
    clock = [PLAN_AT]
    with smtp_server(handler) as server:
        engine = make_engine(open_store(f"sqlite:///{tmp_path / 'store.db'}"), server.port, clock)
        dispatch_until_quiet(engine, clock)
    rows = tried(engine)
    assert {r["status"] for r in rows} == {"sent"}
    assert all(r["attempts"] == 1 for r in rows)
    assert sorted(r["provider_id"] for r in rows) == sorted(parse(m)["Message-ID"] for m in handler.received)
    assert len(handler.received) == len(rows) == 2


def test_through_the_engine_a_lost_250_is_resent_with_the_same_message_id(tmp_path: Path) -> None:
    handler = DroppingAfterData(drops=1)  # the first message is read and its 250 never sent
    clock = [PLAN_AT]
    with smtp_server(handler) as server:
        engine = make_engine(open_store(f"sqlite:///{tmp_path / 'store.db'}"), server.port, clock)
        dispatch_until_quiet(engine, clock)
    rows = tried(engine)
    assert {r["status"] for r in rows} == {"sent"}
    assert sorted(r["attempts"] for r in rows) == [1, 2]
    ids = [email.message_from_bytes(content, policy=email.policy.default)["Message-ID"] for content in handler.seen]
    assert len(ids) == 3
    assert ids.count(ids[0]) == 2  # the dropped message came again, under the same Message-ID
    assert sorted(r["provider_id"] for r in rows) == sorted(set(ids))


def test_server_down_is_transient_then_delivers_once_it_is_up() -> None:
    port = free_port()
    with pytest.raises(TransientError) as caught:
        send(config(port))
    assert f"{HOST}:{port}" in str(caught.value)

    recorder = Recorder()
    with smtp_server(recorder, port=port):
        returned = send(config(port))
    assert len(recorder.received) == 1
    assert parse(recorder.received[0])["Message-ID"] == returned


def test_missing_password_variable_is_permanent_and_named(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    recorder = Recorder()
    with starttls_server(pki, recorder) as server, pytest.raises(PermanentError) as caught:
        send(tls_config(server.port, pki))
    assert PASSWORD_ENV in str(caught.value)
    assert "not set" in str(caught.value)
    assert recorder.received == []

    monkeypatch.setenv(PASSWORD_ENV, "")
    with pytest.raises(PermanentError, match=f"{PASSWORD_ENV} is empty"):
        send(tls_config(free_port(), pki))


def test_untrusted_certificate_is_permanent(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    recorder = Recorder()
    with starttls_server(pki, recorder) as server, pytest.raises(PermanentError, match="certificate"):
        send(tls_config(server.port, pki, ca_file=None))
    assert recorder.received == []


def test_tls_against_a_plain_port_is_permanent() -> None:
    with smtp_server(Recorder()) as server, pytest.raises(PermanentError, match="TLS handshake failed"):
        send(config(server.port, security="tls"))


def test_starttls_required_but_not_offered_is_permanent() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as server, pytest.raises(PermanentError, match="STARTTLS"):
        send(config(server.port, security="starttls"))
    assert recorder.received == []


def test_silent_server_times_out_transiently() -> None:
    async def scenario() -> None:
        async with scripted_server(greet=False) as (port, _script):
            with pytest.raises(TransientError, match="timed out"):
                await EmailNotifier(config(port, timeout_seconds=0.2)).send(reminder())

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "recipient", ["a@example.org\r\nBcc: all@example.org", "a b@example.org", "张三 <a@example.org>", "nobody"]
)
def test_unusable_recipient_is_permanent_before_connecting(recipient: str) -> None:
    with pytest.raises(PermanentError, match="not an e-mail address"):
        send(config(free_port()), reminder(recipient=recipient))  # nothing listens: no connection tried


def test_config_is_strict() -> None:
    assert EmailConfig(host="smtp.example.org", from_address="a@example.org").port == 587
    with pytest.raises(ValidationError):
        EmailConfig(host="smtp.example.org", from_address="a@example.org", password="hunter2")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="go together"):
        EmailConfig(host="smtp.example.org", from_address="a@example.org", username="u")
    with pytest.raises(ValidationError):
        EmailConfig(host="smtp.example.org", from_address="a@example.org", security="ssl")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="bare e-mail address"):
        EmailConfig(host="smtp.example.org", from_address="提醒 <a@example.org>")

