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
    "changed": {"zh-CN": "由 {nominal} 调整至此{note}", "en": "moved from {nominal}{note}"},
    "added": {"zh-CN": "临时增加{note}", "en": "added{note}"},
    "guessed": {
        "zh-CN": "注意:{year}年节假日安排尚未收录,工作日按周末推算,请以国务院通知为准",
        "en": "Note: no official {year} holiday data yet; working days are a weekends-only guess",
    },
    "no_occurrences": {"zh-CN": "该期间没有事项。", "en": "No duties in this period."},
    "all_units": {"zh-CN": "全部单位", "en": "All units"},
    "calendar_name": {"zh-CN": "法定职责日历", "en": "Obligation calendar"},
    "level_province": {"zh-CN": "省级", "en": "Provinces"},
    "level_prefecture": {"zh-CN": "州(市)级", "en": "Prefectures"},
    "level_county": {"zh-CN": "县(市、区)级", "en": "Counties"},
    "level_township": {"zh-CN": "乡镇(街道)", "en": "Townships"},
    "level_department": {"zh-CN": "部门", "en": "Departments"},
    # schedules in words
    "per_week": {"zh-CN": "每周", "en": "per week"},
    "per_month": {"zh-CN": "每月", "en": "per month"},
    "per_two_months": {"zh-CN": "每两个月", "en": "every two months"},
    "per_quarter": {"zh-CN": "每季度", "en": "per quarter"},
    "per_half_year": {"zh-CN": "每半年", "en": "per half-year"},
    "per_year": {"zh-CN": "每年", "en": "per year"},
    "quota": {"zh-CN": "{per}至少{count}{unit}", "en": "at least {count} {unit} {per}"},
    "unit_day": {"zh-CN": "天", "en": "day(s)"},
    "unit_session": {"zh-CN": "次", "en": "session(s)"},
    "yearly": {"zh-CN": "每年{month}月{day}日{before}", "en": "every year by {month}/{day}{before}"},
    "before_exclusive": {"zh-CN": "之前(不含当日)", "en": " (exclusive)"},
    "before_inclusive": {"zh-CN": "前", "en": ""},
    "window_every": {"zh-CN": "每{period}内", "en": "within every {period}"},
    "window_index": {"zh-CN": "每年第{index}个{period}内", "en": "within {period} {index} of every year"},
    "period_month": {"zh-CN": "月", "en": "month"},
    "period_two_months": {"zh-CN": "两个月", "en": "two months"},
    "period_quarter": {"zh-CN": "季度", "en": "quarter"},
    "period_half_year": {"zh-CN": "半年", "en": "half-year"},
    "period_year": {"zh-CN": "年", "en": "year"},
    "period_week": {"zh-CN": "周", "en": "week"},
    "once": {"zh-CN": "{date}前", "en": "by {date}"},
    "rrule": {"zh-CN": "重复规则 {rule}", "en": "recurrence {rule}"},
    "unscheduled": {"zh-CN": "无固定时间({reason})", "en": "no fixed date ({reason})"},
    "policy_keep": {"zh-CN": "遇节假日不调整", "en": "kept on holidays"},
    "policy_previous": {"zh-CN": "遇节假日提前至前一工作日", "en": "moved to the previous working day on holidays"},
    "policy_next": {"zh-CN": "遇节假日顺延至下一工作日", "en": "moved to the next working day on holidays"},
    "policy_skip": {"zh-CN": "遇节假日取消", "en": "skipped on holidays"},
    # the page
    "site_title": {"zh-CN": "法定职责日历", "en": "Obligation calendar"},
    "subscribe_help": {
        "zh-CN": "在手机或电脑日历中订阅本单位的职责日历:点击“订阅”即可在苹果、Outlook等日历中添加;"
                 "谷歌日历请复制 https 链接,在“通过网址添加日历”中粘贴。多数日历软件不会提醒订阅日历中的事项,"
                 "需要按时提醒请联系管理员开通邮件或聊天提醒。",
        "en": "Subscribe to your unit's calendar: \"Subscribe\" opens Apple Calendar or Outlook; for Google Calendar "
              "copy the https link into \"From URL\". Most calendar apps do not alert for subscribed calendars; "
              "ask your administrator for e-mail or chat reminders.",
    },
    "subscribe": {"zh-CN": "订阅", "en": "Subscribe"},
    "feed_link": {"zh-CN": "日历链接", "en": "Feed link"},
    "qr": {"zh-CN": "二维码", "en": "QR code"},
    "next_days": {"zh-CN": "未来{days}天", "en": "Next {days} days"},
    "recently_due": {"zh-CN": "近{days}天已到期(请核实是否已完成)",
                     "en": "Due in the last {days} days (check they were done)"},
    "units": {"zh-CN": "单位", "en": "Units"},
    "all_feed": {"zh-CN": "全部职责", "en": "All duties"},
    "units_count": {"zh-CN": "{count}个单位", "en": "{count} units"},
    "rules_error": {
        "zh-CN": "规则文件有错误,未能加载;仍在使用第{version}版规则(加载于{at})。请修正以下问题:",
        "en": "The rules files have errors and were not loaded; still using rules version {version} "
              "(loaded {at}). Please fix:",
    },
    "occurrences_of_year": {"zh-CN": "{year}年事项", "en": "Duties in {year}"},
    "unscheduled_duties": {"zh-CN": "无固定时间的职责", "en": "Duties without a fixed date"},
    "schedule": {"zh-CN": "时间要求", "en": "Schedule"},
    "applies_to": {"zh-CN": "适用单位", "en": "Applies to"},
    "reminders": {"zh-CN": "提前提醒", "en": "Reminders"},
    "effective": {"zh-CN": "有效期", "en": "In force"},
    "review": {"zh-CN": "待人工核对", "en": "Needs review"},
    "parent": {"zh-CN": "上级单位", "en": "Parent"},
    "children_units": {"zh-CN": "下级单位", "en": "Units below"},
    "with_children": {"zh-CN": "含下级单位", "en": "with units below"},
    "not_found": {"zh-CN": "未找到", "en": "Not found"},
    "back_home": {"zh-CN": "返回首页", "en": "Back to the home page"},
    "overdue": {"zh-CN": "已逾期", "en": "overdue"},
    "due_soon": {"zh-CN": "临近", "en": "due soon"},
    "today": {"zh-CN": "今天", "en": "today"},
    "previous_year": {"zh-CN": "上一年", "en": "Previous year"},
    "next_year": {"zh-CN": "下一年", "en": "Next year"},
    "weekday_0": {"zh-CN": "周一", "en": "Mon"},
    "weekday_1": {"zh-CN": "周二", "en": "Tue"},
    "weekday_2": {"zh-CN": "周三", "en": "Wed"},
    "weekday_3": {"zh-CN": "周四", "en": "Thu"},
    "weekday_4": {"zh-CN": "周五", "en": "Fri"},
    "weekday_5": {"zh-CN": "周六", "en": "Sat"},
    "weekday_6": {"zh-CN": "周日", "en": "Sun"},
    "other_language": {"zh-CN": "English", "en": "中文"},
    "mark_done_title": {"zh-CN": "标记为已完成", "en": "Mark as done"},
    "mark_done_button": {"zh-CN": "标记完成", "en": "Mark done"},
    "done_note": {"zh-CN": "办理情况(可选)", "en": "What was done (optional)"},
    "done_evidence": {"zh-CN": "佐证材料链接(可选)", "en": "Link to evidence (optional)"},
    "done_as": {"zh-CN": "将记录为:{name}", "en": "Recorded as: {name}"},
    "already_done": {"zh-CN": "已由 {by} 于 {at} 标记完成", "en": "Marked done by {by} at {at}"},
    "done_ok": {"zh-CN": "已标记完成,不会再收到此事项的提醒。", "en": "Marked done; no more reminders for it."},
    "bad_link": {"zh-CN": "链接无效或已过期,请使用提醒消息中的链接。",
                 "en": "This link is not valid; use the link from the reminder message."},
    "done": {"zh-CN": "已完成", "en": "done"},
}


def t(key: str, lang: Language = "zh-CN", **values: object) -> str:
    text = _TEXT[key][lang]
    return text.format(**values) if values else text


__all__ = ["Language", "t"]
