"""``feeds.public: false``: the pages and the public feed URLs need a login (private feed tokens still work).

With ``feeds.public: true`` (the default) nothing here changes anything. With ``false``:

- ``/``, ``/obligation/{id}`` and the level, duty and all-feeds show every unit, so they need an
  account that sees every unit (an admin, or a supervisor without a unit); a unit user opening
  ``/`` is sent to its own unit's page, anyone else gets 403;
- ``/unit/{id}`` and its feed (``?children=1`` too: the units below a visible unit are visible)
  need an account that may see that unit;
- without a login a page redirects to ``/login``; a feed stays ``403`` (calendar apps have no
  cookies: they use ``/feeds/t/{token}.ics``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from i18n import tr
from service.access import may_see, visible_units
from web.auth import current_account, require_account
from web.render import error_lang, service_of

Endpoint = Callable[[Request], Awaitable[Response]]
FEED_ALLOWED = "oc_feed_allowed"  # request state: this logged-in account may read this feed


def _public(request: Request) -> bool:
    return service_of(request).live.current.loaded.config.feeds.public


def private_page(endpoint: Endpoint, kind: str) -> Endpoint:
    """``endpoint`` (a page: ``index``, ``unit`` or ``obligation``) behind a login when feeds are not public."""

    async def guarded(request: Request) -> Response:
        if _public(request):
            return await endpoint(request)
        account = require_account(request)
        rules = service_of(request).live.current.rules
        lang = error_lang(request, service_of(request))
        if kind == "unit":
            if not may_see(account, request.path_params.get("key"), rules):
                raise HTTPException(403, tr(lang, "auth.not_allowed"))
        elif visible_units(account, rules) is not None:
            if kind == "index" and account.unit is not None:
                query = "?lang=en" if request.query_params.get("lang") == "en" else ""
                return RedirectResponse(f"/unit/{quote(account.unit, safe='')}{query}", status_code=303)
            raise HTTPException(403, tr(lang, "auth.not_allowed"))
        return await endpoint(request)

    return guarded


def private_feed(endpoint: Endpoint, kind: str) -> Endpoint:
    """A public feed's ``endpoint`` that a logged-in account may read when feeds are not public."""

    async def guarded(request: Request) -> Response:
        if not _public(request):
            account = current_account(request)
            if account is not None:
                rules = service_of(request).live.current.rules
                if kind == "unit":
                    allowed = may_see(account, request.path_params.get("key"), rules)
                else:
                    allowed = visible_units(account, rules) is None
                request.scope.setdefault("state", {})[FEED_ALLOWED] = allowed
        return await endpoint(request)

    return guarded


__all__ = ["FEED_ALLOWED", "private_feed", "private_page"]
