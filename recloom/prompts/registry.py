"""The task registry: name -> ``Task``.

The default registry loads every module of the ``recloom.prompts.builtin`` package on first use;
each such module exposes ``TASKS`` (a list of ``Task``). Workflows add their task modules there, or
call ``register_task`` from their own code. Unknown names raise ``UnknownTaskError`` listing the
known ones.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Iterator
from typing import Any

from recloom.errors import ConfigError, UnknownTaskError
from recloom.prompts.solver import LocalSolver
from recloom.prompts.task import Task


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: dict[str, Task[Any, Any]] = {}
        self._lock = threading.Lock()

    def register(self, task: Task[Any, Any], *, replace: bool = False) -> Task[Any, Any]:
        with self._lock:
            if task.name in self._tasks and not replace and self._tasks[task.name] is not task:
                raise ConfigError(f"task {task.name!r} is already registered (pass replace=True to override)")
            self._tasks[task.name] = task
        return task

    def get(self, name: str) -> Task[Any, Any]:
        try:
            return self._tasks[name]
        except KeyError:
            known = ", ".join(sorted(self._tasks)) or "none"
            raise UnknownTaskError(f"unknown task {name!r}; registered tasks: {known}") from None

    def attach_local_solver(self, name: str, solver: LocalSolver) -> Task[Any, Any]:
        """Give task ``name`` a deterministic local (non-LLM) solver."""
        return self.register(self.get(name).with_local_solver(solver), replace=True)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def __iter__(self) -> Iterator[Task[Any, Any]]:
        return iter([self._tasks[n] for n in self.names()])


_DEFAULT: list[TaskRegistry] = []
_DEFAULT_LOCK = threading.Lock()


def default_registry() -> TaskRegistry:
    """The process-wide registry, with the built-in task modules loaded."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            registry = TaskRegistry()
            _load_builtin(registry)
            _DEFAULT.append(registry)
        return _DEFAULT[0]


def _load_builtin(registry: TaskRegistry) -> None:
    import recloom.prompts.builtin as builtin

    for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{builtin.__name__}.{info.name}")
        for task in getattr(module, "TASKS", ()):
            registry.register(task)


def get_task(name: str) -> Task[Any, Any]:
    return default_registry().get(name)


def register_task(task: Task[Any, Any], *, replace: bool = False) -> Task[Any, Any]:
    return default_registry().register(task, replace=replace)
