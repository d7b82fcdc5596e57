"""The DingTalk (钉钉) channel: custom group robots (自定义机器人), signed with their secret.

A subscriber's ``address`` is a robot's name under ``notifiers: dingtalk: robots:``; the
robot's webhook URL (``https://oapi.dingtalk.com/robot/send?access_token=…``), or just its
access token, is in the environment variable its ``webhook_env`` names, and its signing secret
(加签, ``SEC…``) in the one ``secret_env`` names.

Platform facts used here (DingTalk's custom-robot guide, open.dingtalk.com/document/group/
custom-robot-access, as quoted by gitbook.curiouser.top/origin/dingding-customrobot.html and
juejin.cn/post/7129698690297495583):

- Signing: ``sign = urlEncode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)))``
  with ``timestamp`` in milliseconds, no more than an hour from DingTalk's clock, both added to
  the URL as ``&timestamp=…&sign=…``.
- msgtype ``markdown`` has a ``title`` (the notification's preview) and a ``text``; people are
  @-mentioned by ``at.atMobiles`` / ``at.atUserIds`` / ``at.isAtAll``, and in a markdown
  message each must also appear as ``@mobile`` / ``@userid`` in the text.
- "每个机器人每分钟最多发送20条…如果超过20条,会限流10分钟": 20 a minute per robot, and a
  robot that exceeds it is blocked for ten minutes.
- The request body must stay under 20000 bytes ("body 大小不合法;解决方案:请保持大小在
  20000bytes 以内", quoted in ZhuLinsen/daily_stock_analysis#61).
- A robot with the keyword setting (自定义关键词) only accepts messages containing a keyword:
  give it as ``keyword`` and it is added to messages that lack it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar
from urllib.parse import quote_plus

from pydantic import Field

from notifiers.base import DeliveryError, Message, TransientError
from notifiers.robots.notifier import RobotNotifier
from notifiers.robots.settings import (
    ChatRobotSettings,
    Credentials,
    EnvName,
    RobotChannelSettings,
    env_value,
    token_of,
    webhook_url,
)
from notifiers.robots.text import first_link, fit, json_body, json_size, mentions_for
from notifiers.robots.transport import Outgoing

BASE_URL = "https://oapi.dingtalk.com/robot/send"
BODY_LIMIT = 20000  # bytes of the whole request body
TITLE_LIMIT = 64  # characters of markdown.title: a conservative cap (DingTalk's message APIs allow 64)
BLOCKED_SECONDS = 600.0  # "会限流10分钟": a robot over its rate is blocked for ten minutes


class DingTalkRobot(ChatRobotSettings):
    """One DingTalk custom robot (``notifiers: dingtalk: robots: NAME:``)."""

    secret_env: EnvName | None = Field(
        default=None,
        description="NAME of the environment variable holding the robot's signing secret (加签, SEC…); "
        "omit for a robot without signing",
    )
    keyword: str | None = Field(default=None, min_length=1,
                                description="The robot's custom keyword (自定义关键词), added to messages lacking it")


class DingTalkConfig(RobotChannelSettings):
    """``notifiers: dingtalk:`` in config.yaml."""

    robots: dict[str, DingTalkRobot] = Field(min_length=1,
                                             description="The robots by name (a subscriber's address)")
    base_url: str = Field(default=BASE_URL, min_length=1,
                          description="The webhook endpoint a bare token is appended to (?access_token=…)")
    rate_per_minute: int = Field(default=20, ge=1, description="Messages a minute per robot (DingTalk allows 20)")


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """The signature DingTalk expects, before URL encoding: base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkNotifier(RobotNotifier):
    channel = "dingtalk"
    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    transient_codes: ClassVar[dict[int, float | None]] = {
        -1: None,  # 系统繁忙 (DingTalk's global error codes)
        # "send too fast, exceed 20 times per minute"; the robot is then blocked for ten minutes
        # (blog.csdn.net/jialiuyang/article/details/118615052).
        130101: BLOCKED_SECONDS,
        # Rate-limit codes named in the feature request (660026) and in DingTalk's custom-robot error
        # table (410100 "发送速度太快而限流"); not found in the copies searched, mapped so that a
        # rate refusal is never taken for a permanent one.
        660026: BLOCKED_SECONDS,
        410100: BLOCKED_SECONDS,
        # "webhook over limit": the robot's call quota is used up (developer.aliyun.com/ask/595588).
        90030: 3600.0,
    }
    permanent_codes: ClassVar[dict[int, str]] = {
        # "sign not match" / "invalid timestamp" / "keywords not in content" / "ip not in whitelist"
        # (x-cold/dingtalk-robot#7, jenkinsci/dingtalk-plugin#116, qd-today/qd#510).
        310000: "check the robot's security settings: the signing secret, this server's clock (within an hour), "
        "the keyword, the IP allow-list",
        # "token is not exist" (timonwong/prometheus-webhook-dingtalk#91).
        300001: "the access token is wrong, or the robot was removed",
    }
    rate_retry_after = BLOCKED_SECONDS

    def __init__(self, config: DingTalkConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.config: DingTalkConfig = config

    def credentials(self, robot: DingTalkRobot, where: str) -> Credentials:
        value = env_value(robot.webhook_env, "webhook", where)
        url = webhook_url(value, self.config.base_url, param="access_token")
        secret = env_value(robot.secret_env, "signing secret", where) if robot.secret_env else None
        return Credentials(url, secret, (url, value, *token_of(url, "access_token"), *([secret] if secret else [])))

    def build(self, message: Message, robot: DingTalkRobot, credentials: Credentials) -> Outgoing:
        url = credentials.url
        signature: tuple[str, ...] = ()
        if credentials.secret is not None:
            timestamp = str(round(self.clock() * 1000))
            sign = dingtalk_sign(credentials.secret, timestamp)
            url += f"{'&' if '?' in url else '?'}timestamp={timestamp}&sign={quote_plus(sign)}"
            signature = (sign,)
        return Outgoing(url, json_body(dingtalk_body(message, robot)), secrets=signature)

    def redirect_error(self, status: int, where: str, retry_after: float | None) -> DeliveryError:
        # A robot over its rate is answered with a 302 for the ten minutes it is blocked
        # (m.elefans.com/dongtai/1725725310a1038879.html: "再发,就直接 302 并限制发送10分钟").
        return TransientError(f"{where}: HTTP {status} (DingTalk redirects a robot blocked for its rate)",
                              retry_after=retry_after or BLOCKED_SECONDS)


def dingtalk_body(message: Message, robot: DingTalkRobot) -> dict[str, Any]:
    """The JSON DingTalk is sent for ``message``: Markdown with a title, mentions in ``at``."""
    who = mentions_for(message, robot)
    title = message.subject if len(message.subject) <= TITLE_LIMIT else message.subject[: TITLE_LIMIT - 1] + "…"
    text = message.markdown or message.text
    if robot.keyword and robot.keyword not in text and robot.keyword not in title:
        text = f"{robot.keyword}\n{text}"
    tags = [f"@{m}" for m in (*who.mobiles, *who.ids)]
    suffix = ("\n\n" + " ".join(tags)) if tags else ""
    at = {"atMobiles": list(who.mobiles), "atUserIds": list(who.ids), "isAtAll": who.everyone}
    body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": ""}, "at": at}
    overhead = len(json_body(body)) + json_size(suffix)
    body["markdown"]["text"] = fit(text, BODY_LIMIT - overhead, link=first_link(message.text), size=json_size) + suffix
    return body


NOTIFIER = DingTalkNotifier
SETTINGS = DingTalkConfig

__all__ = ["NOTIFIER", "SETTINGS", "DingTalkConfig", "DingTalkNotifier", "DingTalkRobot", "dingtalk_body",
           "dingtalk_sign"]
