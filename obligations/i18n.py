"""User-facing words in Chinese (default) and English."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh-CN", "en"]

_TEXT: dict[str, dict[Language, str]] = {
    "date": {"zh-CN": "日期", "en": "Date"},
    "kind": {"zh-CN": "类型", "en": "Kind"},
    "obligation": {"zh-CN": "事项", "en": "Duty"},
    "unit": {"zh-CN": "单位", "en": "Unit"},
    "title": {"zh-CN": "名称", "en": "Title"},
    "deadline": {"zh-CN": "截止", "en": "deadline"},
    "session": {"zh-CN": "活动", "en": "session"},
    "actor": {"zh-CN": "责任主体", "en": "Actor"},
    "lead": {"zh-CN": "牵头单位", "en": "Lead units"},
    "participants": {"zh-CN": "参加单位", "en": "Participating units"},
    "source": {"zh-CN": "依据", "en": "Source"},
    "window": {"zh-CN": "办理期间", "en": "Window"},
    "moved": {"zh-CN": "因节假日由 {nominal} 调整", "en": "moved from {nominal} (holiday)"},
    "guessed": {
        "zh-CN": "注意:{year}年节假日安排尚未收录,工作日按周末推算,请以国务院通知为准",
        "en": "Note: no official {year} holiday data yet; working days are a weekends-only guess",
    },
    "no_occurrences": {"zh-CN": "该期间没有事项。", "en": "No duties in this period."},
    "all_units": {"zh-CN": "全部单位", "en": "All units"},
    "calendar_name": {"zh-CN": "法定职责日历", "en": "Obligation calendar"},
}


def t(key: str, lang: Language = "zh-CN", **values: object) -> str:
    text = _TEXT[key][lang]
    return text.format(**values) if values else text


__all__ = ["Language", "t"]
