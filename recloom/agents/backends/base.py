"""The backend protocol and the request/response types every backend speaks.

A request is immutable and fully determines a generation; the cache key is computed once from it
(``recloom.cache.keys``) before any backend sees it. ``payload`` carries the validated task input
for the local (non-LLM) backend and is never part of the key: the rendered messages already are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class SamplingParams:
    temperature: float = 0.0
    max_tokens: int = 1024
    top_p: float = 1.0
    seed: int | None = 0


@dataclass(frozen=True, slots=True)
class LLMRequest:
    task: str
    task_version: str
    messages: tuple[Message, ...]
    json_schema: Mapping[str, Any]
    schema_name: str
    sampling: SamplingParams = SamplingParams()
    input_id: str = ""
    attempt: int = 0
    payload: Any = field(default=None, compare=False, hash=False, repr=False)


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
        )


@dataclass(slots=True)
class LLMResponse:
    text: str
    finish_reason: str
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    raw: dict[str, Any] | None = None


@runtime_checkable
class Backend(Protocol):
    """One protocol for all backends. ``complete`` may be called concurrently; backends that batch
    (offline vLLM) gather pending calls internally."""

    kind: str
    model: str
    is_llm: bool

    async def complete(self, request: LLMRequest) -> LLMResponse: ...

    async def aclose(self) -> None: ...
