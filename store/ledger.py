"""Reading the ledger (台账) in bulk for the supervision board: completions and evidence by occurrence.

Read-only; the changes are store.completions, store.waivers and the evidence uploads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from store.db import Store
from store.history import Action, Entry, append
from store.tables import completions, metadata

_CHUNK = 500


def completions_by_uid(store: Store, uids: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every completion (or those of ``uids``) by its occurrence uid."""
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        if uids is None:
            return {r.occurrence_uid: dict(r._mapping) for r in conn.execute(select(completions))}
        ordered = sorted(uids)
        for i in range(0, len(ordered), _CHUNK):
            query = select(completions).where(completions.c.occurrence_uid.in_(ordered[i:i + _CHUNK]))
            out.update({r.occurrence_uid: dict(r._mapping) for r in conn.execute(query)})
    return out


def evidence_files(store: Store) -> dict[str, list[str]]:
    """The names of the files uploaded as evidence, by occurrence uid (none before migration 0009)."""
    table = metadata.tables.get("evidence")
    if table is None:
        return {}
    out: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(select(table.c.occurrence_uid, table.c.filename).order_by(table.c.id)):
            out.setdefault(r.occurrence_uid, []).append(r.filename)
    return out


def record_export(store: Store, *, at: dt.datetime, actor: str, door: str, what: str, unit: str | None) -> None:
    """An export (a report downloaded or written) in the history: ``what`` says which (its note)."""
    with store.engine.begin() as conn:
        append(conn, Entry(at, actor, door, Action.EXPORT, "report", "", unit, None, note=what[:500]))


__all__ = ["completions_by_uid", "evidence_files", "record_export"]
