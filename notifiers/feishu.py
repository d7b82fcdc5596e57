"""The Feishu / Lark (飞书) channel: custom group bots (自定义机器人), signed with their secret.

A subscriber's ``address`` is a bot's name under ``notifiers: feishu: robots:``; the bot's
webhook URL (``https://open.feishu.cn/open-apis/bot/v2/hook/…``), or just its token (the last
part of that URL), is in the environment variable its ``webhook_env`` names, and its signing
secret (签名校验) in the one ``secret_env`` names. For Lark, set ``base_url`` to
``https://open.larksuite.com/open-apis/bot/v2/hook`` (or give the full URL).

Platform facts used here (Feishu's custom-bot guide, open.feishu.cn/document/client-docs/
bot-v3/add-custom-bot, open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN):

- Signing: ``sign = base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=""))`` with
  ``timestamp`` in seconds, within an hour of Feishu's clock; both go in the JSON body.
- "单租户单机器人 100 次/分钟，5 次/秒": 100 a minute and 5 a second per bot; a refusal for the
  rate is error 11232.
- "请求体的数据大小不能超过 20 KB": the request body stays under 20 KB.
- Messages are sent as an interactive card whose text is ``lark_md`` (Markdown); people are
  @-mentioned in it with ``<at id=…></at>`` (open_id or user_id), ``<at email=…></at>``, or
  ``<at id=all></at>`` for everyone (apifox.com/apidoc/docs-site/532425/doc-1944903). A custom
  bot cannot @-mention by mobile number: such mentions are left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar

from pydantic import Field

from notifiers.base import Message
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

BASE_URL = "https://open.feishu.cn/open-apis/bot/v2/hook"
BODY_LIMIT = 20000  # bytes of the whole request body ("20 KB", read as 20000 to be safe)


class FeishuRobot(ChatRobotSettings):
    """One Feishu/Lark custom bot (``notifiers: feishu: robots: NAME:``)."""

    secret_env: EnvName | None = Field(
        default=None,
        description="NAME of the environment variable holding the bot's signing secret (签名校验); "
        "omit for a bot without signing",
    )
    keyword: str | None = Field(default=None, min_length=1,
                                description="The bot's custom keyword (自定义关键词), added to messages lacking it")


class FeishuConfig(RobotChannelSettings):
    """``notifiers: feishu:`` in config.yaml."""

    robots: dict[str, FeishuRobot] = Field(min_length=1, description="The bots by name (a subscriber's address)")
    base_url: str = Field(default=BASE_URL, min_length=1,
                          description="The webhook endpoint a bare token is appended to (/…); Lark: "
                          "https://open.larksuite.com/open-apis/bot/v2/hook")
    rate_per_minute: int = Field(default=100, ge=1, description="Messages a minute per bot (Feishu allows 100)")
    rate_per_second: int = Field(default=5, ge=1, description="Messages a second per bot (Feishu allows 5)")


def feishu_sign(secret: str, timestamp_s: str) -> str:
    """The signature Feishu expects: base64(HMAC-SHA256(key="ts\\nsecret", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class FeishuNotifier(RobotNotifier):
    channel = "feishu"
    # Replies carry "code"/"msg"; older ones only "StatusCode"/"StatusMessage" (kept for compatibility).
    code_fields = ("code", "StatusCode")
    message_fields = ("msg", "StatusMessage")
    transient_codes: ClassVar[dict[int, float | None]] = {
        # Over 100 a minute or 5 a second (the custom-bot guide above).
        11232: 60.0,
        # "request trigger frequency limit" of the open platform's gateway
        # (open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
        99991400: 60.0,
    }
    # 9499 is both "Bad Request" (the body's format or size, blog.csdn.net/qq_43108153/article/
    # details/136166075) and, as the feature request notes, "too many request": it is transient
    # when its msg speaks of the rate, permanent otherwise (RobotNotifier.code_error).
    permanent_codes: ClassVar[dict[int, str]] = {
        # "sign match fail or timestamp is not within one hour from current time"
        # (feiyu563/PrometheusAlert#422, blog.csdn.net/zhanglili1993/article/details/136473704).
        19021: "check the signing secret and this server's clock (within an hour of Feishu's)",
        # "param invalid: incoming webhook access token invalid": a wrong or deleted bot.
        19001: "the webhook token is wrong, or the bot was removed",
        19022: "this server's IP address is not in the bot's allow-list",  # "Ip Not Allowed"
        19024: "the message lacks the bot's keyword; set keyword",  # "Key Words Not Found"
    }

    def __init__(self, config: FeishuConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.config: FeishuConfig = config

    def rate_limits(self) -> list[tuple[int, float]]:
        return [(self.config.rate_per_minute, 60.0), (self.config.rate_per_second, 1.0)]

    def credentials(self, robot: FeishuRobot, where: str) -> Credentials:
        value = env_value(robot.webhook_env, "webhook", where)
        url = webhook_url(value, self.config.base_url, param=None)
        secret = env_value(robot.secret_env, "signing secret", where) if robot.secret_env else None
        return Credentials(url, secret, (url, value, *token_of(url, None), *([secret] if secret else [])))

    def build(self, message: Message, robot: FeishuRobot, credentials: Credentials) -> Outgoing:
        signed: dict[str, str] = {}
        if credentials.secret is not None:
            timestamp = str(int(self.clock()))
            signed = {"timestamp": timestamp, "sign": feishu_sign(credentials.secret, timestamp)}
        body = feishu_body(message, robot, signed)
        return Outgoing(credentials.url, json_body(body), secrets=(signed["sign"],) if signed else ())


def _at(target: str) -> str:
    return f"<at email={target}></at>" if "@" in target else f"<at id={target}></at>"


def feishu_body(message: Message, robot: FeishuRobot, signed: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON Feishu is sent for ``message`` (an interactive card), ``signed`` fields first, within 20 KB."""
    who = mentions_for(message, robot)
    tags = [_at(target) for target in who.ids] + (["<at id=all></at>"] if who.everyone else [])
    suffix = ("\n" + " ".join(tags)) if tags else ""
    text = message.markdown or message.text
    if robot.keyword and robot.keyword not in text and robot.keyword not in message.subject:
        text = f"{robot.keyword}\n{text}"
    div: dict[str, Any] = {"tag": "div", "text": {"tag": "lark_md", "content": ""}}
    body = {
        **(signed or {}),
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": message.subject}, "template": "blue"},
            "elements": [div],
        },
    }
    overhead = len(json_body(body)) + json_size(suffix)
    div["text"]["content"] = fit(text, BODY_LIMIT - overhead, link=first_link(message.text), size=json_size) + suffix
    return body


NOTIFIER = FeishuNotifier
SETTINGS = FeishuConfig

__all__ = ["NOTIFIER", "SETTINGS", "FeishuConfig", "FeishuNotifier", "FeishuRobot", "feishu_body", "feishu_sign"]
