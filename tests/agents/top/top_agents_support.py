"""Helpers for the ToP agent tests: a cheap deterministic embedder (hashed bag of words, no model),
a scripted "LLM" backend that answers from the validated task input, runners, and small trees."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.backends.base import LLMRequest, LLMResponse, Usage
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.agents.top.embedding import Embedder, unit
from recloom.agents.top.keywords import tokens
from recloom.graph.tree import NodeSpec, PreferenceTree

DIM = 64


def embedding_cache() -> Path:
    """Where the real MiniLM vectors of test texts are kept across runs (keyed by text hash)."""
    return Path(
        os.environ.get("RECLOOM_TEST_EMBEDDINGS", Path.home() / ".cache" / "recloom" / "test-embeddings")
    )


class BagEmbedder(Embedder):
    """Unit vectors of hashed word counts: texts sharing words are close. No model is loaded."""

    def __init__(self) -> None:
        super().__init__(None)
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.full((len(texts), DIM), 1e-3, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokens(text) or text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        return unit(out)


class ScriptedLLM:
    """An LLM-like backend: ``answer(request) -> text`` (the request carries the validated input
    as ``payload``); records every request."""

    kind = "openai"
    is_llm = True

    def __init__(self, answer: Callable[[LLMRequest], str | dict[str, Any]], model: str = "scripted") -> None:
        self.answer, self.model = answer, model
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        text = self.answer(request)
        text = text if isinstance(text, str) else json.dumps(text)
        prompt = sum(len(m.content) for m in request.messages)
        return LLMResponse(text, "stop", Usage(prompt // 4, len(text) // 4))

    async def aclose(self) -> None:
        return None


def llm_runner(backend: ScriptedLLM, **config: Any) -> Runner:
    options = {"cache_mode": "off", "progress": False, "max_reasks": 1, **config}
    return Runner(RuntimeConfig(backend="openai", model=backend.model, **options), backend=backend)


def local_runner(cache_dir: Path | None = None, embedder: Embedder | None = None, **config: Any) -> Runner:
    context: dict[str, Any] = (
        {"embedder": embedder} if embedder is not None else {"embedding_cache_dir": str(embedding_cache())}
    )
    mode = "rw" if cache_dir is not None else "off"
    options = {"cache_mode": mode, "progress": False, **config}
    if cache_dir is not None:
        options["cache_dir"] = str(cache_dir)
    return Runner(RuntimeConfig(backend="local", backend_options={"context": context}, **options))


def two_level_tree() -> PreferenceTree:
    """Category "Films" with two branches of leaves (ids in DFS order)::

    1 Films > 2 Action > 3 Car chases, 4 Martial arts;  5 Drama > 6 Courtroom, 7 War stories, 8 Family
    """
    return PreferenceTree.from_specs(
        [
            NodeSpec(
                "Films",
                "movies",
                (
                    NodeSpec(
                        "Action",
                        "",
                        (
                            NodeSpec("Car chases", "fast cars racing chase"),
                            NodeSpec("Martial arts", "kung fu fighting karate"),
                        ),
                    ),
                    NodeSpec(
                        "Drama",
                        "",
                        (
                            NodeSpec("Courtroom", "trial lawyer court jury"),
                            NodeSpec("War stories", "soldiers battle war"),
                            NodeSpec("Family", "family mother father children"),
                        ),
                    ),
                ),
            ),
        ]
    )
