"""The generic webhook channel: each reminder as one JSON POST to a URL of your own.

For systems the other channels do not know (an OA system, a message bus gateway, a script). A
subscriber's ``address`` is a hook's name under ``notifiers: webhook: robots:``; the hook's URL
is in the environment variable its ``webhook_env`` names (URLs often carry a token).

The body holds every field of the message::

    {"version": 1, "key": "…", "recipient": "…", "subject": "…", "text": "…", "markdown": "…",
     "html": "…", "mentions": […], "covers": […], "buttons": [{"label": "…", "action": "…"}],
     "ics_name": "….ics", "ics_base64": "…" or null, "sent_at": 1735689600}

Headers: ``Idempotency-Key`` is the message's key, percent-encoded if it is not ASCII (the
same reminder resent has the same key, so the receiver can drop the duplicate). With
``secret_env``, ``X-Webhook-Timestamp`` (Unix seconds) and ``X-Webhook-Signature: sha256=HEX``
where ``HEX`` is the hex HMAC-SHA256, keyed with the secret, of ``timestamp + "." + body`` (the
raw body bytes): the receiver recomputes it and rejects a stale timestamp.

Replies: any 2xx is delivered (a JSON reply's ``id`` is kept as the provider id), whatever its
body and even if the body is slow to finish; 429, 408 and 5xx are retried (after
``Retry-After`` if given); a redirect or another 4xx is permanent. No answer at all (a timeout,
a reset) is retried with the same ``Idempotency-Key``: at-least-once, and a receiver that keeps
the keys it has seen gets each reminder exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from pydantic import Field

from notifiers.base import Message
from notifiers.robots.notifier import RobotNotifier
from notifiers.robots.settings import Credentials, EnvName, RobotChannelSettings, RobotSettings, env_value, token_of
from notifiers.robots.text import json_body
from notifiers.robots.transport import Outgoing, RobotReply


class WebhookTarget(RobotSettings):
    """One webhook (``notifiers: webhook: robots: NAME:``)."""

    secret_env: EnvName | None = Field(
        default=None,
        description="NAME of the environment variable holding the HMAC secret that signs each request; "
        "omit to send unsigned",
    )


class WebhookConfig(RobotChannelSettings):
    """``notifiers: webhook:`` in config.yaml."""

    robots: dict[str, WebhookTarget] = Field(min_length=1,
                                             description="The webhooks by name (a subscriber's address)")
    rate_per_minute: int | None = Field(default=None, ge=1,
                                        description="Messages a minute per webhook; none: no limit")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body`` keyed with ``secret``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_body(message: Message, sent_at: int) -> dict[str, Any]:
    """Every field of ``message`` as JSON."""
    return {
        "version": 1,
        "key": message.key,
        "recipient": message.recipient,
        "subject": message.subject,
        "text": message.text,
        "markdown": message.markdown,
        "html": message.html,
        "mentions": list(message.mentions),
        "covers": list(message.covers),
        "buttons": [{"label": b.label, "action": b.action} for b in message.buttons],
        "ics_name": message.ics_name if message.ics is not None else None,
        "ics_base64": base64.b64encode(message.ics).decode("ascii") if message.ics is not None else None,
        "sent_at": sent_at,
    }


class WebhookNotifier(RobotNotifier):
    channel = "webhook"

    def __init__(self, config: WebhookConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.config: WebhookConfig = config

    def credentials(self, robot: WebhookTarget, where: str) -> Credentials:
        url = env_value(robot.webhook_env, "webhook", where)
        secret = env_value(robot.secret_env, "signing secret", where) if robot.secret_env else None
        return Credentials(url, secret, (url, *token_of(url, None), *([secret] if secret else [])))

    def build(self, message: Message, robot: WebhookTarget, credentials: Credentials) -> Outgoing:
        timestamp = int(self.clock())
        body = json_body(webhook_body(message, timestamp))
        headers = {"Idempotency-Key": message.key if message.key.isascii() else quote(message.key, safe="")}
        if credentials.secret is not None:
            headers["X-Webhook-Timestamp"] = str(timestamp)
            headers["X-Webhook-Signature"] = webhook_signature(credentials.secret, str(timestamp), body)
        return Outgoing(credentials.url, body, headers)

    def message_id(self, reply: RobotReply) -> str | None:
        data = reply.json()
        found = data.get("id") if isinstance(data, dict) else None
        if isinstance(found, int) and not isinstance(found, bool) and abs(found) < 10**30:
            return str(found)
        return found[:200] if isinstance(found, str) and found else None


NOTIFIER = WebhookNotifier
SETTINGS = WebhookConfig

__all__ = ["NOTIFIER", "SETTINGS", "WebhookConfig", "WebhookNotifier", "WebhookTarget", "webhook_body",
           "webhook_signature"]
