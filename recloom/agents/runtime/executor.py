"""Executors run the per-input calls of a batch.

``LocalExecutor`` is an asyncio worker pool with a hard concurrency bound that takes jobs in the
order given (the runner orders them by shared prompt prefix) and puts each result in its job's
slot: results are matched by the job, never by completion order.

A distributed executor (e.g. on Ray) implements the same ``map`` but may ignore ``run_job`` (a local
closure) and use ``spec`` instead: ``spec.config`` is plain data, ``spec.task_name`` resolves through
the task registry on a worker, and every ``Job`` is plain data (position, input id, validated input,
rendered messages), so a remote worker builds its own ``CallEngine(spec.config)``, calls
``engine.prepare(task)`` once, runs ``engine.call(task, job.inp, job.input_id, job.messages)``
and ships the ``Outcome`` back; the executor reports each one through ``spec.on_outcome``
(progress) and returns them in job order.
The cache directory is shared by all workers (diskcache is multi-process safe on a local disk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from recloom.agents.runtime.config import RuntimeConfig
from recloom.agents.runtime.outcome import Outcome
from recloom.cache.keys import KeyMaterial
from recloom.prompts.messages import Message


@dataclass(frozen=True)
class Job:
    position: int
    input_id: str
    inp: BaseModel
    messages: tuple[Message, ...]
    material: KeyMaterial | None = None  # the first attempt's key material, when already computed


@dataclass(frozen=True)
class RunSpec:
    """What a remote worker needs to rebuild the call: the config and the task (by name)."""

    config: RuntimeConfig
    task_name: str
    task: Any = field(default=None, repr=False, compare=False)  # the Task object, for in-process use
    on_outcome: Callable[[Outcome], None] = field(default=lambda outcome: None, repr=False, compare=False)


class Executor(Protocol):
    async def map(
        self,
        run_job: Callable[[Job], Awaitable[Outcome]],
        jobs: Sequence[Job],
        *,
        concurrency: int,
        spec: RunSpec,
    ) -> list[Outcome]: ...


class LocalExecutor:
    async def map(
        self,
        run_job: Callable[[Job], Awaitable[Outcome]],
        jobs: Sequence[Job],
        *,
        concurrency: int,
        spec: RunSpec,
    ) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(jobs)
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(jobs):
                i = next_index
                next_index += 1
                results[i] = outcome = await run_job(jobs[i])
                spec.on_outcome(outcome)

        workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(jobs))))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return results  # type: ignore[return-value]
