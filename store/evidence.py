"""Evidence files (佐证材料) uploaded for a window: the bytes in a folder, the facts in the ``evidence`` table.

A file is written once under its SHA-256 (``<folder>/<sha256>``: the same bytes uploaded twice are
one file), through a temporary name and a rename, readable only by the service's user. The row
says whose window it is (occurrence, duty, unit), the name and type it was uploaded with, its
size, who uploaded it and when; the upload is appended to the history in the same transaction
(action ``upload``, the file's name as the note). Nothing here decides who may upload or read a
file: the web pages ask service.access first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets as random_secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row

from store.claimed import as_utc
from store.db import Store
from store.history import Action, Entry, append
from store.tables import evidence


@dataclass(frozen=True)
class Evidence:
    """One uploaded file (a row of ``evidence``)."""

    id: int
    occurrence_uid: str
    obligation: str
    unit: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_name: str
    uploaded_by: str
    uploaded_at: dt.datetime

    @classmethod
    def of(cls, row: Row[Any]) -> Evidence:
        return cls(row.id, row.occurrence_uid, row.obligation, row.unit, row.filename, row.content_type, row.size,
                   row.sha256, row.stored_name, row.uploaded_by, as_utc(row.uploaded_at) or row.uploaded_at)


def evidence_link(evidence_id: int) -> str:
    """Where the web pages serve a file (to accounts that may see its unit)."""
    return f"/supervision/evidence/{evidence_id}"


class EvidenceStore:
    """The ``evidence`` table and the folder of files."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.engine = store.engine
        self.folder = folder

    def _write(self, data: bytes, digest: str) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.folder / digest
        if final.exists() and final.stat().st_size == len(data):
            return
        scratch = self.folder / f".{digest}.{random_secrets.token_hex(4)}.part"
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(scratch, final)
        finally:
            scratch.unlink(missing_ok=True)

    def add(self, *, uid: str, obligation: str, unit: str | None, date: dt.date | None, filename: str,
            content_type: str, data: bytes, by: str, at: dt.datetime, door: str = "web") -> Evidence:
        """Keep ``data`` as evidence for the occurrence ``uid``; the row (and its history entry) is written
        after the file is safely on disk."""
        digest = hashlib.sha256(data).hexdigest()
        self._write(data, digest)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(evidence).values(
                occurrence_uid=uid, obligation=obligation, unit=unit, filename=filename[:255],
                content_type=content_type[:100], size=len(data), sha256=digest, stored_name=digest,
                uploaded_by=by[:200], uploaded_at=at).returning(evidence.c.id)).scalar_one()
            append(conn, Entry(at, by[:200], door, Action.UPLOAD, uid, obligation, unit, date, note=filename[:255],
                               evidence_url=evidence_link(new_id)))
        found = self.get(new_id)
        assert found is not None
        return found

    def get(self, evidence_id: int) -> Evidence | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(evidence).where(evidence.c.id == evidence_id)).first()
        return Evidence.of(row) if row else None

    def of_occurrence(self, uid: str) -> list[Evidence]:
        """The files of one occurrence, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(evidence).where(evidence.c.occurrence_uid == uid).order_by(evidence.c.id))
            return [Evidence.of(r) for r in rows]

    def path(self, item: Evidence) -> Path:
        """The file's bytes on disk (named by its SHA-256; the name is checked to be one)."""
        name = item.stored_name
        if len(name) != 64 or any(c not in "0123456789abcdef" for c in name):
            raise ValueError(f"evidence {item.id} has a stored name that is no SHA-256")
        return self.folder / name


__all__ = ["Evidence", "EvidenceStore", "evidence_link"]
