"""The real vLLM server through the plain openai client: the guarantees recloom's backends rely on."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from llm_engine_support import TICKET_SCHEMA, EngineServer
from openai import OpenAI
from openai.types.chat import ChatCompletion

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def client(engine_server: EngineServer) -> OpenAI:
    return OpenAI(base_url=engine_server.base_url, api_key="unused", max_retries=0, timeout=120)


def _ask(client: OpenAI, model: str, seed: int, **kwargs: Any) -> ChatCompletion:
    return client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": "Answer with one JSON object."},
            {"role": "user", "content": f"label ticket number {seed}"},
        ],
        seed=seed,
        **kwargs,
    )


def test_json_schema_response_format_always_valid(client: OpenAI, engine_server: EngineServer) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "ticket", "schema": TICKET_SCHEMA}}
    for seed in range(8):
        reply = _ask(client, engine_server.model, seed, max_tokens=300, temperature=1.0, response_format=fmt)
        choice = reply.choices[0]
        assert choice.finish_reason == "stop", choice.message.content
        jsonschema.validate(json.loads(choice.message.content), TICKET_SCHEMA)
        assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def test_vllm_structured_outputs_extension_is_honoured(client: OpenAI, engine_server: EngineServer) -> None:
    reply = _ask(
        client, engine_server.model, 3, max_tokens=300, temperature=0.0,
        extra_body={"structured_outputs": {"json": TICKET_SCHEMA}},
    )  # fmt: skip
    assert reply.choices[0].finish_reason == "stop"
    jsonschema.validate(json.loads(reply.choices[0].message.content), TICKET_SCHEMA)


def test_tiny_max_tokens_ends_on_length(client: OpenAI, engine_server: EngineServer) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "ticket", "schema": TICKET_SCHEMA}}
    reply = _ask(client, engine_server.model, 0, max_tokens=3, temperature=0.0, response_format=fmt)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 3
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.choices[0].message.content)


def test_removed_guided_json_is_silently_ignored_by_the_server(
    client: OpenAI, engine_server: EngineServer
) -> None:
    """Why recloom's vllm-server backend refuses ``guided_*`` fields: vLLM answers 200 and does not
    constrain the output. If this starts failing, vLLM changed (rejects or honours them again)."""
    valid = 0
    for seed in range(4):
        reply = _ask(client, engine_server.model, seed, max_tokens=24, temperature=1.0,
                     extra_body={"guided_json": TICKET_SCHEMA})  # fmt: skip
        try:
            jsonschema.validate(json.loads(reply.choices[0].message.content), TICKET_SCHEMA)
            valid += 1
        except (json.JSONDecodeError, jsonschema.ValidationError):
            pass
    assert valid == 0
