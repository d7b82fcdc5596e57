"""The log channel: every message as one line in the service log.

The embedded default, so the service runs and shows real reminder traffic
with no account configured. With ``journal`` set, each delivery is also
appended (and flushed) to a JSON-lines file, which makes the channel
exactly-once across process crashes and across dispatcher instances: before
a send, the dispatcher asks :meth:`delivered`, which reads what any process
appended since it last looked. Appends take an exclusive ``flock`` on the
file and reads a shared one, so every process that shares the file (on one
machine, or a file system with working locks) sees every other's deliveries.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

from pydantic import Field

from notifiers.base import Message, Notifier
from obligations.strict import Strict

log = logging.getLogger("notifiers.log")


class LogConfig(Strict):
    """``notifiers: log:`` in config.yaml; every key optional."""

    journal: str | None = Field(default=None, description="JSON-lines file of every delivery (appended); "
                                "instances that share it never deliver a reminder twice")


class LogNotifier(Notifier):
    channel = "log"

    def __init__(self, config: LogConfig | None = None, logger: logging.Logger | None = None) -> None:
        self.log = logger or log
        self.journal = Path(config.journal) if config and config.journal else None
        self._seen: set[str] = set()  # keys found in the journal's first ``_offset`` bytes
        self._offset = 0

    async def send(self, message: Message) -> str | None:
        one_line = message.text.replace("\n", " ⏎ ")
        self.log.info("reminder to %s [%s]: %s", message.recipient, message.key, one_line)
        if self.journal is not None:
            record = {"key": message.key, "covers": list(message.covers), "recipient": message.recipient,
                      "subject": message.subject}
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
            with self.journal.open("a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file is closed, or its process dies
                size = fh.seek(0, os.SEEK_END)
                if size and (fh.seek(size - 1), fh.read(1))[1] != b"\n":
                    line = b"\n" + line  # end a line cut short by a crash, which was not a delivery
                fh.write(line)
                fh.flush()  # in the OS's hands: survives the death of this process (not of the machine)
        return None

    def delivered(self, keys: tuple[str, ...]) -> set[str] | None:
        if self.journal is None:
            return None
        self._catch_up(self.journal)
        return {k for k in keys if k in self._seen}

    def _catch_up(self, journal: Path) -> None:
        """Read the whole lines appended to the journal, by any process, since the last look."""
        try:
            fh = journal.open("rb")
        except FileNotFoundError:
            return
        with fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            if os.fstat(fh.fileno()).st_size < self._offset:  # replaced or truncated: read it anew
                self._seen.clear()
                self._offset = 0
            fh.seek(self._offset)
            data = fh.read()
        whole = data.rfind(b"\n") + 1  # a last line without its end was cut short by a crash
        for line in data[:whole].splitlines():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a line cut short by a crash was not a delivery
            if isinstance(record, dict):
                self._seen.update(record.get("covers") or [record.get("key")])
        self._offset += whole


NOTIFIER = LogNotifier
SETTINGS = LogConfig

__all__ = ["NOTIFIER", "SETTINGS", "LogConfig", "LogNotifier"]
