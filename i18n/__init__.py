"""The one translation catalog: every user-facing word, in Chinese (the default) and English.

The words live in gettext catalogs, ``locale/<locale>/LC_MESSAGES/messages.po`` beside this file,
with ``locale/messages.pot`` as the template a new language starts from. They are read with
Babel at first use (no compile step, nothing built at install time).

Message ids are namespaced keys that say where and what a text is (``bot.choose_unit``,
``page.rules_error``, ``kind.deadline``), not English source text: Chinese is the default
language, so neither language is the source, and one key never serves two meanings.
Placeholders are Python's ``%(name)s``, as ``jinja2.ext.i18n`` formats them in templates.

Code calls :func:`tr`; templates call ``_('page.next_days', days=30)`` (``jinja2.ext.i18n``,
installed over :func:`text` by ``web/render.py``). A msgid kept in a table is marked with
:func:`N_`; one built from a value (``f"level.{level}"``) is listed with the values it takes in
``tests/test_i18n.py``, which checks that every language has every msgid used, and no other.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

Language = Literal["zh-CN", "en"]
DEFAULT: Language = "zh-CN"
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"


def language(value: str | None) -> Language:
    """A stored or asked-for language as one we have: English when it says so, else the default."""
    return "en" if value == "en" else DEFAULT


def catalog_path(lang: Language) -> Path:
    """``locale/zh_CN/LC_MESSAGES/messages.po`` for ``zh-CN`` (gettext spells locales with ``_``)."""
    return LOCALE_DIR / lang.replace("-", "_") / "LC_MESSAGES" / "messages.po"


@functools.cache
def messages(lang: Language) -> dict[str, str]:
    """``lang``'s translated, non-fuzzy entries, msgid to text, read once."""
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang.replace("-", "_"))
    return {m.id: m.string for m in catalog if m.id and isinstance(m.string, str) and m.string and not m.fuzzy}


def text(lang: Language, msgid: str) -> str:
    """The unformatted text of ``msgid``; the default language's if ``lang`` lacks it.

    An id no catalog has is a programming error (``tests/test_i18n.py`` catches it): KeyError.
    """
    found = messages(lang).get(msgid)
    return found if found is not None else messages(DEFAULT)[msgid]


def tr(lang: Language, msgid: str, /, **values: object) -> str:
    """``msgid`` in ``lang`` with its ``%(name)s`` placeholders filled from ``values``.

    Always formatted, as in templates, so a literal percent sign is ``%%`` in every catalog.
    """
    return text(lang, msgid) % values


def N_(msgid: str) -> str:  # gettext's name for "mark for extraction, translate later"
    """Marks a msgid kept in a table and translated later with :func:`tr`."""
    return msgid


__all__ = ["DEFAULT", "LANGUAGES", "LOCALE_DIR", "N_", "TEMPLATE", "Language", "catalog_path", "language",
           "messages", "text", "tr"]
