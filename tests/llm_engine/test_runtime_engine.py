"""recloom's runtime against the real vLLM server: the ``openai`` and ``vllm-server`` backends
through the batch runner, with the disk cache and strict replay.

The tiny model's content is meaningless; what is asserted is what a bug in recloom would break:
schema validity, recorded finish reasons, token accounting, truncation handling, caching, replay.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from llm_engine_support import TICKET_TASK, EngineServer, TicketOut, ticket_inputs

from recloom.agents.backends import make_backend
from recloom.agents.backends.base import Backend, LLMRequest, LLMResponse, Usage
from recloom.agents.runtime import Runner, RunResult, RuntimeConfig
from recloom.cache.store import CacheStore

pytestmark = pytest.mark.engine

N_INPUTS = 8


@dataclass
class LiveRun:
    kind: str
    cache_dir: Path
    result: RunResult


class CountingBackend:
    """Wraps a backend and counts the calls that reach it."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.kind, self.model, self.is_llm = inner, inner.kind, inner.model, inner.is_llm
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def config(kind: str, base_url: str, cache_dir: Path, **overrides: Any) -> RuntimeConfig:
    options: dict[str, Any] = dict(
        backend=kind, model="tiny", base_url=base_url, cache_dir=str(cache_dir), progress=False,
        concurrency=8, max_reasks=1, transport_retries=1, request_timeout_s=300.0,
    )  # fmt: skip
    options.update(overrides)
    return RuntimeConfig(**options)


@pytest.fixture(scope="module", params=["openai", "vllm-server"])
def live_run(
    request: pytest.FixtureRequest, engine_server: EngineServer, tmp_path_factory: pytest.TempPathFactory
) -> LiveRun:
    kind = request.param
    root = tmp_path_factory.mktemp(f"runtime-{kind}")
    runner = Runner(config(kind, engine_server.base_url, root / "cache"))
    result = runner.run(TICKET_TASK, ticket_inputs(N_INPUTS), run_dir=root / "run1")
    return LiveRun(kind, root / "cache", result)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_every_output_is_schema_valid_with_finish_reasons_recorded(live_run: LiveRun) -> None:
    result = live_run.result
    assert [o.ok for o in result.outcomes] == [True] * N_INPUTS, [o.errors for o in result.failures]
    assert [o.input_id for o in result.outcomes] == [f"t{i}" for i in range(N_INPUTS)]
    assert result.run_dir is not None
    for record in read_jsonl(result.run_dir / "outputs.jsonl"):
        jsonschema.validate(record["result"], TICKET_TASK.json_schema)
        TicketOut.model_validate(record["result"])
    for outcome in result.outcomes:
        assert outcome.attempts[-1].finish_reason == "stop"
        assert json.loads(outcome.attempts[-1].text) == outcome.result.model_dump(mode="json")  # type: ignore[union-attr]


def test_usage_sums_in_the_manifest_match_the_per_call_records(live_run: LiveRun) -> None:
    result = live_run.result
    attempts = [a for o in result.outcomes for a in o.attempts]
    assert all(a.usage.prompt_tokens > 0 and a.usage.completion_tokens > 0 for a in attempts)
    assert all(0 <= a.usage.cached_tokens <= a.usage.prompt_tokens for a in attempts)
    total = sum((a.usage for a in attempts), Usage())
    manifest = json.loads((result.run_dir / "manifest.json").read_text())  # type: ignore[operator]
    assert manifest["tokens"]["all_attempts"] == total.as_dict() == manifest["tokens"]["this_run"]
    assert manifest["counts"]["backend_calls"] == len(attempts)
    assert manifest["backend"]["kind"] == live_run.kind
    # The cache holds one record per call, with the same usage the run counted.
    with CacheStore(live_run.cache_dir) as cache:
        stored = sum((Usage(**cache.get(a.key)["response"]["usage"]) for a in attempts), Usage())  # type: ignore[index]
    assert stored == total
    # Every input shares the system prompt (instructions + schema), so the prefix cache must hit.
    assert total.cached_tokens > 0


def test_second_run_is_served_from_the_cache(
    live_run: LiveRun, engine_server: EngineServer, tmp_path: Path
) -> None:
    cfg = config(live_run.kind, engine_server.base_url, live_run.cache_dir)
    backend = CountingBackend(make_backend(live_run.kind, model="tiny", base_url=engine_server.base_url))
    try:
        again = Runner(cfg, backend=backend).run(
            TICKET_TASK, ticket_inputs(N_INPUTS), run_dir=tmp_path / "run2"
        )
    finally:
        asyncio.run(backend.aclose())
    assert backend.calls == 0
    assert again.manifest["counts"]["backend_calls"] == 0 and again.manifest["counts"]["cached"] == N_INPUTS
    assert again.manifest["tokens"]["this_run"] == Usage().as_dict()
    assert again.results == live_run.result.results


def test_strict_replay_builds_no_backend_and_reproduces_results(live_run: LiveRun, tmp_path: Path) -> None:
    dead_url = "http://127.0.0.1:9/v1"  # nothing listens there: any backend call would fail
    runner = Runner(config(live_run.kind, dead_url, live_run.cache_dir, cache_mode="replay"))
    replayed = runner.run(TICKET_TASK, ticket_inputs(N_INPUTS), run_dir=tmp_path / "replay")
    assert runner.engine.backends_built == 0
    assert replayed.results == live_run.result.results
    assert replayed.manifest["counts"]["cached"] == N_INPUTS


def test_truncation_is_a_recorded_failure_never_a_success(
    live_run: LiveRun, engine_server: EngineServer, tmp_path: Path
) -> None:
    # 3 tokens cannot hold the object; the runner doubles the budget once (cap 6) and still fails.
    cfg = config(live_run.kind, engine_server.base_url, tmp_path / "cache", max_tokens=3, max_tokens_cap=6)
    result = Runner(cfg).run(TICKET_TASK, ticket_inputs(3), run_dir=tmp_path / "run")
    for outcome in result.outcomes:
        assert not outcome.ok and outcome.result is None and outcome.error_kind == "truncated"
        assert [a.finish_reason for a in outcome.attempts] == ["length", "length"]
        assert [a.max_tokens for a in outcome.attempts] == [3, 6]
        assert [a.usage.completion_tokens for a in outcome.attempts] == [3, 6]
    failures = read_jsonl(tmp_path / "run" / "failures.jsonl")
    assert sorted(f["input_id"] for f in failures) == ["t0", "t1", "t2"]
    assert all(a["text"] and a["error_kind"] == "truncated" for f in failures for a in f["attempts"])
    assert result.manifest["counts"]["failures_by_kind"] == {"truncated": 3}
