"""The ``local`` backend: the embedded default, no LLM at all.

Each task may carry a deterministic ``LocalSolver`` (``recloom.prompts.solver``); this backend runs
it on the validated task input (``LLMRequest.payload``) with a shared, read-only ``context``
(catalogue, encoder, ...) and returns the answer as JSON text, which then goes through the same
validation as any LLM answer. Results are a **non-LLM baseline** and are labelled so everywhere
(``is_llm = False``, ``label``). A task without a solver raises ``UnknownTaskError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.errors import BackendError, UnknownTaskError
from recloom.prompts.registry import TaskRegistry, default_registry
from recloom.prompts.solver import LocalSolver
from recloom.prompts.task import Task

NON_LLM_LABEL = "local (non-LLM baseline)"


class LocalBackend:
    kind = "local"
    is_llm = False
    label = NON_LLM_LABEL

    def __init__(
        self,
        model: str = "baseline",
        *,
        context: Mapping[str, Any] | None = None,
        registry: TaskRegistry | None = None,
    ) -> None:
        self.model = model or "baseline"
        self.context: Mapping[str, Any] = MappingProxyType(dict(context or {}))
        self._registry = registry
        self._solvers: dict[str, LocalSolver] = {}

    def use_task(self, task: Task[Any, Any]) -> None:
        """Make ``task``'s solver available (also for tasks outside the default registry); a task
        without a solver raises ``UnknownTaskError``."""
        if task.local_solver is None:
            raise self._no_solver(task.name)
        self._solvers[task.name] = task.local_solver

    def _no_solver(self, task_name: str) -> UnknownTaskError:
        registry = self._registry or default_registry()
        with_solver = sorted({*self._solvers, *(t.name for t in registry if t.local_solver is not None)})
        return UnknownTaskError(
            f"the local backend has no solver for task {task_name!r}; "
            f"tasks with a local solver: {', '.join(with_solver) or 'none'}"
        )

    def solver_for(self, task_name: str) -> LocalSolver:
        solver = self._solvers.get(task_name)
        if solver is not None:
            return solver
        registry = self._registry or default_registry()
        task = registry.get(task_name)  # UnknownTaskError for unknown names
        if task.local_solver is None:
            raise self._no_solver(task_name)
        self._solvers[task_name] = task.local_solver
        return task.local_solver

    async def complete(self, request: LLMRequest) -> LLMResponse:
        solver = self.solver_for(request.task)
        if request.payload is None:
            raise BackendError(
                f"local backend: task {request.task!r} input {request.input_id!r} came without its "
                "validated input (LLMRequest.payload)"
            )
        started = time.perf_counter()
        answer = solver.solve(request.payload, self.context)
        text = answer.model_dump_json() if isinstance(answer, BaseModel) else json.dumps(answer)
        return LLMResponse(
            text=text,
            finish_reason="stop",
            usage=Usage(),
            latency_s=time.perf_counter() - started,
            model=solver.identity,
            raw=None,
        )

    async def aclose(self) -> None:
        return None
