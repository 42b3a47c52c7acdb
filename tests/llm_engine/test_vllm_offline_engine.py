"""recloom's offline ``vllm`` backend on the real engine, run in the engine venv (a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from llm_engine_support import MODEL_DIR, TICKET_SCHEMA, TICKET_TASK, RunInEngine

pytestmark = pytest.mark.engine

SCRIPT = Path(__file__).with_name("offline_backend_script.py")
N_REQUESTS = 6


@pytest.fixture(scope="module")
def offline_result(run_in_engine: RunInEngine) -> dict[str, Any]:
    return run_in_engine(SCRIPT, str(MODEL_DIR), str(N_REQUESTS))


def test_concurrent_calls_are_batched(offline_result: dict[str, Any]) -> None:
    sizes = offline_result["batch_sizes"]  # the direct rounds only
    assert sum(sizes) == 2 * N_REQUESTS
    assert max(sizes) > 1, f"no batching happened: {sizes}"
    for round_ in offline_result["rounds"]:
        assert {r["raw"]["batch_size"] for r in round_} != {1}


def test_every_answer_is_schema_valid_and_stopped(offline_result: dict[str, Any]) -> None:
    for round_ in offline_result["rounds"]:
        assert len(round_) == N_REQUESTS
        for r in round_:
            assert r["finish_reason"] == "stop", r
            jsonschema.validate(json.loads(r["text"]), TICKET_SCHEMA)
            assert r["model"] == "tiny" and r["latency_s"] > 0


def test_usage_and_prefix_cache_hits_are_reported(offline_result: dict[str, Any]) -> None:
    first, second = offline_result["rounds"]
    for r in first + second:
        usage = r["usage"]
        assert usage["prompt_tokens"] > 128 and usage["completion_tokens"] > 0
        assert 0 <= usage["cached_tokens"] <= usage["prompt_tokens"]
    # The second round shares the first round's long system prompt: whole 128-token blocks hit.
    assert all(r["usage"]["cached_tokens"] >= 128 for r in second), [r["usage"] for r in second]


def test_runner_over_the_offline_backend_batches_caches_and_replays(offline_result: dict[str, Any]) -> None:
    runner = offline_result["runner"]
    assert [o["ok"] for o in runner["outputs"]] == [True] * N_REQUESTS, runner["outputs"]
    for output in runner["outputs"]:
        jsonschema.validate(output["result"], TICKET_TASK.json_schema)
    assert set(runner["finish_reasons"]) == {"stop"}
    assert max(runner["batch_sizes"]) > 1, runner["batch_sizes"]  # the runner's concurrency was batched
    usage = runner["attempt_usage"]
    assert all(u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 for u in usage)
    summed = {k: sum(u[k] for u in usage) for k in ("prompt_tokens", "completion_tokens", "cached_tokens")}
    assert runner["manifest"]["tokens"]["this_run"] == summed
    assert runner["manifest"]["backend"] == {
        "kind": "vllm",
        "model": "tiny",
        "is_llm": True,
        "label": "vllm:tiny",
    }
    assert runner["replay_backends_built"] == 0
    assert runner["replay_results"] == [o["result"] for o in runner["outputs"]]
