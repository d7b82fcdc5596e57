"""The chat-robot channels (wecom, dingtalk, feishu, webhook) against local receivers over real HTTP.

The receivers (tests/robot_receivers.py) verify every signature the way the platform does, so a
delivery here means the platform would have accepted the request; scripted replies drive the
error paths. Clocks and sleeps are injected: nothing here waits for a rate window.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import importlib
import json
import logging
import pkgutil
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

import notifiers
from notifiers.base import Button, Message, Notifier, PermanentError, TransientError
from notifiers.dingtalk import dingtalk_sign
from notifiers.feishu import feishu_sign
from notifiers.robots.rate import RateLimiter
from notifiers.robots.text import fit, json_size, utf8_size
from notifiers.webhook import webhook_signature
from obligations.strict import Strict
from redaction import redact_url, scrub
from tests.conftest import ROOT
from tests.robot_receivers import LiveReceivers, Reply, Robot, RobotReceivers, free_port, running_receivers

pytestmark = pytest.mark.network

WECOM_KEY = "3f9a1c7e-5b2d-4e8f-9a6b-0c1d2e3f4a5b"
DING_TOKEN = "8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"
DING_SECRET = "SECd41d8cd98f00b204e9800998ecf8427e0123456789abcdef"
FEISHU_TOKEN = "0e2a7c54-8b1d-4c3e-9f6a-5d4c3b2a1f0e"
FEISHU_SECRET = "lk4Q2xhc3NpZmllZA+/Zz09sekret"
HOOK_SECRET = "whsec-7f3e9a1b2c4d5e6f"
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET, HOOK_SECRET)
LINK = "https://duties.example.gov.cn/obligation/bz-2024.petition-reception-prefecture"
CHANNELS = ("wecom", "dingtalk", "feishu", "webhook")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def live() -> Iterator[LiveReceivers]:
    with running_receivers() as running:
        yield running


@pytest.fixture
def rx(live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> RobotReceivers:
    """Receivers that know one robot per platform, and the environment that names them."""
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


def settings(channel: str, url: str, **changes: Any) -> dict[str, Any]:
    """The channel's settings pointing at the receivers; ``robot=`` changes the robot's own."""
    robot_changes = changes.pop("robot", {})
    robots: dict[str, dict[str, Any]] = {
        "wecom": {"korla-group": {"webhook_env": "WECOM_KORLA_KEY"}},
        "dingtalk": {"korla-group": {"webhook_env": "DINGTALK_KORLA_TOKEN", "secret_env": "DINGTALK_KORLA_SECRET"}},
        "feishu": {"korla-group": {"webhook_env": "FEISHU_KORLA_TOKEN", "secret_env": "FEISHU_KORLA_SECRET"}},
        "webhook": {"oa": {"webhook_env": "HOOK_OA_URL", "secret_env": "HOOK_OA_SECRET"}},
    }[channel]
    for robot in robots.values():
        robot.update(robot_changes)
    base = {
        "wecom": f"{url}/cgi-bin/webhook/send",
        "dingtalk": f"{url}/robot/send",
        "feishu": f"{url}/open-apis/bot/v2/hook",
    }
    values: dict[str, Any] = {"robots": robots, "timeout_seconds": 5}
    if channel in base:
        values["base_url"] = base[channel]
    values.update(changes)
    return values


def make(channel: str, url: str, *, clock: Any = None, monotonic: Any = None, sleep: Any = None,
         **changes: Any) -> Notifier:
    """The channel as the service builds it: through notifiers.load."""
    extra = {k: v for k, v in {"clock": clock, "monotonic": monotonic, "sleep": sleep}.items() if v is not None}
    return notifiers.load({channel: settings(channel, url, **changes)}, **{channel: extra})[channel]


def address(channel: str) -> str:
    return "oa" if channel == "webhook" else "korla-group"


def reminder(channel: str = "wecom", **fields: Any) -> Message:
    text = ("【法定职责提醒】\n州信访局领导接访日\n单位: 巴州信访局\n日期: 2025-03-10(还有3天)\n"
            f"依据: 《巴州2024年法治政府建设工作要点》第三条\n{LINK}")
    values: dict[str, Any] = {
        "key": "bz-2024.petition/bz/2025-03-10|s1|3d",
        "recipient": address(channel),
        "subject": "【法定职责提醒】州信访局领导接访日 · 巴州信访局 · 2025-03-10",
        "text": text,
        "markdown": "\n".join(f"**{line}**" if line.startswith("【") else line for line in text.split("\n")),
        "buttons": (Button("已完成", "d:1"), Button("明天再提醒", "z:1")),
        "covers": ("bz-2024.petition/bz/2025-03-10|s1|3d",),
    }
    values.update(fields)
    return Message(**values)


def send(notifier: Notifier, message: Message) -> str | None:
    return asyncio.run(notifier.send(message))


def failure(notifier: Notifier, message: Message) -> Exception:
    with pytest.raises((TransientError, PermanentError)) as caught:
        send(notifier, message)
    return caught.value


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
            assert secret[:12] not in text


class FakeTime:
    """A monotonic clock that moves only when slept on."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


# ----------------------------------------------------------------------------- WeCom


def test_wecom_sends_markdown_to_the_keyed_webhook(rx: RobotReceivers, live: LiveReceivers) -> None:
    message = reminder()
    assert send(make("wecom", live.url), message) is None
    [got] = rx.of("wecom")
    assert got.robot == "korla-group"
    assert got.query == {"key": WECOM_KEY}
    assert got.body == {"msgtype": "markdown", "markdown": {"content": message.markdown}}
    assert "州信访局" in got.raw.decode("utf-8")  # UTF-8 on the wire, not \u escapes


def test_wecom_takes_a_full_webhook_url_from_the_environment(
        rx: RobotReceivers, live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_KORLA_KEY", f"{live.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    send(make("wecom", live.url, base_url="https://qyapi.invalid/never-used"), reminder())
    assert len(rx.of("wecom")) == 1


def test_wecom_mentions_user_ids_inside_markdown(rx: RobotReceivers, live: LiveReceivers) -> None:
    notifier = make("wecom", live.url, robot={"mention_ids": {"张三": "zhangsan"}})
    send(notifier, reminder(mentions=("张三", "lisi")))
    [got] = rx.of("wecom")
    assert got.body["msgtype"] == "markdown"
    assert got.body["markdown"]["content"].endswith("\n<@zhangsan> <@lisi>")


def test_wecom_mobile_or_everyone_mentions_go_as_text(rx: RobotReceivers, live: LiveReceivers) -> None:
    send(make("wecom", live.url), reminder(mentions=("138-0000-1111", "wangwu")))
    send(make("wecom", live.url, robot={"mention_all": True}), reminder())
    first, second = rx.of("wecom")
    assert first.body == {"msgtype": "text", "text": {"content": reminder().text, "mentioned_list": ["wangwu"],
                                                      "mentioned_mobile_list": ["13800001111"]}}
    assert second.body["text"]["mentioned_list"] == ["@all"]


def test_wecom_mentions_can_be_switched_off(rx: RobotReceivers, live: LiveReceivers) -> None:
    send(make("wecom", live.url, robot={"mention": False}), reminder(mentions=("13800001111", "zhangsan")))
    [got] = rx.of("wecom")
    assert got.body == {"msgtype": "markdown", "markdown": {"content": reminder().markdown}}


def test_wecom_cuts_markdown_to_4096_bytes_at_a_character_with_a_link(rx: RobotReceivers, live: LiveReceivers) -> None:
    long = "\n".join(f"• 2025-03-{i % 28 + 1:02d} 州信访局领导接访日第{i}项 😀" for i in range(400))
    send(make("wecom", live.url), reminder(markdown=long, mentions=("zhangsan",)))
    [got] = rx.of("wecom")  # the receiver refuses more than 4096 bytes (error 40058)
    content = got.body["markdown"]["content"]
    assert 4000 < len(content.encode("utf-8")) <= 4096
    body, _, mention = content.rpartition("\n")
    assert mention == "<@zhangsan>"
    assert body.endswith(f"…\n{LINK}")
    kept = body.removesuffix(f"…\n{LINK}")
    assert long.startswith(kept)
    assert long[len(kept)] == "\n"  # cut at the end of a line


def test_wecom_rate_limit_code_is_transient_then_delivers(rx: RobotReceivers, live: LiveReceivers) -> None:
    notifier = make("wecom", live.url)
    rx.script("wecom", Reply(json={"errcode": 45009, "errmsg": "api freq out of limit"}))
    error = failure(notifier, reminder())
    assert isinstance(error, TransientError)
    assert error.retry_after == 60
    assert "45009" in str(error)
    send(notifier, reminder())
    assert len(rx.of("wecom")) == 1


def test_wecom_invalid_key_is_permanent(rx: RobotReceivers, live: LiveReceivers,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_KORLA_KEY", WECOM_KEY.replace("3f9a", "0000"))
    error = failure(make("wecom", live.url), reminder())
    assert isinstance(error, PermanentError)
    assert "93000 invalid webhook url" in str(error)
    assert "key=***" in str(error)
    assert WECOM_KEY.replace("3f9a", "0000") not in str(error)


# ----------------------------------------------------------------------------- DingTalk


def test_dingtalk_signs_the_url_as_dingtalk_verifies_it(rx: RobotReceivers, live: LiveReceivers) -> None:
    now = time.time()
    message = reminder("dingtalk")
    send(make("dingtalk", live.url, clock=lambda: now), message)
    [got] = rx.of("dingtalk")
    timestamp = str(round(now * 1000))
    assert got.query == {"access_token": DING_TOKEN, "timestamp": timestamp,
                         "sign": dingtalk_sign(DING_SECRET, timestamp)}
    assert got.body == {"msgtype": "markdown", "markdown": {"title": message.subject, "text": message.markdown},
                        "at": {"atMobiles": [], "atUserIds": [], "isAtAll": False}}


def test_dingtalk_signature_matches_the_published_recipe() -> None:
    # DingTalk's Python sample: quote_plus(b64encode(hmac(secret, f"{timestamp}\n{secret}", sha256)))
    digest = base64.b64encode(hmac.new(b"this is secret", b"1577262236757\nthis is secret", "sha256").digest()).decode()
    assert dingtalk_sign("this is secret", "1577262236757") == digest


def test_dingtalk_wrong_secret_is_permanent_and_secret_free(
        rx: RobotReceivers, live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGTALK_KORLA_SECRET", DING_SECRET[::-1])
    error = failure(make("dingtalk", live.url), reminder("dingtalk"))
    assert isinstance(error, PermanentError)
    assert "310000 sign not match" in str(error)
    assert "signing secret" in str(error)
    assert DING_SECRET[::-1] not in str(error)
    assert_no_secret(str(error), repr(error))


def test_dingtalk_clock_two_hours_off_is_permanent(rx: RobotReceivers, live: LiveReceivers) -> None:
    error = failure(make("dingtalk", live.url, clock=lambda: time.time() - 7200), reminder("dingtalk"))
    assert isinstance(error, PermanentError)
    assert "invalid timestamp" in str(error)
    assert "clock" in str(error)


def test_dingtalk_unknown_token_is_permanent(rx: RobotReceivers, live: LiveReceivers,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGTALK_KORLA_TOKEN", "f" * 48)
    error = failure(make("dingtalk", live.url), reminder("dingtalk"))
    assert isinstance(error, PermanentError)
    assert "300001 token is not exist" in str(error)
    assert "f" * 48 not in str(error)


def test_dingtalk_robot_without_signing(rx: RobotReceivers, live: LiveReceivers) -> None:
    rx.dingtalk[DING_TOKEN] = Robot("korla-group")
    send(make("dingtalk", live.url, robot={"secret_env": None}), reminder("dingtalk"))
    [got] = rx.of("dingtalk")
    assert got.query == {"access_token": DING_TOKEN}


def test_dingtalk_adds_the_robot_keyword(rx: RobotReceivers, live: LiveReceivers) -> None:
    rx.dingtalk[DING_TOKEN] = Robot("korla-group", secret=DING_SECRET, keyword="督办")
    send(make("dingtalk", live.url, robot={"keyword": "督办"}), reminder("dingtalk"))
    [got] = rx.of("dingtalk")
    assert got.body["markdown"]["text"].startswith("督办\n")


def test_dingtalk_mentions_in_at_and_in_the_text(rx: RobotReceivers, live: LiveReceivers) -> None:
    notifier = make("dingtalk", live.url, robot={"mention_ids": {"张三": "13800001111"}, "mention_all": True})
    send(notifier, reminder("dingtalk", mentions=("张三", "manager4421")))
    [got] = rx.of("dingtalk")
    assert got.body["at"] == {"atMobiles": ["13800001111"], "atUserIds": ["manager4421"], "isAtAll": True}
    assert got.body["markdown"]["text"].endswith("\n\n@13800001111 @manager4421")


@pytest.mark.parametrize(("reply", "retry_after"), [
    (Reply(json={"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}), 600),
    (Reply(status=302, text="", headers={"Location": "https://www.dingtalk.com/"}), 600),
    (Reply(json={"errcode": -1, "errmsg": "系统繁忙"}), None),
])
def test_dingtalk_rate_refusals_wait_the_blocking_time(rx: RobotReceivers, live: LiveReceivers, reply: Reply,
                                                       retry_after: float | None) -> None:
    notifier = make("dingtalk", live.url)
    rx.script("dingtalk", reply)
    error = failure(notifier, reminder("dingtalk"))
    assert isinstance(error, TransientError)
    assert error.retry_after == retry_after
    send(notifier, reminder("dingtalk"))
    assert len(rx.of("dingtalk")) == 1


def test_dingtalk_body_stays_under_20000_bytes(rx: RobotReceivers, live: LiveReceivers) -> None:
    long = "\n".join(f"• 2025-03-10 州信访局领导接访日第{i}项 \"引号\" \\ {LINK}" for i in range(600))
    send(make("dingtalk", live.url), reminder("dingtalk", markdown=long, mentions=("13800001111",)))
    [got] = rx.of("dingtalk")  # the receiver refuses a body over 20000 bytes
    assert 19000 < len(got.raw) <= 20000
    assert got.body["markdown"]["text"].endswith("…\n\n@13800001111")


# ----------------------------------------------------------------------------- Feishu


def test_feishu_signs_the_body_as_feishu_verifies_it(rx: RobotReceivers, live: LiveReceivers) -> None:
    now = time.time()
    message = reminder("feishu")
    send(make("feishu", live.url, clock=lambda: now), message)
    [got] = rx.of("feishu")
    timestamp = str(int(now))
    assert got.body["timestamp"] == timestamp
    assert got.body["sign"] == feishu_sign(FEISHU_SECRET, timestamp)
    card = got.body["card"]
    assert got.body["msg_type"] == "interactive"
    assert card["header"]["title"] == {"tag": "plain_text", "content": message.subject}
    assert card["elements"] == [{"tag": "div", "text": {"tag": "lark_md", "content": message.markdown}}]


def test_feishu_signature_matches_the_published_recipe() -> None:
    # Feishu's Python sample: b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), digestmod=sha256).digest())
    key = b"1599360473\ndemo-secret"
    expected = base64.b64encode(hmac.new(key, digestmod="sha256").digest()).decode()
    assert feishu_sign("demo-secret", "1599360473") == expected


def test_feishu_mentions_by_id_email_and_all(rx: RobotReceivers, live: LiveReceivers) -> None:
    notifier = make("feishu", live.url, robot={"mention_ids": {"张三": "ou_7d8a6e6df7621556ce0d21922b676706ccs"},
                                                "mention_all": True})
    send(notifier, reminder("feishu", mentions=("张三", "li.si@example.gov.cn", "13800001111")))
    [got] = rx.of("feishu")
    content = got.body["card"]["elements"][0]["text"]["content"]
    assert content.endswith("\n<at id=ou_7d8a6e6df7621556ce0d21922b676706ccs></at> "
                            "<at email=li.si@example.gov.cn></at> <at id=all></at>")
    assert "13800001111" not in content  # a custom bot cannot @ by mobile number


@pytest.mark.parametrize(("reply", "kind"), [
    (Reply(status=400, json={"code": 11232, "msg": "frequency limited"}), TransientError),
    (Reply(json={"code": 9499, "msg": "too many request", "data": {}}), TransientError),
    (Reply(status=400, json={"code": 9499, "msg": "Bad Request", "data": {}}), PermanentError),
    (Reply(status=400, json={"code": 19022, "msg": "Ip Not Allowed"}), PermanentError),
    (Reply(status=429, json={"code": 99991400, "msg": "request trigger frequency limit"},
           headers={"x-ogw-ratelimit-reset": "7"}), TransientError),
])
def test_feishu_error_codes(rx: RobotReceivers, live: LiveReceivers, reply: Reply, kind: type[Exception]) -> None:
    rx.script("feishu", reply)
    error = failure(make("feishu", live.url), reminder("feishu"))
    assert type(error) is kind
    if reply.status == 429:
        assert error.retry_after == 7  # type: ignore[attr-defined]


def test_feishu_accepts_the_older_reply_and_doubts_a_foreign_one(rx: RobotReceivers, live: LiveReceivers) -> None:
    notifier = make("feishu", live.url)
    rx.script("feishu", Reply(json={"Extra": None, "StatusCode": 0, "StatusMessage": "success"}))
    assert send(notifier, reminder("feishu")) is None
    rx.script("feishu", Reply(text="<html>portal login</html>"))
    error = failure(notifier, reminder("feishu"))
    assert isinstance(error, TransientError)
    assert "unexpected reply (HTTP 200, no code): <html>portal login</html>" in str(error)


def test_feishu_wrong_secret_and_unknown_token_are_permanent(
        rx: RobotReceivers, live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEISHU_KORLA_SECRET", "not-the-secret")
    error = failure(make("feishu", live.url), reminder("feishu"))
    assert isinstance(error, PermanentError)
    assert "19021 sign match fail" in str(error)
    monkeypatch.setenv("FEISHU_KORLA_TOKEN", "1e2a7c54-8b1d-4c3e-9f6a-5d4c3b2a1f0e")
    error = failure(make("feishu", live.url), reminder("feishu"))
    assert isinstance(error, PermanentError)
    assert "19001" in str(error)
    assert "/open-apis/bot/v2/hook/***" in str(error)
    assert "1e2a7c54" not in str(error)


def test_feishu_keyword_and_lark_style_full_url(rx: RobotReceivers, live: LiveReceivers,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rx.feishu[FEISHU_TOKEN] = Robot("korla-group", secret=FEISHU_SECRET, keyword="提醒助手")
    monkeypatch.setenv("FEISHU_KORLA_TOKEN", f"{live.url}/open-apis/bot/v2/hook/{FEISHU_TOKEN}")
    send(make("feishu", live.url, base_url="https://open.larksuite.invalid", robot={"keyword": "提醒助手"}),
         reminder("feishu"))
    [got] = rx.of("feishu")
    assert got.body["card"]["elements"][0]["text"]["content"].startswith("提醒助手\n")


def test_feishu_body_stays_under_20_kb_signature_included(rx: RobotReceivers, live: LiveReceivers) -> None:
    long = "".join(f"第{i}项：州信访局领导接访日。" for i in range(2000))  # one long line
    send(make("feishu", live.url), reminder("feishu", markdown=long))
    [got] = rx.of("feishu")
    assert 19900 < len(got.raw) <= 20000
    content = got.body["card"]["elements"][0]["text"]["content"]
    assert content.endswith(f"…\n{LINK}")
    assert long.startswith(content.removesuffix(f"…\n{LINK}"))


# ----------------------------------------------------------------------------- generic webhook


def test_webhook_posts_every_field_signed(rx: RobotReceivers, live: LiveReceivers) -> None:
    now = time.time()
    message = reminder("webhook", mentions=("zhangsan",), ics=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert send(make("webhook", live.url, clock=lambda: now), message) == "wh-1"
    [got] = rx.of("webhook")
    assert got.headers["idempotency-key"] == message.key
    assert got.headers["x-webhook-timestamp"] == str(int(now))
    assert got.headers["x-webhook-signature"] == webhook_signature(HOOK_SECRET, str(int(now)), got.raw)
    assert got.body == {
        "version": 1, "key": message.key, "recipient": "oa", "subject": message.subject, "text": message.text,
        "markdown": message.markdown, "html": None, "mentions": ["zhangsan"], "covers": list(message.covers),
        "buttons": [{"label": "已完成", "action": "d:1"}, {"label": "明天再提醒", "action": "z:1"}],
        "ics_name": "duty.ics", "ics_base64": base64.b64encode(message.ics or b"").decode(), "sent_at": int(now),
    }


def test_webhook_bad_signature_and_unknown_hook_are_permanent(
        rx: RobotReceivers, live: LiveReceivers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_OA_SECRET", "whsec-wrong-wrong")
    error = failure(make("webhook", live.url), reminder("webhook"))
    assert isinstance(error, PermanentError)
    assert "HTTP 401" in str(error)
    monkeypatch.setenv("HOOK_OA_URL", f"{live.url}/hook/nobody")
    error = failure(make("webhook", live.url), reminder("webhook"))
    assert isinstance(error, PermanentError)
    assert "HTTP 404" in str(error)


# ----------------------------------------------------------------------------- every channel


@pytest.mark.parametrize("channel", CHANNELS)
def test_http_500_is_transient_then_delivers(rx: RobotReceivers, live: LiveReceivers, channel: str) -> None:
    notifier = make(channel, live.url)
    rx.script(channel, Reply(status=500, text="Internal Server Error"))
    error = failure(notifier, reminder(channel))
    assert isinstance(error, TransientError)
    assert "HTTP 500" in str(error)
    send(notifier, reminder(channel))
    assert len(rx.of(channel)) == 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_http_429_waits_retry_after(rx: RobotReceivers, live: LiveReceivers, channel: str) -> None:
    rx.script(channel, Reply(status=429, text="slow down", headers={"Retry-After": "42"}))
    error = failure(make(channel, live.url), reminder(channel))
    assert isinstance(error, TransientError)
    assert error.retry_after == 42


@pytest.mark.parametrize("channel", CHANNELS)
def test_slow_robot_times_out_as_transient(rx: RobotReceivers, live: LiveReceivers, channel: str) -> None:
    rx.script(channel, Reply(delay=1.0, json={}))
    started = time.monotonic()
    error = failure(make(channel, live.url, timeout_seconds=0.25), reminder(channel))
    assert time.monotonic() - started < 0.9
    assert isinstance(error, TransientError)
    assert "timed out after 0.25s" in str(error)
    assert "may have been delivered" in str(error)


@pytest.mark.parametrize("channel", CHANNELS)
def test_unreachable_robot_is_transient(rx: RobotReceivers, channel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HOOK_OA_URL", f"{nowhere}/hook/oa")
    error = failure(make(channel, nowhere), reminder(channel))
    assert isinstance(error, TransientError)
    assert "cannot reach" in str(error)


def test_untrusted_tls_certificate_is_permanent(rx: RobotReceivers, tmp_path: Any) -> None:
    ca = trustme.CA()  # a private CA the notifier does not trust
    pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    with running_receivers(tls_pem=str(pem)) as tls:
        tls.receivers.wecom[WECOM_KEY] = Robot("korla-group")
        error = failure(make("wecom", tls.url), reminder())
    assert isinstance(error, PermanentError)
    assert "TLS certificate is not trusted (unable to get local issuer certificate)" in str(error)
    assert tls.url.startswith("https://")


@pytest.mark.parametrize("channel", CHANNELS)
def test_unset_variable_and_unknown_robot_are_permanent(
        rx: RobotReceivers, live: LiveReceivers, channel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    variable = {"wecom": "WECOM_KORLA_KEY", "dingtalk": "DINGTALK_KORLA_SECRET", "feishu": "FEISHU_KORLA_SECRET",
                "webhook": "HOOK_OA_URL"}[channel]
    monkeypatch.delenv(variable)
    error = failure(make(channel, live.url), reminder(channel))
    assert isinstance(error, PermanentError)
    assert f"environment variable {variable} is not set" in str(error)
    error = failure(make(channel, live.url), reminder(channel, recipient="no-such-robot"))
    assert isinstance(error, PermanentError)
    assert f"no robot named 'no-such-robot' under notifiers.{channel}.robots" in str(error)
    assert rx.received == []


@pytest.mark.slow
def test_secrets_appear_in_no_error_and_no_log(rx: RobotReceivers, live: LiveReceivers,
                                               caplog: pytest.LogCaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    own = {"wecom": (WECOM_KEY,), "dingtalk": (DING_TOKEN, DING_SECRET), "feishu": (FEISHU_TOKEN, FEISHU_SECRET),
           "webhook": (HOOK_SECRET,)}
    for channel in CHANNELS:
        notifier = make(channel, live.url, timeout_seconds=0.25)
        send(notifier, reminder(channel))  # httpx logs every request's URL at INFO
        echo = "echo " + " ".join(own[channel]) * 20  # a reply quoting the robot's secrets, past the length cut
        for reply in (Reply(status=500, text=echo), Reply(status=403, json={"errcode": 1, "errmsg": echo}),
                      Reply(delay=0.5, json={})):
            rx.script(channel, reply)
            error = failure(notifier, reminder(channel))
            texts += [str(error), repr(error), repr(error.__cause__), repr(error.__context__)]
    monkeypatch.setenv("DINGTALK_KORLA_SECRET", "x" + DING_SECRET)
    texts.append(str(failure(make("dingtalk", live.url), reminder("dingtalk"))))
    assert len(rx.received) == 4
    assert "HTTP Request: POST" in caplog.text
    assert_no_secret(caplog.text, *texts)
    assert "HTTP 500 echo ***" in texts[0]  # a reply that echoes a secret is scrubbed


# ----------------------------------------------------------------------------- rate limits


def test_25_quick_sends_to_one_wecom_robot_take_two_windows_without_error(
        rx: RobotReceivers, live: LiveReceivers) -> None:
    fake = FakeTime()
    rx.enforce_rates(fake, wecom=[(20, 60.0)])  # the receiver refuses the 21st message of a minute
    notifier = make("wecom", live.url, monotonic=fake, sleep=fake.sleep)

    async def burst() -> None:
        for i in range(25):
            await notifier.send(reminder(key=f"k{i}"))

    asyncio.run(burst())
    assert len(rx.of("wecom")) == 25
    assert rx.refused_for_rate == 0
    assert fake.sleeps == [pytest.approx(61.2)]  # 20 at once, then one wait of a (padded) minute
    assert fake.now == pytest.approx(1061.2)


def test_the_receiver_would_refuse_a_burst_the_limiter_let_through(rx: RobotReceivers, live: LiveReceivers) -> None:
    fake = FakeTime()
    rx.enforce_rates(fake, wecom=[(20, 60.0)])
    notifier = make("wecom", live.url, monotonic=fake, sleep=fake.sleep, rate_per_minute=25)

    async def burst() -> list[BaseException | str | None]:
        return [await _outcome(notifier.send(reminder(key=f"k{i}"))) for i in range(21)]

    outcomes = asyncio.run(burst())
    assert isinstance(outcomes[-1], TransientError)
    assert rx.refused_for_rate == 1


async def _outcome(call: Any) -> BaseException | str | None:
    try:
        return await call
    except (TransientError, PermanentError) as exc:
        return exc


def test_feishu_burst_keeps_five_a_second_and_a_hundred_a_minute(rx: RobotReceivers, live: LiveReceivers) -> None:
    fake = FakeTime()
    rx.enforce_rates(fake, feishu=[(5, 1.0), (100, 60.0)])
    notifier = make("feishu", live.url, monotonic=fake, sleep=fake.sleep, rate_max_wait_seconds=120)

    async def burst() -> None:
        for i in range(105):
            await notifier.send(reminder("feishu", key=f"k{i}"))

    asyncio.run(burst())
    assert len(rx.of("feishu")) == 105
    assert rx.refused_for_rate == 0
    assert fake.sleeps[:3] == [pytest.approx(1.02)] * 3
    assert fake.now - 1000 == pytest.approx(61.2)  # the 101st waits for the first minute to pass


def test_concurrent_senders_get_ordered_slots_and_a_far_one_is_retried_later() -> None:
    fake = FakeTime()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the clock stands still: every sender asks at the same instant
        slept.append(seconds)
        await asyncio.sleep(0)

    limiter = RateLimiter([(20, 60.0)], clock=fake, sleep=sleep, max_wait=90)
    slots: list[float] = []

    async def one() -> None:
        waited = await limiter.acquire("wecom robot 'g'")
        slots.append(waited)

    async def burst() -> list[BaseException | None]:
        return await asyncio.gather(*(one() for _ in range(45)), return_exceptions=True)

    results = asyncio.run(burst())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 5  # the 41st to 45th would wait over two minutes
    assert all(isinstance(e, TransientError) and e.retry_after == pytest.approx(122.4) for e in errors)
    assert slots == [0.0] * 20 + [pytest.approx(61.2)] * 20  # in the order they asked
    assert slept == [pytest.approx(61.2)] * 20


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 10, 11, 17, 40])
def test_fit_cuts_between_characters_and_never_exceeds(limit: int) -> None:
    text = "中文😀ab\"c\\\n第二行👨‍👩‍👧"
    for size in (utf8_size, json_size):
        cut = fit(text, limit, size=size)
        assert size(cut) <= max(limit, size("…"))
        assert cut.encode("utf-8").decode("utf-8") == cut
        assert text.startswith(cut.removesuffix("…"))


def test_fit_prefers_a_line_end_and_adds_the_link_once() -> None:
    text = "一二三四五\n" * 10 + LINK
    assert fit(text, 10_000) == text
    cut = fit(text, 100, link=LINK)
    assert cut.endswith(f"一二三四五…\n{LINK}")
    assert len(cut.encode()) <= 100
    assert fit(LINK + "\n" + "长" * 100, len(LINK) + 40, link=LINK).count(LINK) == 1


def test_redaction() -> None:
    assert redact_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}") == \
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    assert redact_url(f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}&timestamp=1&sign=a%2Bb") == \
        "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=***&sign=***"
    assert redact_url(f"https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_TOKEN}") == \
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    assert scrub(f"a {DING_SECRET} b {FEISHU_SECRET.replace('+', '%2B').replace('/', '%2F')}",
                 [DING_SECRET, FEISHU_SECRET]) == "a *** b ***"


def test_settings_refuse_a_url_or_secret_where_a_variable_name_goes() -> None:
    with pytest.raises(ValueError, match=r"^notifiers\.wecom\.robots\.g\.webhook_env: .*NAME of an environment"):
        notifiers.load({"wecom": {"robots": {"g": {"webhook_env": f"https://qyapi.weixin.qq.com/x?key={WECOM_KEY}"}}}})
    with pytest.raises(ValueError, match=r"^notifiers\.dingtalk\.robots\.g\.secret_env: "):
        notifiers.load({"dingtalk": {"robots": {"g": {"webhook_env": "X", "secret_env": "SEC 123"}}}})
    with pytest.raises(ValueError, match=r"^notifiers\.feishu\.robots\.g\.webhook: Extra inputs"):
        notifiers.load({"feishu": {"robots": {"g": {"webhook_env": "X", "webhook": "https://…"}}}})
    with pytest.raises(ValueError, match=r"^notifiers\.webhook\.robots: "):
        notifiers.load({"webhook": {"robots": {}}})


# ----------------------------------------------------------------------------- the channel contract

SAMPLES: dict[str, dict[str, Any]] = {
    "log": {},
    "email": {"host": "smtp.example.org", "from_address": "duty@example.org"},
    "wecom": {"robots": {"g": {"webhook_env": "WECOM_G_KEY"}}},
    "dingtalk": {"robots": {"g": {"webhook_env": "DINGTALK_G_URL", "secret_env": "DINGTALK_G_SECRET"}}},
    "feishu": {"robots": {"g": {"webhook_env": "FEISHU_G_URL", "secret_env": "FEISHU_G_SECRET"}}},
    "webhook": {"robots": {"g": {"webhook_env": "HOOK_G_URL"}}},
}


def _channel_modules() -> list[str]:
    found = []
    for info in pkgutil.iter_modules(notifiers.__path__):
        module = importlib.import_module(f"notifiers.{info.name}")
        if hasattr(module, "NOTIFIER"):
            found.append(info.name)
    return sorted(found)


def test_every_channel_module_is_a_built_in_channel() -> None:
    modules = _channel_modules()
    assert set(CHANNELS) | {"log", "email"} <= set(modules)
    assert set(modules) <= set(notifiers.BUILT_IN)
    assert set(modules) == set(notifiers.available())


@pytest.mark.parametrize("name", notifiers.available())
def test_channel_contract(name: str) -> None:
    module = notifiers.channel_module(name)
    assert issubclass(module.NOTIFIER, Notifier)
    assert module.NOTIFIER.channel == name
    assert issubclass(module.SETTINGS, Strict)
    sample = SAMPLES.get(name)
    if sample is None:
        try:
            module.SETTINGS.model_validate({})
        except ValueError:
            pytest.skip(f"no sample settings for channel {name}; add one to SAMPLES")
        sample = {}
    built = notifiers.load({name: sample})
    assert set(built) == {"log", name}
    assert isinstance(built[name], module.NOTIFIER)
    with pytest.raises(ValueError, match=rf"^notifiers\.{name}\.no_such_key: Extra inputs are not permitted"):
        notifiers.load({name: {**sample, "no_such_key": 1}})


def test_robot_settings_are_documented() -> None:
    pass

    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    missing = []
    for name in CHANNELS:
        module = notifiers.channel_module(name)
        models = [module.SETTINGS, module.SETTINGS.model_fields["robots"].annotation.__args__[1]]  # type: ignore
        for model in models:
            missing += [f"{name}.{field}" for field in model.model_fields if f"`{field}`" not in text]
    assert missing == []
    assert re.search(r"never.{0,40}config\.yaml", text)
    json.dumps(SAMPLES)  # the samples are plain config
