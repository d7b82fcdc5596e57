"""Signed "mark done" links: a per-person capability, no account needed.

A reminder message carries ``/done/{reminder id}?s=SIGNATURE``; the signature
is an HMAC of the reminder id and its recipient with a key kept in the store
(created on first use, shared by every instance). Whoever holds the link may
mark that one occurrence done, recorded under the recipient's name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from store.db import Store
from store.tables import secrets

KEY_NAME = "done-links"


def signing_key(store: Store) -> bytes:
    with store.engine.begin() as conn:
        value = conn.execute(select(secrets.c.value).where(secrets.c.name == KEY_NAME)).scalar()
    if value is None:
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(secrets).values(name=KEY_NAME, value=random_secrets.token_hex(32)))
        except IntegrityError:
            pass  # another instance created it first; use theirs
        with store.engine.begin() as conn:
            value = conn.execute(select(secrets.c.value).where(secrets.c.name == KEY_NAME)).scalar_one()
    return bytes.fromhex(value)


def sign(key: bytes, reminder_id: int, recipient: str) -> str:
    mac = hmac.new(key, f"{reminder_id}|{recipient}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def verify(key: bytes, reminder_id: int, recipient: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, reminder_id, recipient), signature)


__all__ = ["KEY_NAME", "sign", "signing_key", "verify"]
