"""Outcomes: one per input, either a validated result or a failure record that keeps the raw
output of every attempt and the chain of errors (nothing a model said is ever thrown away)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from recloom.agents.backends.base import Usage


@dataclass(slots=True)
class Attempt:
    attempt: int
    key: str
    cached: bool
    text: str
    finish_reason: str
    usage: Usage
    latency_s: float
    max_tokens: int
    error_kind: str | None = None
    error: str | None = None
    repaired: bool = False
    revalidated: bool = False  # a stored answer to the same prompt, judged by a changed validator

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "key": self.key,
            "cached": self.cached,
            "finish_reason": self.finish_reason,
            "text": self.text,
            "usage": self.usage.as_dict(),
            "latency_s": round(self.latency_s, 6),
            "max_tokens": self.max_tokens,
            "error_kind": self.error_kind,
            "error": self.error,
            "repaired": self.repaired,
            "revalidated": self.revalidated,
        }


@dataclass(slots=True)
class Outcome:
    input_id: str
    task: str
    ok: bool
    result: BaseModel | None = None
    attempts: list[Attempt] = field(default_factory=list)
    error_kind: str | None = None
    errors: list[str] = field(default_factory=list)
    cost_usd: float | None = 0.0
    transport_retries: int = 0

    @property
    def cached(self) -> bool:
        """Every attempt was served from the cache (no backend call for this input)."""
        return bool(self.attempts) and all(a.cached for a in self.attempts)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for a in self.attempts:
            total = total + a.usage
        return total

    @property
    def live_usage(self) -> Usage:
        """Tokens of the backend calls made in this run (cache hits excluded)."""
        total = Usage()
        for a in self.attempts:
            if not a.cached:
                total = total + a.usage
        return total

    @property
    def reasks(self) -> int:
        return max(0, len(self.attempts) - 1)

    def output_record(self) -> dict[str, Any]:
        """One line of ``outputs.jsonl``."""
        return {
            "input_id": self.input_id,
            "task": self.task,
            "ok": self.ok,
            "result": self.result.model_dump(mode="json") if self.result is not None else None,
            "error_kind": self.error_kind,
            "error": self.errors[-1] if self.errors else None,
            "attempts": len(self.attempts),
            "transport_retries": self.transport_retries,
            "cached": self.cached,
            "keys": [a.key for a in self.attempts],
        }

    def failure_record(self) -> dict[str, Any]:
        """One line of ``failures.jsonl``: raw outputs of every attempt and the error chain."""
        return {
            "input_id": self.input_id,
            "task": self.task,
            "error_kind": self.error_kind,
            "errors": self.errors,
            "transport_retries": self.transport_retries,
            "attempts": [a.as_dict() for a in self.attempts],
        }
