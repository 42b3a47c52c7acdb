"""LARMI stage A on the real vLLM engine: a few Amazon Scientific users clustered by the tiny model
through ``recloom.pipelines.larmi.stage_cluster``, the same code path as the local baseline.

The tiny model's groups are meaningless; what is asserted is validity: every user ends with a
partition of its training items (from the model, repaired and recorded, or the recorded fallback),
every model answer was schema-valid JSON under the server's structured outputs, the calls are
counted, and a second run (and a strict replay) makes no backend call.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from llm_engine_support import EngineServer

from recloom.agents.artifacts import read_json, read_jsonl
from recloom.agents.larmi import individual_request, read_clusters
from recloom.agents.runtime import Runner, RuntimeConfig
from recloom.pipelines.larmi import open_run, stage_cluster
from recloom.pipelines.larmi_data import DataConfig, LarmiData

pytestmark = pytest.mark.engine
N_USERS = 4
USERS = 1000


def shortest_prompts(data: LarmiData) -> list[int]:
    """Users with three distinct training items whose prompts are the shortest (the tiny model's
    context is 1024 tokens, and a prompt that does not fit fails with HTTP 400, which is not cached)."""
    three = [u for u in range(data.n_users) if len(set(data.train_sequences[u].tolist())) == 3]
    length = {
        u: sum(len(t) for t in individual_request(str(u), data.train_sequences[u], data.titles).input.titles)
        for u in three
    }
    return sorted(sorted(three, key=lambda u: (length[u], u))[:N_USERS])


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for k, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[k, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 64] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def engine_runner(server: EngineServer, cache: Path, mode: str = "rw") -> Runner:
    # max_model_len is 1024: a prompt of three short titles takes ~560 tokens, leaving ~450 for the answer;
    # no re-ask (the previous answer plus the re-ask message would not fit: HTTP 400, which is not cached)
    return Runner(
        RuntimeConfig(
            backend="vllm-server",
            model=server.model,
            base_url=server.base_url,
            cache_dir=str(cache),
            cache_mode=mode,
            progress=False,
            concurrency=4,
            max_reasks=0,
            max_tokens=400,
            max_tokens_cap=400,
            transport_retries=1,
            request_timeout_s=300.0,
        )
    )


def test_stage_a_on_the_tiny_model(engine_server: EngineServer, tmp_path: Path) -> None:
    data = open_run(tmp_path / "run", DataConfig(users=USERS))
    short = shortest_prompts(data)
    runner = engine_runner(engine_server, tmp_path / "cache")
    run = stage_cluster(
        tmp_path / "run", data, runner, users=short, fallback_context={"embedder": bag_of_words}
    )
    assert [int(u.id) for u in run.users] == short
    for record in run.users:  # a valid partition of the training items, whoever made it
        flat = sorted(i for c in record.item_clusters() for i in c)
        assert flat == sorted(set(data.train_sequences[int(record.id)].tolist()))
        assert record.source in ("llm", "fallback")
        assert (record.error is None) == (record.source == "llm")
    calls = run.manifest["calls"]
    print(
        f"\n[larmi engine] sources {run.manifest['counts']['by_source']}, calls {calls['backend_calls']}, "
        f"tokens {calls['tokens']}, repairs {[u.repairs for u in run.users]}, "
        f"errors {[u.error for u in run.users]}"
    )
    print(
        "[larmi engine] first answer:",
        next(
            read_jsonl(tmp_path / "run" / "cluster" / "calls" / "failures.jsonl"),
            {"attempts": [{"text": "(no failure)"}]},
        )["attempts"][0]["text"][:600],
    )
    assert run.manifest["backend"]["label"] == f"vllm-server:{engine_server.model}"
    assert calls["inputs"] == N_USERS and calls["backend_calls"] == N_USERS
    assert calls["tokens"]["prompt_tokens"] > 0 and calls["tokens"]["completion_tokens"] > 0
    outputs = list(read_jsonl(tmp_path / "run" / "cluster" / "calls" / "outputs.jsonl"))
    assert [o["ok"] for o in outputs] == [u.source == "llm" for u in run.users]
    for failure in read_jsonl(tmp_path / "run" / "cluster" / "calls" / "failures.jsonl"):
        # under structured outputs the model never breaks the JSON schema: only semantic errors remain
        # (or an answer cut by the token limit)
        assert [a["error_kind"] for a in failure["attempts"]] in (["semantic"], ["truncated"])
    stage = read_json(tmp_path / "run" / "manifest.json")["stages"]["cluster"]
    assert stage["prompts"] == N_USERS and stage["backend_calls"] == calls["backend_calls"]

    # the same users again, in replay mode: every answer and failure comes from the cache
    replay = engine_runner(engine_server, tmp_path / "cache", mode="replay")
    again = stage_cluster(
        tmp_path / "again",
        open_run(tmp_path / "again", DataConfig(users=USERS)),
        replay,
        users=short,
        fallback_context={"embedder": bag_of_words},
    )
    assert replay.engine.backends_built == 0 and again.manifest["calls"]["backend_calls"] == 0
    assert [u.clusters for u in again.users] == [
        u.clusters for u in read_clusters(tmp_path / "run" / "cluster")
    ]
