"""A token-aware rate limiter: token buckets over requests/min and tokens/min, plus a global pause.

Before a call, ``acquire(estimate)`` waits until both buckets hold capacity; after it,
``settle(estimate, actual)`` gives back what was over-estimated (or charges the overrun), as
Curator does. ``pause(seconds)`` holds every caller after a 429 with Retry-After, so one server
signal slows the whole run instead of each worker discovering it alone. Buckets start full and hold
``burst_s`` seconds of capacity. With neither limit set, ``acquire`` returns at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class _Bucket:
    def __init__(self, per_minute: float, burst_s: float, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.level = self.capacity
        self._clock = clock
        self._stamp = clock()

    def refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` (clamped to capacity) is available; 0 when it is."""
        need = min(amount, self.capacity) - self.level
        return 0.0 if need <= 0 else need / self.rate


class RateLimiter:
    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        burst_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._requests = _Bucket(rpm, burst_s, clock) if rpm else None
        self._tokens = _Bucket(tpm, burst_s, clock) if tpm else None
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited_s = 0.0

    @property
    def enabled(self) -> bool:
        return self._requests is not None or self._tokens is not None or self._paused_until > 0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, tokens: int = 0) -> None:
        if not self.enabled:
            return
        async with self._lock:  # FIFO: one waiter at a time takes capacity
            while True:
                delay = self._delay(tokens)
                if delay <= 0:
                    break
                self.waited_s += delay
                await self._sleep(delay)
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= tokens

    def _delay(self, tokens: int) -> float:
        delay = self._paused_until - self._clock()
        if self._requests is not None:
            self._requests.refill()
            delay = max(delay, self._requests.wait_for(1))
        if self._tokens is not None:
            self._tokens.refill()
            delay = max(delay, self._tokens.wait_for(tokens))
        return delay

    def settle(self, estimated: int, actual: int) -> None:
        if self._tokens is not None:
            self._tokens.level = min(self._tokens.capacity, self._tokens.level + estimated - actual)
