"""Expansion warnings that a reader sees in their own language.

A warning is still a ``str`` (its English developer text, for logs and old callers), and also
carries a message code (a msgid of the one catalog, marked with ``N_``) and the values to fill it,
so a page, the CLI or the bot words it in the reader's language with :func:`word`.
"""

from __future__ import annotations

from collections.abc import Callable

from i18n import Language, tr
from i18n.phrase import Phrase, say


class ExpansionWarning(str):
    """English text plus ``code`` (a msgid) and ``values``; ``duty`` is the obligation id it is about."""

    code: str
    values: dict[str, object]
    duty: str | None

    def __new__(cls, text: str, code: str = "", duty: str | None = None, **values: object) -> ExpansionWarning:
        made = super().__new__(cls, text)
        made.code, made.values, made.duty = code, values, duty
        return made

    def about(self, duty: str) -> ExpansionWarning:
        """The same warning, said of the obligation ``duty`` (its text prefixed with the id)."""
        return ExpansionWarning(f"{duty}: {self}", self.code, duty, **self.values)


def of_duty(duty: str, message: str) -> ExpansionWarning:
    """``message`` (structured or plain English) as a warning about the obligation ``duty``."""
    if isinstance(message, ExpansionWarning):
        return message.about(duty)
    return ExpansionWarning(f"{duty}: {message}", "", duty)


def word(warning: str, lang: Language, title: Callable[[str], str] | None = None) -> str:
    """``warning`` in ``lang``; a duty's warning begins with its title (``title(id)``, else the id).

    A warning without a code has only its developer text, shown as it is.
    """
    if not isinstance(warning, ExpansionWarning) or not warning.code:
        return str(warning)
    values = {k: say(v, lang) if isinstance(v, Phrase) else v for k, v in warning.values.items()}
    text = tr(lang, warning.code, **values)
    if warning.duty is None:
        return text
    return tr(lang, "warning.of_duty", duty=title(warning.duty) if title else warning.duty, text=text)


__all__ = ["ExpansionWarning", "of_duty", "word"]
