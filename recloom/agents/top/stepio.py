"""Plumbing shared by the ToP steps: running a task batch through the runtime into a sub-directory,
counting calls and tokens across batches, the step manifest, and the sync wrappers.

Every step is an ``async`` function taking a ``recloom.agents.runtime.Runner`` (any backend, same
code path); its sync twin runs it in a fresh event loop and then closes the backend the runner
built (as ``Runner.run`` does). A step directory holds ``manifest.json`` (step, backend label,
config, counts, wall time, files) next to its artifacts, and ``calls/<batch>/`` with the runtime's
own ``outputs.jsonl``, ``failures.jsonl`` (raw answers of every failed attempt) and manifest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from recloom.agents.artifacts import new_run_id, write_manifest
from recloom.agents.runtime import Runner, RunResult
from recloom.agents.runtime.manifest import backend_label, versions
from recloom.agents.top.embedding import embedder_for
from recloom.cache.modes import CacheMode
from recloom.errors import ArtifactError, RecloomError
from recloom.prompts.task import Task

T = TypeVar("T")


@dataclass
class CallStats:
    """Totals over every runtime batch of a step."""

    batches: int = 0
    inputs: int = 0
    ok: int = 0
    failed: int = 0
    backend_calls: int = 0
    cached: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    by_task: dict[str, int] = field(default_factory=dict)

    def add(self, result: RunResult) -> None:
        counts = result.manifest["counts"]
        tokens = result.manifest["tokens"]["all_attempts"]
        self.batches += 1
        self.inputs += counts["inputs"]
        self.ok += counts["ok"]
        self.failed += counts["failed"]
        self.backend_calls += counts["backend_calls"]
        self.cached += counts["cached"]
        self.reasks += counts["reasks"]
        self.prompt_tokens += tokens["prompt_tokens"]
        self.completion_tokens += tokens["completion_tokens"]
        name = result.manifest["task"]["name"]
        self.by_task[name] = self.by_task.get(name, 0) + counts["inputs"]

    def merge(self, other: CallStats) -> None:
        for key in (
            "batches",
            "inputs",
            "ok",
            "failed",
            "backend_calls",
            "cached",
            "reasks",
            "prompt_tokens",
            "completion_tokens",
        ):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        for name, n in other.by_task.items():
            self.by_task[name] = self.by_task.get(name, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StepContext:
    """One step's output directory (or none), its call statistics and the runner it calls."""

    def __init__(self, runner: Runner, out_dir: str | Path | None, step: str) -> None:
        self.runner = runner
        self.step = step
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.stats = CallStats()
        self.started = time.perf_counter()
        self.started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self._batch_names: set[str] = set()
        if self.out_dir is not None:
            if (self.out_dir / "manifest.json").exists():
                raise ArtifactError(
                    f"{self.out_dir} already holds a {step!r} step (manifest.json); give a new directory"
                )
            self.out_dir.mkdir(parents=True, exist_ok=True)

    @property
    def is_llm(self) -> bool:
        return self.runner.engine.is_llm

    @property
    def source(self) -> str:
        """How answers of this runner are labelled: "llm" or "local" (non-LLM baseline)."""
        return "llm" if self.is_llm else "local"

    def path(self, name: str) -> Path | None:
        return None if self.out_dir is None else self.out_dir / name

    async def run(self, task: Task[Any, Any], inputs: Sequence[BaseModel], batch: str) -> RunResult:
        """Run ``inputs`` through the runtime; the files go to ``calls/<batch>``."""
        if batch in self._batch_names:
            raise RecloomError(f"step {self.step!r}: batch name {batch!r} used twice")
        self._batch_names.add(batch)
        run_dir = None if self.out_dir is None else self.out_dir / "calls" / batch
        result = await self.runner.arun(
            task, inputs, run_dir=run_dir, run_id=new_run_id(f"{self.step}-{batch}")
        )
        self.stats.add(result)
        return result

    def warm_local(self, texts: Sequence[str]) -> None:
        """Encode ``texts`` in one batch for the local backend's solvers, which would otherwise
        encode them one call at a time (no effect for LLM backends and in replay)."""
        engine = self.runner.engine
        if engine.is_llm or engine.mode is CacheMode.REPLAY or not texts:
            return
        context = getattr(engine.backend(), "context", None) or {}
        embedder_for(context)(list(dict.fromkeys(texts)))

    def finish(self, config: Any, counts: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
        """Write and return the step manifest."""
        engine = self.runner.engine
        manifest = {
            "run_id": new_run_id(self.step),
            "step": self.step,
            "started_at": self.started_at,
            "wall_s": round(time.perf_counter() - self.started, 4),
            "backend": {
                "kind": engine.kind,
                "model": engine.model,
                "is_llm": engine.is_llm,
                "label": backend_label(engine.kind, engine.model),
                "cache_mode": engine.mode.value,
            },
            "config": asdict(config) if is_dataclass(config) and not isinstance(config, type) else config,
            "counts": counts,
            "calls": self.stats.as_dict(),
            "files": files,
            "versions": versions(),
        }
        if self.out_dir is not None:
            write_manifest(self.out_dir, manifest)
        return manifest


def run_sync(runner: Runner, make: Callable[[], Awaitable[T]]) -> T:
    """Run ``make()`` in a fresh event loop, then close the backend ``runner`` built."""
    box: list[T] = []

    async def main() -> None:
        try:
            box.append(await make())
        finally:
            await runner.aclose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
        return box[0]
    raise RecloomError("a sync ToP step was called inside a running event loop; await its async twin (a...)")
