"""Executors run the per-input calls of a batch. ``LocalExecutor`` is an asyncio worker pool with a
hard concurrency bound that takes jobs in the order given (the runner orders them by shared
prompt prefix), and puts each result in its job's slot: results are matched by position of the
*job*, never by completion order.

A distributed executor (e.g. on Ray) implements the same ``map``: every job is plain data (task
name, input as JSON, input id) and ``RuntimeConfig`` is plain data too, so a remote worker can build
its own ``CallEngine(config)`` and return ``Outcome`` records keyed by input id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    async def map(
        self, fn: Callable[[T], Awaitable[R]], jobs: Sequence[T], *, concurrency: int
    ) -> list[R]: ...


class LocalExecutor:
    async def map(self, fn: Callable[[T], Awaitable[R]], jobs: Sequence[T], *, concurrency: int) -> list[R]:
        results: list[R | None] = [None] * len(jobs)
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(jobs):
                i = next_index
                next_index += 1
                results[i] = await fn(jobs[i])

        workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(jobs))))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return results  # type: ignore[return-value]
