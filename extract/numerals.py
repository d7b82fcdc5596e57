"""Chinese and Arabic numerals as they appear in work plans: 一, 两, 十八, 2, ２, 二〇二四.

cn2an does the arithmetic of Chinese numerals (十八 = 18, 二十五 = 25); this module only
decides what a numeral token is, so every pattern shares one definition.
"""

from __future__ import annotations

import cn2an

#: Regex fragment for one numeral token. 两 is the counting form of 二 (两期, 两个月);
#: 〇 appears in years written out (二〇二四). Full-width digits are folded to ASCII by
#: :func:`extract.text.normalise` before any pattern runs.
NUM = r"[0-9〇零一二两三四五六七八九十百千]+"

_CJK_DIGITS = set("〇零一二两三四五六七八九十百千")


def to_int(token: str) -> int | None:
    """The value of a numeral token, or None when it is not a whole number.

    >>> to_int("十八"), to_int("两"), to_int("2"), to_int("二〇二四")
    (18, 2, 2, 2024)
    """
    token = token.strip()
    if not token:
        return None
    if token.isascii():
        return int(token) if token.isdigit() else None
    if any(ch not in _CJK_DIGITS for ch in token):
        return None
    # "normal" mode accepts 两 and 〇 (the "strict" mode rejects them) and never returns floats.
    try:
        value = cn2an.cn2an(token, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return int(value)


__all__ = ["NUM", "to_int"]
