"""One log line per request, with feed tokens redacted (uvicorn's own access log would print them)."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redaction import redact_path


class AccessLog:
    """ASGI middleware: ``METHOD path status time`` on the ``calendars.access`` logger, the path redacted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("calendars.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            if self.log.isEnabledFor(logging.INFO):  # redacting costs a regex: not for a line nobody keeps
                self.log.info("%s %s %d %.1fms", scope["method"], redact_path(scope["path"]), status,
                              (time.perf_counter() - started) * 1000)


__all__ = ["AccessLog"]
