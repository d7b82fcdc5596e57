"""Typed HTTP input: every query parameter and path segment becomes a checked value or ``None``.

Python's ``int()`` and ``str.isdigit()`` accept far more than ASCII digits ('²', '٣',
full-width '２０２５') and ``int()`` refuses more than 4,300 digits with an exception; a
request must never reach either with raw text. Numbers here are ASCII only, of bounded
length and range; identifiers are bounded in length and free of control characters.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,18}")  # 18 digits fit a signed 64-bit integer (the store's ids)
_HEX = re.compile(r"[0-9a-f]+")
MAX_KEY = 200  # a unit or duty id, a feed token: longer than any real one
MAX_BODY = 64 * 1024  # a form or a Telegram update: far larger than any real one


def ascii_int(text: str | None, lo: int, hi: int) -> int | None:
    """``text`` as an integer in ``lo``..``hi`` when it is 1-18 ASCII digits, else None."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def key(text: str | None, *, limit: int = MAX_KEY) -> str | None:
    """A path id (unit, duty, level, token) fit to look up and to echo: bounded and printable, else None."""
    if text is None or not 0 < len(text) <= limit or not text.isprintable():
        return None
    return text


def hex_token(text: str | None, length: int) -> str | None:
    """``text`` when it is exactly ``length`` lowercase hex digits (a signature), else None."""
    if text is None or len(text) != length or not _HEX.fullmatch(text):
        return None
    return text


def shown(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for an error message."""
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = ["MAX_BODY", "MAX_KEY", "ascii_int", "hex_token", "key", "shown"]
