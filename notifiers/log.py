"""The log channel: every message as one line in the service log.

The embedded default, so the service runs and shows real reminder traffic
with no account configured. With ``journal`` set, each delivery is also
appended (and flushed) to a JSON-lines file, which makes the channel
exactly-once across process crashes: before a resend, the dispatcher asks
:meth:`delivered`, which reads the journal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import Field

from notifiers.base import Message, Notifier
from obligations.model import Strict

log = logging.getLogger("notifiers.log")


class LogConfig(Strict):
    """``notifiers: log:`` in config.yaml; every key optional."""

    journal: str | None = Field(default=None, description="JSON-lines file of every delivery (appended)")


class LogNotifier(Notifier):
    channel = "log"

    def __init__(self, config: LogConfig | None = None, logger: logging.Logger | None = None) -> None:
        self.log = logger or log
        self.journal = Path(config.journal) if config and config.journal else None
        self._seen: set[str] | None = None

    async def send(self, message: Message) -> str | None:
        one_line = message.text.replace("\n", " ⏎ ")
        self.log.info("reminder to %s [%s]: %s", message.recipient, message.key, one_line)
        if self.journal is not None:
            record = {"key": message.key, "covers": list(message.covers), "recipient": message.recipient,
                      "subject": message.subject}
            with self.journal.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                fh.flush()  # in the OS's hands: survives the death of this process (not of the machine)
            if self._seen is not None:
                self._seen.update(message.covers or (message.key,))
        return None

    def delivered(self, keys: tuple[str, ...]) -> set[str] | None:
        if self.journal is None:
            return None
        if self._seen is None:
            self._seen = set()
            if self.journal.exists():
                for line in self.journal.read_text(encoding="utf-8").splitlines():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut short by a crash was not a delivery
                    self._seen.update(record.get("covers") or [record.get("key")])
        return {k for k in keys if k in self._seen}


NOTIFIER = LogNotifier
SETTINGS = LogConfig

__all__ = ["NOTIFIER", "SETTINGS", "LogConfig", "LogNotifier"]
