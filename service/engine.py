"""The reminder engine: planning and dispatch, on APScheduler's clock.

APScheduler decides *when* to look; the store decides *what* is due. Planning
and dispatch both take ``now`` from the injected clock, so ``simulate`` drives
the same code on a virtual clock that the service drives on the real one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

from notifiers.base import Notifier
from obligations.config import Recipient, RemindersConfig, SubscriberConfig
from scheduler.planner import Contact, Planned, escalations, plan
from scheduler.snapshot import Clock, Snapshot
from service.dispatcher import Dispatcher, DispatchReport
from store.lifecycle import Notice, ReminderKind
from store.reminders import ReminderStore, SyncReport
from store.waivers import Waivers

log = logging.getLogger(__name__)
LOOKBACK = dt.timedelta(days=45)  # occurrences this far back can still be escalated


class ReminderEngine:
    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        store: ReminderStore,
        notifiers: dict[str, Notifier],
        *,
        clock: Clock,
        instance: str,
        base_url: str,
    ) -> None:
        self.snapshot = snapshot
        self.store = store
        self.notifiers = notifiers
        self.clock = clock
        self._reported: set[int] = set()  # bad subscription rows already logged and reported
        self.dispatcher = Dispatcher(store, notifiers, self.config, instance=instance, snapshot=snapshot,
                                     base_url=base_url)

    @property
    def config(self) -> RemindersConfig:
        return self.snapshot().loaded.config.reminders

    @property
    def subscribers(self) -> list[SubscriberConfig]:
        return self.snapshot().loaded.config.subscribers

    def sync_subscribers(self) -> None:
        self.store.sync_config_subscribers(self.subscribers, self.clock())

    def plan(self) -> SyncReport:
        """Plan every reminder due in the horizon and make the store match."""
        now = self.clock()
        snapshot = self.snapshot()
        config = self.config
        self.dispatcher.config = config
        until = now + dt.timedelta(days=config.horizon_days)
        tz = snapshot.tz
        expander = snapshot.expander()
        today = now.astimezone(tz).date()
        occurrences = expander.expand(today - LOOKBACK, until.astimezone(tz).date() + dt.timedelta(days=31)).occurrences
        # a waived window is planned as a done one: nothing to remind, nothing to escalate
        done = self.store.done_uids() | Waivers(self.store.store).waived_uids()
        subs = self.store.subscriptions(on_bad=lambda row, exc: self._bad_subscription(row, exc, now))
        planned = plan(occurrences, subs, rules=snapshot.rules, tz=tz,
                       workdays_before=lambda occ: expander.calendar_for(occ).workdays_before,
                       next_workday=lambda occ: expander.calendar_for(occ).next_workday,
                       done=done, now=now, until=until)
        tiers = [(t.after, t.to, t.channel) for t in config.escalation]
        planned += escalations(occurrences, tiers, rules=snapshot.rules, tz=tz,
                               admins=[Contact(a.channel, a.address) for a in config.admins],
                               done=done, now=now, until=until)
        report = self.store.sync_plan(planned, now=now, until=until,
                                      kinds=(ReminderKind.REMINDER, ReminderKind.ESCALATION, ReminderKind.OPENING))
        log.info("planned reminders until %s: %d new, %d cancelled, %d change notices",
                 until.date(), report.inserted, report.cancelled, report.changed)
        return report

    def _bad_subscription(self, row: dict[str, Any], exc: ValueError, now: dt.datetime) -> None:
        """A subscription row planning cannot use: skipped; logged and reported once per process."""
        sid = row["subscription_id"]
        if sid in self._reported:
            return
        self._reported.add(sid)
        log.warning("subscription %s of subscriber %s (%s:%s) skipped by planning: %s", sid, row["subscriber_id"],
                    row["channel"], row["address"], exc)
        tell_admins(self.store, self.config.admins, key=f"bad-subscription|{sid}", what=Notice.BAD_SUBSCRIPTION,
                    title=f"订阅 #{sid}(订阅者 {row['subscriber_id']},{row['channel']}:{row['address']})"
                          f"无法读取,已跳过:{exc}", now=now, day=now.astimezone(self.snapshot().tz).date())

    async def dispatch(self) -> DispatchReport:
        report = await self.dispatcher.run_once(self.clock())
        if report.claimed:
            log.info("dispatched: %d sent (%d late), %d retried, %d failed, %d missed", report.sent, report.late,
                     report.retried, report.failed, report.missed)
        return report

    async def close(self) -> None:
        for notifier in self.notifiers.values():
            await notifier.close()


def tell_admins(store: ReminderStore, admins: Sequence[Recipient], *, key: str, what: Notice, title: str,
                now: dt.datetime, day: dt.date, skip: Collection[tuple[str, str]] = ()) -> int:
    """Queue a notice to each of the reminder admins (the Dispatcher's admin notice shape).

    ``key`` names the event: the same event is queued once per admin however often it is told
    (the reminders' unique key), so every process can report it. ``what`` says what happened,
    ``title`` the details. ``skip``: (channel, address) pairs already told another way.
    """
    notices = [Planned(f"admin|{key}|{a.channel}:{a.address}"[:500], ReminderKind.ADMIN, f"admin/{key}"[:300],
                       title[:200], None, day, None, a.channel, a.address, "zh-CN", "", now, now,
                       notice=Notice(what))
               for a in admins if (a.channel, a.address) not in skip]
    return store.add(notices, now) if notices else 0


__all__ = ["LOOKBACK", "ReminderEngine", "tell_admins"]
