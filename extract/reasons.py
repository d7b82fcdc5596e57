"""Why a drafted duty is to be reviewed, and why a schedule is left ``unscheduled``: coded phrases.

Each reason is a :class:`~i18n.phrase.Phrase`: still its English text (for logs and callers that only
print), with a msgid (``extract.reason.*`` for a review reason, ``extract.unscheduled.*`` for the
``reason`` of an unscheduled schedule) and its values. The drafted data keeps the phrases; the doors
word them in the reader's language (:func:`extract.draft.worded`): the command line in ``--lang``,
the review page in the page's language. Tests and the evaluation look at :func:`codes`, never at the
words.
"""

from __future__ import annotations

import datetime as dt

from i18n import N_
from i18n.phrase import Phrase, phrase

# the English words of the periods, as the catalog's schedule.period.* say them
_PERIOD_EN = {"week": "week", "month": "month", "two_months": "two months", "quarter": "quarter",
              "half_year": "half-year", "year": "year"}


def period_word(period: str) -> Phrase:
    """A period's name (``季度`` / ``quarter``), worded with the reason it is part of."""
    return Phrase(_PERIOD_EN[period], f"schedule.period.{period}")


def joined(reasons: list[Phrase]) -> Phrase:
    """Several reasons as one text (``a; b`` / ``a;b``), each still worded in the reader's language."""
    out = reasons[0]
    for reason in reasons[1:]:
        out = phrase(N_("extract.reason.and"), "%(first)s; %(then)s", first=out, then=reason)
    return out


def codes(text: object) -> list[str]:
    """The reason codes in ``text`` (a joined phrase gives each of its parts'); [] for plain text."""
    if not isinstance(text, Phrase):
        return []
    if text.code == "extract.reason.and":
        return codes(text.values["first"]) + codes(text.values["then"])
    return [text.code]


# -- review reasons ------------------------------------------------------------------------------------------

def yearly_like_before(text: str) -> Phrase:
    return phrase(N_("extract.reason.yearly_like_before"),
                  "“%(text)s” read as every year, like the 每年 deadline before it in the sentence", text=text)


def also_vague(word: str) -> Phrase:
    return phrase(N_("extract.reason.also_vague"), "the sentence also says %(word)s", word=word)


def before_document(date: dt.date) -> Phrase:
    return phrase(N_("extract.reason.before_document"),
                  "the deadline is before the document's date (%(date)s): check whether it still applies",
                  date=date.isoformat())


def model_refused(problem: str) -> Phrase:
    return phrase(N_("extract.reason.model_refused"), "drafted schedule refused by the model (%(problem)s)",
                  problem=problem)


def too_many(count: int, period: str) -> Phrase:
    return phrase(N_("extract.reason.too_many"), "%(count)s per %(period)s cannot be placed on working days; "
                  "check the number", count=count, period=period_word(period))


def cycle_without_year(text: str) -> Phrase:
    return phrase(N_("extract.reason.cycle_without_year"), "“%(text)s”: the plan's year is unknown, so the "
                  "groups of periods have no start; set every and anchor", text=text)


def anchor_guessed(text: str, year: int) -> Phrase:
    return phrase(N_("extract.reason.anchor_guessed"), "“%(text)s”: the groups are counted from 1 January "
                  "%(year)s (anchor); set the real start", text=text, year=year)


def no_shift_words(text: str) -> Phrase:
    return phrase(N_("extract.reason.no_shift_words"), "“%(text)s”: the text does not say where a day off "
                  "moves it; read as the next working day", text=text)


def last_day_used(day: int) -> Phrase:
    return phrase(N_("extract.reason.last_day_used"),
                  "day %(day)s does not exist in every month: the month's last day is used", day=day)


def no_year_start(text: str, start: dt.date) -> Phrase:
    return phrase(N_("extract.reason.no_year_start"), "“%(text)s”: the document names no year, so the rule "
                  "counts from %(start)s; set effective.from to the day it took effect", text=text,
                  start=start.isoformat())


def months_skipped(day: int) -> Phrase:
    return phrase(N_("extract.reason.months_skipped"),
                  "day %(day)s does not exist in every month; those months have no occurrence", day=day)


def week_without_count(text: str) -> Phrase:
    return phrase(N_("extract.reason.week_without_count"), "“%(text)s” without a count: read as once a week",
                  text=text)


def year_unknown(text: str) -> Phrase:
    return phrase(N_("extract.reason.year_unknown"), "“%(text)s”: the plan's year is unknown", text=text)


def this_year_unknown(text: str) -> Phrase:
    return phrase(N_("extract.reason.this_year_unknown"), "“%(text)s” is this year, but the plan's year is "
                  "unknown: it now counts every year", text=text)


def period_from_before(text: str) -> Phrase:
    return phrase(N_("extract.reason.period_from_before"),
                  "the period (%(text)s) is taken from earlier in the sentence", text=text)


def plan_year(text: str, year: int) -> Phrase:
    return phrase(N_("extract.reason.plan_year"), "“%(text)s” has no year and no 每年: read as %(year)s; "
                  "make it a yearly_deadline if it recurs", text=text, year=year)


def window_every_year(text: str) -> Phrase:
    return phrase(N_("extract.reason.window_every_year"), "“%(text)s” without 每年, and the plan's year is "
                  "unknown: it now recurs every year", text=text)


def period_end_every(text: str, period: str) -> Phrase:
    return phrase(N_("extract.reason.period_end_every"), "“%(text)s” without 每: read as every %(period)s",
                  text=text, period=period_word(period))


def every_gap(text: str, n: int, period: str) -> Phrase:
    return phrase(N_("extract.reason.every_gap"), "“%(text)s” read as one %(period)s in every %(n)s; "
                  "literally it may mean one in every %(next)s", text=text, n=n, next=n + 1,
                  period=period_word(period))


def year_before(text: str, year: int) -> Phrase:
    return phrase(N_("extract.reason.year_before"), "“%(text)s” read as by the end of %(before)s; if the year "
                  "itself is meant, use %(year)s-12-31", text=text, before=year - 1, year=year)


def relative(text: str) -> Phrase:
    return phrase(N_("extract.reason.relative"), "“%(text)s” counts from an event (a meeting, a receipt) that "
                  "the calendar does not know; the duty has no date of its own", text=text)


def vague(word: str) -> Phrase:
    return phrase(N_("extract.reason.vague"), "%(word)s: the text gives no period or date; add one if the "
                  "office has it", word=word)


def term_of_office(text: str) -> Phrase:
    return phrase(N_("extract.reason.term_of_office"), "“%(text)s” over a term of office (任期内), not a "
                  "calendar period; add a date if the office sets one", text=text)


def count_without_period(text: str) -> Phrase:
    return phrase(N_("extract.reason.count_without_period"), "“%(text)s” has no period; set one", text=text)


def bad_date(text: str) -> Phrase:
    return phrase(N_("extract.reason.bad_date"), "“%(text)s” is not a real date; check it", text=text)


def deadline_without_year(text: str) -> Phrase:
    return phrase(N_("extract.reason.deadline_without_year"),
                  "“%(text)s” has no year and the plan's year is unknown", text=text)


# -- the reason of an unscheduled schedule (an author's note: list --notes) -----------------------------------

def unscheduled_too_many(count: int, period: str) -> Phrase:
    return phrase(N_("extract.unscheduled.too_many"), "%(count)s per %(period)s", count=count,
                  period=period_word(period))


def unscheduled_no_start() -> Phrase:
    return phrase(N_("extract.unscheduled.no_start"), "start unknown")


def unscheduled_relative(text: str) -> Phrase:
    return phrase(N_("extract.unscheduled.relative"), "relative deadline: %(text)s", text=text)


def unscheduled_vague(word: str) -> Phrase:
    return phrase(N_("extract.unscheduled.vague"), "%(word)s: no period or date in the text", word=word)


def unscheduled_term() -> Phrase:
    return phrase(N_("extract.unscheduled.term"), "任期内")


def unscheduled_no_period() -> Phrase:
    return phrase(N_("extract.unscheduled.no_period"), "count without period")


def unscheduled_bad_date() -> Phrase:
    return phrase(N_("extract.unscheduled.bad_date"), "bad date")


def unscheduled_no_year() -> Phrase:
    return phrase(N_("extract.unscheduled.no_year"), "year unknown")


def unscheduled_refused() -> Phrase:
    return phrase(N_("extract.unscheduled.refused"), "the drafted schedule was not valid")


__all__ = [
    "also_vague", "anchor_guessed", "bad_date", "before_document", "codes", "count_without_period",
    "cycle_without_year", "deadline_without_year", "every_gap", "joined", "last_day_used", "model_refused",
    "months_skipped", "no_shift_words", "no_year_start", "period_end_every", "period_from_before", "period_word",
    "plan_year", "relative", "term_of_office", "this_year_unknown", "too_many", "unscheduled_bad_date",
    "unscheduled_no_period", "unscheduled_no_start", "unscheduled_no_year", "unscheduled_refused",
    "unscheduled_relative", "unscheduled_term", "unscheduled_too_many", "unscheduled_vague", "vague",
    "week_without_count", "window_every_year", "year_before", "year_unknown", "yearly_like_before",
]
