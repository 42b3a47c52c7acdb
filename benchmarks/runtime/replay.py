"""Strict-replay throughput: a warm cache of N entries filled once by a recloom ``rw`` run, then
``Runner.arun`` in ``replay`` mode over the same N inputs: every result served from the cache (no
backend is ever built), parsed and validated.

The fill uses an in-process backend of kind ``openai`` and the benchmark's model name that returns
the loopback server's answer at once: the entries (keys, responses) are the ones a run through the
server would store, without 20,000 HTTP round trips on a shared machine. Replay is measured with a
base URL that points at the loopback server, whose request counter must not move.
"""

from __future__ import annotations

import gc
import tempfile
import time
from typing import Any

import job
from server import USAGE


class AnswerBackend:
    """Answers every request with ``job.ANSWER`` (what the loopback server sends), without I/O."""

    kind = "openai"
    model = job.MODEL
    is_llm = True

    async def complete(self, request: Any) -> Any:
        from recloom.agents.backends.base import LLMResponse, Usage

        usage = Usage(USAGE["prompt_tokens"], USAGE["completion_tokens"], 0)
        return LLMResponse(job.ANSWER, "stop", usage, 0.0, job.MODEL)

    async def aclose(self) -> None:
        return None


class ReplayBench:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.task = job.recloom_task()
        self.tmp = tempfile.TemporaryDirectory(prefix="recloom-replay-")
        self.cache_dir = f"{self.tmp.name}/cache"
        self.filled = 0

    def _config(self, mode: str, concurrency: int) -> Any:
        from recloom.agents.runtime import RuntimeConfig

        return RuntimeConfig(
            backend="openai",
            model=job.MODEL,
            base_url=self.base_url,
            cache_mode=mode,
            cache_dir=self.cache_dir,
            concurrency=concurrency,
            progress=False,
        )

    async def fill(self, n: int, concurrency: int) -> dict[str, Any]:
        """Write ``n`` entries (a cold ``rw`` run); returns its timing too."""
        return await self._measure("rw", n, concurrency)

    async def replay(self, n: int, concurrency: int) -> dict[str, Any]:
        if n > self.filled:
            raise ValueError(f"replay of {n} inputs asked for, but only {self.filled} are cached")
        result = await self._measure("replay", n, concurrency)
        return result

    async def _measure(self, mode: str, n: int, concurrency: int) -> dict[str, Any]:
        from recloom.agents.runtime import Runner

        backend = AnswerBackend() if mode == "rw" else None
        runner = Runner(self._config(mode, concurrency), backend=backend)
        rows = job.inputs(n, prefix="replay")
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = await runner.arun(self.task, rows)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        await runner.aclose()
        assert runner.engine.cache is not None
        runner.engine.cache.close()
        if mode == "rw":
            self.filled = max(self.filled, n)
        counts = result.manifest["counts"]
        return {
            "n": n,
            "ok": counts["ok"],
            "cached": counts["cached"],
            "backend_calls": counts["backend_calls"],
            "backends_built": runner.engine.backends_built,
            "wall_s": wall,
            "cpu_s": cpu,
        }

    def close(self) -> None:
        self.tmp.cleanup()
