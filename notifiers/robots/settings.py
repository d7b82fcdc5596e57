"""A robot's settings in config.yaml, and its credentials, read from the environment at each send."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlsplit

from pydantic import AfterValidator, Field

from notifiers.base import PermanentError
from obligations.strict import Strict

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "must be the NAME of an environment variable (letters, digits and _), not its value: "
            "webhook URLs and signing secrets never go in config.yaml"
        )
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]


class RobotSettings(Strict):
    """One robot: where its webhook URL comes from."""

    webhook_env: EnvName = Field(
        description="NAME of the environment variable holding the robot's webhook URL (or just its key/token)"
    )


class ChatRobotSettings(RobotSettings):
    """A robot in a group chat, which can @-mention people."""

    mention: bool = Field(default=True, description="@-mention the people a reminder names (Message.mentions)")
    mention_all: bool = Field(default=False, description="@-mention everyone in the group with every message")
    mention_ids: dict[str, str] = Field(
        default_factory=dict,
        description="A person named in a reminder's mentions → their id on this platform (user id, open_id, "
        "e-mail or mobile number); a name not listed is used as it is",
    )


class RobotChannelSettings(Strict):
    """Settings every robot channel has."""

    timeout_seconds: float = Field(
        default=10, gt=0,
        description="Limit for one request: connecting, sending and the whole reply (however slowly it comes)",
    )
    rate_max_wait_seconds: float = Field(
        default=90,
        ge=0,
        description="A message that would wait longer than this for a free rate slot is retried later instead "
        "(keep it below reminders.lease_seconds)",
    )


@dataclass(frozen=True)
class Credentials:
    url: str
    secret: str | None
    secrets: tuple[str, ...]  # every value that must not be shown: the URL, its token, the secret


def env_value(name: str, what: str, where: str) -> str:
    """The value of environment variable ``name``; PermanentError naming it (never its value) if unset."""
    value = os.environ.get(name)
    if not value:
        state = "is not set" if value is None else "is empty"
        raise PermanentError(f"{where}: the {what} environment variable {name} {state}")
    return value.strip()


def webhook_url(value: str, base_url: str, *, param: str | None) -> str:
    """A robot's URL: ``value`` itself if it is a URL, else ``base_url`` with the key/token added."""
    if re.match(r"https?://", value, re.I):
        return value
    if param is None:
        return f"{base_url.rstrip('/')}/{quote(value, safe='')}"
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}{param}={quote(value, safe='')}"


def token_of(url: str, param: str | None) -> tuple[str, ...]:
    """The secret parts of a robot URL: a query parameter's value, or the last path segment."""
    parts = urlsplit(url)
    if param is not None:
        return tuple(v for k, v in parse_qsl(parts.query) if k == param)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return (last,) if last else ()


__all__ = [
    "ChatRobotSettings",
    "Credentials",
    "EnvName",
    "RobotChannelSettings",
    "RobotSettings",
    "env_value",
    "token_of",
    "webhook_url",
]
