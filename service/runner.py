"""APScheduler as the reminder engine's clock inside the service.

Three jobs: planning (every ten minutes, and at once after the rules change),
dispatch (every fifteen seconds) and the weekly supervision summary (``supervision.summary_weekday``
at ``summary_at`` local time, service.summary; moved when a reload changes them). Both run one at a time; a missed run
is coalesced, never queued up. The store decides what is due, so a run that
APScheduler skipped loses nothing: the next one finds the same rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from service.engine import ReminderEngine
from service.summary import send_weekly

log = logging.getLogger(__name__)
PLAN_EVERY = dt.timedelta(minutes=10)
DISPATCH_EVERY = dt.timedelta(seconds=15)


class EngineRunner:
    def __init__(self, engine: ReminderEngine) -> None:
        self.engine = engine
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)

    async def _plan(self) -> None:
        try:
            await asyncio.to_thread(self.engine.plan)
        except Exception:  # a bad plan run must not stop the clock; it is logged and retried
            log.exception("planning failed; retrying at the next run")

    async def _summary(self) -> None:
        try:
            await send_weekly(self.engine)
        except Exception:
            log.exception("weekly summary failed; it comes again next week")

    def summary_trigger(self) -> CronTrigger:
        """The weekly summary's time: ``supervision.summary_weekday`` at ``summary_at``, in the configured zone."""
        snapshot = self.engine.snapshot()
        cfg = snapshot.loaded.config.supervision
        return CronTrigger(day_of_week=cfg.summary_weekday, hour=cfg.summary_at.hour, minute=cfg.summary_at.minute,
                           timezone=snapshot.tz)

    async def _dispatch(self) -> None:
        try:
            await self.engine.dispatch()
        except Exception:
            log.exception("dispatch failed; retrying at the next run")

    def start(self) -> None:
        self.engine.sync_subscribers()
        now = dt.datetime.now(dt.UTC)
        self.scheduler.add_job(self._plan, "interval", seconds=PLAN_EVERY.total_seconds(), id="plan",
                               next_run_time=now, max_instances=1, coalesce=True)
        self.scheduler.add_job(self._dispatch, "interval", seconds=DISPATCH_EVERY.total_seconds(), id="dispatch",
                               next_run_time=now + dt.timedelta(seconds=1), max_instances=1, coalesce=True)
        self.scheduler.add_job(self._summary, self.summary_trigger(), id="summary", max_instances=1, coalesce=True)
        self.scheduler.start()

    def rules_changed(self) -> None:
        """Plan again now: a removed duty's reminders are cancelled, a moved one's re-timed."""
        self.engine.sync_subscribers()
        self.scheduler.modify_job("plan", next_run_time=dt.datetime.now(dt.UTC))
        self.scheduler.reschedule_job("summary", trigger=self.summary_trigger())

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.engine.close()


__all__ = ["DISPATCH_EVERY", "PLAN_EVERY", "EngineRunner"]
