"""Built feeds on disk, read back only while the store still shows the versions they were written with.

A file is named by everything a feed's bytes depend on besides the store (the rules
fingerprint, range, language, links: :meth:`calendars.ondemand.OnDemandFeeds._path`).
The store's part, each event's SEQUENCE and LAST-MODIFIED, can move on without the
name changing: after rules A -> B -> A the events A's file shows were bumped for B
and again for A, a reset store starts over, another instance may have bumped them.
Serving the file then would give calendars that saw B's higher SEQUENCE an event they
ignore (RFC 5545: the higher SEQUENCE wins). So a file records the UIDs it shows and
a digest of their versions, and reading it asks the store for those UIDs' versions in
one query; any difference is a miss, and the rebuild syncs and rewrites the file.

The file is one JSON header line, then the feed's body. A header without ``uids`` and
``versions`` (a file written before they were recorded) is a miss as well.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from calendars.feeds import Feed
from calendars.versions import Version, VersionLookup

_DIGEST = "sha256:"  # named in the header so another digest could be told apart from this one


def versions_digest(versions: Mapping[str, Version]) -> str:
    """One string for uid -> (SEQUENCE, LAST-MODIFIED): equal exactly when every event's version is."""
    digest = hashlib.sha256()
    for uid in sorted(versions):
        version = versions[uid]
        stamp = version.last_modified.astimezone(dt.UTC).isoformat()  # SQLite and PostgreSQL: one spelling
        digest.update(f"{uid}\0{version.sequence}\0{stamp}\n".encode())
    return _DIGEST + digest.hexdigest()


def read_feed(path: Path, current: VersionLookup) -> Feed | None:
    """The feed in ``path`` if its events' versions are still ``current``'s; None otherwise (build it)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        meta = json.loads(head)
        uids, recorded = list(meta["uids"]), str(meta["versions"])
        if not all(isinstance(uid, str) for uid in uids):
            return None
        etag, events = str(meta["etag"]), int(meta["events"])
        last_modified = dt.datetime.fromisoformat(meta["last_modified"])
    except (ValueError, KeyError, TypeError):
        return None
    now = current(uids)
    if len(now) != len(uids) or versions_digest(now) != recorded:  # an event the store forgot, or bumped
        return None
    return Feed(body, gzip.compress(body, compresslevel=6, mtime=0), etag, last_modified, events)


def write_feed(path: Path, feed: Feed, shown: Mapping[str, Version]) -> None:
    """Write ``feed`` with the versions of the events it shows; a failed write costs a rebuild, not a request."""
    meta = json.dumps({"etag": feed.etag, "last_modified": feed.last_modified.isoformat(), "events": feed.events,
                       "uids": sorted(shown), "versions": versions_digest(shown)})
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(meta.encode() + b"\n" + feed.body)
        tmp.replace(path)  # atomic: a reader sees the old file or the new one
    except OSError:
        tmp.unlink(missing_ok=True)


__all__ = ["read_feed", "versions_digest", "write_feed"]
