"""Reminder channels: one module per channel, one ``load`` for all of them.

``load(settings)`` builds every channel named under ``notifiers:`` in
config.yaml, plus the log channel, which needs no settings. A channel module
exports ``NOTIFIER`` (its Notifier class) and, if it takes settings,
``SETTINGS`` (a pydantic model); nothing else here knows about any channel.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from notifiers.base import Button, DeliveryError, Message, Notifier, PermanentError, TransientError

BUILT_IN = ("log", "email", "telegram", "wecom", "dingtalk", "feishu", "webhook")


def available() -> list[str]:
    """The channels this installation has a module for."""
    return [name for name in BUILT_IN if importlib.util.find_spec(f"notifiers.{name}") is not None]


def channel_module(name: str) -> Any:
    if name not in available():
        raise ValueError(f"unknown channel {name!r}; available channels: {', '.join(available())}")
    return importlib.import_module(f"notifiers.{name}")


def load(settings: Mapping[str, Mapping[str, Any]], **extra: Any) -> dict[str, Notifier]:
    """Every configured channel (and log), ready to send. Raises ValueError naming a bad setting."""
    out: dict[str, Notifier] = {}
    names = ["log", *settings]
    if os.environ.get("TELEGRAM_BOT_TOKEN") and "telegram" not in names:
        names.append("telegram")  # a token is enough to turn the bot on
    for name in names:
        module = channel_module(name)
        cls = module.NOTIFIER
        model = getattr(module, "SETTINGS", None)
        try:
            config = model.model_validate(dict(settings.get(name, {})))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"notifiers.{name}.{where}: {first['msg']}") from None
        out[name] = cls(config, **extra.get(name, {}))
    return out


__all__ = [
    "BUILT_IN",
    "Button",
    "DeliveryError",
    "Message",
    "Notifier",
    "PermanentError",
    "TransientError",
    "available",
    "channel_module",
    "load",
]
