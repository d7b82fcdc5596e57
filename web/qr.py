"""QR codes of feed links (SVG), for a phone to subscribe from the page."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable

import segno
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendars.feeds import Selection
from i18n import tr
from obligations.model import Level
from web import params
from web.feed_links import feed_links
from web.render import error_lang, service_of


async def qr_code(request: Request) -> Response:
    """``/qr/{kind}/{key}.svg``: the code of a real feed's webcal:// link; 404 for anything else."""
    service = service_of(request)
    rules = service.feeds.snapshot.rules
    kind, key = request.path_params["kind"], request.path_params["key"]
    known: dict[str, Iterable[str]] = {"unit": rules.units, "obligation": rules.obligations,
                                       "level": [level.value for level in Level], "all": ["all"]}
    if kind not in known or key not in known[kind]:  # only the codes of real feeds: never of any text
        lang = error_lang(request, service)
        raise HTTPException(404, f"{tr(lang, 'page.not_found')}: {params.shown(kind)}/{params.shown(key)}")
    children = kind == "unit" and request.query_params.get("children") == "1"
    selection = Selection("all") if kind == "all" else Selection(kind, key, children)  # type: ignore[arg-type]
    return Response(_qr_svg(feed_links(service.public_url, selection).webcal), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@functools.lru_cache(maxsize=4096)
def _qr_svg(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return buffer.getvalue()


__all__ = ["qr_code"]
