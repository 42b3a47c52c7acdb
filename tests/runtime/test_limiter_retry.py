"""Rate limiter (fake clock: exact waits) and the transport retry policy."""

from __future__ import annotations

import asyncio

import pytest
import tenacity

from recloom.agents.backends.openai_errors import retry_after_seconds
from recloom.agents.runtime.limiter import RateLimiter
from recloom.agents.runtime.retry import transport_retrying
from recloom.errors import BackendError, TransportError


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_disabled_limiter_never_waits():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    asyncio.run(_acquire_many(limiter, 100, tokens=10_000))
    assert t.slept == [] and not limiter.enabled


async def _acquire_many(limiter: RateLimiter, n: int, tokens: int = 0) -> None:
    for _ in range(n):
        await limiter.acquire(tokens)


def test_rpm_bucket_spaces_requests_after_the_burst():
    t = FakeTime()
    limiter = RateLimiter(rpm=60, burst_s=5, clock=t.clock, sleep=t.sleep)  # 1 request/s, burst of 5
    asyncio.run(_acquire_many(limiter, 8))
    assert t.now == pytest.approx(3.0)  # 5 from the full bucket, then one per second


def test_tpm_bucket_waits_for_tokens_and_settle_returns_overestimates():
    t = FakeTime()
    limiter = RateLimiter(tpm=6000, burst_s=1, clock=t.clock, sleep=t.sleep)  # 100 tokens/s, capacity 100
    asyncio.run(_acquire_many(limiter, 1, tokens=100))
    asyncio.run(_acquire_many(limiter, 1, tokens=50))
    assert t.now == pytest.approx(0.5)
    limiter.settle(estimated=50, actual=10)  # 40 tokens given back
    asyncio.run(_acquire_many(limiter, 1, tokens=40))
    assert t.now == pytest.approx(0.5)
    limiter.settle(estimated=40, actual=240)  # overrun of 200 charged: the next caller waits 2 s more
    asyncio.run(_acquire_many(limiter, 1, tokens=1))
    assert t.now == pytest.approx(0.5 + 2.01)


def test_pause_holds_every_caller():
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock, sleep=t.sleep)
    limiter.pause(7.0)
    assert limiter.enabled
    asyncio.run(_acquire_many(limiter, 3))
    assert t.now == pytest.approx(7.0)


def _run_policy(errors: list[BaseException], **kw) -> tuple[int, list[float]]:
    calls, waits = 0, []

    async def fn() -> str:
        nonlocal calls
        calls += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    retrying = transport_retrying(
        **{"retries": 3, "initial_s": 0.5, "max_s": 8.0, "max_retry_after_s": 60.0, **kw}
    )
    retrying = retrying.copy(sleep=lambda s: _record(waits, s))
    try:
        asyncio.run(retrying(fn))
    finally:
        pass
    return calls, waits


async def _record(waits: list[float], seconds: float) -> None:
    waits.append(seconds)


def test_retry_after_is_honoured_and_backoff_is_bounded():
    calls, waits = _run_policy(
        [
            TransportError("429", status=429, retry_after=2.5),
            TransportError("503", status=503),
            TransportError("503", status=503),
        ]
    )
    assert calls == 4 and waits[0] == 2.5
    assert 0.5 <= waits[1] <= 1.5 and 0.5 <= waits[2] <= 2.5  # exponential with jitter up to initial_s


def test_retries_stop_after_the_budget_and_reraise():
    with pytest.raises(TransportError, match="last"):
        _run_policy([TransportError("a"), TransportError("b"), TransportError("c"), TransportError("last")])


def test_retry_after_beyond_the_cap_gives_up_at_once():
    paused: list[float] = []
    with pytest.raises(TransportError):
        _run_policy([TransportError("429", status=429, retry_after=600.0)], on_retry_after=paused.append)
    assert paused == []


def test_permanent_errors_are_not_retried():
    with pytest.raises(BackendError):
        _run_policy([BackendError("400")])


def test_retry_after_headers():
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None and retry_after_seconds({"retry-after": "soon"}) is None


def test_tenacity_is_the_engine():
    assert isinstance(
        transport_retrying(retries=1, initial_s=0.1, max_s=1, max_retry_after_s=10), tenacity.AsyncRetrying
    )
