"""``ics --out DIR``: every feed as a file, on every core, with progress, atomically, changed files only.

The feeds are split into tasks: the unit feeds in batches of :data:`BATCH` units (one
expansion and one serialisation per batch, then each unit's feed cut from it), and each
other feed (the levels, the duties, the all-feed) on its own. ``--jobs`` worker processes
(forked: they share the loaded rules) run the tasks, each with its own connection to the
store, whose compare-and-set keeps SEQUENCE right when two of them meet the same event. A
file is written to a temporary name in its folder and renamed over the old one (a reader
sees the old file or the new one, never half of one), and only when its bytes changed, so
a web server's caches and ETags of the other files stay valid. Feeds over
``feeds.max_units`` units are not written (as the service refuses them).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from calendars.eventbytes import EventWriter
from calendars.export import all_selections
from calendars.feeds import Selection, Shape, VersionSource, feed_set_of, in_memory_versions
from calendars.ondemand import OnDemandFeeds
from i18n import Language, tr
from scheduler.snapshot import Snapshot
from store import Store, open_store
from store.event_versions import EventVersions

BATCH = 200  # units per task: big enough to share duty lines, small enough to spread over the cores
_Task = tuple[str, list[Selection]]


@dataclass
class Job:
    """What every task needs; a worker inherits it when forked."""

    snapshot: Snapshot
    first: dt.date
    last: dt.date
    out: Path
    shape: Shape
    database_url: str
    base_url: str
    lang: Language
    now: dt.datetime


@dataclass
class Counts:
    written: int = 0
    unchanged: int = 0
    skipped: list[Selection] = field(default_factory=list)


@dataclass
class _Process:
    """This process's part: the job (inherited by a forked worker), its feeds and store connection."""

    job: Job | None = None
    feeds: OnDemandFeeds | None = None
    store: Store | None = None


_HERE = _Process()


def write_if_changed(path: Path, body: bytes) -> bool:
    """Write ``body`` to ``path`` atomically (a temporary file in its folder, then a rename), unless the
    file already holds exactly these bytes; True when it was written."""
    try:
        if path.stat().st_size == len(body) and path.read_bytes() == body:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(body)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def tasks(feeds: OnDemandFeeds, unit: str | None) -> tuple[list[_Task], list[Selection]]:
    """The tasks of every feed within the cap, and the feeds over it."""
    selections = all_selections(feeds.snapshot.rules, unit)
    units = [s for s in selections if s.kind == "unit" and not s.children]
    out: list[_Task] = [("units", units[i:i + BATCH]) for i in range(0, len(units), BATCH)]
    skipped = []
    for selection in selections:
        if selection.kind == "unit" and not selection.children:
            continue
        covered = feeds.units_of(selection)
        if (len(feeds.snapshot.rules.units) if covered is None else len(covered)) > feeds.max_units:
            skipped.append(selection)
        else:
            out.append(("one", [selection]))
    return out, skipped


def _feeds(job: Job, versions: VersionSource) -> OnDemandFeeds:
    """Feeds that keep nothing in memory after a task."""
    feeds_cfg = job.snapshot.loaded.config.feeds
    return OnDemandFeeds(job.snapshot, job.first, job.last, versions=versions, clock=lambda: job.now,
                         base_url=job.base_url, lang=job.lang, refresh=dt.timedelta(minutes=feeds_cfg.refresh_minutes),
                         budget=0, max_units=feeds_cfg.max_units)


def run_task(task: _Task) -> tuple[int, int]:
    """(written, unchanged) for one task, in this process."""
    job = _HERE.job
    assert job is not None
    if _HERE.feeds is None:  # once per process: its own connection to the store
        _HERE.store = open_store(job.database_url)
        _HERE.feeds = _feeds(job, EventVersions(_HERE.store).sync)
    feeds = _HERE.feeds
    kind, selections = task
    if kind == "units":
        expansion = feeds.expander.expand(job.first, job.last, units={s.key for s in selections})
        writer = EventWriter(job.snapshot.rules, tz=job.snapshot.tz, lang=job.lang, guessed_years=feeds.guessed_years)
        batch = feed_set_of(job.snapshot, expansion, job.first, job.last, versions=feeds.versions, now=job.now,
                            base_url=job.base_url, refresh=feeds.refresh, writer=writer)
        bodies = [(s, batch.feed(s, shape=job.shape).body) for s in selections]
    else:
        bodies = [(s, feeds.feed(s, shape=job.shape).body) for s in selections]
    written = sum(write_if_changed(job.out / s.path, body) for s, body in bodies)
    return written, len(bodies) - written


def one_feed(job: Job, selection: Selection) -> bytes:
    """One feed's bytes, built for its own units only (``ics --unit`` on stdout)."""
    store = open_store(job.database_url)
    try:
        feeds = _feeds(job, EventVersions(store).sync)
        feeds.max_units = max(feeds.max_units, len(job.snapshot.rules.units))  # asked for by name: no cap
        return feeds.feed(selection, shape=job.shape).body
    finally:
        store.close()


def export(job: Job, unit: str | None, jobs: int, progress: Progress) -> Counts:
    """Write every feed (or ``unit``'s) of ``job`` with ``jobs`` processes; counts of what was done."""
    _HERE.job, _HERE.feeds, _HERE.store = job, None, None
    # migrate (and switch SQLite to WAL) here, once, before the workers fork: workers opening a
    # fresh SQLite file at the same moment could fail with "database is locked"
    open_store(job.database_url).close()
    planned, skipped = tasks(_feeds(job, in_memory_versions()), unit)
    total = sum(len(selections) for _, selections in planned)
    counts = Counts(skipped=skipped)
    progress.start(total)
    for written, unchanged in _results(planned, jobs):
        counts.written += written
        counts.unchanged += unchanged
        progress.advance(written + unchanged)
    progress.done()
    if _HERE.store is not None:  # the tasks ran in this process
        _HERE.store.close()
    _HERE.job, _HERE.feeds, _HERE.store = None, None, None
    return counts


def _results(planned: list[_Task], jobs: int) -> Iterator[tuple[int, int]]:
    if jobs <= 1 or len(planned) <= 1:
        yield from map(run_task, planned)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:  # forked: the rules are not loaded again
        yield from pool.imap_unordered(run_task, planned)


class Progress:
    """A bar redrawn in place on a terminal; a plain line every tenth of the way otherwise (logs, pipes)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, lang: Language, *, tty: bool | None = None) -> None:
        self.stream, self.lang = stream, lang
        self.tty = stream.isatty() if tty is None else tty
        self.total = self.count = self.shown = 0

    def start(self, total: int) -> None:
        self.total, self.count, self.shown = total, 0, 0
        self._show()

    def advance(self, n: int) -> None:
        self.count += n
        if self.tty or self.count * 10 // max(1, self.total) > self.shown * 10 // max(1, self.total):
            self._show()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self) -> None:
        self.shown = self.count
        line = tr(self.lang, "cli.ics_progress", done=f"{self.count:,}", total=f"{self.total:,}")
        if self.tty:
            filled = self.WIDTH * self.count // max(1, self.total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {line}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def stderr_progress(lang: Language) -> Progress:
    return Progress(sys.stderr, lang)


__all__ = ["BATCH", "Counts", "Job", "Progress", "export", "one_feed", "stderr_progress", "tasks",
           "write_if_changed"]
