"""The offline vLLM backend's micro-batcher, against a stand-in ``vllm`` module (no engine needed).

The real engine is exercised in tests/llm_engine/test_vllm_offline_engine.py; here the batching,
per-request parameters, usage mapping and error isolation are checked quickly and exactly.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from recloom.agents.backends.base import LLMRequest, Message, SamplingParams
from recloom.agents.backends.vllm_offline import VLLMOfflineBackend
from recloom.errors import BackendError, ConfigError


@dataclass
class FakeStructured:
    json: Any = None


@dataclass
class FakeSampling:
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None
    structured_outputs: FakeStructured | None


@dataclass
class FakeOutput:
    request_id: str
    prompt_token_ids: list[int]
    num_cached_tokens: int
    outputs: list[Any]


@dataclass
class FakeLLM:
    """Echoes each conversation's last message as JSON; ``poison`` in a message makes it raise."""

    model: str
    kwargs: dict[str, Any]
    calls: list[list[tuple[list[dict[str, str]], FakeSampling]]] = field(default_factory=list)

    def chat(
        self, conversations: list[Any], sampling_params: list[FakeSampling], use_tqdm: bool
    ) -> list[Any]:
        assert use_tqdm is False
        self.calls.append(list(zip(conversations, sampling_params, strict=True)))
        if any("poison" in m["content"] for conv in conversations for m in conv):
            raise ValueError("grammar compilation failed")
        return [
            self._one(i, conv, sp)
            for i, (conv, sp) in enumerate(zip(conversations, sampling_params, strict=True))
        ]

    def _one(self, i: int, conv: list[dict[str, str]], sp: FakeSampling) -> FakeOutput:
        text = json.dumps({"echo": conv[-1]["content"]})
        n_out = min(len(text), sp.max_tokens)
        completion = types.SimpleNamespace(
            text=text[:n_out], token_ids=list(range(n_out)), stop_reason=None,
            finish_reason="length" if n_out < len(text) else "stop",
        )  # fmt: skip
        n_prompt = sum(len(m["content"]) for m in conv)
        return FakeOutput(f"req-{i}", list(range(n_prompt)), n_prompt // 2, [completion])


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeLLM]]:
    """Installs a stand-in ``vllm`` package; yields the list of engines it built."""
    built: list[FakeLLM] = []
    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = FakeSampling  # type: ignore[attr-defined]
    vllm.LLM = lambda model, **kw: built.append(FakeLLM(model, kw)) or built[-1]  # type: ignore[attr-defined]
    sampling = types.ModuleType("vllm.sampling_params")
    sampling.StructuredOutputsParams = FakeStructured  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sampling)
    yield built


def request(text: str, *, schema: dict[str, Any] | None = None, max_tokens: int = 100) -> LLMRequest:
    return LLMRequest(
        task="echo", task_version="1", schema_name="echo",
        messages=(Message("system", "be brief"), Message("user", text)),
        json_schema=schema if schema is not None else {"type": "object", "title": text},
        sampling=SamplingParams(max_tokens=max_tokens, seed=7), input_id=f"id-{text}",
    )  # fmt: skip


async def complete_all(backend: VLLMOfflineBackend, requests: list[LLMRequest]) -> list[Any]:
    try:
        return await asyncio.gather(*(backend.complete(r) for r in requests), return_exceptions=True)
    finally:
        await backend.aclose()


def test_concurrent_calls_become_one_batch_and_each_gets_its_own_answer(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("/models/tiny", batch_window_s=0.5)
    texts = [f"item {i}" for i in range(10)]
    responses = asyncio.run(complete_all(backend, [request(t) for t in texts]))
    assert [json.loads(r.text)["echo"] for r in responses] == texts
    (engine,) = fake_vllm
    assert len(engine.calls) == 1 and backend.batch_sizes == [10]
    # Each request kept its own schema and sampling settings inside the batch.
    for (conv, sp), text in zip(engine.calls[0], texts, strict=True):
        assert conv[-1] == {"role": "user", "content": text}
        assert sp.structured_outputs is not None and sp.structured_outputs.json["title"] == text
        assert (sp.seed, sp.max_tokens, sp.temperature) == (7, 100, 0.0)


def test_max_batch_splits_the_queue(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("m", max_batch=4, batch_window_s=0.5)
    responses = asyncio.run(complete_all(backend, [request(str(i)) for i in range(10)]))
    assert all(r.finish_reason == "stop" for r in responses)
    assert backend.batch_sizes == [4, 4, 2]


def test_sequential_calls_are_not_held_back(fake_vllm: list[FakeLLM]) -> None:
    async def one_by_one(backend: VLLMOfflineBackend) -> list[str]:
        texts = [(await backend.complete(request(t))).text for t in ("a", "b")]
        await backend.aclose()
        return texts

    backend = VLLMOfflineBackend("m", batch_window_s=0.01)
    assert [json.loads(t)["echo"] for t in asyncio.run(one_by_one(backend))] == ["a", "b"]
    assert backend.batch_sizes == [1, 1]


def test_usage_finish_reason_and_latency_are_mapped(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("/models/tiny", served_name="tiny")
    full, cut = asyncio.run(complete_all(backend, [request("hello"), request("truncate me", max_tokens=5)]))
    assert full.finish_reason == "stop" and cut.finish_reason == "length"
    prompt = len("be brief") + len("hello")
    assert (full.usage.prompt_tokens, full.usage.cached_tokens) == (prompt, prompt // 2)
    assert full.usage.completion_tokens == len(full.text)
    assert cut.usage.completion_tokens == 5 and len(cut.text) == 5
    assert full.model == "tiny" and full.latency_s > 0
    assert full.raw is not None and full.raw["batch_size"] == 2


def test_engine_start_is_not_charged_to_request_latency(
    fake_vllm: list[FakeLLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    vllm = sys.modules["vllm"]
    build = vllm.LLM  # type: ignore[attr-defined]
    monkeypatch.setattr(vllm, "LLM", lambda model, **kw: time.sleep(0.3) or build(model, **kw))
    backend = VLLMOfflineBackend("m", batch_window_s=0.0)
    (response,) = asyncio.run(complete_all(backend, [request("x")]))
    assert backend.engine_start_s is not None and backend.engine_start_s >= 0.3
    assert 0 < response.latency_s < 0.3


def test_a_rejected_request_fails_alone_with_its_task_and_input_id(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("m", batch_window_s=0.5)
    results = asyncio.run(complete_all(backend, [request("fine"), request("poison"), request("also fine")]))
    assert isinstance(results[1], BackendError)
    assert "'echo'" in str(results[1]) and "id-poison" in str(results[1])
    assert [json.loads(results[i].text)["echo"] for i in (0, 2)] == ["fine", "also fine"]
    # one batched try, then one retry per request
    assert [len(call) for call in fake_vllm[0].calls] == [3, 1, 1, 1]


def test_empty_schema_means_unconstrained(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("m")
    asyncio.run(complete_all(backend, [request("x", schema={})]))
    ((_, sp),) = fake_vllm[0].calls[0]
    assert sp.structured_outputs is None


def test_engine_kwargs_and_default_structured_output_config(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("/m", engine_kwargs={"dtype": "bfloat16", "enforce_eager": True})
    asyncio.run(complete_all(backend, [request("x")]))
    engine = fake_vllm[0]
    assert engine.model == "/m" and engine.kwargs["dtype"] == "bfloat16"
    assert engine.kwargs["structured_outputs_config"] == {
        "backend": "guidance",
        "disable_any_whitespace": True,
    }
    override = {"structured_outputs_config": {"backend": "xgrammar"}}
    asyncio.run(complete_all(VLLMOfflineBackend("/m", engine_kwargs=override), [request("x")]))
    assert fake_vllm[1].kwargs["structured_outputs_config"] == {"backend": "xgrammar"}


def test_missing_vllm_is_a_clear_backend_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    (result,) = asyncio.run(complete_all(VLLMOfflineBackend("m"), [request("x")]))
    assert isinstance(result, BackendError) and "engine venv" in str(result)


def test_closed_backend_refuses_work(fake_vllm: list[FakeLLM]) -> None:
    backend = VLLMOfflineBackend("m")
    asyncio.run(backend.aclose())
    asyncio.run(backend.aclose())  # idempotent
    with pytest.raises(BackendError, match="after aclose"):
        asyncio.run(backend.complete(request("x")))


@pytest.mark.parametrize("kwargs", [{"max_batch": 0}, {"batch_window_s": -1.0}])
def test_bad_options_are_config_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        VLLMOfflineBackend("m", **kwargs)


def test_import_pulls_in_neither_vllm_nor_torch() -> None:
    code = (
        "import sys, recloom.agents.backends.vllm_offline\n"
        "bad = [m for m in ('vllm', 'torch', 'openai') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
