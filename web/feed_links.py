"""The addresses of a feed as pages show them: webcal://, https:// and the QR code's path."""

from __future__ import annotations

from dataclasses import dataclass

from calendars.feeds import Selection


@dataclass(frozen=True)
class Links:
    webcal: str
    https: str
    qr: str


def feed_links(base_url: str, selection: Selection) -> Links:
    query = "?children=1" if selection.children else ""
    https = f"{base_url}/feeds/{selection.path}{query}"
    webcal = "webcal://" + https.split("://", 1)[1]
    qr_path = f"/qr/{selection.kind}/{selection.key or 'all'}.svg{query}"
    return Links(webcal, https, qr_path)


__all__ = ["Links", "feed_links"]
