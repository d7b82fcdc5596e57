"""Signed "mark done" links: a per-person capability, no account needed.

A reminder message carries ``/done/{reminder id}?s=SIGNATURE``; the signature
is an HMAC of the reminder id and its recipient with a key kept in the store
(created on first use, shared by every instance). Whoever holds the link may
mark that one occurrence done, recorded under the recipient's name, until the link
expires (``reminders.done_link_days`` after the duty's date, checked by the page).

The page's form carries a CSRF token as well: an HMAC, with the same key, of the
reminder id, the recipient and the time the form was made; a POST without a valid,
recent token for that reminder records nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from store.db import Store
from store.keys import shared_key

KEY_NAME = "done-links"
SIGNATURE_LENGTH = 32
CSRF_LIFETIME = dt.timedelta(hours=24)  # a form left open longer must be reloaded
_SIGNATURE = re.compile(r"[0-9a-f]{32}")
_CSRF = re.compile(r"([0-9]{1,12})\.([0-9a-f]{32})")


def signing_key(store: Store) -> bytes:
    return bytes.fromhex(shared_key(store, KEY_NAME))


def sign(key: bytes, reminder_id: int, recipient: str) -> str:
    mac = hmac.new(key, f"{reminder_id}|{recipient}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def verify(key: bytes, reminder_id: int, recipient: str, signature: str) -> bool:
    """True when ``signature`` is the link's; any other text (any length, any characters) is False."""
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        return False
    return hmac.compare_digest(sign(key, reminder_id, recipient).encode(), signature.encode())


def _csrf_mac(key: bytes, reminder_id: int, recipient: str, issued: int) -> str:
    mac = hmac.new(key, f"csrf|{reminder_id}|{recipient}|{issued}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def csrf_token(key: bytes, reminder_id: int, recipient: str, now: dt.datetime) -> str:
    """The hidden field of the "mark done" form: ``ISSUED.MAC``, good for this reminder for a day."""
    issued = int(now.timestamp())
    return f"{issued}.{_csrf_mac(key, reminder_id, recipient, issued)}"


def verify_csrf(key: bytes, reminder_id: int, recipient: str, token: str, now: dt.datetime) -> bool:
    """True when ``token`` was made by :func:`csrf_token` for this reminder within :data:`CSRF_LIFETIME`."""
    match = _CSRF.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        return False
    issued = int(match.group(1))
    age = now.timestamp() - issued
    if not -300 <= age <= CSRF_LIFETIME.total_seconds():  # five minutes of clock skew between instances
        return False
    return hmac.compare_digest(_csrf_mac(key, reminder_id, recipient, issued).encode(), match.group(2).encode())


__all__ = ["CSRF_LIFETIME", "KEY_NAME", "SIGNATURE_LENGTH", "csrf_token", "sign", "signing_key", "verify",
           "verify_csrf"]
