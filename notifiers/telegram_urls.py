"""The Telegram Bot API's URLs, without python-telegram-bot: ``validate`` checks them and need not load it.

:func:`api_urls` turns the base URL people write (``TELEGRAM_API_URL`` or ``notifiers.telegram.api_url``)
into the pair python-telegram-bot wants; :mod:`notifiers.telegram` builds its bot from it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from notifiers.base import PermanentError

API_URL_ENV = "TELEGRAM_API_URL"
DEFAULT_API_URL = "https://api.telegram.org/bot"


def api_urls(url: str) -> tuple[str, str]:
    """The Bot API's base URL as python-telegram-bot wants it (ending in ``/bot``, the token is appended)
    and the matching file URL, from either form people write: ``http://host:port/bot`` or ``http://host:port``.

    :raises PermanentError: not an http(s) URL, with the fix.
    """
    text = url.strip()
    if "{token}" in text:  # PTB's own placeholder form: used as it is
        return text, text.replace("/bot{token}", "/file/bot{token}")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise PermanentError(f"the Bot API URL ({API_URL_ENV} or notifiers.telegram.api_url) {text!r} is not "
                             "usable; write it as https://api.telegram.org/bot or http://HOST:PORT (the /bot "
                             "is added when missing)")
    path = parts.path.rstrip("/")
    if not path.endswith("/bot"):
        path += "/bot"
    root = path.removesuffix("/bot")
    return (urlunsplit((parts.scheme, parts.netloc, path, "", "")),
            urlunsplit((parts.scheme, parts.netloc, f"{root}/file/bot", "", "")))


__all__ = ["API_URL_ENV", "DEFAULT_API_URL", "api_urls"]
