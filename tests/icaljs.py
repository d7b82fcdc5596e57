"""Mozilla's ical.js (Thunderbird's parser) as a third, independent reader of our feeds.

``icaljs_expand`` runs ``node tests/js/expand.mjs`` (see the header of that file for the exact
output). It needs ``node`` on PATH and ``npm ci --prefix tests/js`` to have been run;
``require_icaljs()`` skips the calling test with the reason when either is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
SCRIPT = JS_DIR / "expand.mjs"
PACKAGE = JS_DIR / "node_modules" / "ical.js" / "package.json"
TIMEOUT_S = 60


class IcaljsError(AssertionError):
    """ical.js (or the harness around it) rejected the calendar; the message is its stderr line."""


def missing_icaljs() -> str | None:
    """Why ical.js cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "ical.js tests need Node.js: `node` is not on PATH"
    if not PACKAGE.is_file():
        return f"ical.js tests need its npm package: run `npm ci --prefix tests/js` ({PACKAGE.parent} is missing)"
    return None


def require_icaljs() -> None:
    """Skip the calling test (with the reason) unless node and tests/js/node_modules are present.

    Under CI (``CI`` set) a missing part fails instead: CI must provide every real part.
    """
    reason = missing_icaljs()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it (.ci/run)")
        pytest.skip(reason)


def icaljs_expand(ics: bytes, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Occurrences starting in [start, end) as ical.js expands them, sorted by (start, uid).

    Each item is ``{"uid", "start", "end", "summary", "alarms"}``; start/end are
    ``YYYY-MM-DD`` for all-day events, else ISO date-times with the event zone's offset.
    Raises ``IcaljsError`` when ical.js cannot read the calendar.
    """
    node = shutil.which("node")
    if node is None:
        raise IcaljsError("`node` is not on PATH")
    with tempfile.TemporaryDirectory(prefix="icaljs-") as tmp:
        path = Path(tmp) / "feed.ics"
        path.write_bytes(ics)
        proc = subprocess.run(
            [node, str(SCRIPT), str(path), start.isoformat(), end.isoformat()],
            cwd=JS_DIR, capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_S, check=False,
        )
    if proc.returncode != 0:
        message = proc.stderr.strip() or f"no message on stderr (stdout: {proc.stdout[:200]!r})"
        raise IcaljsError(f"ical.js exited {proc.returncode}: {message}")
    items: list[dict[str, Any]] = json.loads(proc.stdout)
    return items
