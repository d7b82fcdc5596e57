"""The bot's input, typed: callback data of every button kind and the commands' arguments.

Anything that reaches a handler was parsed here first: ASCII digits only (``int`` alone takes
"²", "１２" and "٣"), bounded numbers, ids of the rules' own shape, levels that exist. ``parse``
answers None for anything else, and the handler then answers politely and changes nothing.
Whether an id names a unit or duty *in force* is the handler's check (the rules can reload).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from obligations.model import Level

MAX_ID = 2**31 - 1  # the store's ids are 32-bit on PostgreSQL: a larger one cannot exist
MAX_PAGE = 10_000
MAX_DAYS = 180
_NUMBER = re.compile(r"[0-9]{1,18}")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,199}")  # obligations.model.ID_PATTERN, bounded
_INVITE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # secrets.token_urlsafe
_CHAT_ID = re.compile(r"-?[0-9]{1,18}")
_DAY = re.compile(r"(20[0-9]{2})([0-9]{2})([0-9]{2})")  # YYYYMMDD, 2000..2099


def number(text: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """An ASCII decimal in ``low..high``, or None."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def level(text: str) -> Level | None:
    try:
        return Level(text)
    except ValueError:
        return None


def rule_id(text: str) -> str | None:
    return text if isinstance(text, str) and _RULE_ID.fullmatch(text) else None


@dataclass(frozen=True)
class PickLevel:
    """``sl:LEVEL:PAGE``: a page of one level's units."""

    level: Level
    page: int = 0

    @property
    def data(self) -> str:
        return f"sl:{self.level.value}:{self.page}"


@dataclass(frozen=True)
class PickDuty:
    """``so:PAGE``: a page of the duties."""

    page: int = 0

    @property
    def data(self) -> str:
        return f"so:{self.page}"


@dataclass(frozen=True)
class SubUnit:
    """``su:UNIT``: subscribe to a unit."""

    unit: str

    @property
    def data(self) -> str:
        return f"su:{self.unit}"


@dataclass(frozen=True)
class SubLevel:
    """``sv:LEVEL``: subscribe to every unit of a level."""

    level: Level

    @property
    def data(self) -> str:
        return f"sv:{self.level.value}"


@dataclass(frozen=True)
class SubDuty:
    """``sd:DUTY``: subscribe to a duty."""

    duty: str

    @property
    def data(self) -> str:
        return f"sd:{self.duty}"


@dataclass(frozen=True)
class Unsubscribe:
    """``x:ID``: remove one of the chat's subscriptions."""

    subscription: int

    @property
    def data(self) -> str:
        return f"x:{self.subscription}"


ReminderAction = Literal["d", "z", "c", "u", "w"]  # done, snooze, calendar file, undo done, which day?
REMINDER_ACTIONS = ("d", "z", "c", "u", "w")


@dataclass(frozen=True)
class OnReminder:
    """``d:ID`` / ``z:ID`` / ``c:ID`` / ``u:ID`` / ``w:ID``: a button under a reminder."""

    action: ReminderAction
    reminder: int

    @property
    def data(self) -> str:
        return f"{self.action}:{self.reminder}"


@dataclass(frozen=True)
class DoneOn:
    """``o:ID:YYYYMMDD``: the day the reminded duty was done (one of the days the bot offered)."""

    reminder: int
    day: dt.date

    @property
    def data(self) -> str:
        return f"o:{self.reminder}:{self.day:%Y%m%d}"


def day(text: str) -> dt.date | None:
    """``YYYYMMDD`` (ASCII digits, a real day of 2000..2099), or None."""
    found = _DAY.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


Button = PickLevel | PickDuty | SubUnit | SubLevel | SubDuty | Unsubscribe | OnReminder | DoneOn


def parse(data: object) -> Button | None:
    """The button ``data`` stands for, or None when it is not one the bot makes."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > 64:
        return None  # Telegram's limit: the bot never makes longer ones
    kind, sep, rest = data.partition(":")
    if not sep:
        return None
    if kind == "sl":
        text, _, page_text = rest.partition(":")
        lv, page = level(text), number(page_text or "0", high=MAX_PAGE)
        return PickLevel(lv, page) if lv is not None and page is not None else None
    if kind == "so":
        page = number(rest or "0", high=MAX_PAGE)
        return PickDuty(page) if page is not None else None
    if kind == "sv":
        lv = level(rest)
        return SubLevel(lv) if lv is not None else None
    if kind in ("su", "sd"):
        ident = rule_id(rest)
        if ident is None:
            return None
        return SubUnit(ident) if kind == "su" else SubDuty(ident)
    if kind == "x":
        sid = number(rest, low=1)
        return Unsubscribe(sid) if sid is not None else None
    if kind in REMINDER_ACTIONS:
        rid = number(rest, low=1)
        return OnReminder(kind, rid) if rid is not None else None  # type: ignore[arg-type]
    if kind == "o":
        rid_text, _, day_text = rest.partition(":")
        rid, when = number(rid_text, low=1), day(day_text)
        return DoneOn(rid, when) if rid is not None and when is not None else None
    return None


# -- command arguments ----------------------------------------------------------------------------------


def invite_code(args: list[str]) -> str | None:
    """``/start CODE``: the code's shape (the store decides whether it is valid)."""
    return args[0] if len(args) == 1 and _INVITE.fullmatch(args[0]) else None


def days(args: list[str], default: int = 14) -> int | None:
    """``/upcoming [DAYS]``: 1..180 (a larger number means 180); None when it is not a number."""
    if not args:
        return default
    if len(args) != 1 or not _NUMBER.fullmatch(args[0]):
        return None
    return max(1, min(int(args[0]), MAX_DAYS))


_LANGUAGES = {"en": "en", "english": "en", "zh": "zh-CN", "zh-cn": "zh-CN", "cn": "zh-CN", "中文": "zh-CN",
              "chinese": "zh-CN"}


def language(args: list[str], current: str) -> Literal["zh-CN", "en"] | None:
    """``/lang [en|zh]``: the wanted language; no argument switches; None for anything else."""
    if not args:
        return "zh-CN" if current == "en" else "en"
    wanted = _LANGUAGES.get(args[0].lower()) if len(args) == 1 else None
    return wanted  # type: ignore[return-value]


def chat_id(args: list[str]) -> str | None:
    """``/approve CHAT``: a Telegram chat id (a 64-bit integer, negative for groups)."""
    if len(args) != 1 or not _CHAT_ID.fullmatch(args[0]):
        return None
    value = int(args[0])
    return str(value) if -(2**63) < value < 2**63 else None


__all__ = [
    "MAX_ID",
    "Button",
    "DoneOn",
    "OnReminder",
    "PickDuty",
    "PickLevel",
    "SubDuty",
    "SubLevel",
    "SubUnit",
    "Unsubscribe",
    "chat_id",
    "day",
    "days",
    "invite_code",
    "language",
    "number",
    "parse",
    "rule_id",
]
