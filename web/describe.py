"""Schedules in words, for pages and messages."""

from __future__ import annotations

from i18n import N_, Language, tr
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
        msgid = N_("schedule.quota_range") if schedule.max else N_("schedule.quota")
        text = tr(lang, msgid, per=tr(lang, f"schedule.per.{schedule.per.value}"), count=schedule.count,
                  max=schedule.max or schedule.count, unit=tr(lang, f"schedule.unit.{schedule.unit}"))
        return text + _every(schedule, lang)
    if isinstance(schedule, YearlyDeadlineSchedule):
        msgid = N_("schedule.yearly_exclusive") if schedule.exclusive else N_("schedule.yearly")
        text = tr(lang, msgid, month=schedule.month, day=schedule.day)
        return f"{text}, {_policy(schedule.holiday_policy.value, lang)}"
    if isinstance(schedule, WindowSchedule):
        period = tr(lang, f"schedule.period.{schedule.period.value}")
        if schedule.index:
            return tr(lang, "schedule.window_index", index=schedule.index, period=period)
        if schedule.working_day and schedule.working_day > 0:
            return tr(lang, "schedule.window_working_day", nth=schedule.working_day, period=period)
        return tr(lang, "schedule.window_every", period=period) + _every(schedule, lang)
    if isinstance(schedule, OnceSchedule):
        return tr(lang, "schedule.once", date=schedule.date.isoformat())
    if isinstance(schedule, RRuleSchedule):
        return f"{tr(lang, 'schedule.rrule', rule=schedule.rrule)}, {_policy(schedule.holiday_policy.value, lang)}"
    assert isinstance(schedule, UnscheduledSchedule)
    return tr(lang, "schedule.unscheduled")  # its reason is the author's note: list --notes, never public


def _every(schedule: QuotaSchedule | WindowSchedule, lang: Language) -> str:
    """`` (every 2 periods, from the period of 2025-01-06)`` for every N periods, else nothing."""
    if schedule.every <= 1:
        return ""
    anchor = schedule.anchor.isoformat() if schedule.anchor else "-"
    return tr(lang, "schedule.every", every=schedule.every, anchor=anchor)


def _policy(policy: str, lang: Language) -> str:
    return tr(lang, f"schedule.policy.{policy}")


__all__ = ["describe"]
