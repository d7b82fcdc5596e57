"""``/healthz``: always 200 while the service answers, ``ok`` or ``degraded`` with the reasons.

:class:`Health` is what it reports besides the rules: each channel's state (the Telegram bot's
start and retries, :mod:`web.lifespan`) and the outcome of the engine's last runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from redaction import redact_path
from service.engine import ReminderEngine
from service.feeds import FeedService
from service.rulesync import RulesSync
from web.render import service_of


@dataclass
class Health:
    """What /healthz reports besides the rules: each channel's state and the engine's last failures.

    A channel is ``ready`` (built; it connects when it sends), ``starting``, ``running`` (the
    Telegram bot polls or has its webhook set) or ``failed`` (with the reason; the bot retries).
    """

    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: dict[str, str | None] = field(default_factory=dict)  # "plan"/"dispatch" -> last error, None once ok
    planner: Callable[[], bool] | None = None  # whether this instance plans (holds the planner lock)
    rules: RulesSync | None = None  # the rules every instance on the store follows (web.lifespan)

    def channel(self, name: str, state: str, error: str | None = None) -> None:
        entry: dict[str, Any] = {"state": state, "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        if error:
            entry["error"] = redact_path(error)
        self.channels[name] = entry

    def reasons(self, service: FeedService) -> list[str]:
        out = []
        problems = service.live.problems
        if problems:
            out.append(f"rules: {len(problems)} problem(s) in the files on disk, still serving version "
                       f"{service.feeds.snapshot.version}; first: {redact_path(str(problems[0]))}")
        behind = self.rules.behind if self.rules is not None else None
        if behind is not None:
            out.append(f"rules: instance {behind.updated_by} loaded other rules (generation {behind.generation}, "
                       f"{behind.value[:12]}); the files here differ, still serving version "
                       f"{service.feeds.snapshot.version}")
        for name, entry in sorted(self.channels.items()):
            if entry["state"] == "failed":
                out.append(f"channel {name}: {entry.get('error', 'failed')}")
        for job, error in sorted(self.engine.items()):
            if error:
                out.append(f"reminders: the last {job} run failed: {error}")
        return out

    def watch(self, engine: ReminderEngine) -> None:
        """Record the outcome of every planning and dispatch run of ``engine``."""
        plan, dispatch = engine.plan, engine.dispatch

        def watched_plan() -> Any:
            try:
                report = plan()
            except Exception as exc:
                self.engine["plan"] = redact_path(f"{type(exc).__name__}: {exc}")
                raise
            self.engine["plan"] = None
            return report

        async def watched_dispatch() -> Any:
            try:
                report = await dispatch()
            except Exception as exc:
                self.engine["dispatch"] = redact_path(f"{type(exc).__name__}: {exc}")
                raise
            self.engine["dispatch"] = None
            return report

        engine.plan = watched_plan  # type: ignore[method-assign]
        engine.dispatch = watched_dispatch  # type: ignore[method-assign]


async def healthz(request: Request) -> Response:
    """Always 200 while the service answers: ``status`` is ``ok``, or ``degraded`` with ``reasons``."""
    service = service_of(request)
    health: Health = request.app.state.health
    served = service.feeds.snapshot  # the version requests see, swapped in only once its feeds are built
    reasons = health.reasons(service)
    return JSONResponse({
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "rules_version": served.version,
        "rules_loaded_at": served.loaded_at.isoformat(),
        "rules_problems": len(service.live.problems),
        "rules_failed_at": service.live.failed_at.isoformat() if service.live.failed_at else None,
        "feeds_built_at": service.feeds.built_at.isoformat(),
        "events": service.feeds.events_built,  # serialised so far: feeds are built on request
        "feeds": {"built": service.feeds.builds, "cached": len(service.feeds.cached()),
                  "cached_bytes": service.feeds.held_bytes, "from_disk": service.feeds.disk_hits},
        "channels": health.channels,
        "reminders": {job: {"ok": error is None, "error": error} for job, error in sorted(health.engine.items())},
        "planner": health.planner() if health.planner is not None else None,
        "rules_fingerprint": health.rules.fingerprint[:16] if health.rules is not None else None,
        "rules_generation": health.rules.generation if health.rules is not None else None,
    })


__all__ = ["Health", "healthz"]
