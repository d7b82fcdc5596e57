"""Logging for the long-running service: one format, secrets redacted on every handler.

Without ``--debug``: INFO for our loggers, WARNING for libraries that log every request or job
run (:data:`redaction.NOISY_LOGGERS`). With ``--debug``: DEBUG for everything,
libraries included; the redacting filter is what keeps secrets out of those lines too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import redaction

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(*, debug: bool = False, fmt: str = FORMAT) -> None:
    """Root handler on stderr, the redacting filter on every handler, libraries quiet unless ``debug``."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format=fmt, force=True)
    if debug:
        redaction.quiet(level=logging.NOTSET)  # inherit DEBUG from the root
    else:
        redaction.quiet()
    redaction.install()


def register(*, notifiers: Mapping[str, Any] | None = None, database_url: str | None = None) -> None:
    """Add the secrets a loaded configuration names: every ``*_env`` variable under ``notifiers``
    (webhook URLs, signing secrets, SMTP passwords) and the database URL's password."""
    redaction.install(values=[database_url] if database_url else (), settings=notifiers or {})


__all__ = ["FORMAT", "configure", "register"]
