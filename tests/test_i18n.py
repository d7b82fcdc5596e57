"""The one translation catalog (i18n/locale): complete in every language, nothing unused, placeholders agree.

Used msgids are extracted the way ``pybabel extract`` does (Babel's Python extractor for
``tr(lang, "…")`` and ``N_("…")``, Jinja's for ``_('…')`` in templates), plus the families code
builds from a value, listed in DYNAMIC with the values they take.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import i18n
from obligations.model import Level
from scheduler.occurrence import Kind
from web import describe as describe_module

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["i18n", "obligations", "scheduler", "calendars", "store", "notifiers", "service", "bot", "web", "cli",
           "extract"]
TEMPLATES = ROOT / "web" / "templates"
KEYWORDS = {"tr": (2,), "N_": None, "_": None, "gettext": None}
_fields = describe_module.QuotaSchedule.model_fields
# msgids built from a value: prefix -> every value it can take
DYNAMIC: dict[str, list[str]] = {
    "level.": [level.value for level in Level],
    "kind.": list(get_args(Kind)),
    "weekday.": [str(day) for day in range(1, 8)],
    "schedule.per.": [p.value for p in _fields["per"].annotation],  # type: ignore[union-attr]
    "schedule.unit.": list(get_args(_fields["unit"].annotation)),
    "schedule.period.": [p.value for p in describe_module.WindowSchedule.model_fields["period"].annotation],  # type: ignore[union-attr]
    "schedule.policy.": [
        p.value for p in describe_module.YearlyDeadlineSchedule.model_fields["holiday_policy"].annotation  # type: ignore[union-attr]
    ],
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _python_files() -> list[Path]:
    files = [ROOT / "main.py"]
    for package in SOURCES:
        files += sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if f.exists()]


# a call inside an f-string's braces (f"{tr(lang, 'label.source')}: …"), which Babel does not see on 3.11
_IN_FSTRING = re.compile(r"""\btr\([^,()'"]+,\s*'([\w.]+)'""")


def _extract(path: Path, method: str) -> set[str]:
    with contextlib.redirect_stderr(io.StringIO()):  # "skipping f-string": those are DYNAMIC
        found = extract_from_file(method, path, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=False)
        msgids = {msgid for _, msgid, _, _ in found if isinstance(msgid, str)}
    if method == "python":
        msgids |= set(_IN_FSTRING.findall(path.read_text(encoding="utf-8")))
    return msgids


def _dynamic_prefixes() -> set[str]:
    """Prefixes of msgids formatted in code (``tr(lang, f"level.{…}")``) or templates (``_('kind.' ~ …)``)."""
    code = re.compile(r"""\btr\([^,()]+,\s*f["']([\w.]+)\{""")
    template = re.compile(r"""\b_\(\s*'([\w.]+)'\s*~""")
    found = {m.group(1) for f in _python_files() for m in code.finditer(f.read_text(encoding="utf-8"))}
    found |= {m.group(1) for f in TEMPLATES.glob("*.html") for m in template.finditer(f.read_text(encoding="utf-8"))}
    return found


def used_msgids() -> set[str]:
    used = set()
    for path in _python_files():
        used |= _extract(path, "python")
    for path in sorted(TEMPLATES.glob("*.html")):
        used |= _extract(path, "jinja2.ext:babel_extract")
    return used | {prefix + value for prefix, values in DYNAMIC.items() for value in values}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(i18n.TEMPLATE)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_used_msgid_has_a_text_in_every_language(lang: i18n.Language) -> None:
    catalog = _read(i18n.catalog_path(lang), lang.replace("-", "_"))
    assert catalog.locale is not None
    assert catalog.locale.language == lang.split("-")[0]
    empty = sorted(m.id for m in catalog if m.id and (not m.string or m.fuzzy))
    assert empty == [], f"{lang}: no text (or fuzzy) for {empty}"
    missing = sorted(used_msgids() - _ids(catalog))
    assert missing == [], f"{lang} lacks {missing}"


def test_extraction_finds_the_code_and_the_templates() -> None:
    used = used_msgids()
    assert {"bot.choose_unit", "message.digest", "calendar.guessed", "page.rules_error", "done.bad_link",
            "schedule.quota", "term.no_occurrences", "bot.gone"} <= used
    assert len(used) > 150


def test_no_unused_msgids_and_the_template_lists_exactly_the_catalog(template: Catalog) -> None:
    assert sorted(_ids(template) - used_msgids()) == []
    for lang in i18n.LANGUAGES:
        assert _ids(_read(i18n.catalog_path(lang))) == _ids(template), lang
    assert all(not m.string for m in template if m.id)


def test_every_msgid_built_from_a_value_is_declared() -> None:
    """A new ``tr(lang, f"…{x}")`` needs an entry in DYNAMIC, so its values are checked too."""
    assert _dynamic_prefixes() == set(DYNAMIC)


def test_placeholders_agree_between_languages(template: Catalog) -> None:
    texts = {lang: i18n.messages(lang) for lang in i18n.LANGUAGES}
    for msgid in _ids(template):
        names = {lang: set(PLACEHOLDER.findall(texts[lang][msgid])) for lang in i18n.LANGUAGES}
        assert len({frozenset(n) for n in names.values()}) == 1, (msgid, names)
        for lang in i18n.LANGUAGES:  # every text formats (no stray %), as tr() and templates always format
            assert "%(" not in i18n.tr(lang, msgid, **dict.fromkeys(names[lang], "x")), (lang, msgid)


def test_lookup() -> None:
    assert i18n.tr("en", "bot.choose_unit", page=2, pages=5) == "Choose a unit (2/5):"
    assert i18n.tr("zh-CN", "bot.choose_unit", page=2, pages=5) == "请选择单位(2/5):"
    assert i18n.language("en") == "en"
    assert i18n.language("fr") == i18n.language(None) == "zh-CN"
    with pytest.raises(KeyError):
        i18n.tr("en", "no.such.msgid")
    with pytest.raises(KeyError):  # a placeholder without its value is an error, not a silent "%(page)s"
        i18n.tr("en", "bot.choose_unit", page=2)
