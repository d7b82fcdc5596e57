"""The WeCom (企业微信) channel: group robots (群机器人), one webhook per group.

A subscriber's ``address`` is a robot's name under ``notifiers: wecom: robots:``; the robot's
webhook URL (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``), or just its key, is
in the environment variable its ``webhook_env`` names.

Platform facts used here (WeCom's group-robot guide, developer.work.weixin.qq.com/document/
path/91770, as quoted by work.weixin.qq.com/api/doc/90000/90136/91770):

- msgtype ``markdown``: ``markdown.content`` at most 4096 bytes of UTF-8 (the platform refuses
  a longer one with error 40058 "markdown.content exceed max length 4096", as reported in
  RayWangQvQ/BiliBiliToolPro#702 and dromara/domain-admin#82); people are @-mentioned in it
  with ``<@userid>`` (user ids only: no mobile numbers, no @all).
- msgtype ``text``: ``text.content`` at most 2048 bytes; ``mentioned_list`` (user ids,
  ``@all``) and ``mentioned_mobile_list`` (mobile numbers, ``@all``). So a message that must
  @-mention by mobile number, or everyone, is sent as text.
- "每个机器人发送的消息不能超过20条/分钟": 20 messages a minute per robot.
- The reply is ``{"errcode": 0, "errmsg": "ok"}``; see ``WeComNotifier`` for the error codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from notifiers.base import Message
from notifiers.robots.notifier import RobotNotifier
from notifiers.robots.settings import (
    ChatRobotSettings,
    Credentials,
    RobotChannelSettings,
    env_value,
    token_of,
    webhook_url,
)
from notifiers.robots.text import first_link, fit, json_body, mentions_for, utf8_size
from notifiers.robots.transport import Outgoing

BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
MARKDOWN_LIMIT = 4096  # bytes of markdown.content
TEXT_LIMIT = 2048  # bytes of text.content


class WeComRobot(ChatRobotSettings):
    """One WeCom group robot (``notifiers: wecom: robots: NAME:``)."""


class WeComConfig(RobotChannelSettings):
    """``notifiers: wecom:`` in config.yaml."""

    robots: dict[str, WeComRobot] = Field(min_length=1, description="The robots by name (a subscriber's address)")
    base_url: str = Field(default=BASE_URL, min_length=1,
                          description="The webhook endpoint a bare key is appended to (?key=…)")
    rate_per_minute: int = Field(default=20, ge=1, description="Messages a minute per robot (WeCom allows 20)")


class WeComNotifier(RobotNotifier):
    channel = "wecom"
    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    # -1 "系统繁忙": retry (global error codes, developer.work.weixin.qq.com/document/path/90455).
    # 45009 "api freq out of limit": over 20 a minute; the window is a minute
    #   (WecomTeam/wecom-openclaw-plugin#48 shows the reply).
    transient_codes: ClassVar[dict[int, float | None]] = {-1: None, 45009: 60.0}
    permanent_codes: ClassVar[dict[int, str]] = {
        # "invalid webhook url": a wrong or deleted key (zema1/watchvuln#146, wes-lin/Cloud189Checkin#175).
        93000: "the robot's key is wrong, or the robot was removed from the group",
        # "markdown.content exceed max length 4096" (never sent: the content is cut to fit).
        40058: "a parameter is invalid or too long",
        40008: "the message type is not accepted",
    }

    def __init__(self, config: WeComConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.config: WeComConfig = config

    def credentials(self, robot: WeComRobot, where: str) -> Credentials:
        value = env_value(robot.webhook_env, "webhook", where)
        url = webhook_url(value, self.config.base_url, param="key")
        return Credentials(url, None, (url, value, *token_of(url, "key")))

    def build(self, message: Message, robot: WeComRobot, credentials: Credentials) -> Outgoing:
        return Outgoing(credentials.url, json_body(wecom_body(message, robot)))


def wecom_body(message: Message, robot: WeComRobot) -> dict[str, Any]:
    """The JSON WeCom is sent for ``message``: Markdown, or text when mentions need it."""
    who = mentions_for(message, robot)
    link = first_link(message.text)
    if who.everyone or who.mobiles:
        mentioned = [*who.ids, *(["@all"] if who.everyone else [])]
        text: dict[str, Any] = {"content": fit(message.text, TEXT_LIMIT, link=link, size=utf8_size)}
        if mentioned:
            text["mentioned_list"] = mentioned
        if who.mobiles:
            text["mentioned_mobile_list"] = list(who.mobiles)
        return {"msgtype": "text", "text": text}
    suffix = ("\n" + " ".join(f"<@{user}>" for user in who.ids)) if who.ids else ""
    content = fit(message.markdown or message.text, MARKDOWN_LIMIT - utf8_size(suffix), link=link)
    return {"msgtype": "markdown", "markdown": {"content": content + suffix}}


NOTIFIER = WeComNotifier
SETTINGS = WeComConfig

__all__ = ["NOTIFIER", "SETTINGS", "WeComConfig", "WeComNotifier", "WeComRobot", "wecom_body"]
