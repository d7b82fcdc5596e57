"""A message that is still its English developer text, and also a msgid with values.

Code that builds a message for a person (a validation problem) makes a :class:`Phrase`: it is a
``str`` (the English text, for logs, tests and callers that only print), and :func:`say` words it
in any language from the one catalog. A value may itself be a phrase (a "did you mean" hint, a
month's name), worded in the same language.
"""

from __future__ import annotations

from i18n import N_, Language, tr

# a month by its number, for "February 2025 has 28 days" / "2025年2月只有28天"
MONTHS = (N_("month.1"), N_("month.2"), N_("month.3"), N_("month.4"), N_("month.5"), N_("month.6"),
          N_("month.7"), N_("month.8"), N_("month.9"), N_("month.10"), N_("month.11"), N_("month.12"))


class Phrase(str):
    """English ``text``; ``code`` (a msgid) and ``values`` say it in any language."""

    code: str
    values: dict[str, object]

    def __new__(cls, text: str, code: str, /, **values: object) -> Phrase:
        made = super().__new__(cls, text)
        made.code, made.values = code, values
        return made


def phrase(code: str, english: str, /, **values: object) -> Phrase:
    """The :class:`Phrase` whose English text is ``english % values`` (the en catalog's text for ``code``)."""
    return Phrase(english % values, code, **values)


def say(text: str, lang: Language) -> str:
    """``text`` in ``lang`` when it is a :class:`Phrase`, else as it is (a message not converted yet)."""
    if not isinstance(text, Phrase):
        return str(text)
    return tr(lang, text.code, **{k: say(v, lang) if isinstance(v, str) else v for k, v in text.values.items()})


def month(number: int, english: str) -> Phrase:
    """The month ``number`` (1-12): ``February`` in English, ``2月`` in Chinese."""
    return Phrase(english, MONTHS[number - 1])


__all__ = ["MONTHS", "Phrase", "month", "phrase", "say"]
