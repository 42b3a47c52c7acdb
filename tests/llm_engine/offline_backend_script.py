"""Drive recloom's offline ``vllm`` backend inside the engine venv; write the results as JSON.

Run by test_vllm_offline_engine.py with the engine venv's python (vLLM is not in the project venv):
    python offline_backend_script.py OUT_JSON MODEL_DIR [N_REQUESTS]

Two rounds of N concurrent ``complete()`` calls. Every request shares one long system prompt (longer
than a 128-token KV block, vLLM-CPU's block size), so the second round must hit the prefix cache.
Then the batch runner over the same backend (a real task, disk cache) and a strict replay of it.
The ``__main__`` guard is required: vLLM spawns processes that re-import the main module.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from llm_engine_support import TICKET_SCHEMA, TICKET_TASK, ticket_inputs

from recloom.agents.backends.base import LLMRequest, LLMResponse, Message, SamplingParams
from recloom.agents.backends.vllm_offline import VLLMOfflineBackend
from recloom.agents.runtime import Runner, RuntimeConfig

ENGINE_KWARGS = {
    "dtype": "bfloat16",
    "max_model_len": 1024,
    "enforce_eager": True,
    "kv_cache_memory_bytes": 32 << 20,
    "seed": 0,
}
SHARED_PREFIX = "You label tickets. " + " ".join(
    f"rule {i}: a {w} ticket about the {w} page gets the tag {w}."
    for i, w in enumerate(["login", "docs", "crash"] * 6)
)


def make_request(i: int, round_no: int) -> LLMRequest:
    return LLMRequest(
        task="ticket",
        task_version="1",
        messages=(
            Message("system", SHARED_PREFIX),
            Message("user", f"ticket {round_no}-{i}: the page is slow"),
        ),
        json_schema=TICKET_SCHEMA,
        schema_name="ticket",
        sampling=SamplingParams(temperature=0.8, max_tokens=200, seed=i),
        input_id=f"r{round_no}-{i}",
    )


def record(response: LLMResponse) -> dict[str, Any]:
    return {
        "text": response.text,
        "finish_reason": response.finish_reason,
        "usage": {
            "prompt_tokens": response.usage.prompt_tokens,
            "completion_tokens": response.usage.completion_tokens,
            "cached_tokens": response.usage.cached_tokens,
        },
        "latency_s": response.latency_s,
        "model": response.model,
        "raw": response.raw,
    }


async def direct_rounds(backend: VLLMOfflineBackend, n: int) -> dict[str, Any]:
    """Two rounds of n concurrent complete() calls straight on the backend."""
    rounds: list[list[dict[str, Any]]] = []
    seconds: list[float] = []
    for round_no in range(2):
        started = time.perf_counter()
        responses = await asyncio.gather(*(backend.complete(make_request(i, round_no)) for i in range(n)))
        seconds.append(time.perf_counter() - started)
        rounds.append([record(r) for r in responses])
    return {"rounds": rounds, "round_seconds": seconds, "batch_sizes": list(backend.batch_sizes)}


async def through_runner(backend: VLLMOfflineBackend, n: int, work_dir: Path) -> dict[str, Any]:
    """The batch runner over the same backend: a real task, cached to disk, then strict replay."""
    before = len(backend.batch_sizes)
    options: dict[str, Any] = {"progress": False, "concurrency": n, "cache_dir": str(work_dir / "cache")}
    live_runner = Runner(RuntimeConfig(backend="vllm", model="tiny", **options), backend=backend)
    live = await live_runner.arun(TICKET_TASK, ticket_inputs(n), run_dir=work_dir / "live")
    replay_runner = Runner(RuntimeConfig(backend="vllm", model="tiny", cache_mode="replay", **options))
    replay = await replay_runner.arun(TICKET_TASK, ticket_inputs(n), run_dir=work_dir / "replay")
    return {
        "outputs": [o.output_record() for o in live.outcomes],
        "finish_reasons": [a.finish_reason for o in live.outcomes for a in o.attempts],
        "attempt_usage": [a.usage.as_dict() for o in live.outcomes for a in o.attempts],
        "manifest": live.manifest,
        "batch_sizes": backend.batch_sizes[before:],
        "replay_results": [r.model_dump(mode="json") if r is not None else None for r in replay.results],
        "replay_backends_built": replay_runner.engine.backends_built,
    }


async def run(model_dir: str, n: int, work_dir: Path) -> dict[str, Any]:
    kwargs = ENGINE_KWARGS
    backend = VLLMOfflineBackend(model_dir, served_name="tiny", batch_window_s=0.05, engine_kwargs=kwargs)
    try:
        result = await direct_rounds(backend, n)
        result["runner"] = await through_runner(backend, n, work_dir)
    finally:
        await backend.aclose()
    result["engine_start_s"] = backend.engine_start_s
    return result


def main() -> None:
    out, model_dir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    result = asyncio.run(run(model_dir, n, Path(out).parent))
    Path(out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
