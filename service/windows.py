"""One window on the web, by its occurrence uid: finding it, and checking an evidence file before it is kept.

A uid is ``obligation/unit/slot`` (:attr:`scheduler.occurrence.Occurrence.uid`; unit ``-`` for a
duty without units); the slot begins with its year (``2025-W40``, ``2025-Q3``, ``2025-03-01``,
``extra-2025-05-06``), so the occurrence is found by expanding that duty for that unit over the
year and its neighbours. A uid that names no occurrence of the rules in force is None.

Evidence files are accepted by extension (``evidence.types``), size (``evidence.max_mb``) and,
for the kinds that have one, the magic number at the start of the bytes: a ``.pdf`` that is no
PDF is refused. The type a file is served with comes from its extension here, never from what
the browser said.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from i18n import N_
from obligations.config import EvidenceConfig
from scheduler.occurrence import Occurrence
from scheduler.snapshot import Snapshot

MAX_UID = 300  # the store's column
# the history's actions and doors in words (store.history.Action, store.tables.DOORS)
ACTION_WORDS = {
    "done": N_("history.action_done"), "undo": N_("history.action_undo"), "redate": N_("history.action_redate"),
    "snooze": N_("history.action_snooze"), "login": N_("history.action_login"),
    "login_failed": N_("history.action_login_failed"), "logout": N_("history.action_logout"),
    "upload": N_("history.action_upload"), "export": N_("history.action_export"),
    "waive": N_("history.action_waive"), "unwaive": N_("history.action_unwaive"),
}
DOOR_WORDS = {"cli": N_("history.door_cli"), "bot": N_("history.door_bot"), "web": N_("history.door_web")}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")

CONTENT_TYPES = {
    "pdf": "application/pdf", "ofd": "application/ofd", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "png": "image/png", "doc": "application/msword", "xls": "application/vnd.ms-excel", "wps": "application/kswps",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "txt": "text/plain",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office (and WPS) compound file
MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "ofd": (b"PK\x03\x04",), "doc": (_OLE,), "xls": (_OLE,),
    "wps": (_OLE,),
}


def find_window(snapshot: Snapshot, uid: str) -> Occurrence | None:
    """The occurrence ``uid`` names in the rules in force, or None."""
    if not uid or len(uid) > MAX_UID or uid.count("/") < 2 or not uid.isprintable():
        return None
    obligation, unit, slot = uid.split("/", 2)
    rules = snapshot.rules
    if obligation not in rules.obligations or (unit != "-" and unit not in rules.units):
        return None
    years = {int(y) for y in _YEAR.findall(slot) if 1990 <= int(y) <= 2200}
    if not years:
        return None
    first, last = dt.date(min(years) - 1, 1, 1), dt.date(max(years) + 1, 12, 31)
    found = snapshot.expander().expand(first, last, units=None if unit == "-" else {unit},
                                       obligations={obligation}).occurrences
    return next((o for o in found if o.uid == uid), None)


class Unaccepted(StrEnum):
    """Why an evidence file is refused."""

    EMPTY = "empty"
    TOO_LARGE = "too large"
    TYPE = "type"  # an extension not in evidence.types
    CONTENT = "content"  # the bytes are not what the extension says


@dataclass(frozen=True)
class Accepted:
    filename: str  # the name as uploaded, without folders or control characters
    extension: str
    content_type: str


def clean_filename(name: str) -> str:
    """The last part of an uploaded file's name, NFC, without control characters, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable()).strip().lstrip(".")
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:110] + dot + ext[:9]) if dot else base[:120]
    return base or "file"


def max_bytes(config: EvidenceConfig) -> int:
    return int(config.max_mb * 1024 * 1024)


def accept(config: EvidenceConfig, filename: str, data: bytes) -> Accepted | Unaccepted:
    """Whether a file may be kept as evidence, and as what."""
    if not data:
        return Unaccepted.EMPTY
    if len(data) > max_bytes(config):
        return Unaccepted.TOO_LARGE
    name = clean_filename(filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in config.types:
        return Unaccepted.TYPE
    magic = MAGIC.get(extension)
    if magic is not None and not data.startswith(magic):
        return Unaccepted.CONTENT
    if extension == "txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return Unaccepted.CONTENT
    return Accepted(name, extension, CONTENT_TYPES.get(extension, "application/octet-stream"))


__all__ = ["ACTION_WORDS", "CONTENT_TYPES", "DOOR_WORDS", "MAGIC", "Accepted", "Unaccepted", "accept", "clean_filename",
           "find_window", "max_bytes"]
