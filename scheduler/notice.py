"""The State Council's yearly holiday notice, read as published, and its difference from the prediction.

A notice (国务院办公厅关于2026年部分节假日安排的通知) lists one line per festival in a standard
wording::

    一、元旦:1月1日(周四)至3日(周六)放假调休,共3天。1月4日(周日)上班。
    二、春节:2月15日(农历腊月二十八、周日)至23日(农历正月初七、周一)放假调休,共9天。2月14日(周六)、2月28日(周六)上班。
    六、中秋节:9月25日(周五)至27日(周日)放假,共3天。

and older ones say "1月1日(周五)放假,与周末连休。" or "2月10日至17日放假调休,共8天。".
:func:`parse_notice` turns such text (full-width or ASCII punctuation) into the year's days off
and make-up working days, checking what the text itself lets it check: every weekday in
parentheses against the date, and every "共N天" against the range. Sentences that are not a
放假 range or a 上班 list ("鼓励各单位……安排职工在除夕休息") are not arrangements and are skipped.

Pure: text in, dates out. :func:`compare` sets a notice against the prediction of
:mod:`scheduler.prediction`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from i18n import N_
from i18n.phrase import Phrase, phrase
from obligations.errors import ConfigurationError

FESTIVAL_NAMES: dict[str, str] = {
    "元旦": "new_year", "春节": "spring_festival", "清明节": "qingming", "清明": "qingming",
    "劳动节": "labour_day", "端午节": "dragon_boat", "中秋节": "mid_autumn", "国庆节": "national_day",
}
CHINESE_NAMES: dict[str, str] = {key: name for name, key in reversed(FESTIVAL_NAMES.items())}  # 清明节, not 清明
_ONE_DAY = dt.timedelta(days=1)
_ITEM = re.compile(r"^\s*[一二三四五六七八九十]+、\s*([^:]{1,20}):(.*)$")
_YEAR = re.compile(r"(\d{4})年(?:部分)?(?:节假日|元旦)")
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\(([^)]*)\))?")
_RANGE = re.compile(rf"({_DATE.pattern})\s*(?:至|-|—|~|到)\s*({_DATE.pattern})")
_COUNT = re.compile(r"(?:共|放假)(\d+)天")
_WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"
# a weekday by Python's weekday() (Monday 0), for "2027-01-01 is a Friday, not 周四"
WEEKDAYS = (N_("weekday.1"), N_("weekday.2"), N_("weekday.3"), N_("weekday.4"), N_("weekday.5"), N_("weekday.6"),
            N_("weekday.7"))


class NoticeError(ConfigurationError):
    """The notice text cannot be read: names the line and what is wrong with it."""


@dataclass(frozen=True)
class Notice:
    """One year's arrangement: days off and make-up working days, each with its festivals' keys."""

    year: int
    holidays: dict[dt.date, tuple[str, ...]]
    workdays: dict[dt.date, tuple[str, ...]]
    outside: list[dt.date] = field(default_factory=list)  # days of another year the text names (not kept)


@dataclass(frozen=True)
class NoticeDiff:
    """A notice against the prediction: what the notice adds, what it makes working days."""

    added_off: list[dt.date]  # weekdays off beyond the statutory days (bridging days)
    makeup: list[dt.date]  # weekend days worked (调休上班)
    missing: list[dt.date]  # predicted statutory days the notice does not give off (should be none)


def _text(raw: str) -> str:
    """NFKC folds full-width digits and punctuation (:,()) into ASCII; 、 and 。 stay."""
    return unicodedata.normalize("NFKC", raw).replace("\u3000", " ")


def notice_year(text: str) -> int | None:
    """The year the notice is about, from its title (…关于2026年部分节假日安排的通知)."""
    found = _YEAR.search(_text(text))
    return int(found.group(1)) if found else None


@dataclass
class _Reader:
    year: int
    line_no: int
    line: str
    month: int | None = None

    def fail(self, what: Phrase) -> NoticeError:
        return NoticeError(phrase(N_("notice.line"), "line %(line)s: %(what)s: %(text)s", line=self.line_no, what=what,
                                  text=self.line.strip()))

    def date(self, match: re.Match[str], offset: int = 0) -> dt.date:
        year_s, month_s, day_s, note = match.group(offset + 1, offset + 2, offset + 3, offset + 4)
        month = int(month_s) if month_s else self.month
        if month is None:
            raise self.fail(phrase(N_("notice.no_month"), "%(day)s日 has no month", day=day_s))
        try:
            day = dt.date(int(year_s) if year_s else self.year, month, int(day_s))
        except ValueError:
            raise self.fail(phrase(N_("notice.not_a_date"), "%(month)s月%(day)s日 is not a date", month=month,
                                   day=day_s)) from None
        self.month = month
        weekday = _WEEKDAY.search(note or "")
        if weekday and _WEEKDAYS.index(weekday.group(1).replace("天", "日")) != day.weekday():
            raise self.fail(phrase(N_("notice.wrong_weekday"), "%(date)s is a %(weekday)s, not %(written)s",
                                   date=day.isoformat(), written=weekday.group(0),
                                   weekday=Phrase(day.strftime("%A"), WEEKDAYS[day.weekday()])))
        return day

    def days_off(self, sentence: str) -> list[dt.date]:
        """The days of a 放假 sentence: a range ("…至…放假") or one day ("1月1日(周三)放假1天")."""
        span = _RANGE.search(sentence)
        if span:
            first, last = self.date(span, 1), self.date(span, 6)
        else:
            single = _DATE.search(sentence)
            if single is None:
                raise self.fail(phrase(N_("notice.no_date"), "放假 without a date"))
            first = last = self.date(single)
        if last < first:
            raise self.fail(phrase(N_("notice.reversed"), "%(last)s is before %(first)s", last=last.isoformat(),
                                   first=first.isoformat()))
        days = [first + n * _ONE_DAY for n in range((last - first).days + 1)]
        count = _COUNT.search(sentence)
        if count and int(count.group(1)) != len(days):
            raise self.fail(phrase(N_("notice.wrong_count"), "共%(count)s天, but %(first)s–%(last)s is %(days)s days",
                                   count=count.group(1), first=first.isoformat(), last=last.isoformat(),
                                   days=len(days)))
        return days

    def workdays(self, sentence: str) -> list[dt.date]:
        return [self.date(m) for m in _DATE.finditer(sentence)]


def _festivals(reader: _Reader, heading: str) -> tuple[str, ...]:
    names = [n.strip() for n in re.split(r"[、,和及与]", heading) if n.strip()]
    unknown = [n for n in names if n not in FESTIVAL_NAMES]
    if unknown or not names:
        known = "、".join(dict.fromkeys(FESTIVAL_NAMES))
        raise reader.fail(phrase(N_("notice.unknown_festival"), "unknown festival %(name)s; known: %(known)s",
                                 name=repr("、".join(unknown) or heading), known=known))
    return tuple(dict.fromkeys(FESTIVAL_NAMES[n] for n in names))


def parse_notice(raw: str, year: int | None = None) -> Notice:
    """The days off and make-up working days of a notice's text; ``year`` when its title is missing."""
    text = _text(raw)
    year = year or notice_year(text)
    if year is None:
        raise NoticeError(phrase(N_("notice.no_year"), "the notice names no year (…关于2026年部分节假日安排的通知): "
                                 "pass --year"))
    holidays: dict[dt.date, tuple[str, ...]] = {}
    workdays: dict[dt.date, tuple[str, ...]] = {}
    outside: list[dt.date] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        item = _ITEM.match(line)
        if item is None:
            continue
        reader = _Reader(year, line_no, line)
        festivals = _festivals(reader, item.group(1))
        for sentence in item.group(2).split("。"):
            if "放假" in sentence:
                found, target = reader.days_off(sentence), holidays
            elif sentence.rstrip().endswith("上班"):
                found, target = reader.workdays(sentence), workdays
            else:
                continue
            for day in found:
                if day.year != year:
                    outside.append(day)
                else:
                    target[day] = tuple(dict.fromkeys(target.get(day, ()) + festivals))
    if not holidays:
        raise NoticeError(phrase(N_("notice.nothing_found"), "no arrangement found: expected lines such as "
                                 "一、元旦:1月1日(周四)放假1天。 (the notice for %(year)s)", year=year))
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise NoticeError(phrase(N_("notice.both"), "%(days)s: both a day off and a working day",
                                 days=", ".join(d.isoformat() for d in both)))
    return Notice(year, dict(sorted(holidays.items())), dict(sorted(workdays.items())), sorted(outside))


def days_off(notice: Notice) -> set[dt.date]:
    """Every day of the notice's year that is off: its holidays and the weekends it does not make working days."""
    return {day for day in _days(notice.year)
            if day in notice.holidays or (day.weekday() >= 5 and day not in notice.workdays)}


def compare(notice: Notice, predicted: set[dt.date]) -> NoticeDiff:
    """The notice against ``predicted`` (the year's statutory days off; weekends are off in both)."""
    off = days_off(notice)
    predicted_off = {day for day in _days(notice.year) if day.weekday() >= 5 or day in predicted}
    return NoticeDiff(
        added_off=sorted(off - predicted_off),
        makeup=sorted(notice.workdays),
        missing=sorted(predicted_off - off - set(notice.workdays)),
    )


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + n * _ONE_DAY for n in range((dt.date(year + 1, 1, 1) - first).days)]


__all__ = ["CHINESE_NAMES", "FESTIVAL_NAMES", "Notice", "NoticeDiff", "NoticeError", "compare", "days_off",
           "notice_year", "parse_notice"]
