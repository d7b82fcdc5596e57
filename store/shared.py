"""Values shared by every instance on one database (``shared_state``, migration 0011).

A value changes by compare-and-set: writing the value it already has changes nothing, writing
another one bumps its generation by one, in one statement, so instances writing at once agree on
the order. Readers poll (service.rulesync).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from store.claimed import as_utc
from store.db import Store
from store.tables import shared_state


@dataclass(frozen=True)
class Shared:
    name: str
    value: str
    generation: int
    updated_by: str
    updated_at: dt.datetime


class SharedState:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, name: str) -> Shared | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(shared_state).where(shared_state.c.name == name)).first()
        if row is None:
            return None
        return Shared(row.name, row.value, row.generation, row.updated_by, as_utc(row.updated_at))  # type: ignore[arg-type]

    def put(self, name: str, value: str, *, by: str, now: dt.datetime) -> Shared | None:
        """Set ``name`` to ``value``; the new state, or None when it already was ``value``."""
        dialect = postgresql if self.store.dialect == "postgresql" else sqlite
        stmt = dialect.insert(shared_state).values(name=name, value=value, generation=1, updated_by=by,
                                                   updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": stmt.excluded.value, "generation": shared_state.c.generation + 1,
                  "updated_by": stmt.excluded.updated_by, "updated_at": stmt.excluded.updated_at},
            where=shared_state.c.value != stmt.excluded.value,
        ).returning(shared_state.c.generation)
        with self.store.engine.begin() as conn:
            generation = conn.execute(stmt).scalar()
        return None if generation is None else Shared(name, value, generation, by, now)


__all__ = ["Shared", "SharedState"]
