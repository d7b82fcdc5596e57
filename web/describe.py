"""Schedules in words, for pages and messages."""

from __future__ import annotations

from obligations.i18n import Language, t
from obligations.schedules import (
    OnceSchedule,
    QuotaSchedule,
    RRuleSchedule,
    Schedule,
    UnscheduledSchedule,
    WindowSchedule,
    YearlyDeadlineSchedule,
)


def describe(schedule: Schedule, lang: Language = "zh-CN") -> str:
    if isinstance(schedule, QuotaSchedule):
        return t("quota", lang, per=t(f"per_{schedule.per.value}", lang), count=schedule.count,
                 unit=t(f"unit_{schedule.unit}", lang))
    if isinstance(schedule, YearlyDeadlineSchedule):
        before = t("before_exclusive" if schedule.exclusive else "before_inclusive", lang)
        text = t("yearly", lang, month=schedule.month, day=schedule.day, before=before)
        return f"{text}, {t('policy_' + schedule.holiday_policy.value, lang)}"
    if isinstance(schedule, WindowSchedule):
        period = t(f"period_{schedule.period.value}", lang)
        if schedule.index:
            return t("window_index", lang, index=schedule.index, period=period)
        return t("window_every", lang, period=period)
    if isinstance(schedule, OnceSchedule):
        return t("once", lang, date=schedule.date.isoformat())
    if isinstance(schedule, RRuleSchedule):
        return f"{t('rrule', lang, rule=schedule.rrule)}, {t('policy_' + schedule.holiday_policy.value, lang)}"
    assert isinstance(schedule, UnscheduledSchedule)
    return t("unscheduled", lang, reason=schedule.reason or "-")


__all__ = ["describe"]
