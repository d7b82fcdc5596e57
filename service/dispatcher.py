"""Dispatch: claim due reminders, send them, record every outcome.

Delivery is exactly-once where the channel can tell what it delivered (a
journal) and at-least-once, with a stable message id for the receiver to
drop duplicates, where it cannot. Nothing is dropped silently: every claimed
reminder ends sent, pending for a retry, failed or missed, and failures and
missed reminders are reported to the admins.

No message goes out on a claim that may have run out. Claims are taken
lazily, one message per free sending slot, so a claimed reminder does not
wait out its lease behind other sends; and right before each send the lease
is renewed in one statement that succeeds only while it is still running
(``ReminderStore.renew``). A reminder whose lease ran out anyway (a stalled
process) is skipped: whoever claims it next sends it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from notifiers.base import DeliveryError, Message, Notifier, PermanentError, RecipientGone, TransientError
from obligations.config import RemindersConfig
from scheduler.planner import Planned
from scheduler.snapshot import Snapshot
from service.messages import compose
from service.summary import message_of
from store import links
from store.claimed import Claimed
from store.lifecycle import Notice, ReminderKind
from store.reminders import ReminderStore
from store.subscribers import SubscriberStore

log = logging.getLogger(__name__)
CONCURRENCY = 16  # messages in flight at once per dispatch round
REFILL = CONCURRENCY // 4  # claim again once this many sending slots are free
# kinds that are missed, not sent, once the day of their occurrence (an unplaced window's due day) is over
_MISSED_AFTER_DUE = frozenset({ReminderKind.REMINDER, ReminderKind.CHANGED, ReminderKind.OPENING})


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    late: int = 0
    retried: int = 0
    failed: int = 0
    missed: int = 0
    lapsed: int = 0  # claims that ran out before their send: left to whoever claims them next
    messages: list[tuple[Message, list[Claimed], bool]] = field(default_factory=list)  # (message, rows, late)


class Dispatcher:
    def __init__(
        self,
        store: ReminderStore,
        notifiers: dict[str, Notifier],
        config: RemindersConfig,
        *,
        instance: str,
        snapshot: Callable[[], Snapshot],
        base_url: str,
        rng: random.Random | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """``clock`` is the current time for claims and lease renewals during a round; by default
        the round's ``now`` advanced by the monotonic time since the round began, which is the
        real time when ``now`` is, and stays consistent with a virtual ``now`` (simulate, tests)."""
        self.store = store
        self.notifiers = notifiers
        self.config = config
        self.instance = instance
        self.snapshot = snapshot
        self.base_url = base_url
        self.rng = rng or random.Random()
        self.clock = clock
        self._key: bytes | None = None

    def done_link(self, row: Claimed) -> str:
        """The signed link that lets this recipient mark this occurrence done (store.links)."""
        if self._key is None:
            self._key = links.signing_key(self.store.store)
        return f"{self.base_url}/done/{row.id}?s={links.sign(self._key, row.id, row.address)}"

    def backoff(self, attempts: int, retry_after: float | None) -> dt.timedelta:
        """Exponential backoff with jitter (50-150 %), at least what the channel asked for."""
        base = self.config.backoff_seconds * 2 ** max(attempts - 1, 0)
        seconds = min(base, 6 * 3600) * self.rng.uniform(0.5, 1.5)
        return dt.timedelta(seconds=max(seconds, retry_after or 0))

    def _current(self, now: dt.datetime) -> Callable[[], dt.datetime]:
        if self.clock is not None:
            return self.clock
        began = time.monotonic()
        return lambda: now + dt.timedelta(seconds=time.monotonic() - began)

    async def run_once(self, now: dt.datetime) -> DispatchReport:
        """One round: claim what is due at ``now``, up to ``batch_size``, and settle every claim.

        Claims are taken as sending slots free up (at most ``CONCURRENCY`` messages in flight), one
        message's reminders per slot, so that each claim's lease only has to cover its own send.
        """
        report = DispatchReport()
        lease = dt.timedelta(seconds=self.config.lease_seconds)
        current = self._current(now)
        budget = self.config.batch_size
        snapshot: Snapshot | None = None
        running: set[asyncio.Task[None]] = set()
        backlog = True
        try:
            while backlog and budget > 0:
                free = CONCURRENCY - len(running)
                if running and free < REFILL:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()  # a bug in delivery stops claiming; the sends in flight still finish
                    continue
                claimed = self.store.claim(self.instance, now, limit=budget, lease=lease, recipients=free,
                                           lease_from=current())
                # fewer recipients than asked for: nothing else was due (what this round raises, such
                # as notices to the admins, goes out with the next round)
                backlog = len({(r.channel, r.address) for r in claimed}) == free
                budget -= len(claimed)
                report.claimed += len(claimed)
                if not claimed:
                    break
                if snapshot is None:
                    snapshot = self.snapshot()
                for messages in self._messages(claimed, now, snapshot, report):
                    running.add(asyncio.create_task(self._in_turn(messages, now, report, snapshot, current)))
        finally:
            outcomes = await asyncio.gather(*running, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return report

    def _messages(self, claimed: list[Claimed], now: dt.datetime, snapshot: Snapshot,
                  report: DispatchReport) -> list[list[list[Claimed]]]:
        """The claimed reminders still worth sending, per recipient (channel and address) its messages in
        order: its reminders as one message, then each part of a weekly summary as one, part 1 first."""
        groups: dict[tuple[str, str], list[Claimed]] = {}
        for row in claimed:
            # an opening notice ("本月需完成…,截止 3月31日") after its window's due day is as missed as a
            # reminder: the service was down for the whole window; the escalation says what is overdue
            if row.kind in _MISSED_AFTER_DUE and self._passed(row, now, snapshot):
                self.store.mark_missed([row.id], self.instance, reason="the duty's date passed before it could be sent")
                report.missed += 1
                self._tell_admins(row, Notice.MISSED, now)
                continue
            groups.setdefault((row.channel, row.address), []).append(row)
        out = []
        for rows in groups.values():
            plain = [r for r in rows if r.kind != ReminderKind.SUMMARY]
            parts = sorted((r for r in rows if r.kind == ReminderKind.SUMMARY), key=lambda r: r.id)  # planned in order
            out.append(([plain] if plain else []) + [[part] for part in parts])
        return out

    async def _in_turn(self, messages: list[list[Claimed]], now: dt.datetime, report: DispatchReport,
                       snapshot: Snapshot, current: Callable[[], dt.datetime]) -> None:
        """One recipient's messages one after another. Once a part of a summary waits for a retry, the
        parts after it wait with it (same time, same error), so that the parts arrive in their order."""
        waiting: tuple[dt.datetime, str] | None = None
        for rows in messages:
            summary = rows[0].kind == ReminderKind.SUMMARY
            if summary and waiting is not None:
                report.retried += self.store.mark_retry([r.id for r in rows], self.instance, error=waiting[1],
                                                        at=waiting[0])
                continue
            retry = await self._deliver(rows, now, report, snapshot, current)
            if summary and retry is not None:
                waiting = retry

    def _passed(self, row: Claimed, now: dt.datetime, snapshot: Snapshot) -> bool:
        end_of_day = dt.datetime.combine(row.occurrence_date + dt.timedelta(days=1), dt.time(), snapshot.tz)
        return now >= end_of_day

    async def _deliver(self, rows: list[Claimed], now: dt.datetime, report: DispatchReport,
                       snapshot: Snapshot, current: Callable[[], dt.datetime]) -> tuple[dt.datetime, str] | None:
        """Send one message of ``rows`` and record the outcome; when it waits for a retry, when and why."""
        notifier = self.notifiers.get(rows[0].channel)
        grace = dt.timedelta(minutes=self.config.grace_minutes)
        late = any(now - r.send_after > grace for r in rows)
        if notifier is None:
            self._fail(rows, f"channel {rows[0].channel!r} is not configured (notifiers: in config.yaml)", now, report)
            return None
        # the fence before the send: only reminders whose claim is still ours and still running
        held = self.store.renew([r.id for r in rows], self.instance, current(),
                                lease=dt.timedelta(seconds=self.config.lease_seconds))
        if len(held) < len(rows):
            report.lapsed += len(rows) - len(held)
            log.warning("%s to %s: the claim on %d reminder(s) ran out before the send; left to whoever claims "
                        "them next", rows[0].channel, rows[0].address, len(rows) - len(held))
            rows = [r for r in rows if r.id in held]
            if not rows:
                return None
        ids = [r.id for r in rows]
        already = notifier.delivered(tuple(r.key for r in rows))
        if already:
            done = [r.id for r in rows if r.key in already]
            self.store.mark_sent(done, self.instance, now=now, late=late, provider_id="journal")
            report.sent += len(done)
            rows = [r for r in rows if r.key not in already]
            ids = [r.id for r in rows]
            if not rows:
                return None
        message = self._message(rows, snapshot, notifier, now=now, late=late)
        try:
            provider_id = await notifier.send(message)
        except RecipientGone as exc:
            gone = SubscriberStore(self.store.store).deactivate(rows[0].channel, rows[0].address)
            self._fail(rows, f"{exc}{'; subscriber deactivated' if gone else ''}", now, report)
            return None
        except PermanentError as exc:
            self._fail(rows, str(exc), now, report)
            return None
        except (TimeoutError, TransientError, DeliveryError, OSError) as exc:
            retry_after = getattr(exc, "retry_after", None)
            attempts = max(r.attempts for r in rows)
            if attempts >= self.config.max_attempts:
                self._fail(rows, f"gave up after {attempts} attempts: {exc}", now, report)
                return None
            at = now + self.backoff(attempts, retry_after)
            self.store.mark_retry(ids, self.instance, error=str(exc), at=at)
            report.retried += len(rows)
            log.warning("%s to %s: %s; retry at %s", rows[0].channel, rows[0].address, exc, at.isoformat())
            return at, str(exc)
        self.store.mark_sent(ids, self.instance, now=now, late=late, provider_id=provider_id)
        report.sent += len(rows)
        report.late += len(rows) if late else 0
        report.messages.append((message, rows, late))
        return None

    def _message(self, rows: list[Claimed], snapshot: Snapshot, notifier: Notifier, *, now: dt.datetime,
                 late: bool) -> Message:
        """The message of ``rows``: a part of a weekly summary as it was planned, else composed now."""
        if rows[0].kind == ReminderKind.SUMMARY:
            return message_of(rows[0])
        mentions = next((tuple(s.mentions) for s in snapshot.loaded.config.subscribers
                         if (s.channel, s.address) == (rows[0].channel, rows[0].address)), ())
        return compose(rows, snapshot, base_url=self.base_url, now=now, late=late,
                       grace=dt.timedelta(minutes=self.config.grace_minutes), done_link=self.done_link,
                       mentions=mentions, attach_calendar=type(notifier).attaches_calendar)

    def _fail(self, rows: list[Claimed], error: str, now: dt.datetime, report: DispatchReport) -> None:
        self.store.mark_failed([r.id for r in rows], self.instance, error=error)
        report.failed += len(rows)
        log.error("%s to %s failed for good: %s", rows[0].channel, rows[0].address, error)
        for row in rows:
            self._tell_admins(row, Notice.FAILED, now)

    def _tell_admins(self, row: Claimed, what: Notice, now: dt.datetime) -> None:
        if row.kind == ReminderKind.ADMIN:
            return  # never report a report: a broken admin channel must not loop
        notices = [
            Planned(f"admin|{what}|{row.key}|{admin.channel}:{admin.address}", ReminderKind.ADMIN,
                    row.occurrence_uid, row.obligation, row.unit, row.occurrence_date, None, admin.channel,
                    admin.address, "zh-CN", "", now, now, notice=what)
            for admin in self.config.admins
        ]
        if notices:
            self.store.add(notices, now)


__all__ = ["DispatchReport", "Dispatcher"]
