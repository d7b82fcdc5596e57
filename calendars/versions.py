"""An event's published history: SEQUENCE and LAST-MODIFIED, changed only when its content is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    sequence: int
    last_modified: dt.datetime  # aware, UTC


# uid -> content hash in, uid -> version out (the store in the service, memory in one-off exports)
VersionSource = Callable[[Mapping[str, str], dt.datetime], Mapping[str, Version]]

__all__ = ["Version", "VersionSource"]
