"""SEQUENCE and LAST-MODIFIED of calendar events, kept across restarts and instances.

An event's version changes only when its content does: the store keeps the
hash of each UID's last published content. Changes are compare-and-set on the
old hash, so two instances rebuilding at once bump a changed event once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from calendars.versions import Version
from store.db import Store
from store.tables import event_versions

_CHUNK = 500


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


class EventVersions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _insert(self):  # type: ignore[no-untyped-def]
        dialect = postgresql if self.store.dialect == "postgresql" else sqlite
        return dialect.insert(event_versions)

    def sync(self, hashes: Mapping[str, str], now: dt.datetime) -> dict[str, Version]:
        """Record the content hash of every event; return each one's current version."""
        now = _utc(now)
        uids = sorted(hashes)
        with self.store.engine.begin() as conn:
            known: dict[str, tuple[str, int, dt.datetime]] = {}
            for chunk in _chunks(uids):
                rows = conn.execute(
                    select(event_versions.c.uid, event_versions.c.content_hash, event_versions.c.sequence,
                           event_versions.c.last_modified).where(event_versions.c.uid.in_(chunk))
                )
                known.update({r.uid: (r.content_hash, r.sequence, _utc(r.last_modified)) for r in rows})
            new = [u for u in uids if u not in known]
            changed = [u for u in uids if u in known and known[u][0] != hashes[u]]
            if new:
                stmt = self._insert().on_conflict_do_nothing(index_elements=["uid"])
                for chunk in _chunks(new):
                    conn.execute(stmt, [{"uid": u, "content_hash": hashes[u], "sequence": 0,
                                         "first_seen": now, "last_modified": now} for u in chunk])
            for uid in changed:
                conn.execute(
                    update(event_versions)
                    .where(event_versions.c.uid == uid, event_versions.c.content_hash == known[uid][0])
                    .values(content_hash=hashes[uid], sequence=event_versions.c.sequence + 1, last_modified=now)
                )
            touched = new + changed
            for chunk in _chunks(touched):
                rows = conn.execute(
                    select(event_versions.c.uid, event_versions.c.content_hash, event_versions.c.sequence,
                           event_versions.c.last_modified).where(event_versions.c.uid.in_(chunk))
                )
                known.update({r.uid: (r.content_hash, r.sequence, _utc(r.last_modified)) for r in rows})
        return {u: Version(known[u][1], known[u][2]) for u in uids}

    def current(self, uids: Collection[str]) -> dict[str, Version]:
        """The version of each of ``uids`` the store knows, changing nothing (a disk feed checked against it)."""
        out: dict[str, Version] = {}
        with self.store.engine.connect() as conn:
            for chunk in _chunks(sorted(set(uids))):
                rows = conn.execute(
                    select(event_versions.c.uid, event_versions.c.sequence, event_versions.c.last_modified)
                    .where(event_versions.c.uid.in_(chunk))
                )
                out.update({r.uid: Version(r.sequence, _utc(r.last_modified)) for r in rows})
        return out


__all__ = ["EventVersions", "Version"]
