"""Every chat-robot channel (wecom, dingtalk, feishu, webhook) against a far side that misbehaves.

Real HTTP on loopback (tests/robot_receivers.py): HTTP 5xx, 429 with and without a wait, the
platforms' own rate-limit codes, an answer that never comes, a body that trickles past the
timeout, garbage and wrong-shape JSON, redirects, and below HTTP a reset, a close and a reply
that is not HTTP. The contract, for each fault and each channel: ``send`` returns (delivered) or
raises exactly :class:`TransientError` (the engine retries with backoff, after ``retry_after``
when the far side gave one) or :class:`PermanentError` (failed for good), with a one-line reason
that names the robot and holds no secret; nothing else escapes and nothing logs a traceback; one
``send`` is one request (the notifier never retries on its own). Then the engine end to end: a
robot that fails a few times and then accepts gets the message exactly once and the row ends
``sent``; a permanent refusal ends ``failed`` with the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import notifiers
from notifiers.base import Message, Notifier, PermanentError, TransientError
from notifiers.log import LogNotifier
from obligations.config import Recipient, RemindersConfig, SubscriberConfig, SubscriptionConfig
from scheduler.snapshot import Snapshot, load_snapshot
from service.engine import ReminderEngine
from store import open_store
from store.reminders import ReminderStore
from tests.conftest import DATA
from tests.robot_receivers import (
    OK,
    LiveReceivers,
    Reply,
    Robot,
    RobotReceivers,
    free_port,
    raw_receiver,
    running_receivers,
)
from tests.test_robots import (
    CHANNELS,
    DING_SECRET,
    DING_TOKEN,
    FEISHU_SECRET,
    FEISHU_TOKEN,
    HOOK_SECRET,
    WECOM_KEY,
    address,
    assert_no_secret,
    reminder,
    settings,
)

pytestmark = [pytest.mark.slow, pytest.mark.network]

TIMEOUT = 0.3  # the channels' timeout_seconds in these tests
# Tests that count attempts exactly through the engine: a loopback connect that a loaded CI machine
# delays past 0.3 s would be one more (real, but unscripted) retry and shift the receiver's script.
ROUND_TIMEOUT = 1.0
SLACK = 0.7  # how much longer than TIMEOUT a timed-out send may take on a loaded machine
MAX_RETRY_AFTER = 86400.0
CODE_CHANNELS = ("wecom", "dingtalk", "feishu")  # channels whose reply carries an error code
# What a refusal for the rate without a wait makes each channel wait (DingTalk blocks a robot for ten minutes).
RATE_WAIT = {"wecom": 60.0, "dingtalk": 600.0, "feishu": 60.0, "webhook": 60.0}
DELIVERED = "delivered"


# ----------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def live() -> Iterator[LiveReceivers]:
    with running_receivers() as running:
        yield running


@pytest.fixture
def rx(live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> RobotReceivers:
    receivers = live.receivers
    receivers.reset()
    receivers.wecom[WECOM_KEY] = Robot("korla-group")
    receivers.dingtalk[DING_TOKEN] = Robot("korla-group", secret=DING_SECRET)
    receivers.feishu[FEISHU_TOKEN] = Robot("korla-group", secret=FEISHU_SECRET)
    receivers.webhook["oa"] = Robot("oa", secret=HOOK_SECRET)
    monkeypatch.setenv("WECOM_KORLA_KEY", WECOM_KEY)
    monkeypatch.setenv("DINGTALK_KORLA_TOKEN", DING_TOKEN)
    monkeypatch.setenv("DINGTALK_KORLA_SECRET", DING_SECRET)
    monkeypatch.setenv("FEISHU_KORLA_TOKEN", FEISHU_TOKEN)
    monkeypatch.setenv("FEISHU_KORLA_SECRET", FEISHU_SECRET)
    monkeypatch.setenv("HOOK_OA_URL", f"{live.url}/hook/oa?token={HOOK_SECRET[:6]}")
    monkeypatch.setenv("HOOK_OA_SECRET", HOOK_SECRET)
    return receivers


def make(channel: str, url: str, *, clock: Callable[[], float] | None = None, **changes: Any) -> Notifier:
    extra = {"clock": clock} if clock is not None else {}
    values = settings(channel, url, **{"timeout_seconds": TIMEOUT, **changes})
    return notifiers.load({channel: values}, **{channel: extra})[channel]


def attempt(notifier: Notifier, message: Message) -> str | BaseException | None:
    """What ``send`` did: its return, or whatever it raised (anything at all, so a test can say what)."""
    try:
        return asyncio.run(notifier.send(message))
    except Exception as exc:  # the point is to see every kind
        return exc


def assert_contract(result: str | BaseException | None, channel: str, caplog: pytest.LogCaptureFixture) -> None:
    """Delivered, or exactly a TransientError/PermanentError with a readable, secret-free reason; no traceback."""
    if isinstance(result, BaseException):
        assert type(result) in (TransientError, PermanentError), f"{type(result).__name__} escaped: {result!r}"
        text = str(result)
        assert text.startswith(f"{channel} robot {address(channel)!r}"), text
        assert "\n" not in text
        assert len(text) < 800
        assert_no_secret(text, repr(result), repr(result.__cause__), repr(result.__context__))
        retry_after = result.retry_after  # type: ignore[attr-defined]
        assert retry_after is None or (math.isfinite(retry_after) and 0 <= retry_after <= MAX_RETRY_AFTER)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text
    assert_no_secret(caplog.text)


@dataclass(frozen=True)
class Expect:
    outcome: type[Exception] | str  # TransientError, PermanentError or DELIVERED
    words: tuple[str, ...] = ()
    retry_after: float | Callable[[float | None], bool] | None = None


def check(result: str | BaseException | None, expect: Expect) -> None:
    if expect.outcome == DELIVERED:
        assert not isinstance(result, BaseException), f"expected delivered, got {result!r}"
        return
    assert type(result) is expect.outcome, f"expected {expect.outcome}, got {result!r}"
    for word in expect.words:
        assert word in str(result), f"{word!r} not in {str(result)!r}"
    retry_after = result.retry_after  # type: ignore[union-attr]
    if callable(expect.retry_after):
        assert expect.retry_after(retry_after), retry_after
    else:
        assert retry_after == (pytest.approx(expect.retry_after) if expect.retry_after is not None else None)


def unexpected(channel: str, *words: str) -> Expect:
    """A 200 whose body is not the platform's answer: retried for the code channels (was it delivered?);
    delivered for the generic webhook, where any 2xx is the receiver's yes."""
    if channel == "webhook":
        return Expect(DELIVERED)
    return Expect(TransientError, words or ("unexpected reply",))


# ----------------------------------------------------------------------------- HTTP-level faults


NOW = time.time()

# name → (the scripted reply for a channel, what it must become for that channel)
HTTP_FAULTS: dict[str, tuple[Callable[[str], Reply], Callable[[str], Expect]]] = {
    "500": (lambda c: Reply(status=500, text="Internal Server Error"),
            lambda c: Expect(TransientError, ("HTTP 500", "Internal Server Error"))),
    "502 html": (lambda c: Reply(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>"),
                 lambda c: Expect(TransientError, ("HTTP 502", "Bad Gateway"))),
    "503 retry-after": (lambda c: Reply(status=503, text="busy", headers={"Retry-After": "7"}),
                        lambda c: Expect(TransientError, ("HTTP 503",), 7.0)),
    "504 empty": (lambda c: Reply(status=504, raw=b""), lambda c: Expect(TransientError, ("HTTP 504",))),
    "429 retry-after seconds": (lambda c: Reply(status=429, text="slow down", headers={"Retry-After": "42"}),
                                lambda c: Expect(TransientError, ("HTTP 429",), 42.0)),
    "429 retry-after date": (
        lambda c: Reply(status=429, headers={"Retry-After": email.utils.formatdate(NOW + 90, usegmt=True)}),
        lambda c: Expect(TransientError, ("HTTP 429",), lambda r: r is not None and 89 <= r <= 91)),
    "429 feishu reset header": (lambda c: Reply(status=429, headers={"x-ogw-ratelimit-reset": "13"}),
                                lambda c: Expect(TransientError, ("HTTP 429",), 13.0)),
    "429 no hint": (lambda c: Reply(status=429, text="Too Many Requests"),
                    lambda c: Expect(TransientError, ("HTTP 429",), RATE_WAIT[c])),
    "429 json body": (lambda c: Reply(status=429, json={"errcode": 45009, "code": 11232, "msg": "limit"}),
                      lambda c: Expect(TransientError, ("HTTP 429",), RATE_WAIT[c])),
    "400": (lambda c: Reply(status=400, text="bad request"), lambda c: Expect(PermanentError, ("HTTP 400",))),
    "403": (lambda c: Reply(status=403, text="forbidden"), lambda c: Expect(PermanentError, ("HTTP 403",))),
    "404 garbage": (lambda c: Reply(status=404, raw=b"\xff\xfe\x00\x01"),
                    lambda c: Expect(PermanentError, ("HTTP 404",))),
    "302": (lambda c: Reply(status=302, headers={"Location": "https://example.invalid/blocked"}),
            lambda c: Expect(TransientError, ("HTTP 302",), 600.0) if c == "dingtalk"
            else Expect(PermanentError, ("HTTP 302", "redirect"))),
    "200 html": (lambda c: Reply(text="<html><body>gateway says hello</body></html>"), unexpected),
    "200 empty": (lambda c: Reply(raw=b""), unexpected),
    "200 not utf-8": (lambda c: Reply(raw=b"\xff\xfe\xfa{\"errcode\": 0", headers={"Content-Type": "application/json"}),
                      unexpected),
    "200 bad charset": (lambda c: Reply(raw=b"{}", headers={"Content-Type": "application/json; charset=no-such"}),
                        unexpected),
    "200 json array": (lambda c: Reply(json=[OK.get(c, {})]), unexpected),
    "200 json null": (lambda c: Reply(raw=b"null"), unexpected),
    "200 json string": (lambda c: Reply(raw=b'"ok"'), unexpected),
    "200 json number": (lambda c: Reply(raw=b"0"), unexpected),
    "200 no code": (lambda c: Reply(json={"errmsg": "ok", "msg": "success"}), unexpected),
    "200 code not a number": (lambda c: Reply(json={"errcode": "x", "code": "x", "errmsg": "ok"}),
                              unexpected),
    "200 code null": (lambda c: Reply(json={"errcode": None, "code": None}), unexpected),
    "200 code list": (lambda c: Reply(json={"errcode": [0], "code": [0]}), unexpected),
    "200 code float": (lambda c: Reply(json={"errcode": 0.5, "code": 0.5}), unexpected),
    "200 code bool": (lambda c: Reply(json={"errcode": False, "code": False}), unexpected),
    "200 code 5000 digits": (lambda c: Reply(json={"errcode": "9" * 5000, "code": "9" * 5000}),
                             unexpected),
    "200 code arabic-indic digits": (lambda c: Reply(json={"errcode": "٠", "code": "٠"}), unexpected),
    "200 deep json": (lambda c: Reply(raw=b"[" * 30_000 + b"]" * 30_000), unexpected),
    "200 huge body": (lambda c: Reply(raw=b'{"errcode": 0, "code": 0, "pad": "' + b"x" * 3_000_000 + b'"}'),
                      lambda c: unexpected(c, "longer than 65536 bytes", "may have been delivered")),
    "200 false gzip": (lambda c: Reply(raw=b"this is not gzip",
                                       headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}),
                       lambda c: unexpected(c, "could not be decoded")),
    "200 message not a string": (lambda c: Reply(json={"errcode": 93000, "code": 19001, "errmsg": {"a": [1, 2]},
                                                       "msg": {"a": [1, 2]}}),
                                 lambda c: Expect(DELIVERED) if c == "webhook" else Expect(PermanentError)),
}


@pytest.mark.parametrize("fault", list(HTTP_FAULTS))
@pytest.mark.parametrize("channel", CHANNELS)
def test_http_fault(rx: RobotReceivers, live: LiveReceivers, caplog: pytest.LogCaptureFixture,
                    channel: str, fault: str) -> None:
    caplog.set_level(logging.DEBUG)
    reply, expect = HTTP_FAULTS[fault]
    rx.script(channel, reply(channel))
    result = attempt(make(channel, live.url, clock=lambda: NOW), reminder(channel))
    assert_contract(result, channel, caplog)
    check(result, expect(channel))
    assert rx.requests[channel] == 1  # one send, one request: the notifier never retries by itself
    assert rx.of(channel) == []  # a scripted reply never counts as accepted


RATE_CODES: list[tuple[str, dict[str, Any], float | None]] = [
    ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, 60.0),
    ("wecom", {"errcode": -1, "errmsg": "system busy"}, None),
    ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, 600.0),
    ("dingtalk", {"errcode": 660026, "errmsg": "robot send too fast"}, 600.0),
    ("dingtalk", {"errcode": 410100, "errmsg": "发送速度太快而限流"}, 600.0),
    ("dingtalk", {"errcode": 90030, "errmsg": "webhook over limit"}, 3600.0),
    ("dingtalk", {"errcode": -1, "errmsg": "系统繁忙"}, None),
    ("dingtalk", {"errcode": "130101", "errmsg": "code as a string"}, 600.0),
    ("feishu", {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}, 60.0),
    ("feishu", {"code": 99991400, "msg": "request trigger frequency limit"}, 60.0),
    ("feishu", {"code": 9499, "msg": "too many request"}, 60.0),
    ("feishu", {"StatusCode": 11232, "StatusMessage": "frequency limited"}, 60.0),
]


@pytest.mark.parametrize(("channel", "body", "wait"), RATE_CODES)
@pytest.mark.parametrize("status", [200, 400])
def test_platform_rate_codes_are_retried_after_the_platforms_wait(
        rx: RobotReceivers, live: LiveReceivers, caplog: pytest.LogCaptureFixture,
        channel: str, body: dict[str, Any], wait: float | None, status: int) -> None:
    caplog.set_level(logging.DEBUG)
    rx.script(channel, Reply(status=status, json=body))
    result = attempt(make(channel, live.url), reminder(channel))
    assert_contract(result, channel, caplog)
    code = body.get("errcode", body.get("code", body.get("StatusCode")))
    check(result, Expect(TransientError, (f"error {code}",), wait))


def test_a_wait_hint_given_by_the_far_side_wins_over_the_codes_own(
        rx: RobotReceivers, live: LiveReceivers, caplog: pytest.LogCaptureFixture) -> None:
    rx.script("wecom", Reply(json={"errcode": 45009, "errmsg": "api freq out of limit"}, headers={"Retry-After": "5"}))
    result = attempt(make("wecom", live.url), reminder())
    assert_contract(result, "wecom", caplog)
    check(result, Expect(TransientError, ("error 45009",), 5.0))


PERMANENT_CODES: list[tuple[str, dict[str, Any], str]] = [
    ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "the robot's key is wrong"),
    ("wecom", {"errcode": 40001, "errmsg": "invalid credential"}, "error 40001 invalid credential"),
    ("dingtalk", {"errcode": 300001, "errmsg": "token is not exist"}, "the access token is wrong"),
    ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}, "signing secret"),
    ("feishu", {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}, "webhook token"),
    ("feishu", {"code": 9499, "msg": "Bad Request"}, "error 9499 Bad Request"),
]


@pytest.mark.parametrize(("channel", "body", "words"), PERMANENT_CODES)
def test_platform_refusals_fail_for_good_with_the_reason(
        rx: RobotReceivers, live: LiveReceivers, caplog: pytest.LogCaptureFixture,
        channel: str, body: dict[str, Any], words: str) -> None:
    rx.script(channel, Reply(json=body))
    result = attempt(make(channel, live.url), reminder(channel))
    assert_contract(result, channel, caplog)
    check(result, Expect(PermanentError, (words,)))


@pytest.mark.parametrize("hint", ["inf", "-inf", "nan", "1e999", "99999999999999999999999", "-5", "soon", "",
                                  "Mon, 99 Foo 2025 99:99:99 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                                  "Thu, 01 Jan 1970 00:00:00 GMT"])
def test_unusable_wait_hints_give_a_finite_bounded_wait(
        rx: RobotReceivers, live: LiveReceivers, caplog: pytest.LogCaptureFixture, hint: str) -> None:
    for channel in CHANNELS:
        rx.script(channel, Reply(status=429, text="slow down", headers={"Retry-After": hint}))
        rx.script(channel, Reply(status=503, text="busy", headers={"Retry-After": hint}))
        for _ in range(2):
            result = attempt(make(channel, live.url), reminder(channel))
            assert_contract(result, channel, caplog)
            assert type(result) is TransientError
            # the engine turns it into a timedelta: it must be a number it can
            dt.timedelta(seconds=result.retry_after or 0)


# ----------------------------------------------------------------------------- time


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_answer_that_never_comes_times_out(rx: RobotReceivers, live: LiveReceivers,
                                              caplog: pytest.LogCaptureFixture, channel: str) -> None:
    caplog.set_level(logging.DEBUG)
    rx.script(channel, Reply(hang=True))
    started = time.monotonic()
    result = attempt(make(channel, live.url), reminder(channel))
    took = time.monotonic() - started
    assert_contract(result, channel, caplog)
    check(result, Expect(TransientError, (f"timed out after {TIMEOUT:g}s", "may have been delivered")))
    assert took < TIMEOUT + SLACK


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_body_that_trickles_past_the_timeout_is_cut_off(rx: RobotReceivers, live: LiveReceivers,
                                                          caplog: pytest.LogCaptureFixture, channel: str) -> None:
    """Headers at once, then a byte every 0.1 s: each read is quick, the whole is not (30+ bytes: 3+ s)."""
    caplog.set_level(logging.DEBUG)
    body = {**OK.get(channel, {"id": "wh-slow"}), "pad": "." * 20}
    rx.script(channel, Reply(json=body, trickle=0.1))
    started = time.monotonic()
    result = attempt(make(channel, live.url), reminder(channel))
    took = time.monotonic() - started
    assert_contract(result, channel, caplog)
    assert took < TIMEOUT + SLACK
    if channel == "webhook":  # the 2xx status is the receiver's yes; the rest of the body is not needed
        check(result, Expect(DELIVERED))
    else:  # the success code was still on its way: the message may well have been delivered
        check(result, Expect(TransientError, ("HTTP 200", f"within {TIMEOUT:g}s", "may have been delivered")))


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_error_body_that_trickles_keeps_its_status(rx: RobotReceivers, live: LiveReceivers,
                                                      caplog: pytest.LogCaptureFixture, channel: str) -> None:
    rx.script(channel, Reply(status=503, raw=b"Service Unavailable, try again later", trickle=0.1))
    result = attempt(make(channel, live.url), reminder(channel))
    assert_contract(result, channel, caplog)
    check(result, Expect(TransientError, ("HTTP 503",)))


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_quick_answer_after_a_slow_one_is_delivered(rx: RobotReceivers, live: LiveReceivers, channel: str) -> None:
    notifier = make(channel, live.url)
    rx.script(channel, Reply(hang=True))
    assert type(attempt(notifier, reminder(channel))) is TransientError
    assert not isinstance(attempt(notifier, reminder(channel)), BaseException)
    assert len(rx.of(channel)) == 1


# ----------------------------------------------------------------------------- below HTTP


@pytest.mark.parametrize("mode", ["reset", "close", "garbage", "half"])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_connection_that_breaks_is_retried(rx: RobotReceivers, caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch, channel: str, mode: str) -> None:
    caplog.set_level(logging.DEBUG)
    with raw_receiver(mode) as raw:
        monkeypatch.setenv("HOOK_OA_URL", f"{raw.url}/hook/oa")
        started = time.monotonic()
        result = attempt(make(channel, raw.url), reminder(channel))
        took = time.monotonic() - started
        requests = raw.requests
    assert_contract(result, channel, caplog)
    check(result, Expect(TransientError, ("may have been delivered",)))
    assert requests == 1
    assert took < TIMEOUT + SLACK


@pytest.mark.parametrize("channel", CHANNELS)
def test_connection_refused_is_retried_and_not_delivered(rx: RobotReceivers, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch, channel: str) -> None:
    caplog.set_level(logging.DEBUG)
    nowhere = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HOOK_OA_URL", f"{nowhere}/hook/oa")
    result = attempt(make(channel, nowhere), reminder(channel))
    assert_contract(result, channel, caplog)
    check(result, Expect(TransientError, ("cannot reach",)))
    assert "may have been delivered" not in str(result)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/x", "ftp://127.0.0.1/x", "http:///x",
                                 "http://exa mple.org/x"])
def test_an_unusable_url_fails_for_good(rx: RobotReceivers, caplog: pytest.LogCaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch, channel: str, url: str) -> None:
    variable = {"wecom": "WECOM_KORLA_KEY", "dingtalk": "DINGTALK_KORLA_TOKEN", "feishu": "FEISHU_KORLA_TOKEN",
                "webhook": "HOOK_OA_URL"}[channel]
    monkeypatch.setenv(variable, url)
    result = attempt(make(channel, "http://127.0.0.1:9"), reminder(channel))
    assert_contract(result, channel, caplog)
    assert type(result) in (PermanentError, TransientError)


# ----------------------------------------------------------------------------- through the engine


T_PLAN = dt.datetime(2026, 2, 20, 0, 0, tzinfo=dt.UTC)
T_DUE = dt.datetime(2026, 2, 27, 1, 0, tzinfo=dt.UTC)  # the 1d reminder of the cty unit's report


def robot_engine(tmp_path: Any, channel: str, notifier: Notifier, clock: list[dt.datetime],
                 max_attempts: int = 8) -> ReminderEngine:
    snapshot = load_snapshot(DATA / "sample-config.yaml", 1, T_PLAN)
    subscriber = SubscriberConfig(name="群机器人", channel=channel, address=address(channel),
                                  subscriptions=[SubscriptionConfig(unit="cty", lead_times=["1d"])])
    cfg = snapshot.loaded.config.model_copy(update={
        "subscribers": [subscriber],
        "reminders": RemindersConfig(admins=[Recipient(channel="log", address="admin")], max_attempts=max_attempts),
    })
    snap = Snapshot(snapshot.version, snapshot.loaded.__class__(cfg, snapshot.loaded.path), snapshot.rules,
                    snapshot.calendar, snapshot.tz, snapshot.loaded_at)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    eng = ReminderEngine(lambda: snap, ReminderStore(store), {channel: notifier, "log": LogNotifier()},
                         clock=lambda: clock[0], instance="t", base_url="http://duties.test")
    eng.dispatcher.rng = random.Random(7)
    eng.sync_subscribers()
    eng.plan()
    return eng


def rows_of(eng: ReminderEngine, channel: str, *statuses: str) -> list[dict[str, Any]]:
    return [r for r in eng.store.listing(*statuses) if r["channel"] == channel]


def run_until_settled(eng: ReminderEngine, channel: str, clock: list[dt.datetime], rounds: int = 12) -> list[Any]:
    """Dispatch rounds, each at the time the engine set for the next try, until the channel's row settles."""
    reports = []
    clock[0] = T_DUE
    for _ in range(rounds):
        reports.append(asyncio.run(eng.dispatch()))
        pending = rows_of(eng, channel, "pending")
        if not pending:
            break
        clock[0] = max(clock[0], pending[0]["send_after"].replace(tzinfo=dt.UTC))
    return reports


def transient_sequence(channel: str) -> list[Reply]:
    """Five faults in a row, each retried (for the generic webhook a 200 is a yes, so a 408 stands in)."""
    return [
        Reply(status=500, text="Internal Server Error"),
        Reply(status=429, text="slow down", headers={"Retry-After": "30"}),
        Reply(hang=True),
        Reply(status=408, text="timeout") if channel == "webhook" else Reply(status=200, text="<html>proxy</html>"),
        Reply(status=502, json=["not", "the", "platform"]),
    ]


@pytest.mark.parametrize("channel", CHANNELS)
def test_fails_a_few_times_then_accepts_exactly_once(rx: RobotReceivers, live: LiveReceivers, tmp_path: Any,
                                                     caplog: pytest.LogCaptureFixture, channel: str) -> None:
    caplog.set_level(logging.INFO)
    clock = [T_PLAN]
    eng = robot_engine(tmp_path, channel, make(channel, live.url, timeout_seconds=ROUND_TIMEOUT), clock)
    faults = transient_sequence(channel)
    rx.script(channel, *faults)
    reports = run_until_settled(eng, channel, clock)
    assert [r.retried for r in reports if r.claimed] == [1] * len(faults) + [0]
    assert len(rx.of(channel)) == 1  # accepted once
    assert rx.requests[channel] == len(faults) + 1  # one request per round, none after the yes
    [row] = rows_of(eng, channel, "sent")
    assert row["attempts"] == len(faults) + 1
    assert rows_of(eng, channel, "pending", "failed") == []
    if channel == "webhook":  # every try carried the same key: a receiver can drop a copy it already has
        keys = {a.headers["idempotency-key"] for a in rx.attempts} | {rx.of("webhook")[0].headers["idempotency-key"]}
        assert len(keys) == 1
        assert row["provider_id"] == "wh-1"
    assert not [r for r in caplog.records if r.exc_info]
    # no more rounds send it again
    clock[0] += dt.timedelta(days=1)
    asyncio.run(eng.dispatch())
    assert len(rx.of(channel)) == 1


PERMANENT_REPLY = {
    "wecom": (Reply(json={"errcode": 93000, "errmsg": "invalid webhook url"}), "error 93000"),
    "dingtalk": (Reply(json={"errcode": 300001, "errmsg": "token is not exist"}), "error 300001"),
    "feishu": (Reply(status=400, json={"code": 19001, "msg": "incoming webhook access token invalid"}), "error 19001"),
    "webhook": (Reply(status=410, text="this hook is gone"), "HTTP 410 this hook is gone"),
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_permanent_refusal_fails_for_good_with_the_reason(rx: RobotReceivers, live: LiveReceivers, tmp_path: Any,
                                                             channel: str) -> None:
    clock = [T_PLAN]
    eng = robot_engine(tmp_path, channel, make(channel, live.url), clock)
    reply, words = PERMANENT_REPLY[channel]
    rx.script(channel, Reply(status=503, text="busy"), reply)
    run_until_settled(eng, channel, clock)
    [row] = rows_of(eng, channel, "failed")
    assert words in row["last_error"]
    assert row["last_error"].startswith(f"{channel} robot {address(channel)!r}")
    assert_no_secret(row["last_error"])
    assert rx.requests[channel] == 2  # not retried after the refusal
    assert rx.of(channel) == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_transient_faults_give_up_after_max_attempts(rx: RobotReceivers, live: LiveReceivers, tmp_path: Any,
                                                     channel: str) -> None:
    clock = [T_PLAN]
    eng = robot_engine(tmp_path, channel, make(channel, live.url, timeout_seconds=ROUND_TIMEOUT), clock,
                       max_attempts=3)
    rx.script(channel, *[Reply(status=500, text="down")] * 3)
    run_until_settled(eng, channel, clock)
    [row] = rows_of(eng, channel, "failed")
    assert row["last_error"].startswith("gave up after 3 attempts:")
    assert "HTTP 500 down" in row["last_error"]
    assert rx.requests[channel] == 3
