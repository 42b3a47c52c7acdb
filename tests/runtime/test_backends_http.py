"""The openai, vllm-server and langchain backends against the loopback fault server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from recloom.agents.backends import make_backend
from recloom.agents.backends.base import LLMRequest, Message, SamplingParams
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.errors import BackendError, ConfigError, TransportError

from .fault_server import FaultServer, Reply
from .support import correct_answer, inputs, parse_user


def complete(backend, req: LLMRequest):
    async def go():
        try:
            return await backend.complete(req)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def request(**kw) -> LLMRequest:
    base = dict(
        task="label",
        task_version="v1",
        messages=(Message("system", "S"), Message("user", "ID: a\nTEXT: hi there")),
        json_schema={
            "type": "object",
            "properties": {"label": {"type": "string"}},
            "required": ["label"],
            "additionalProperties": False,
        },
        schema_name="Label",
        sampling=SamplingParams(max_tokens=50),
        input_id="a",
    )
    base.update(kw)
    return LLMRequest(**base)


def test_openai_backend_sends_strict_json_schema_and_reads_usage(good_server):
    backend = make_backend("openai", model="m1", base_url=good_server.url)
    response = complete(backend, request())
    body = good_server.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["label"]
    assert body["max_tokens"] == 50 and body["temperature"] == 0.0 and body["seed"] == 0
    assert response.text == correct_answer("hi there") and response.finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (20, 10)


def test_vllm_server_backend_uses_structured_outputs_not_guided_fields(good_server):
    backend = make_backend(
        "vllm-server",
        model="tiny",
        base_url=good_server.url,
        structured_outputs={"disable_any_whitespace": True},
    )
    complete(backend, request())
    body = good_server.bodies[0]
    assert body["structured_outputs"] == {"json": request().json_schema, "disable_any_whitespace": True}
    assert "response_format" not in body and not any(k.startswith("guided") for k in body)


@pytest.mark.parametrize("field", ["guided_json", "guided_decoding_backend", "guided_regex"])
def test_vllm_server_refuses_removed_guided_fields(field):
    with pytest.raises(ConfigError, match=f"'{field}' was removed from vLLM"):
        make_backend("vllm-server", model="tiny", extra_body={field: {"type": "object"}})


def test_openai_without_key_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_backend("openai", model="gpt-4o-mini")


def test_unknown_backend_and_bad_option_are_config_errors():
    with pytest.raises(ConfigError, match="unknown backend 'gpt'"):
        make_backend("gpt")
    with pytest.raises(ConfigError, match="bad option"):
        make_backend("local", colour="red")


@pytest.mark.parametrize(
    "status,transient", [(429, True), (500, True), (503, True), (408, True), (400, False), (404, False)]
)
def test_http_errors_map_to_transport_or_backend_errors(status, transient):
    def plan(body, seen):
        return Reply(status=status, headers={"retry-after": "3"})

    with FaultServer(plan) as server:
        backend = make_backend("openai", model="m", base_url=server.url)
        with pytest.raises(TransportError if transient else BackendError) as info:
            complete(backend, request())
    assert isinstance(info.value, TransportError) is transient
    if transient:
        assert info.value.status == status and info.value.retry_after == 3.0
    assert "task 'label' input 'a'" in str(info.value)


def test_garbage_http_body_is_transient():
    with FaultServer(lambda body, seen: Reply(raw_body=b"<html>proxy error")) as server:
        backend = make_backend("openai", model="m", base_url=server.url)
        with pytest.raises(TransportError):
            complete(backend, request())


def test_langchain_backend_runs_a_batch_through_chat_openai(good_server, task, tmp_path: Path):
    config = RuntimeConfig(
        backend="langchain",
        model="m2",
        base_url=good_server.url,
        progress=False,
        cache_dir=str(tmp_path / "c"),
    )
    result = Runner(config).run(task, inputs(5))
    assert all(o.ok for o in result.outcomes)
    assert good_server.requests == 5
    body = good_server.bodies[0]
    assert body["response_format"]["type"] == "json_schema" and body["model"] == "m2"
    assert result.outcomes[0].attempts[0].usage.prompt_tokens == 20


def test_langchain_backend_returns_truncated_answers_as_length(tmp_path: Path, task):
    def plan(body, seen):
        text = parse_user(body)[1]
        return Reply(content=correct_answer(text)[:-3], finish_reason="length")

    with FaultServer(plan) as server:
        config = RuntimeConfig(
            backend="langchain",
            model="m2",
            base_url=server.url,
            progress=False,
            cache_mode="off",
            max_tokens=100,
            max_tokens_cap=200,
        )
        result = Runner(config).run(task, inputs(1))
    assert [a.finish_reason for a in result.outcomes[0].attempts] == ["length", "length"]
    assert result.outcomes[0].error_kind == "truncated"
    assert [b.get("max_tokens") or b.get("max_completion_tokens") for b in server.bodies] == [100, 200]


def test_langchain_backend_accepts_a_user_chat_model_object(good_server, task, tmp_path: Path):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model="m3", base_url=good_server.url, api_key="not-needed", max_retries=0, temperature=0
    )
    config = RuntimeConfig(
        backend="langchain",
        model="m3-t0",
        progress=False,
        cache_dir=str(tmp_path / "c"),
        backend_options={"chat_model": chat},
    )
    result = Runner(config).run(task, inputs(3))
    assert all(o.ok for o in result.outcomes) and good_server.bodies[0]["model"] == "m3"
    assert result.manifest["backend"]["model"] == "m3-t0"
    assert result.manifest["config"]["backend_options"] == {"chat_model": "<ChatOpenAI>"}
