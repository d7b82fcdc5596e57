"""An event's published history: SEQUENCE and LAST-MODIFIED, changed only when its content is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    sequence: int
    last_modified: dt.datetime  # aware, UTC


# uid -> content hash in, uid -> version out (the store in the service, memory in one-off exports)
VersionSource = Callable[[Mapping[str, str], dt.datetime], Mapping[str, Version]]
# uids in, the current version of each one known out, changing nothing (is a feed on disk still current?)
VersionLookup = Callable[[Collection[str]], Mapping[str, Version]]

__all__ = ["Version", "VersionLookup", "VersionSource"]
