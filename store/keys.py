"""The service's own random keys (done links, sessions): one row each in ``secrets``.

A key is made on first use by whichever instance asks first and then read by every instance on
the database, so links and cookies signed by one are good on all.
"""

from __future__ import annotations

import secrets as random_secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from store.db import Store
from store.tables import secrets


def shared_key(store: Store, name: str) -> str:
    """The key called ``name`` (64 hex digits), made now if the store has none yet."""
    with store.engine.begin() as conn:
        value = conn.execute(select(secrets.c.value).where(secrets.c.name == name)).scalar()
    if value is None:
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(secrets).values(name=name, value=random_secrets.token_hex(32)))
        except IntegrityError:
            pass  # another instance made it first: use theirs
        with store.engine.begin() as conn:
            value = conn.execute(select(secrets.c.value).where(secrets.c.name == name)).scalar_one()
    return str(value)


__all__ = ["shared_key"]
