"""Pacing one robot's messages to the platform's rate windows."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from notifiers.base import TransientError

log = logging.getLogger("notifiers.robots")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

# The rate windows are made this much longer (2 %) than the platform's, to absorb the difference
# between our clock and theirs and the jitter between sending a request and its arrival.
WINDOW_SLACK = 0.02


class RateLimiter:
    """At most ``n`` messages in any ``period`` seconds, for each ``(n, period)`` given.

    Each send reserves the earliest slot that keeps every window within its limit and sleeps
    until then, so a burst is spread out rather than refused. Slots are handed out in order and
    reserving does not await, so concurrent senders need no lock. A slot further away than
    ``max_wait`` is not taken: :meth:`acquire` raises :class:`TransientError` with
    ``retry_after`` and the engine tries again later (a claim must not outlive its lease).
    """

    def __init__(self, limits: Sequence[tuple[int, float]], *, clock: Clock, sleep: Sleep, max_wait: float,
                 slack: float = WINDOW_SLACK) -> None:
        self.limits = [(n, period * (1 + slack)) for n, period in limits]
        self.horizon = max((period for _, period in self.limits), default=0.0)
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self.slots: deque[float] = deque()

    def next_slot(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        while self.slots and self.slots[0] <= now - self.horizon:
            self.slots.popleft()
        at = max(now, self.slots[-1]) if self.slots else now
        for n, period in self.limits:
            if len(self.slots) >= n:
                at = max(at, self.slots[-n] + period)
        return at

    async def acquire(self, where: str) -> float:
        """Wait for a slot; return how long that took (seconds)."""
        if not self.limits:
            return 0.0
        now = self.clock()
        at = self.next_slot(now)
        wait = at - now
        if wait > self.max_wait:
            rates = ", ".join(f"{n} per {period / (1 + WINDOW_SLACK):g}s" for n, period in self.limits)
            raise TransientError(f"{where}: rate limit ({rates}) reached; the next free slot is in {wait:.0f}s",
                                 retry_after=wait)
        self.slots.append(at)
        if wait > 0:
            log.info("%s: waiting %.1fs for the rate limit", where, wait)
            await self.sleep(wait)
        return wait


__all__ = ["WINDOW_SLACK", "Clock", "RateLimiter", "Sleep"]
