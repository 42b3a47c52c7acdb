"""The batch runner: ``run(task, inputs)`` -> one ``Outcome`` per input, in input order.

Inputs are validated first (a bad input names its position), ids must be unique, and every
outcome is placed by its input's position and carries its input id (never matched by completion
order). Requests are submitted sorted by their rendered prompt, so inputs that share a prefix
(instructions, schema, a shared tree) run back to back and vLLM prefix caching / OpenAI prompt
caching can hit. A failure never stops the batch. With ``run_dir`` the runner writes
``outputs.jsonl``, ``failures.jsonl`` and ``manifest.json`` there. In replay mode a miss is recorded
like any failure, then (``on_replay_miss="raise"``, the default) ``CacheMissError`` is raised after
the files are written, with the first misses explained.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from recloom.agents.artifacts import MANIFEST, new_run_id, write_jsonl, write_manifest
from recloom.agents.backends.base import Backend
from recloom.agents.runtime.calls import CallEngine
from recloom.agents.runtime.config import RuntimeConfig
from recloom.agents.runtime.executor import Executor, Job, LocalExecutor, RunSpec
from recloom.agents.runtime.gc_batch import batch_gc
from recloom.agents.runtime.manifest import FAILURES, OUTPUTS, backend_label, build_manifest
from recloom.agents.runtime.outcome import Outcome
from recloom.agents.runtime.progress import Progress
from recloom.cache.store import CacheStore
from recloom.errors import ArtifactError, CacheMissError, DataError, RecloomError
from recloom.prompts.registry import get_task
from recloom.prompts.task import Task


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(repr=False)
    manifest: dict[str, Any] = field(repr=False)
    run_dir: Path | None

    @property
    def results(self) -> list[BaseModel | None]:
        return [o.result for o in self.outcomes]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


class Runner:
    """Runs tasks with one config. Reuse it across batches; ``aclose()`` (or the sync ``run``,
    which closes what it built) releases the backend."""

    def __init__(
        self,
        config: RuntimeConfig | None = None,
        *,
        backend: Backend | None = None,
        cache: CacheStore | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.config = config or RuntimeConfig()
        self.engine = CallEngine(self.config, backend=backend, cache=cache)
        self.executor = executor or LocalExecutor()

    async def arun(
        self,
        task: Task[Any, Any] | str,
        inputs: Sequence[Any],
        *,
        run_dir: str | Path | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        with batch_gc():  # a batch's objects are long-lived: collect in larger steps (gc_batch.py)
            return await self._arun(task, inputs, run_dir=run_dir, run_id=run_id)

    async def _arun(
        self,
        task: Task[Any, Any] | str,
        inputs: Sequence[Any],
        *,
        run_dir: str | Path | None,
        run_id: str | None,
    ) -> RunResult:
        task = get_task(task) if isinstance(task, str) else task
        started, started_at = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S%z")
        jobs = self._jobs(task, inputs)
        self.engine.prepare(task)
        self.engine.prefetch([j.material for j in jobs if j.material is not None])
        label = f"{task.name} [{backend_label(self.engine.kind, self.engine.model)}]"
        with Progress(len(jobs), label, enabled=self.config.progress) as progress:

            async def one(job: Job) -> Outcome:
                return await self.engine.call(task, job.inp, job.input_id, job.messages, job.material)

            spec = RunSpec(self.config, task.name, task, progress.update)
            ordered = sorted(jobs, key=lambda j: [m.content for m in j.messages])
            try:
                done = await self.executor.map(one, ordered, concurrency=self.config.concurrency, spec=spec)
            finally:
                await self.engine.flush()
        outcomes: list[Outcome | None] = [None] * len(jobs)
        for job, outcome in zip(ordered, done, strict=True):
            outcomes[job.position] = outcome
        final = [o for o in outcomes if o is not None]
        run_id = run_id or new_run_id(task.name)
        manifest = build_manifest(
            run_id=run_id,
            config=self.config,
            kind=self.engine.kind,
            model=self.engine.model,
            task=task,
            outcomes=final,
            wall_s=time.perf_counter() - started,
            started_at=started_at,
        )
        if run_dir is None and self.config.runs_dir:
            run_dir = Path(self.config.runs_dir) / run_id
        path = self._write(run_dir, run_id, final, manifest) if run_dir is not None else None
        self._raise_on_misses(final, path)
        return RunResult(final, manifest, path)

    def run(
        self,
        task: Task[Any, Any] | str,
        inputs: Sequence[Any],
        *,
        run_dir: str | Path | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        """Synchronous ``arun`` in a fresh event loop; closes the backend it built afterwards."""

        box: list[RunResult] = []

        async def main() -> None:
            # The result is kept out of the task's return value: Python 3.11's asyncio.run reprs the
            # main task (result included) when it restores the SIGINT handler.
            try:
                box.append(await self.arun(task, inputs, run_dir=run_dir, run_id=run_id))
            finally:
                await self.engine.aclose()

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(main())
            return box[0]
        raise RecloomError(
            "Runner.run() was called inside a running event loop; use `await runner.arun(...)`"
        )

    async def aclose(self) -> None:
        await self.engine.aclose()

    def _jobs(self, task: Task[Any, Any], inputs: Sequence[Any]) -> list[Job]:
        jobs: list[Job] = []
        seen: dict[str, int] = {}
        reads = self.engine.cache is not None and self.engine.mode.reads
        sampling = self.engine.sampling_for(task)
        for position, raw in enumerate(inputs):
            inp = task.parse_input(raw, where=f"#{position}")
            input_id = task.input_id(inp)
            if input_id in seen:
                raise DataError(
                    f"task {task.name!r}: input id {input_id!r} appears twice (inputs #{seen[input_id]} "
                    f"and #{position}); ids must be unique"
                )
            seen[input_id] = position
            messages = task.render(inp)
            material = self.engine.key_material(task, messages, sampling) if reads else None
            jobs.append(Job(position, input_id, inp, messages, material))
        return jobs

    def _write(
        self, run_dir: str | Path, run_id: str, outcomes: list[Outcome], manifest: dict[str, Any]
    ) -> Path:
        path = Path(run_dir)
        if (path / MANIFEST).exists():
            raise ArtifactError(f"{path} already holds a run ({MANIFEST}); give a new run directory")
        path.mkdir(parents=True, exist_ok=True)
        write_jsonl(path / OUTPUTS, (o.output_record() for o in outcomes))
        write_jsonl(path / FAILURES, (o.failure_record() for o in outcomes if not o.ok))
        write_manifest(path, manifest)
        return path

    def _raise_on_misses(self, outcomes: list[Outcome], path: Path | None) -> None:
        misses = [o for o in outcomes if o.error_kind == "cache_miss"]
        if not misses or self.config.on_replay_miss != "raise":
            return
        shown = "\n  ".join(o.errors[-1] for o in misses[:3])
        where = f" (run files in {path})" if path is not None else ""
        error = CacheMissError(
            f"{len(misses)} of {len(outcomes)} inputs are not in the cache{where}:\n  {shown}"
        )
        error.outcomes = outcomes  # type: ignore[attr-defined]
        raise error


def run(
    task: Task[Any, Any] | str,
    inputs: Sequence[Any],
    *,
    run_dir: str | Path | None = None,
    backend: str | Backend = "local",
    **config: Any,
) -> RunResult:
    """One-shot convenience: ``run("item_tags", inputs, backend="openai", model="gpt-4o-mini")``;
    ``backend`` is a kind or an already built ``Backend``; other keywords are ``RuntimeConfig`` fields."""
    if isinstance(backend, str):
        return Runner(RuntimeConfig(backend=backend, **config)).run(task, inputs, run_dir=run_dir)
    return Runner(RuntimeConfig(backend=backend.kind, model=backend.model, **config), backend=backend).run(
        task, inputs, run_dir=run_dir
    )
