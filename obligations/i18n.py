"""Compatibility only, while ``main.py`` moves into ``cli/``: the old ``t(key, lang)`` over :mod:`i18n`.

New code imports ``Language`` and ``tr`` from :mod:`i18n` and uses its msgids; delete this module
once ``main.py`` and ``cli/`` do.
"""

from __future__ import annotations

from i18n import N_, Language, tr

# the old keys main.py's text table uses, as msgids of the one catalog
_MSGIDS = {
    "no_occurrences": N_("term.no_occurrences"),
    "date": N_("label.date"),
    "kind": N_("label.kind"),
    "unit": N_("label.unit"),
    "title": N_("label.title"),
    "obligation": N_("label.duty"),
    "deadline": N_("kind.deadline"),
    "session": N_("kind.session"),
}


def t(key: str, lang: Language = "zh-CN", **values: object) -> str:
    return tr(lang, _MSGIDS[key], **values)


__all__ = ["Language", "t"]
