"""APScheduler as the reminder engine's clock inside the service.

Four jobs: planning (every ten minutes, and at once after the rules change),
dispatch (every fifteen seconds), the weekly supervision summary (``supervision.summary_weekday``
at ``summary_at`` local time, service.summary; moved when a reload changes them) and the standby's
check for the planner lock (every ``reminders.standby_seconds``). Each runs one at a time; a missed run
is coalesced, never queued up. The store decides what is due, so a run that
APScheduler skipped loses nothing: the next one finds the same rows.

With several instances on one store every one dispatches (claims make that exactly-once), but only
the holder of the planner lock (store.leader) plans, syncs the configured subscribers and plans
the weekly summary; the others check the lock every ``standby_seconds`` and take over, planning at
once, when its holder is gone. The summary's parts are reminder rows (kind ``summary``), sent by
whichever dispatcher claims them; every planning run also plans a summary whose time passed while
no planner was up (within ``service.summary.CATCH_UP``), and a week's rows are planned only once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from service.engine import ReminderEngine
from service.summary import plan_weekly
from store.leader import PlannerLock

log = logging.getLogger(__name__)
PLAN_EVERY = dt.timedelta(minutes=10)
DISPATCH_EVERY = dt.timedelta(seconds=15)


class EngineRunner:
    def __init__(self, engine: ReminderEngine, lock: PlannerLock | None = None) -> None:
        self.engine = engine
        self.lock = lock or PlannerLock(engine.store.store)
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self.leading = False  # whether this instance plans (holds the planner lock)
        self._subscribers_synced = False  # the config's subscribers are in the store (done by the planner)

    def _take_lead(self) -> bool:
        """Hold the planner lock if it is free (or still ours); log a change of role."""
        leading = self.lock.acquire()
        if leading != self.leading:
            log.info("this instance %s", "plans reminders now (it holds the planner lock)" if leading
                     else "no longer plans: the planner lock is lost; another instance plans")
            self._subscribers_synced = False
        self.leading = leading
        return leading

    async def _lead(self) -> None:
        """The standby's check: take the lock when its holder is gone, and plan at once."""
        was = self.leading
        try:
            leading = await asyncio.to_thread(self._take_lead)
        except Exception:
            log.exception("the planner lock check failed; trying again at the next one")
            return
        if leading and not was:
            self.scheduler.modify_job("plan", next_run_time=dt.datetime.now(dt.UTC))

    def _plan_now(self) -> bool:
        """One planning run on the planner (False elsewhere): the subscribers first when they changed."""
        if not self.lock.held():
            self.leading = False
            return False
        if not self._subscribers_synced:
            self.engine.sync_subscribers()
            self._subscribers_synced = True
        self.engine.plan()
        self._plan_summary()  # a summary time this instance was not up (or not the planner) for: caught up
        return True

    def _plan_summary(self) -> int:
        """This week's summary into the reminder store, once its time has come, if it is not there yet."""
        engine = self.engine
        return plan_weekly(engine.snapshot(), engine.store, now=engine.clock(), base_url=engine.dispatcher.base_url)

    async def _plan(self) -> None:
        try:
            await asyncio.to_thread(self._plan_now)
        except Exception:  # a bad plan run must not stop the clock; it is logged and retried
            log.exception("planning failed; retrying at the next run")

    async def _summary(self) -> None:
        """At the summary's time the planner plans it, and dispatch runs at once (every instance may send it)."""
        if not self.leading:
            return
        try:
            planned = await asyncio.to_thread(self._plan_summary)
        except Exception:
            log.exception("the weekly summary could not be planned; the next planning run tries again")
            return
        if planned:
            self.scheduler.modify_job("dispatch", next_run_time=dt.datetime.now(dt.UTC))

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
        self._take_lead()
        now = dt.datetime.now(dt.UTC)
        self.scheduler.add_job(self._lead, "interval", seconds=self.engine.config.standby_seconds, id="lead",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._plan, "interval", seconds=PLAN_EVERY.total_seconds(), id="plan",
                               next_run_time=now, max_instances=1, coalesce=True)
        self.scheduler.add_job(self._dispatch, "interval", seconds=DISPATCH_EVERY.total_seconds(), id="dispatch",
                               next_run_time=now + dt.timedelta(seconds=1), max_instances=1, coalesce=True)
        self.scheduler.add_job(self._summary, self.summary_trigger(), id="summary", max_instances=1, coalesce=True)
        self.scheduler.start()

    def rules_changed(self) -> None:
        """Plan again now: a removed duty's reminders are cancelled, a moved one's re-timed."""
        self._subscribers_synced = False
        self.scheduler.modify_job("plan", next_run_time=dt.datetime.now(dt.UTC))
        self.scheduler.reschedule_job("summary", trigger=self.summary_trigger())
        self.scheduler.reschedule_job("lead", trigger="interval", seconds=self.engine.config.standby_seconds)

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self.lock.release)
        await self.engine.close()


__all__ = ["DISPATCH_EVERY", "PLAN_EVERY", "EngineRunner"]
