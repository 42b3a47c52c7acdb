"""The backend protocol and the request/response types every backend speaks.

A request is immutable and fully determines a generation; the cache key is computed once from it
(``recloom.cache.keys``) before any backend sees it. ``payload`` carries the validated task input
for the local (non-LLM) backend and is never part of the key: the rendered messages already are.
``prefix_key`` is a routing hint (OpenAI ``prompt_cache_key``), not part of the key either.

Backends raise ``recloom.errors.TransportError`` for transient failures (408/409/429/5xx, timeouts,
resets; the runner retries them) and ``BackendError`` for permanent ones. A truncated or filtered
answer is *returned* with its ``finish_reason``: judging it is the runner's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from recloom.prompts.messages import Message, Role

__all__ = ["Backend", "LLMRequest", "LLMResponse", "Message", "Role", "SamplingParams", "Usage"]


@dataclass(frozen=True, slots=True)
class SamplingParams:
    temperature: float = 0.0
    max_tokens: int = 1024
    top_p: float = 1.0
    seed: int | None = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
        }


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
    prefix_key: str = field(default="", compare=False, hash=False)


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

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
        }


@dataclass(slots=True)
class LLMResponse:
    text: str
    finish_reason: str
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    raw: dict[str, Any] | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSON form stored in the cache (raw text, finish reason, usage, latency, model)."""
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "usage": self.usage.as_dict(),
            "latency_s": self.latency_s,
            "model": self.model,
            "raw": self.raw,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LLMResponse:
        u = record.get("usage") or {}
        usage = Usage(
            int(u.get("prompt_tokens", 0)), int(u.get("completion_tokens", 0)), int(u.get("cached_tokens", 0))
        )
        return cls(
            str(record.get("text", "")),
            str(record.get("finish_reason", "")),
            usage,
            float(record.get("latency_s", 0.0)),
            str(record.get("model", "")),
            record.get("raw"),
        )


@runtime_checkable
class Backend(Protocol):
    """One protocol for all backends. ``complete`` may be called concurrently; backends that batch
    (offline vLLM) gather pending calls internally. ``is_llm`` is False only for the local
    non-LLM baseline."""

    kind: str
    model: str
    is_llm: bool

    async def complete(self, request: LLMRequest) -> LLMResponse: ...

    async def aclose(self) -> None: ...
