"""Fitting a reminder into a platform's size limit, and sorting the people it @-mentions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notifiers.base import Message
from notifiers.robots.settings import ChatRobotSettings


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def json_size(text: str) -> int:
    """Bytes ``text`` takes inside a JSON body as :func:`json_body` writes it (escapes included)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def json_body(value: Any) -> bytes:
    """The compact UTF-8 JSON the robots are sent (not \\u-escaped: Chinese stays 3 bytes a character)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def first_link(text: str) -> str | None:
    """The first http(s) link in ``text``: in a reminder, the duty's page."""
    found = re.search(r"https?://[^\s<>()\[\]\"']+", text)
    return found.group(0) if found else None


def fit(text: str, limit: int, *, link: str | None = None, size: Callable[[str], int] = utf8_size) -> str:
    """``text`` if ``size(text) <= limit``; else its longest prefix that fits with "…" and ``link`` after it.

    The cut falls between characters (never inside a multi-byte one) and, when that loses at
    most a quarter of what fits, at the end of a line, so no Markdown link or mention is cut in
    half. ``size`` measures what counts: UTF-8 bytes, or bytes inside a JSON string.
    """
    if size(text) <= limit:
        return text
    tail = "…" + (f"\n{link}" if link else "")
    if size(tail) > limit:
        tail = "…"
    budget = max(limit - size(tail), 0)
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix within budget (size grows with the prefix)
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    line_end = cut.rfind("\n")
    if line_end > 0 and line_end >= lo * 3 // 4:
        cut = cut[:line_end]
    cut = cut.rstrip()
    if link and link in cut:
        tail = "…"
    return cut + tail


# ----------------------------------------------------------------------------- mentions


_MOBILE = re.compile(r"\+?\d{5,15}")
_EVERYONE = {"all", "@all", "everyone", "所有人"}


@dataclass(frozen=True)


class Mentions:
    """Who to @-mention, sorted by how the platforms address them."""

    everyone: bool = False
    ids: tuple[str, ...] = ()  # user ids, open_ids, e-mail addresses
    mobiles: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.everyone or bool(self.ids) or bool(self.mobiles)


def mentions_for(message: Message, robot: ChatRobotSettings) -> Mentions:
    """The message's mentions as this robot is configured to make them."""
    everyone = robot.mention_all
    ids: list[str] = []
    mobiles: list[str] = []
    if robot.mention:
        for name in message.mentions:
            target = robot.mention_ids.get(name, name).strip()
            compact = re.sub(r"[\s-]", "", target)
            if not target:
                continue
            if target.lower() in _EVERYONE:
                everyone = True
            elif _MOBILE.fullmatch(compact):
                if compact not in mobiles:
                    mobiles.append(compact)
            elif target not in ids:
                ids.append(target)
    return Mentions(everyone, tuple(ids), tuple(mobiles))


__all__ = ["Mentions", "first_link", "fit", "json_body", "json_size", "mentions_for", "utf8_size"]
