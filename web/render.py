"""Rendering a page: the Jinja2 templates, in the reader's language.

Text is Chinese by default; ``?lang=en`` switches to English. Templates read their text from the
gettext catalog (``{{ _('page.next_days', days=30) }}``) of the rendering's ``lang``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from i18n import Language, text, tr
from i18n.shown import is_makeup_day, lead_time, local_time, makeup_label
from obligations.errors import HolidayDataMissing
from obligations.offset import Offset
from service.feeds import FeedService
from web import params
from web.auth import LazyCsrf, current_account
from web.describe import describe

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


@pass_context
def _gettext(context: Context, msgid: str) -> str:
    """``_('page.next_days', days=30)`` in a template: the catalog of the rendering's ``lang``."""
    return text(context["lang"], msgid)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    raise NotImplementedError(f"the catalog has no plural entries yet ({singular!r})")


_ENV.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def service_of(request: Request) -> FeedService:
    """The service the app was created around (``app.state.service``)."""
    return request.app.state.service  # type: ignore[no-any-return]


def page_lang(request: Request, service: FeedService) -> Language:
    """``?lang=``: zh-CN or en (anything else is a 400); without it, the service's language."""
    asked = request.query_params.get("lang")
    if asked in ("zh-CN", "en"):
        return asked  # type: ignore[return-value]
    if asked is not None:
        raise HTTPException(400, tr(service.lang, "page.bad_lang", value=repr(params.shown(asked))))
    return service.lang


def error_lang(request: Request, service: FeedService) -> Language:
    """The language of an error: ?lang=en when asked for (even among bad parameters), else the service's."""
    return "en" if request.query_params.get("lang") == "en" else service.lang


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` with ``values`` and what every page shows (language links, rules version, problems)."""
    service = service_of(request)
    lang = page_lang(request, service) if "lang" not in values else values.pop("lang")
    live = service.live
    served = service.feeds.snapshot
    context = {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        # the same page in the other language, its other parameters (filters, next=) kept
        "other_lang_url": _other_lang_url(request, lang),
        "lang_query": "?lang=en" if lang == "en" else "",
        "lang_amp": "&lang=en" if lang == "en" else "",
        "weekday": lambda day: _weekday(lang, day, service),
        "offset": lambda offset: _offset(lang, offset),
        "local_time": lambda at: local_time(lang, at, served.tz),
        "describe": lambda schedule: describe(schedule, lang),
        "problems": [p.worded(lang) for p in live.problems],
        "rules_version": served.version,
        "public": served.loaded.config.feeds.public,  # private-only services show no public feed links
        "rules_loaded_at": local_time(lang, served.loaded_at, served.tz),
        "account": current_account(request),  # the logged-in account (web.auth), or None
        "csrf": LazyCsrf(request),  # every form's hidden csrf field; a session starts only when it is printed
        "session_csrf": LazyCsrf(request),  # the same, for the header's logout form (a page may pass its own csrf)
        **values,
    }
    return HTMLResponse(_ENV.get_template(template).render(context), status_code=status)



def render_private(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """:func:`render` for one person's page (an account's, a signed link's: its forms carry their CSRF token),
    which no cache may keep."""
    response = render(request, template, status, **values)
    response.headers["Cache-Control"] = "no-store"
    return response


_LANG_URL_MAX = 600


def _other_lang_url(request: Request, lang: Language) -> str:
    """This page's path and query with ``lang`` switched (``lang=en`` from Chinese, ``lang=zh-CN`` from English)."""
    other = "en" if lang == "zh-CN" else "zh-CN"
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    url = f"{request.url.path}?{urlencode([*query, ('lang', other)])}"
    # a page must not echo a long input (an error page for a 10 KB path or query stays small)
    return url if len(url) <= _LANG_URL_MAX else f"?lang={other}"


def _weekday(lang: Language, day: dt.date, service: FeedService) -> str:
    """``星期日``, and ``星期日(调休上班)`` for a weekend day that the national calendar makes a working day."""
    name = tr(lang, f"weekday.{day.isoweekday()}")
    try:
        makeup = is_makeup_day(day, service.feeds.snapshot.calendar.is_workday(day))
    except HolidayDataMissing:
        makeup = False
    return tr(lang, "day.with_label", day=name, label=makeup_label(lang)) if makeup else name


def _offset(lang: Language, offset: Offset | str) -> str:
    """A reminder's lead time in words: ``提前1天``, never the rules' ``1d``."""
    parsed = Offset.parse(offset) if isinstance(offset, str) else offset
    return lead_time(lang, parsed.amount, parsed.unit.value)


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page, in the reader's language when it can be told (never a 400 of its own)."""
    lang = error_lang(request, service_of(request))
    return render(request, "error.html", status=status, lang=lang, code=status, message=message)


__all__ = ["error_lang", "error_page", "page_lang", "render", "render_private", "service_of"]
