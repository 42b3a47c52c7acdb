"""Shared pieces of the LARMI agent tests: a deterministic bag-of-words embedder (no model load) and
a scripted LLM backend that answers from a function of the prompt and counts its calls."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage

DIM = 256


def word_vector(text: str) -> np.ndarray:
    vec = np.zeros(DIM)
    for word in re.findall(r"[a-z]+", text.lower()):
        vec[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return vec / max(np.linalg.norm(vec), 1e-12)


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """Unit bag-of-words vectors: titles sharing words are close, others (nearly) orthogonal."""
    return np.stack([word_vector(t) for t in texts]).astype(np.float32) if texts else np.zeros((0, DIM))


def prompt_titles(request: LLMRequest) -> list[str]:
    """The numbered titles of the first user message."""
    user = next(m.content for m in request.messages if m.role == "user")
    return [m.group(1) for m in re.finditer(r"^\d+\. (.*)$", user, flags=re.M)]


class ScriptedBackend:
    """An "LLM" answering ``answer(titles, attempt) -> dict``; counts calls."""

    kind, model, is_llm = "openai", "scripted", True

    def __init__(self, answer: Callable[[list[str], int], dict[str, Any]]) -> None:
        self.answer = answer
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        body = self.answer(prompt_titles(request), request.attempt)
        return LLMResponse(json.dumps(body), "stop", Usage(50, 20), 0.0, self.model)

    async def aclose(self) -> None:
        return None


def groups(*clusters: list[Any]) -> dict[str, Any]:
    return {"clusters": [{"name": f"g{k}", "description": "d", "items": c} for k, c in enumerate(clusters)]}
