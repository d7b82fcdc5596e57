"""What the bot says, in Chinese (default) and English."""

from __future__ import annotations

from obligations.i18n import Language

TEXTS: dict[str, dict[Language, str]] = {
    "welcome": {"zh-CN": "您好,{name}!已绑定法定职责提醒。\n{subs}\n发送 /help 查看全部命令。",
                "en": "Hello {name}! This chat now receives duty reminders.\n{subs}\nSend /help for all commands."},
    "welcome_back": {"zh-CN": "您好,{name}!本聊天已绑定。发送 /help 查看命令。",
                     "en": "Hello {name}! This chat is already set up. Send /help for the commands."},
    "bad_code": {"zh-CN": "邀请码无效或已使用。请向管理员索取新的邀请码。",
                 "en": "This invite code is not valid or was used already. Ask your administrator for a new one."},
    "pending": {"zh-CN": "已收到您的申请,等待管理员批准;也可以向管理员索取邀请码后发送 /start 邀请码。",
                "en": "Your request was sent to the administrators; or ask them for an invite code and send "
                      "/start CODE."},
    "not_bound": {"zh-CN": "本聊天尚未绑定。请发送 /start 邀请码(向管理员索取)。",
                  "en": "This chat is not set up yet. Send /start CODE with a code from your administrator."},
    "help": {"zh-CN": "/subscribe 订阅单位、级别或事项\n/unsubscribe 取消订阅\n/upcoming [天数] 近期事项\n"
                      "/overdue 已到期未完成事项\n/feed 个人日历订阅链接\n/lang 切换语言\n"
                      "提醒消息下方可点“已完成”“明天再提醒”“加入日历”。",
             "en": "/subscribe to a unit, level or duty\n/unsubscribe\n/upcoming [days] what is coming\n"
                   "/overdue past deadlines not done\n/feed your private calendar link\n/lang switch language\n"
                   "Under each reminder: Done, Remind me tomorrow, Add to calendar."},
    "admin_help": {"zh-CN": "管理员命令:/stats 统计  /reload 重新加载规则  /approve [聊天号] 批准申请",
                   "en": "Admin: /stats  /reload  /approve [chat id]"},
    "subs_none": {"zh-CN": "尚未订阅任何事项,发送 /subscribe 开始。", "en": "No subscriptions yet: send /subscribe."},
    "subs_list": {"zh-CN": "当前订阅:{items}", "en": "Subscribed to: {items}"},
    "choose_kind": {"zh-CN": "请选择订阅方式:", "en": "Subscribe by:"},
    "by_duty": {"zh-CN": "按事项", "en": "By duty"},
    "all_of_level": {"zh-CN": "该级别全部单位", "en": "Every unit of this level"},
    "choose_unit": {"zh-CN": "请选择单位({page}/{pages}):", "en": "Choose a unit ({page}/{pages}):"},
    "choose_duty": {"zh-CN": "请选择事项({page}/{pages}):", "en": "Choose a duty ({page}/{pages}):"},
    "more": {"zh-CN": "下一页 ›", "en": "More ›"},
    "subscribed": {"zh-CN": "已订阅:{what}", "en": "Subscribed: {what}"},
    "already": {"zh-CN": "已经订阅过:{what}", "en": "Already subscribed: {what}"},
    "unsub_choose": {"zh-CN": "点击要取消的订阅:", "en": "Tap the subscription to remove:"},
    "unsubscribed": {"zh-CN": "已取消:{what}", "en": "Removed: {what}"},
    "upcoming": {"zh-CN": "未来{days}天的事项:", "en": "Duties in the next {days} days:"},
    "overdue": {"zh-CN": "已到期、尚未标记完成的事项:", "en": "Past deadlines not marked done:"},
    "nothing": {"zh-CN": "没有事项。", "en": "Nothing."},
    "feed": {"zh-CN": "您的个人日历订阅链接(请勿转发,重新发送 /feed 会使旧链接失效):\n{webcal}\n{https}",
             "en": "Your private calendar link (do not share it; /feed again makes a new one):\n{webcal}\n{https}"},
    "lang_set": {"zh-CN": "已切换为中文。", "en": "Switched to English."},
    "admins_only": {"zh-CN": "该命令仅限管理员使用。", "en": "This command is for administrators only."},
    "stats": {"zh-CN": "规则版本 {version}:{units} 个单位,{duties} 项职责\n订阅者:{subs}\n提醒:{reminders}",
              "en": "Rules version {version}: {units} units, {duties} duties\nSubscribers: {subs}\n"
                    "Reminders: {reminders}"},
    "reloaded": {"zh-CN": "规则已重新加载,当前版本 {version}。", "en": "Rules reloaded: version {version}."},
    "reload_failed": {"zh-CN": "规则有错误,仍使用第 {version} 版:\n{problems}",
                      "en": "The rules have errors; still using version {version}:\n{problems}"},
    "pending_list": {"zh-CN": "待批准:{items}", "en": "Waiting for approval: {items}"},
    "approved": {"zh-CN": "已批准 {chat}。", "en": "Approved {chat}."},
    "not_pending": {"zh-CN": "{chat} 不在待批准列表中。", "en": "{chat} is not waiting for approval."},
    "you_are_approved": {"zh-CN": "管理员已批准,发送 /subscribe 订阅事项。",
                         "en": "An administrator approved this chat: send /subscribe."},
    "done_by": {"zh-CN": "✓ 已由 {who} 于 {at} 标记完成", "en": "✓ Marked done by {who} at {at}"},
    "already_done": {"zh-CN": "已由 {who} 标记完成", "en": "Already marked done by {who}"},
    "snoozed": {"zh-CN": "将于 {at} 再提醒(事项日期不变)", "en": "I will remind you again at {at} (the duty's date "
                                                                      "stays)"},
    "not_yours": {"zh-CN": "这条提醒不属于本聊天。", "en": "This reminder belongs to another chat."},
    "gone": {"zh-CN": "该提醒已不存在。", "en": "This reminder no longer exists."},
    "new_chat": {"zh-CN": "新的绑定申请:{name}(聊天号 {chat}),用 /approve {chat} 批准。",
                 "en": "New request: {name} (chat {chat}); /approve {chat} to let them in."},
    "bad_button": {"zh-CN": "这个按钮已失效,请重新发送 /subscribe 或 /unsubscribe。",
                   "en": "This button is no longer valid; send /subscribe or /unsubscribe again."},
    "not_offered": {"zh-CN": "该选项当前不可用,请重新发送 /subscribe。",
                    "en": "That choice is not available now; send /subscribe again."},
    "bad_days": {"zh-CN": "天数请写 1 到 180 之间的数字,例如 /upcoming 30。",
                 "en": "Give the days as a number from 1 to 180, e.g. /upcoming 30."},
    "bad_lang": {"zh-CN": "请发送 /lang zh(中文)或 /lang en(English)。",
                 "en": "Send /lang en (English) or /lang zh (中文)."},
    "bad_chat_id": {"zh-CN": "请写聊天号(数字),例如 /approve 123456789;不带参数可查看待批准列表。",
                    "en": "Give a chat id (a number), e.g. /approve 123456789; without one you get the waiting list."},
    "locked_out": {"zh-CN": "邀请码错误次数过多,请于 {until} 后再试,或直接联系管理员。",
                   "en": "Too many wrong invite codes; try again after {until}, or contact your administrator."},
    "admin_locked_out": {"zh-CN": "聊天 {chat}({name})邀请码错误次数过多,已暂停其绑定至 {until}。",
                         "en": "Chat {chat} ({name}) sent too many wrong invite codes; binding is paused until "
                               "{until}."},
    "admin_locked_out_all": {"zh-CN": "短时间内邀请码错误次数过多(共 {count} 次),已暂停所有邀请码绑定至 {until}。",
                             "en": "Too many wrong invite codes from all chats ({count}); every invite is paused "
                                   "until {until}."},
    "error": {"zh-CN": "抱歉,处理时出错,请稍后再试。", "en": "Sorry, something went wrong; please try again later."},
}


def say(key: str, lang: Language, **values: object) -> str:
    text = TEXTS[key]["en" if lang == "en" else "zh-CN"]
    return text.format(**values) if values else text


__all__ = ["TEXTS", "say"]
