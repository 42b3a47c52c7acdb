"""The prior long-tail probe on the real vLLM server with the tiny test model, through the same code
path as every backend (``recloom.pipelines.probe``): a few ML-1M protocol sequences -> the
``probe.recommend`` task (re-ask on a shortfall, then salvage + recorded deficit) -> grounding with
the tiny model's own last-token hidden states (BIGRec's encoder) -> c_prior and the P×D groups,
then a strict replay with no backend.

The tiny model's titles are meaningless; the assertions are about validity: every sequence has a
record, every kept title obeys the task's rules, the deficit accounts for every missing title, the
grounded items are distinct catalogue items, the counts add up, and the replay is identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_engine_support import MODEL_DIR, EngineServer

from recloom.agents.artifacts import read_jsonl
from recloom.agents.probe import ProbeInput, ProbeOutput, check_probe
from recloom.agents.probe.task import usable
from recloom.agents.runtime import RuntimeConfig
from recloom.pipelines.probe import ProbeSpec, ground_probe, make_encoder, probe_groups, run_probe

pytestmark = pytest.mark.engine

SPEC = ProbeSpec(n_sequences=4, k=3, max_train=2000, seed=5)


def config(server: EngineServer, cache: Path, mode: str = "rw") -> RuntimeConfig:
    return RuntimeConfig(backend="vllm-server", model=server.model, base_url=server.base_url,
                         cache_dir=str(cache), cache_mode=mode, progress=False, max_reasks=1, concurrency=4,
                         max_tokens=300, max_tokens_cap=400, request_timeout_s=300.0,
                         transport_retries=1)  # fmt: skip


@pytest.fixture(scope="module")
def probe_run(engine_server: EngineServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("probe-engine")
    run_probe(config(engine_server, root / "cache"), SPEC, root / "run")
    return root, root / "run"


def test_every_sequence_has_a_valid_record_with_its_deficit(probe_run: tuple[Path, Path]) -> None:
    _, run = probe_run
    records = list(read_jsonl(run / "recommendations.jsonl"))
    sequences = list(read_jsonl(run / "sequences.jsonl"))
    assert [r["id"] for r in records] == [s["id"] for s in sequences] and len(records) == SPEC.n_sequences
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["backend"]["kind"] == "vllm-server" and manifest["backend"]["is_llm"] is True
    assert manifest["calls"]["backend_calls"] >= SPEC.n_sequences and manifest["calls"]["prompt_tokens"] > 0
    calls = {row["input_id"]: row for row in read_jsonl(run / "calls" / "recommend" / "outputs.jsonl")}
    titles = SPEC.protocol().titles()
    for record, seq in zip(records, sequences, strict=True):
        assert record["source"] in ("llm", "salvaged")
        assert record["deficit"] == SPEC.k - len(record["titles"]) >= 0
        assert (record["source"] == "llm") == calls[record["id"]]["ok"]
        # the kept titles are distinct, clean, new to the history: the task's rules keep all of them
        inp = ProbeInput(id=record["id"], history=[titles[i] for i in seq["history"]], k=SPEC.k)
        assert usable(record["titles"], inp)[0] == record["titles"]
        if record["source"] == "llm":
            assert check_probe(ProbeOutput(titles=record["titles"]), inp).titles == record["titles"]
    assert manifest["counts"]["total_deficit"] == sum(r["deficit"] for r in records)


def test_grounding_with_the_models_hidden_states_and_groups(probe_run: tuple[Path, Path]) -> None:
    _, run = probe_run
    result = ground_probe(run, make_encoder("hidden", str(MODEL_DIR)))
    records = list(read_jsonl(run / "recommendations.jsonl"))
    for record, seq in zip(records, result.sequences, strict=True):
        assert len(seq.items) == len(record["titles"]) and len(set(seq.items)) == len(seq.items)
    groups = probe_groups(run)
    prior = json.loads((run / "prior.json").read_text())
    titles = sum(len(r["titles"]) for r in records)
    assert prior["c_prior_sum"] == titles == SPEC.n_sequences * SPEC.k - prior["deficit"]
    assert sum(prior["cells"].values()) == len(groups.c_prior)
    grounding = json.loads((run / "grounding.json").read_text())
    assert grounding["encoder"] == f"hidden:{MODEL_DIR.name}" and grounding["strings"] == titles


def test_strict_replay_reproduces_the_probe_without_a_backend(
    probe_run: tuple[Path, Path], engine_server: EngineServer
) -> None:
    root, run = probe_run
    dead = EngineServer("http://127.0.0.1:9/v1", engine_server.model, engine_server.log_path, 0.0)
    again = run_probe(config(dead, root / "cache", mode="replay"), SPEC, root / "replay")
    first = list(read_jsonl(run / "recommendations.jsonl"))
    assert [r.titles for r in again.records] == [r["titles"] for r in first]
    assert [r.deficit for r in again.records] == [r["deficit"] for r in first]
    assert again.manifest["calls"]["backend_calls"] == 0
