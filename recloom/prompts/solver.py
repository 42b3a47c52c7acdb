"""Local solvers: deterministic non-LLM baselines that the ``local`` backend runs instead of a model.

A solver receives the validated task input and a read-only context mapping (shared objects such as
a catalogue or an encoder, given once to the backend) and returns an instance of the task's output
model. Its output goes through the same validation as an LLM answer. Everything a local solver
produces is labelled as a non-LLM baseline (manifest, progress bar, reports).

Heavy dependencies (sentence-transformers, torch) must be imported inside ``solve``, never at module
level, so that registering a solver stays free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel


@runtime_checkable
class LocalSolver(Protocol):
    """``identity`` names the solver and its version (part of the cache key of local answers)."""

    @property
    def identity(self) -> str: ...

    def solve(self, inp: Any, context: Mapping[str, Any]) -> BaseModel: ...


@dataclass(frozen=True)
class FunctionSolver:
    """A ``LocalSolver`` made from a plain function ``fn(input, context) -> output``."""

    name: str
    version: str
    fn: Callable[[Any, Mapping[str, Any]], BaseModel]

    @property
    def identity(self) -> str:
        return f"{self.name}@{self.version}"

    def solve(self, inp: Any, context: Mapping[str, Any]) -> BaseModel:
        return self.fn(inp, context)


def local_solver(
    name: str, version: str = "1"
) -> Callable[[Callable[[Any, Mapping[str, Any]], BaseModel]], FunctionSolver]:
    """Decorator: ``@local_solver("item_tags.keywords", "1")`` turns a function into a solver."""

    def wrap(fn: Callable[[Any, Mapping[str, Any]], BaseModel]) -> FunctionSolver:
        return FunctionSolver(name, version, fn)

    return wrap
