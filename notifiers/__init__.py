"""Reminder channels: one module per channel, one ``load`` for all of them.

``load(settings)`` builds every channel named under ``notifiers:`` in
config.yaml, plus the log channel, which needs no settings. A channel module
exports ``NOTIFIER`` (its Notifier class) and ``SETTINGS`` (a pydantic
model of its keys); nothing else here knows about any channel.

The config model (obligations/config.py) cannot know the channels (they sit
above it), so it keeps ``notifiers:`` a mapping of mappings. Here the
channels' ``SETTINGS`` are gathered into :func:`config_model`, the same
model with ``notifiers:`` typed channel by channel: ``validate`` checks a
config file against it (:func:`problems`, each problem placed on its key),
and the JSON Schema that editors use is written from it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model

from notifiers.base import Button, DeliveryError, Message, Notifier, PermanentError, TransientError
from obligations.config import Config
from obligations.diagnostics import problems_from
from obligations.errors import Problem
from obligations.strict import Strict
from obligations.yamlsource import YamlDocument

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


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # a channel left out is not configured; it has no settings to show


@functools.cache
def settings_model() -> type[BaseModel]:
    """``notifiers:`` as one model: a key per available channel, holding that channel's ``SETTINGS``."""
    fields: dict[str, Any] = {}
    for name in available():
        module = channel_module(name)
        summary = (module.__doc__ or name).strip().splitlines()[0]
        fields[name] = (module.SETTINGS, Field(default=None, description=summary, json_schema_extra=_no_default))
    return create_model("NotifierSettings", __base__=Strict, __doc__="Channel settings by channel name; a channel "
                        "left out is not used (log and, with TELEGRAM_BOT_TOKEN set, telegram are on anyway)",
                        **fields)


@functools.cache
def config_model() -> type[Config]:
    """:class:`Config` with ``notifiers:`` typed by every channel's settings: for validation and the JSON Schema."""
    field = Config.model_fields["notifiers"]
    return create_model("Config", __base__=Config, __doc__=Config.__doc__,
                        notifiers=(settings_model(), Field(default_factory=dict, description=field.description)))


def problems(source: YamlDocument | None) -> list[Problem]:
    """The channel settings in a config file that :func:`load` would refuse, each placed on its key,
    an unknown key with the valid ones. ``source`` already passed :class:`Config` (``None``: defaults)."""
    if source is None or not isinstance(source.data, dict):
        return []
    model = config_model()
    try:
        model.model_validate(source.data)
    except ValidationError as exc:
        return problems_from(exc, source, model)
    return []


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
    "config_model",
    "load",
    "problems",
    "settings_model",
]
